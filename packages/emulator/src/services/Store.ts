/**
 * Connections and grants, as stored. Times are epoch milliseconds; scopes a
 * JSON array; a connection's secret is sealed by the vault.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Connection, Grant } from "@getstack/effect/api/Services"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"

/** A row of `service_connections`. */
export interface ConnectionRow {
  readonly id: string
  readonly operator_id: string
  readonly provider: string
  readonly name: string | null
  readonly status: "active" | "pending" | "disconnected"
  readonly scopes: string
  readonly secret: Uint8Array | null
  readonly proxy_enabled: number
  readonly created_at: number
  readonly disconnected_at: number | null
}

/** A row of `service_grants`. */
export interface GrantRow {
  readonly connection_id: string
  readonly agent_id: string
  readonly scopes: string
  readonly created_at: number
}

/** A grant with its connection's provider and status. */
export interface AgentGrantRow extends GrantRow {
  readonly provider: string
  readonly status: ConnectionRow["status"]
}

/** Whether a set of scopes allows `scope`: `*` allows any. */
export const allows = (scopes: ReadonlyArray<string>, scope: string): boolean => scopes.includes("*") || scopes.includes(scope)

/** The scopes of `wanted` that `held` does not allow. */
export const beyond = (held: ReadonlyArray<string>, wanted: ReadonlyArray<string>): Array<string> =>
  wanted.filter((scope) => !allows(held, scope))

/** The emulator's stand-in for a provider's consent page, where a pending connection is authorized (its `authorize_url`). */
export const authorizePath = (id: string) => `/_emulator/connections/${id}/authorize`

/** A connection as the contract shows it. */
export const toConnection = (row: ConnectionRow): Connection =>
  new Connection({
    id: row.id,
    name: row.name,
    provider: row.provider,
    status: row.status,
    scopes: JSON.parse(row.scopes) as Array<string>,
    proxy_enabled: row.proxy_enabled === 1,
    authorize_url: row.status === "pending" ? authorizePath(row.id) : null,
    created_at: DateTime.unsafeMake(row.created_at),
    disconnected_at: row.disconnected_at === null ? null : DateTime.unsafeMake(row.disconnected_at)
  }, { disableValidation: true })

/** A grant as the contract shows it. */
export const toGrant = (row: GrantRow, provider: string): Grant =>
  new Grant({
    connection_id: row.connection_id,
    agent_id: row.agent_id,
    scopes: JSON.parse(row.scopes) as Array<string>,
    provider,
    created_at: DateTime.unsafeMake(row.created_at)
  }, { disableValidation: true })

/** One of the operator's connections. */
export const connection = (operatorId: string, id: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<ConnectionRow>`SELECT * FROM service_connections WHERE id = ${id} AND operator_id = ${operatorId}`),
    (rows) => rows[0]
  )

/** The operator's connections that are not disconnected, oldest first. */
export const connections = (operatorId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<ConnectionRow>`
      SELECT * FROM service_connections
      WHERE operator_id = ${operatorId} AND status != 'disconnected'
      ORDER BY created_at, rowid`)

/** The connections granted to an agent that are not disconnected, oldest first. */
export const connectionsOfAgent = (agentId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<ConnectionRow>`
      SELECT c.* FROM service_grants g JOIN service_connections c ON c.id = g.connection_id
      WHERE g.agent_id = ${agentId} AND c.status != 'disconnected'
      ORDER BY c.created_at, c.rowid`)

/** The operator's newest active connection to `provider`. */
export const newestActive = (operatorId: string, provider: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<ConnectionRow>`
        SELECT * FROM service_connections
        WHERE operator_id = ${operatorId} AND provider = ${provider} AND status = 'active'
        ORDER BY created_at DESC, rowid DESC LIMIT 1`),
    (rows) => rows[0]
  )

/** The newest active connection to `provider` granted to an agent. */
export const newestActiveOfAgent = (agentId: string, provider: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<ConnectionRow>`
        SELECT c.* FROM service_grants g JOIN service_connections c ON c.id = g.connection_id
        WHERE g.agent_id = ${agentId} AND c.provider = ${provider} AND c.status = 'active'
        ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1`),
    (rows) => rows[0]
  )

/** Stores a new connection. */
export const insertConnection = (row: ConnectionRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO service_connections ${sql.insert({ ...row })}`))

/** Stores a pending connection's secret: it is active from then on. */
export const activate = (id: string, secret: Uint8Array) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE service_connections SET status = 'active', secret = ${secret} WHERE id = ${id}`))

/** Disconnects: the secret is erased and the grants go. */
export const disconnect = (id: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      sql`DELETE FROM service_grants WHERE connection_id = ${id}`,
      Effect.asVoid(sql`
        UPDATE service_connections SET status = 'disconnected', secret = NULL, disconnected_at = ${now}
        WHERE id = ${id}`)
    ))

/** One agent's grant on a connection. */
export const grant = (connectionId: string, agentId: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<GrantRow>`SELECT * FROM service_grants WHERE connection_id = ${connectionId} AND agent_id = ${agentId}`),
    (rows) => rows[0]
  )

/** A connection's grants, oldest first. */
export const grants = (connectionId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<GrantRow>`SELECT * FROM service_grants WHERE connection_id = ${connectionId} ORDER BY created_at, agent_id`)

/** An agent's grants on connections that are not disconnected, with their providers. */
export const grantsOfAgent = (agentId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<AgentGrantRow>`
      SELECT g.*, c.provider, c.status FROM service_grants g JOIN service_connections c ON c.id = g.connection_id
      WHERE g.agent_id = ${agentId} AND c.status != 'disconnected'
      ORDER BY c.created_at, c.rowid`)

/** Grants a connection to an agent, replacing the scopes of an earlier grant. */
export const upsertGrant = (row: GrantRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`
      INSERT INTO service_grants ${sql.insert({ ...row })}
      ON CONFLICT (connection_id, agent_id) DO UPDATE SET scopes = excluded.scopes`))

/** Removes one grant. */
export const removeGrant = (connectionId: string, agentId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`DELETE FROM service_grants WHERE connection_id = ${connectionId} AND agent_id = ${agentId}`))
