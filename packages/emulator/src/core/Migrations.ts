/**
 * The migrations the emulator shipped before its schema was split by service:
 * the core tables, and the agents, passports and missions tables as they were
 * first created. Databases made by earlier builds recorded these ids, so each
 * keeps its id and its exact SQL. Never edit one: add the next migration to
 * the service it concerns (`agents/Migrations.ts`, …), or to `migrations`
 * below for the core's own tables (operators, keys, audit, Idempotency-Keys).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** Migrations `0001_core`, `0002_passports` and `0003_agent_jwt_replay`, as shipped. */
export const history: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0001_core": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    )`
    yield* sql`CREATE TABLE operators (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE TABLE api_keys (
      key_hash TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      key_prefix TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER
    )`
    yield* sql`CREATE TABLE agents (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      name TEXT NOT NULL,
      description TEXT,
      accountability_mode TEXT NOT NULL,
      on_warning TEXT NOT NULL,
      on_critical TEXT NOT NULL,
      credential_access TEXT NOT NULL,
      icon_url TEXT,
      status TEXT NOT NULL,
      passport_blocked INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (operator_id, name)
    )`
    yield* sql`CREATE TABLE audit_entries (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      entry_id TEXT NOT NULL UNIQUE,
      operator_id TEXT NOT NULL,
      timestamp INTEGER NOT NULL,
      trace_id TEXT,
      agent_id TEXT,
      passport_jti TEXT,
      layer TEXT NOT NULL,
      action TEXT NOT NULL,
      outcome TEXT NOT NULL,
      duration_ms INTEGER,
      payload_hash TEXT,
      error_code TEXT,
      error_message TEXT,
      prev_entry_hash TEXT NOT NULL,
      entry_hash TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX audit_entries_by_operator ON audit_entries (operator_id, seq)`
    yield* sql`CREATE TABLE idempotency_keys (
      operator_id TEXT NOT NULL,
      key TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      status INTEGER,
      body TEXT,
      should_retry INTEGER,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (operator_id, key)
    )`
  }),
  "0002_passports": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // the emulator's passport signing key (Ed25519), kept with its database
    yield* sql`CREATE TABLE signing_keys (
      kid TEXT PRIMARY KEY,
      private_jwk TEXT NOT NULL,
      public_jwk TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE TABLE missions (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT,
      status TEXT NOT NULL,
      intent_summary TEXT NOT NULL,
      intent_services TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      completed_at INTEGER,
      revoked_at INTEGER,
      terminal_state TEXT,
      revoke_reason TEXT,
      notes TEXT,
      output TEXT,
      start_hash TEXT,
      passport_jti TEXT,
      passport_ttl_seconds INTEGER,
      checkpoint_interval_seconds INTEGER,
      scopes TEXT
    )`
    yield* sql`CREATE INDEX missions_by_operator ON missions (operator_id, started_at)`
    yield* sql`CREATE INDEX missions_by_start ON missions (operator_id, start_hash)`
    // times in epoch milliseconds; expires_at is always whole seconds (the JWT's exp)
    yield* sql`CREATE TABLE passports (
      jti TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT NOT NULL,
      parent_jti TEXT REFERENCES passports(jti),
      session_id TEXT NOT NULL,
      mission_id TEXT REFERENCES missions(id),
      delegation_depth INTEGER NOT NULL,
      accountability TEXT NOT NULL,
      intent_services TEXT NOT NULL,
      checkpoint_interval INTEGER,
      claims TEXT NOT NULL,
      token TEXT NOT NULL,
      issued_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      refreshed_at INTEGER,
      last_checkpoint_at INTEGER,
      checked_out_at INTEGER,
      revoked_at INTEGER,
      revoke_reason TEXT
    )`
    yield* sql`CREATE INDEX passports_by_agent ON passports (operator_id, agent_id)`
    yield* sql`CREATE INDEX passports_by_parent ON passports (parent_jti)`
    yield* sql`CREATE INDEX passports_by_mission ON passports (mission_id)`
    yield* sql`CREATE TABLE checkouts (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT NOT NULL,
      passport_jti TEXT NOT NULL REFERENCES passports(jti),
      review TEXT NOT NULL,
      services_used TEXT NOT NULL,
      actions_count INTEGER NOT NULL,
      delegated_to TEXT NOT NULL,
      summary TEXT,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE TABLE security_signals (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT NOT NULL,
      passport_jti TEXT,
      type TEXT NOT NULL,
      severity TEXT NOT NULL,
      detail TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      resolved_at INTEGER
    )`
    yield* sql`CREATE INDEX security_signals_by_operator ON security_signals (operator_id, created_at)`
    yield* sql`CREATE INDEX security_signals_by_passport ON security_signals (passport_jti)`
    yield* sql`CREATE TABLE enrollment_challenges (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
      challenge TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      used_at INTEGER,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE TABLE agent_keys (
      agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
      key_id TEXT NOT NULL UNIQUE,
      public_jwk TEXT NOT NULL,
      enrolled_at INTEGER NOT NULL
    )`
  }),
  "0003_agent_jwt_replay": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE agent_jwt_uses (
      agent_id TEXT NOT NULL,
      jti TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (agent_id, jti)
    )`
    yield* sql`CREATE INDEX agent_jwt_uses_by_expiry ON agent_jwt_uses (expires_at)`
  })
}

/**
 * The core's migrations after the history, by id. Never edit one that has
 * shipped: add the next.
 */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0005_idempotency_keys_by_age": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // every keyed request forgets the keys past retention: a seek, not a scan
    yield* sql`CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)`
  }),
  "0008_audit_heads": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // each operator's chain head, kept with every append: the next entry's link and the chain-head answer
    // without reading (or counting) the chain
    yield* sql`CREATE TABLE audit_heads (
      operator_id TEXT PRIMARY KEY,
      entry_hash TEXT NOT NULL,
      timestamp INTEGER NOT NULL,
      count INTEGER NOT NULL
    )`
    yield* sql`
      INSERT INTO audit_heads (operator_id, entry_hash, timestamp, count)
      SELECT e.operator_id, e.entry_hash, e.timestamp, c.count
      FROM (SELECT operator_id, MAX(seq) AS last, COUNT(*) AS count FROM audit_entries GROUP BY operator_id) AS c
      JOIN audit_entries AS e ON e.seq = c.last`
  }),
  "0010_events": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // what happened to an operator, as notifications deliver it (`core/Events.ts`); times in epoch ms, data JSON
    yield* sql`CREATE TABLE events (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL,
      type TEXT NOT NULL,
      severity TEXT NOT NULL,
      data TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX events_by_operator ON events (operator_id, created_at)`
  })
}
