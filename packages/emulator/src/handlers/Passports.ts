import { PassportsEndpoints, PublicPassportsEndpoints } from "@getstack/effect/api/Passports"
import * as Checkpoints from "../domain/Checkpoints.js"
import * as Passports from "../domain/Passports.js"
import * as Signing from "../domain/Signing.js"
import { serve } from "../http/Router.js"

/** The passports group, served. */
export const routes = [
  serve(PassportsEndpoints.issue, ({ actor, payload }) => Passports.issue(actor, payload)),
  serve(PassportsEndpoints.revoke, ({ actor, payload }) => Passports.revoke(actor, payload)),
  serve(PassportsEndpoints.revokeAgent, ({ actor, payload }) => Passports.revokeAgent(actor, payload)),
  serve(PassportsEndpoints.revokeAll, ({ actor, payload }) => Passports.revokeAll(actor, payload)),
  serve(PassportsEndpoints.listActive, ({ actor, urlParams }) => Passports.listActive(actor, urlParams)),
  serve(PassportsEndpoints.delegate, ({ actor, payload }) => Passports.delegate(actor, payload)),
  serve(PassportsEndpoints.refresh, ({ actor, payload }) => Passports.refresh(actor, payload)),
  serve(PassportsEndpoints.checkpoint, ({ actor, path, payload }) => Checkpoints.checkpoint(actor, path.jti, payload)),
  serve(PassportsEndpoints.checkout, ({ actor, path, payload }) => Checkpoints.checkout(actor, path.jti, payload))
] as const

/** The public passports group (no credentials): verification and the JWKS. */
export const publicRoutes = [
  serve(PublicPassportsEndpoints.verify, ({ payload }) => Passports.verify(payload)),
  serve(PublicPassportsEndpoints.jwks, () => Signing.jwks)
] as const
