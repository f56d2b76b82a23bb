/**
 * The scan's migrations. Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The scan's migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0014_scan": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // each operator's scans of a month, counted against its quota
    yield* sql`CREATE TABLE scan_usage (
      operator_id TEXT NOT NULL REFERENCES operators(id),
      month TEXT NOT NULL,
      used INTEGER NOT NULL,
      PRIMARY KEY (operator_id, month)
    )`
    // a scan made with the operator's key may name no agent: security events without one
    yield* sql`CREATE TABLE security_signals_0014 (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT,
      passport_jti TEXT,
      type TEXT NOT NULL,
      severity TEXT NOT NULL,
      detail TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      resolved_at INTEGER
    )`
    yield* sql`
      INSERT INTO security_signals_0014 (id, operator_id, agent_id, passport_jti, type, severity, detail, created_at, resolved_at)
      SELECT id, operator_id, agent_id, passport_jti, type, severity, detail, created_at, resolved_at FROM security_signals`
    yield* sql`DROP TABLE security_signals`
    yield* sql`ALTER TABLE security_signals_0014 RENAME TO security_signals`
    yield* sql`CREATE INDEX security_signals_by_operator ON security_signals (operator_id, created_at)`
    yield* sql`CREATE INDEX security_signals_by_passport ON security_signals (passport_jti)`
    yield* sql`CREATE INDEX security_signals_open ON security_signals (operator_id, resolved_at, created_at)`
    yield* sql`CREATE INDEX security_signals_open_by_agent ON security_signals (operator_id, agent_id, resolved_at, created_at)`
  })
}
