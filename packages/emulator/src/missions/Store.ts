/**
 * Missions as stored: the `missions` row, its contract form, and every SQL
 * statement over it. Passports read it too: a passport bound to a mission
 * never outlives it.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import {
  type CapUnit,
  type ListMissionsQuery,
  Mission,
  type MissionCaps,
  MissionPageSize,
  type MissionStatus
} from "@getstack/effect/api/Missions"
import type { ScopeGrant } from "@getstack/effect/api/Passports"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Paging from "../core/Paging.js"

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
  /** JSON of the caps (`MissionCaps`), or null for none. */
  readonly caps: string | null
  readonly cap_behavior: "pause" | "close" | null
  readonly used_actions: number
  readonly used_cents: number
  readonly used_ms: number
  readonly used_bytes: number
  readonly paused_at: number | null
  readonly paused_cap: CapUnit | null
}

/** A mission's caps. */
export const capsOf = (row: MissionRow): MissionCaps => row.caps === null ? {} : JSON.parse(row.caps) as MissionCaps

/** What a mission's proxied calls used, in the caps' units (seconds rounded up). */
export const usageOf = (row: MissionRow): { readonly [U in CapUnit]: number } => ({
  actions: row.used_actions,
  cents: row.used_cents,
  seconds: Math.ceil(row.used_ms / 1000),
  bytes: row.used_bytes
})

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
    ...(row.output === null ? {} : { output: JSON.parse(row.output) as unknown }),
    caps: row.caps === null ? null : capsOf(row) as Record<string, number>,
    cap_behavior: row.cap_behavior,
    usage: usageOf(row),
    paused_at: row.paused_at === null ? null : DateTime.unsafeMake(row.paused_at),
    paused_cap: row.paused_cap
  }, { disableValidation: true })

/** The scope grants `start` recorded for the mission's passports. */
export const scopesOf = (row: MissionRow): ReadonlyArray<ScopeGrant> | undefined =>
  row.scopes === null ? undefined : JSON.parse(row.scopes) as ReadonlyArray<ScopeGrant>

/**
 * Whether passports may be issued for the mission at `now`: active (or
 * paused by a cap: its passports live on while it waits for review) and not
 * expired.
 */
export const isLive = (row: MissionRow, now: number): boolean =>
  (row.status === "active" || row.status === "paused") && now < row.expires_at

/** A mission by id, whoever's it is (`undefined` when none). */
export const byId = (id: string): Effect.Effect<MissionRow | undefined, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<MissionRow>`SELECT * FROM missions WHERE id = ${id}`, (rows) => rows[0]))

/** One of the operator's missions (`undefined` when none). */
export const ofOperator = (operatorId: string, id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<MissionRow>`SELECT * FROM missions WHERE id = ${id} AND operator_id = ${operatorId}`,
      (rows) => rows[0]
    ))

/** Stores a new mission. */
export const insert = (row: MissionRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO missions ${sql.insert({ ...row })}`))

/** Makes a passport the mission's current one. */
export const setPassport = (id: string, jti: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE missions SET passport_jti = ${jti} WHERE id = ${id}`))

/** Adds a proxied call's use to its mission. */
export const addUsage = (id: string, use: { readonly cents: number; readonly ms: number; readonly bytes: number }) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<MissionRow>`
        UPDATE missions SET used_actions = used_actions + 1, used_cents = used_cents + ${use.cents},
          used_ms = used_ms + ${use.ms}, used_bytes = used_bytes + ${use.bytes}
        WHERE id = ${id} RETURNING *`,
      (rows) => rows[0]
    ))

/** Stores a mission's caps and pause. */
export const updateCaps = (row: MissionRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE missions SET ${
      sql.update({ status: row.status, caps: row.caps, paused_at: row.paused_at, paused_cap: row.paused_cap })
    } WHERE id = ${row.id}`))

/** Stores a mission's terminal state. */
export const updateTerminal = (row: MissionRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE missions SET ${
      sql.update({
        status: row.status,
        completed_at: row.completed_at,
        revoked_at: row.revoked_at,
        terminal_state: row.terminal_state,
        revoke_reason: row.revoke_reason,
        notes: row.notes,
        output: row.output
      })
    } WHERE id = ${row.id}`))

/** The operator's newest mission opened by a `start` with this hash that is still active at `now`. */
export const startedBy = (operatorId: string, startHash: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<MissionRow>`
        SELECT * FROM missions
        WHERE operator_id = ${operatorId} AND start_hash = ${startHash} AND status = 'active' AND expires_at > ${now}
        ORDER BY started_at DESC, rowid DESC LIMIT 1`,
      (rows) => rows[0]
    ))

/**
 * One page of the operator's missions, newest first by `started_at`, optionally
 * of one status (indexes `missions_by_operator`, `missions_by_operator_status`).
 */
export const page = (operatorId: string, query: ListMissionsQuery) =>
  Paging.select<MissionRow>(query, MissionPageSize.default, (sql) => ({
    scope: ["missions", operatorId, query.status],
    table: "missions",
    where: query.status === undefined
      ? sql`operator_id = ${operatorId}`
      : sql`operator_id = ${operatorId} AND status = ${query.status}`,
    sortBy: "started_at"
  }))
