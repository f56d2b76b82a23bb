/**
 * The drop-offs' migrations. Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The drop-offs' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0019_dropoffs": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // to_agents: a JSON array; json_schema: the schema's JSON text; payload: sealed by the vault, null
    // before the deposit and once collected or expired
    yield* sql`CREATE TABLE dropoffs (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      from_agent TEXT NOT NULL,
      to_agents TEXT NOT NULL,
      json_schema TEXT NOT NULL,
      ttl_seconds INTEGER NOT NULL,
      on_expire TEXT,
      status TEXT NOT NULL,
      payload BLOB,
      deposit_jti TEXT,
      collected_by TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      deposited_at INTEGER,
      collected_at INTEGER,
      expired_at INTEGER
    )`
    // the order, count and keyset seek of the operator's list, of all statuses and of one
    yield* sql`CREATE INDEX dropoffs_by_operator ON dropoffs (operator_id, created_at)`
    yield* sql`CREATE INDEX dropoffs_by_operator_status ON dropoffs (operator_id, status, created_at)`
  })
}
