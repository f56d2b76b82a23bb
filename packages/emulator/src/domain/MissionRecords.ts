/**
 * Missions as stored, shared by the missions and passports domains (a
 * passport bound to a mission never outlives it).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Mission, type MissionStatus } from "@getstack/effect/api/Missions"
import type { ScopeGrant } from "@getstack/effect/api/Passports"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type { Actor } from "./Action.js"
import { notFound } from "./Failure.js"
import * as Policy from "./Policy.js"

/** A row of `missions`. Times are epoch milliseconds. */
export interface MissionRow {
  readonly id: string
  readonly operator_id: string
  readonly agent_id: string | null
  readonly status: MissionStatus
  readonly intent_summary: string
  /** JSON array of strings. */
  readonly intent_services: string
  readonly started_at: number
  readonly expires_at: number
  readonly completed_at: number | null
  readonly revoked_at: number | null
  readonly terminal_state: string | null
  readonly revoke_reason: "adversarial" | "operator_initiated_clean" | null
  readonly notes: string | null
  /** JSON of the output given at completion, or null when none was. */
  readonly output: string | null
  /** Canonical hash of the `start` request that opened it, for idempotent starts. */
  readonly start_hash: string | null
  /** The mission's current passport (from start or renew). */
  readonly passport_jti: string | null
  /** The passport settings of `start`, reused by `renew`. */
  readonly passport_ttl_seconds: number | null
  readonly checkpoint_interval_seconds: number | null
  /** JSON array of scope grants, or null for none. */
  readonly scopes: string | null
}

/** The mission as the contract returns it. */
export const toMission = (row: MissionRow): Mission =>
  new Mission({
    id: row.id,
    operator_id: row.operator_id,
    agent_id: row.agent_id,
    status: row.status,
    intent_summary: row.intent_summary,
    intent_services: JSON.parse(row.intent_services) as Array<string>,
    started_at: DateTime.unsafeMake(row.started_at),
    expires_at: DateTime.unsafeMake(row.expires_at),
    completed_at: row.completed_at === null ? null : DateTime.unsafeMake(row.completed_at),
    revoked_at: row.revoked_at === null ? null : DateTime.unsafeMake(row.revoked_at),
    terminal_state: row.terminal_state,
    revoke_reason: row.revoke_reason,
    notes: row.notes,
    ...(row.output === null ? {} : { output: JSON.parse(row.output) as unknown })
  })

/** The scope grants `start` recorded for the mission's passports. */
export const scopesOf = (row: MissionRow): ReadonlyArray<ScopeGrant> | undefined =>
  row.scopes === null ? undefined : JSON.parse(row.scopes) as ReadonlyArray<ScopeGrant>

/** Whether passports may be issued for the mission at `now`: active and not expired. */
export const isLive = (row: MissionRow, now: number): boolean => row.status === "active" && now < row.expires_at

/**
 * One of the operator's missions, visible to the caller (an agent sees only
 * the missions assigned to it); `NOT_FOUND` otherwise.
 */
export const findRow = (actor: Actor, id: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<MissionRow>`SELECT * FROM missions WHERE id = ${id} AND operator_id = ${actor.operatorId}`
    return row === undefined || !Policy.actsFor(actor, row.agent_id) ? yield* notFound("mission", id) : row
  })

/** A mission by id, whoever's it is (`undefined` when none). */
export const byId = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<MissionRow>`SELECT * FROM missions WHERE id = ${id}`, (rows) => rows[0]))
