/**
 * The passports endpoints, served: one handler per endpoint of
 * `PassportsEndpoints` and of the public `PublicPassportsEndpoints`, under
 * its name.
 */
import { PassportsEndpoints, PublicPassportsEndpoints } from "@getstack/effect/api/Passports"
import { serveGroup } from "../http/Router.js"
import * as Checkpoints from "./Checkpoints.js"
import * as Passports from "./Passports.js"
import * as Signing from "./Signing.js"

/** The routes of the passports group. */
export const routes = serveGroup(PassportsEndpoints, {
  issue: ({ actor, payload }) => Passports.issue(actor, payload),
  revoke: ({ actor, payload }) => Passports.revoke(actor, payload),
  revokeAgent: ({ actor, payload }) => Passports.revokeAgent(actor, payload),
  revokeAll: ({ actor, payload }) => Passports.revokeAll(actor, payload),
  listActive: ({ actor, urlParams }) => Passports.listActive(actor, urlParams),
  delegate: ({ actor, payload }) => Passports.delegate(actor, payload),
  refresh: ({ actor, payload }) => Passports.refresh(actor, payload),
  checkpoint: ({ actor, path, payload }) => Checkpoints.checkpoint(actor, path.jti, payload),
  checkout: ({ actor, path, payload }) => Checkpoints.checkout(actor, path.jti, payload)
})

/** The routes of the public passports group (no credentials): verification and the JWKS. */
export const publicRoutes = serveGroup(PublicPassportsEndpoints, {
  verify: ({ payload }) => Passports.verify(payload),
  jwks: () => Signing.jwks
})
