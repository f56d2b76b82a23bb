/**
 * The audit reads' migrations (the chain itself, `audit_entries` and
 * `audit_heads`, is the core's). Never edit one that has shipped: add the
 * next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The audit reads' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0009_audit_reads": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // `list` narrowed to an agent or a passport: the order and keyset seek of each
    yield* sql`CREATE INDEX audit_entries_by_agent ON audit_entries (operator_id, agent_id, seq)`
    yield* sql`CREATE INDEX audit_entries_by_passport ON audit_entries (operator_id, passport_jti, seq)`
    // `since`, `from` and `to`: the first and last entry of a time range, a seek each
    yield* sql`CREATE INDEX audit_entries_by_time ON audit_entries (operator_id, timestamp)`
  })
}
