/**
 * Drop-offs, as stored. Times are epoch milliseconds; `to_agents` a JSON
 * array; the payload sealed by the vault, and erased once collected or
 * expired. Every change of status is guarded by the status it leaves, so
 * that of two racing changes exactly one happens.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Dropoff, DropoffPageSize, type ListDropoffsQuery } from "@getstack/effect/api/Dropoffs"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Paging from "../core/Paging.js"

/** A row of `dropoffs`. */
export interface DropoffRow {
  readonly id: string
  readonly operator_id: string
  readonly from_agent: string
  readonly to_agents: string
  readonly json_schema: string
  readonly ttl_seconds: number
  readonly on_expire: string | null
  readonly status: "created" | "deposited" | "collected" | "expired" | "failed"
  readonly payload: Uint8Array | null
  readonly deposit_jti: string | null
  readonly collected_by: string | null
  readonly created_at: number
  readonly expires_at: number
  readonly deposited_at: number | null
  readonly collected_at: number | null
  readonly expired_at: number | null
}

/** Whether a drop-off may still change: created or deposited. */
export const isOpen = (row: DropoffRow): boolean => row.status === "created" || row.status === "deposited"

/** The recipients of a drop-off. */
export const recipients = (row: DropoffRow): ReadonlyArray<string> => JSON.parse(row.to_agents) as Array<string>

const time = (ms: number | null) => ms === null ? null : DateTime.unsafeMake(ms)

/** A drop-off as the contract shows it: never its payload. */
export const toDropoff = (row: DropoffRow): Dropoff =>
  new Dropoff({
    id: row.id,
    status: row.status,
    expires_at: DateTime.unsafeMake(row.expires_at),
    from_agent: row.from_agent,
    to_agents: recipients(row),
    collected_by: row.collected_by,
    schema: JSON.parse(row.json_schema) as Record<string, unknown>,
    ttl_seconds: row.ttl_seconds,
    on_expire: row.on_expire,
    created_at: DateTime.unsafeMake(row.created_at),
    deposited_at: time(row.deposited_at),
    collected_at: time(row.collected_at),
    expired_at: time(row.expired_at)
  }, { disableValidation: true })

/** One of the operator's drop-offs. */
export const byId = (operatorId: string, id: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<DropoffRow>`SELECT * FROM dropoffs WHERE id = ${id} AND operator_id = ${operatorId}`),
    (rows) => rows[0]
  )

/** Stores a new drop-off. */
export const insert = (row: DropoffRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO dropoffs ${sql.insert({ ...row })}`))

/** Stores the sealed payload of a created drop-off; whether it was still created (and is deposited now). */
export const deposit = (id: string, payload: Uint8Array, jti: string | null, now: number) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ id: string }>`
        UPDATE dropoffs SET status = 'deposited', payload = ${payload}, deposit_jti = ${jti}, deposited_at = ${now}
        WHERE id = ${id} AND status = 'created' AND expires_at > ${now}
        RETURNING id`),
    (rows) => rows.length === 1
  )

/**
 * Collects a deposited drop-off, erasing its payload: whether this call did
 * (of racing collectors, exactly one does). Read the payload first, in the
 * same transaction.
 */
export const collect = (id: string, collectedBy: string | null, now: number) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ id: string }>`
        UPDATE dropoffs SET status = 'collected', payload = NULL, collected_by = ${collectedBy}, collected_at = ${now}
        WHERE id = ${id} AND status = 'deposited' AND expires_at > ${now}
        RETURNING id`),
    (rows) => rows.length === 1
  )

/** Expires an open drop-off, erasing its payload: whether this call did (it happens once). */
export const expire = (id: string, now: number) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ id: string }>`
        UPDATE dropoffs SET status = 'expired', payload = NULL, expired_at = ${now}
        WHERE id = ${id} AND status IN ('created', 'deposited')
        RETURNING id`),
    (rows) => rows.length === 1
  )

/** The operator's open drop-offs whose time is up (index `dropoffs_by_operator_status`). */
export const overdue = (operatorId: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<DropoffRow>`
      SELECT * FROM dropoffs
      WHERE operator_id = ${operatorId} AND status IN ('created', 'deposited') AND expires_at <= ${now}`)

/**
 * One page of the operator's drop-offs, newest first by `created_at`,
 * optionally of one status (indexes `dropoffs_by_operator`,
 * `dropoffs_by_operator_status`); for an agent, those it sends or receives.
 */
export const page = (operatorId: string, agentId: string | null, query: ListDropoffsQuery) =>
  Paging.select<DropoffRow>(query, DropoffPageSize.default, (sql) => {
    const own = query.status === undefined
      ? sql`operator_id = ${operatorId}`
      : sql`operator_id = ${operatorId} AND status = ${query.status}`
    return {
      scope: ["dropoffs", operatorId, agentId ?? undefined, query.status],
      table: "dropoffs",
      where: agentId === null
        ? own
        : sql.and([
          own,
          sql`(from_agent = ${agentId} OR EXISTS (SELECT 1 FROM json_each(to_agents) WHERE value = ${agentId}))`
        ]),
      sortBy: "created_at"
    }
  })
