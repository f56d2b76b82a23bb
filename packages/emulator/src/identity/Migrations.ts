/**
 * Identity's migrations: verification sessions and the claims completed
 * sessions leave. Neither holds PII: a claim is a pointer (provider, kind,
 * assurance, times). Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** Identity's migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0020_identity": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // status: pending, approved (by the provider, not yet completed), failed, completed; expiry is read from expires_at
    yield* sql`CREATE TABLE identity_sessions (
      session_ref TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      provider_key TEXT NOT NULL,
      requested_claims TEXT NOT NULL,
      return_url TEXT,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      decided_at INTEGER,
      completed_at INTEGER
    )`
    yield* sql`CREATE INDEX identity_sessions_by_operator ON identity_sessions (operator_id, created_at)`
    yield* sql`CREATE TABLE identity_claims (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      session_ref TEXT NOT NULL REFERENCES identity_sessions(session_ref),
      provider_key TEXT NOT NULL,
      layer TEXT NOT NULL,
      claim_type TEXT NOT NULL,
      assurance_level TEXT NOT NULL,
      verified_at INTEGER NOT NULL,
      expires_at INTEGER,
      revoked_at INTEGER
    )`
    yield* sql`CREATE INDEX identity_claims_by_operator ON identity_claims (operator_id, verified_at)`
    yield* sql`CREATE INDEX identity_claims_by_session ON identity_claims (session_ref)`
  })
}
