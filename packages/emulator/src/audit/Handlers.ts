/**
 * The audit endpoints, served: one handler per endpoint of `AuditEndpoints`,
 * under its name.
 */
import { AuditEndpoints } from "@getstack/effect/api/Audit"
import { serveGroup } from "../http/Router.js"
import * as Audit from "./Audit.js"

/** The routes of the audit group. */
export const routes = serveGroup(AuditEndpoints, {
  list: ({ actor, urlParams }) => Audit.list(actor, urlParams),
  chainHead: ({ actor }) => Audit.chainHead(actor),
  verifyChain: ({ actor, urlParams }) => Audit.verifyChain(actor, urlParams),
  export: ({ actor, respondAs, urlParams }) => Audit.exportEntries(actor, urlParams, respondAs)
})
