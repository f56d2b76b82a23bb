/**
 * The drop-offs endpoints, served: one handler per endpoint of
 * `DropoffsEndpoints`, under its name.
 */
import { DropoffsEndpoints } from "@getstack/effect/api/Dropoffs"
import { serveGroup } from "../http/Router.js"
import * as Dropoffs from "./Dropoffs.js"

/** The routes of the drop-offs group. */
export const routes = serveGroup(DropoffsEndpoints, {
  create: ({ actor, payload }) => Dropoffs.create(actor, payload),
  deposit: ({ actor, path, payload }) => Dropoffs.deposit(actor, path.id, payload),
  collect: ({ actor, path }) => Dropoffs.collect(actor, path.id),
  get: ({ actor, path }) => Dropoffs.get(actor, path.id),
  list: ({ actor, urlParams }) => Dropoffs.list(actor, urlParams),
  expire: ({ actor, path }) => Dropoffs.expire(actor, path.id)
})
