/**
 * The audit chain as the audit reads see it: pages newest first, ranges of
 * time as ranges of `seq` (an operator's timestamps never decrease along its
 * chain), batches oldest first, and the chain head.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { AuditEntry, AuditPageSize, CSV_COLUMNS, type ListAuditQuery } from "@getstack/effect/api/Audit"
import * as Effect from "effect/Effect"
import * as Paging from "../core/Paging.js"

/** A stored entry: the wire fields and its place in the table. */
export type EntryRow = { readonly [K in (typeof CSV_COLUMNS)[number]]: AuditEntry[K] } & { readonly seq: number }

/** An entry as the wire has it, fields in the order of `CSV_COLUMNS`. */
export const toEntry = (row: EntryRow): AuditEntry =>
  new AuditEntry(
    Object.fromEntries(CSV_COLUMNS.map((column) => [column, row[column]])) as unknown as AuditEntry,
    { disableValidation: true }
  )

/** A page of `list`, newest first, narrowed as the query asks. */
export const page = (operatorId: string, query: ListAuditQuery) =>
  Paging.select<EntryRow>(
    { limit: query.limit, cursor: query.cursor },
    AuditPageSize.default,
    (sql) => ({
      scope: ["audit", operatorId, query.agent_id, query.passport_jti, query.since?.toString()],
      table: "audit_entries",
      where: sql.and([
        sql`operator_id = ${operatorId}`,
        ...(query.agent_id === undefined ? [] : [sql`agent_id = ${query.agent_id}`]),
        ...(query.passport_jti === undefined ? [] : [sql`passport_jti = ${query.passport_jti}`]),
        // the time bound as a seq bound too, so that a poll reads only what is new
        ...(query.since === undefined ? [] : [
          sql`timestamp >= ${query.since}`,
          sql`seq >= (
            SELECT seq FROM audit_entries WHERE operator_id = ${operatorId} AND timestamp >= ${query.since}
            ORDER BY timestamp, seq LIMIT 1)`
        ])
      ]),
      sortBy: "seq"
    }),
    { count: false }
  )

/** The `seq` range of the entries from `from` to `to` (epoch ms, both included); empty when `first > last`. */
export const range = (operatorId: string, from: number | undefined, to: number | undefined) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [first] = from === undefined
      ? [{ seq: 0 }]
      : yield* sql<{ seq: number }>`
        SELECT seq FROM audit_entries WHERE operator_id = ${operatorId} AND timestamp >= ${from}
        ORDER BY timestamp, seq LIMIT 1`
    const [last] = to === undefined
      ? [{ seq: Number.MAX_SAFE_INTEGER }]
      : yield* sql<{ seq: number }>`
        SELECT seq FROM audit_entries WHERE operator_id = ${operatorId} AND timestamp <= ${to}
        ORDER BY timestamp DESC, seq DESC LIMIT 1`
    return { first: first?.seq ?? Number.MAX_SAFE_INTEGER, last: last?.seq ?? -1 }
  })

/** Up to `size` entries after `afterSeq` and up to `lastSeq`, oldest first. */
export const batch = (operatorId: string, afterSeq: number, lastSeq: number, size: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<EntryRow>`
      SELECT * FROM audit_entries WHERE operator_id = ${operatorId} AND seq > ${afterSeq} AND seq <= ${lastSeq}
      ORDER BY seq LIMIT ${size}`)

/** `limit` entries of a range, oldest first, after skipping `offset` of them; one more tells whether more follow. */
export const slice = (operatorId: string, range: { readonly first: number; readonly last: number }, limit: number, offset: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<EntryRow>`
      SELECT * FROM audit_entries WHERE operator_id = ${operatorId} AND seq >= ${range.first} AND seq <= ${range.last}
      ORDER BY seq LIMIT ${limit + 1} OFFSET ${offset}`)

/** The entry before `seq` in the operator's chain, if any. */
export const before = (operatorId: string, seq: number) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ entry_hash: string; timestamp: number }>`
        SELECT entry_hash, timestamp FROM audit_entries WHERE operator_id = ${operatorId} AND seq < ${seq}
        ORDER BY seq DESC LIMIT 1`),
    (rows) => rows[0]
  )

/** The operator's chain head, if the chain has an entry. */
export const head = (operatorId: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ entry_hash: string; timestamp: number; count: number }>`
        SELECT entry_hash, timestamp, count FROM audit_heads WHERE operator_id = ${operatorId}`),
    (rows) => rows[0]
  )
