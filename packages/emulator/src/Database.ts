import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * The emulator's schema, one migration per step. Never edit a migration that
 * has shipped: add the next one.
 */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
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
  })
}

const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations) })

/**
 * SQLite storage, migrated. `filename` is a path, or `:memory:`.
 */
export const layer = (filename: string): Layer.Layer<SqlClient.SqlClient | SqliteClient.SqliteClient, unknown> =>
  Layer.effectDiscard(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`PRAGMA foreign_keys = ON`
      yield* migrate
    })
  ).pipe(Layer.provideMerge(SqliteClient.layer({ filename })))
