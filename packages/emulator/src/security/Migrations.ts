/**
 * The oversight plane's migrations: security events (stored as
 * `security_signals` since `0002_passports`) and reviews (the `checkouts`
 * rows). Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The oversight plane's migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0012_oversight": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // the unresolved events of an operator, or of one agent, newest first
    yield* sql`CREATE INDEX security_signals_open ON security_signals (operator_id, resolved_at, created_at)`
    yield* sql`CREATE INDEX security_signals_open_by_agent ON security_signals (operator_id, agent_id, resolved_at, created_at)`
    // a review's decision; the flagged (or blocked) checkouts of an operator, newest first
    yield* sql`ALTER TABLE checkouts ADD COLUMN decided_at INTEGER`
    yield* sql`ALTER TABLE checkouts ADD COLUMN notes TEXT`
    yield* sql`ALTER TABLE checkouts ADD COLUMN block_future INTEGER NOT NULL DEFAULT 0`
    yield* sql`CREATE INDEX checkouts_by_review ON checkouts (operator_id, review, created_at)`
    // a missed checkpoint is signalled once per silence
    yield* sql`ALTER TABLE passports ADD COLUMN silence_signalled_at INTEGER`
    yield* sql`CREATE INDEX passports_open ON passports (operator_id, checked_out_at, revoked_at)`
  }),
  "0013_governance": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // approvals asked for by operations held for a human (core/Governance.ts)
    yield* sql`CREATE TABLE governance_approvals (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      operation TEXT NOT NULL,
      payload_hash TEXT NOT NULL,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      decided_at INTEGER,
      used_at INTEGER
    )`
  })
}
