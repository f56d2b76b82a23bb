/**
 * The missions endpoints, served: one handler per endpoint of
 * `MissionsEndpoints`, under its name.
 */
import { MissionsEndpoints } from "@getstack/effect/api/Missions"
import { serveGroup } from "../http/Router.js"
import * as Missions from "./Missions.js"

/** The routes of the missions group. */
export const routes = serveGroup(MissionsEndpoints, {
  start: ({ actor, payload }) => Missions.start(actor, payload),
  open: ({ actor, payload }) => Missions.open(actor, payload),
  get: ({ actor, path }) => Missions.get(actor, path.id),
  list: ({ actor, urlParams }) => Missions.list(actor, urlParams),
  renew: ({ actor, path }) => Missions.renew(actor, path.id),
  complete: ({ actor, path, payload }) => Missions.complete(actor, path.id, payload),
  revoke: ({ actor, path, payload }) => Missions.revoke(actor, path.id, payload),
  reviewPaused: ({ actor, path, payload }) => Missions.reviewPaused(actor, path.id, payload)
})
