/**
 * The skills' migrations: skills, their invocations and the request board.
 * Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The skills' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0021_skills": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // tags, required_credentials and execution_steps: JSON arrays; the schemas and transform: JSON text
    yield* sql`CREATE TABLE skills (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      version TEXT NOT NULL,
      input_schema TEXT NOT NULL,
      output_schema TEXT NOT NULL,
      trust_level_required TEXT NOT NULL,
      tags TEXT NOT NULL,
      price_per_invocation INTEGER NOT NULL,
      execution_mode TEXT NOT NULL,
      credential_mode TEXT NOT NULL,
      required_credentials TEXT NOT NULL,
      execution_steps TEXT NOT NULL,
      transform TEXT,
      status TEXT NOT NULL,
      invocation_count INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`
    // one name per version and operator
    yield* sql`CREATE UNIQUE INDEX skills_name_version ON skills (operator_id, name, version)`
    // the marketplace (active skills of every operator) and the operator's own, newest first
    yield* sql`CREATE INDEX skills_by_status ON skills (status, created_at)`
    yield* sql`CREATE INDEX skills_by_operator ON skills (operator_id, created_at)`
    yield* sql`CREATE INDEX skills_by_operator_status ON skills (operator_id, status, created_at)`
    // input and output: sealed by the vault; output null until completed
    yield* sql`CREATE TABLE skill_invocations (
      id TEXT PRIMARY KEY,
      skill_id TEXT NOT NULL REFERENCES skills(id),
      invoker_operator_id TEXT NOT NULL REFERENCES operators(id),
      skill_operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT NOT NULL,
      passport_jti TEXT,
      status TEXT NOT NULL,
      input BLOB NOT NULL,
      output BLOB,
      error TEXT,
      claimed_by TEXT,
      created_at INTEGER NOT NULL,
      claimed_at INTEGER,
      completed_at INTEGER
    )`
    // the invoker's list (all, of one status, of one skill) and the publisher's pending queue
    yield* sql`CREATE INDEX skill_invocations_by_invoker ON skill_invocations (invoker_operator_id, created_at)`
    yield* sql`CREATE INDEX skill_invocations_by_invoker_status ON skill_invocations (invoker_operator_id, status, created_at)`
    yield* sql`CREATE INDEX skill_invocations_by_invoker_skill ON skill_invocations (invoker_operator_id, skill_id, created_at)`
    yield* sql`CREATE INDEX skill_invocations_by_publisher ON skill_invocations (skill_operator_id, status, created_at)`
    yield* sql`CREATE TABLE skill_requests (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      description TEXT NOT NULL,
      tags TEXT NOT NULL,
      status TEXT NOT NULL,
      matches TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`
  })
}
