/**
 * The services' migrations: connections (their secrets sealed by the vault),
 * grants, and the vault's check value. Never edit one that has shipped: add
 * the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The services' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0015_services": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // the vault's key is never stored: this value, sealed under it, tells whether a key is the database's
    yield* sql`CREATE TABLE vault_meta (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      check_value BLOB NOT NULL
    )`
    // scopes: a JSON array; secret: sealed by the vault (null while pending and once disconnected)
    yield* sql`CREATE TABLE service_connections (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      provider TEXT NOT NULL,
      name TEXT,
      status TEXT NOT NULL,
      scopes TEXT NOT NULL,
      secret BLOB,
      proxy_enabled INTEGER NOT NULL DEFAULT 1,
      created_at INTEGER NOT NULL,
      disconnected_at INTEGER
    )`
    yield* sql`CREATE INDEX service_connections_by_operator ON service_connections (operator_id, provider, created_at)`
    yield* sql`CREATE TABLE service_grants (
      connection_id TEXT NOT NULL REFERENCES service_connections(id) ON DELETE CASCADE,
      agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
      scopes TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (connection_id, agent_id)
    )`
    yield* sql`CREATE INDEX service_grants_by_agent ON service_grants (agent_id, connection_id)`
  })
}
