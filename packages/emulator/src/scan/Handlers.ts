/**
 * The scan endpoints, served: one handler per endpoint of `ScanEndpoints`,
 * under its name.
 */
import { ScanEndpoints } from "@getstack/effect/api/Scan"
import { serveGroup } from "../http/Router.js"
import * as Scan from "./Scan.js"

/** The routes of the scan group. */
export const routes = serveGroup(ScanEndpoints, {
  scan: ({ actor, payload }) => Scan.scan(actor, payload),
  usage: ({ actor }) => Scan.usage(actor)
})
