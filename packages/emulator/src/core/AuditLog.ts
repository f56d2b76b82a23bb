/**
 * The audit chain: per operator, each entry hashes the one before it.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import { AuditEntry, type AuditLayer, type AuditOutcome, GENESIS_HASH } from "@getstack/effect/api/Audit"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { entryHash } from "./Hash.js"
import { newId } from "./Ids.js"

/** What an action tells the chain about itself. */
export interface AuditRecord {
  readonly operator_id: string
  readonly trace_id: string | null
  readonly agent_id: string | null
  readonly passport_jti?: string | null
  readonly layer: AuditLayer
  readonly action: string
  readonly outcome: AuditOutcome
  readonly duration_ms?: number | null
  readonly payload_hash?: string | null
  readonly error_code?: string | null
  readonly error_message?: string | null
}

/**
 * Appends an entry to its operator's chain. Call it inside the transaction of
 * the action it records, so the entry exists exactly when the action does.
 */
export const append = (record: AuditRecord): Effect.Effect<AuditEntry, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [last] = yield* sql<{ entry_hash: string; timestamp: number }>`
      SELECT entry_hash, timestamp FROM audit_heads WHERE operator_id = ${record.operator_id}`
    const now = yield* Clock.currentTimeMillis
    const fields = {
      entry_id: newId("aud"),
      timestamp: Math.max(now, last?.timestamp ?? 0),
      trace_id: record.trace_id,
      operator_id: record.operator_id,
      agent_id: record.agent_id,
      passport_jti: record.passport_jti ?? null,
      layer: record.layer,
      action: record.action,
      outcome: record.outcome,
      duration_ms: record.duration_ms ?? null,
      payload_hash: record.payload_hash ?? null,
      error_code: record.error_code ?? null,
      error_message: record.error_message ?? null,
      prev_entry_hash: last?.entry_hash ?? GENESIS_HASH
    }
    const entry = new AuditEntry({ ...fields, entry_hash: entryHash(fields) }, { disableValidation: true })
    yield* sql`INSERT INTO audit_entries ${sql.insert({ ...entry })}`
    yield* sql`
      INSERT INTO audit_heads (operator_id, entry_hash, timestamp, count)
      VALUES (${entry.operator_id}, ${entry.entry_hash}, ${entry.timestamp}, 1)
      ON CONFLICT (operator_id) DO UPDATE
      SET entry_hash = excluded.entry_hash, timestamp = excluded.timestamp, count = count + 1`
    return entry
  })

const decodeEntries = Schema.decodeUnknown(Schema.Array(AuditEntry))

/** An operator's whole chain, oldest first. */
export const chain = (operatorId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`
      SELECT entry_id, timestamp, trace_id, operator_id, agent_id, passport_jti, layer, action, outcome,
             duration_ms, payload_hash, error_code, error_message, prev_entry_hash, entry_hash
      FROM audit_entries WHERE operator_id = ${operatorId} ORDER BY seq ASC`
    return yield* Effect.orDie(decodeEntries(rows))
  })
