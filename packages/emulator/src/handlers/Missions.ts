import { MissionsEndpoints } from "@getstack/effect/api/Missions"
import * as Missions from "../domain/Missions.js"
import { serve } from "../http/Router.js"

/** The missions group, served. */
export const routes = [
  serve(MissionsEndpoints.start, ({ actor, payload }) => Missions.start(actor, payload)),
  serve(MissionsEndpoints.open, ({ actor, payload }) => Missions.open(actor, payload)),
  serve(MissionsEndpoints.get, ({ actor, path }) => Missions.get(actor, path.id)),
  serve(MissionsEndpoints.list, ({ actor, urlParams }) => Missions.list(actor, urlParams)),
  serve(MissionsEndpoints.renew, ({ actor, path }) => Missions.renew(actor, path.id)),
  serve(MissionsEndpoints.complete, ({ actor, path, payload }) => Missions.complete(actor, path.id, payload)),
  serve(MissionsEndpoints.revoke, ({ actor, path, payload }) => Missions.revoke(actor, path.id, payload))
] as const
