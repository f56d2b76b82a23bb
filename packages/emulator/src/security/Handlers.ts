/**
 * The security events endpoints, served: one handler per endpoint of
 * `SecurityEventsEndpoints`, under its name.
 */
import { SecurityEventsEndpoints } from "@getstack/effect/api/SecurityEvents"
import { serveGroup } from "../http/Router.js"
import * as SecurityEvents from "./SecurityEvents.js"

/** The routes of the security events group. */
export const routes = serveGroup(SecurityEventsEndpoints, {
  list: ({ actor, urlParams }) => SecurityEvents.list(actor, urlParams),
  resolve: ({ actor, path }) => SecurityEvents.resolve(actor, path.id)
})
