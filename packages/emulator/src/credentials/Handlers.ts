/**
 * The credentials endpoints, served: one handler per endpoint of
 * `CredentialsEndpoints`, under its name.
 */
import { CredentialsEndpoints } from "@getstack/effect/api/Credentials"
import { serveGroup } from "../http/Router.js"
import * as Credentials from "./Credentials.js"

/** The routes of the credentials group. */
export const routes = serveGroup(CredentialsEndpoints, {
  get: ({ actor, path }) => Credentials.get(actor, path.provider),
  byConnection: ({ actor, path }) => Credentials.byConnection(actor, path.connection_id)
})
