/**
 * A mission's caps, applied to the proxied calls made under its passports:
 * a call under a paused mission is refused (409 `MISSION_PAUSED`, naming the
 * mission and the cap); every call that went out is counted (one action,
 * its `cost_cents`, its upstream time and its answer's bytes), and the call
 * whose use reaches a cap pauses the mission, or closes it, as its
 * `cap_behavior` says (`missions/Missions.capHit`).
 */
import { CapUnit } from "@getstack/effect/api/Missions"
import * as Effect from "effect/Effect"
import type { Actor } from "../core/Audit.js"
import { refuse } from "../core/Failure.js"
import * as Missions from "../missions/Missions.js"
import * as MissionsStore from "../missions/Store.js"
import type * as PassportsStore from "../passports/Store.js"

/** Refuses a call under a mission that is paused. */
export const admit = (row: PassportsStore.PassportRow) =>
  Effect.gen(function*() {
    if (row.mission_id === null) return
    const mission = yield* MissionsStore.byId(row.mission_id)
    if (mission?.status === "paused") {
      return yield* refuse(
        "MISSION_PAUSED",
        `mission ${mission.id} is paused: its ${mission.paused_cap} cap was reached; an operator reviews it (reviewPaused)`,
        { mission_id: mission.id, paused_cap: mission.paused_cap }
      )
    }
  })

/** What one proxied call used. */
export interface Use {
  readonly cents: number
  readonly ms: number
  readonly bytes: number
}

/** Counts a call against its mission, and applies the first cap its use reaches. */
export const count = (actor: Actor, row: PassportsStore.PassportRow, use: Use) =>
  Effect.gen(function*() {
    if (row.mission_id === null) return
    const mission = yield* MissionsStore.addUsage(row.mission_id, use)
    if (mission === undefined || mission.status !== "active") return
    const caps = MissionsStore.capsOf(mission)
    const usage = MissionsStore.usageOf(mission)
    const hit = CapUnit.literals.find((unit) => caps[unit] !== undefined && usage[unit] >= caps[unit]!)
    if (hit !== undefined) yield* Missions.capHit(actor, mission, hit)
  })
