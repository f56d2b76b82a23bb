/**
 * The proxy endpoint, served.
 */
import { ProxyEndpoints } from "@getstack/effect/api/Proxy"
import { serveGroup } from "../http/Router.js"
import * as Proxy from "./Proxy.js"

/** The routes of the proxy group. */
export const routes = serveGroup(ProxyEndpoints, {
  request: ({ actor, headers, payload }) => Proxy.request(actor, headers["x-passport-token"], payload)
})
