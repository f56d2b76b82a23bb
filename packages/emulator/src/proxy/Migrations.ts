/**
 * The proxy's migrations. Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The proxy's migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0016_proxy": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // one row per authority_request_id: the request it names and its outcome (pending until the upstream answered)
    yield* sql`CREATE TABLE proxy_operations (
      operator_id TEXT NOT NULL REFERENCES operators(id),
      authority_request_id TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      state TEXT NOT NULL,
      answer TEXT,
      failure_code TEXT,
      failure_message TEXT,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (operator_id, authority_request_id)
    )`
    yield* sql`CREATE INDEX proxy_operations_by_time ON proxy_operations (created_at)`
  })
}
