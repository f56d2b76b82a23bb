/**
 * Agents as stored: the `agents` row and its contract form, enrollment
 * challenges, enrolled keys and the agent JWTs already used, and every SQL
 * statement over them.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import { Agent, AgentPageSize, type ListAgentsQuery } from "@getstack/effect/api/Agents"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Paging from "../core/Paging.js"

/** A row of `agents`. Times are epoch milliseconds. */
export interface AgentRow {
  readonly id: string
  readonly operator_id: string
  readonly name: string
  readonly description: string | null
  readonly accountability_mode: Agent["accountability_mode"]
  readonly on_warning: Agent["on_warning"]
  readonly on_critical: Agent["on_critical"]
  readonly credential_access: Agent["credential_access"]
  readonly icon_url: string | null
  readonly status: Agent["status"]
  readonly passport_blocked: number
  /** The registration profile, as given. */
  readonly profile: string | null
  readonly key_mode: string | null
  readonly created_at: number
  readonly updated_at: number
}

/**
 * The agent as the contract returns it. A row was validated on its way in,
 * so it is not validated again (the answer's encoding still checks its shape).
 */
export const toAgent = (row: AgentRow): Agent =>
  new Agent({
    ...row,
    passport_blocked: row.passport_blocked === 1,
    created_at: DateTime.unsafeMake(row.created_at),
    updated_at: DateTime.unsafeMake(row.updated_at)
  }, { disableValidation: true })

/** One of the operator's agents (`undefined` when none). */
export const ofOperator = (
  operatorId: string,
  id: string
): Effect.Effect<AgentRow | undefined, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<AgentRow>`SELECT * FROM agents WHERE id = ${id} AND operator_id = ${operatorId}`, (rows) => rows[0]))

/** Whether another of the operator's agents than `exceptId` has this name. */
export const nameTaken = (operatorId: string, name: string, exceptId: string | null) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql`SELECT 1 FROM agents WHERE operator_id = ${operatorId} AND name = ${name} AND id IS NOT ${exceptId}`,
      (rows) => rows.length > 0
    ))

/** Stores a new agent. */
export const insert = (row: AgentRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO agents ${sql.insert({ ...row })}`))

/** Stores an agent's fields (all but its id, operator and creation time). */
export const update = (row: AgentRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE agents SET ${sql.update({ ...row }, ["id", "operator_id", "created_at"])} WHERE id = ${row.id}`))

/** Blocks an agent from new passports. */
export const block = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`UPDATE agents SET passport_blocked = 1 WHERE id = ${id}`))

/** Clears `passport_blocked`. */
export const unblock = (id: string, updatedAt: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE agents SET passport_blocked = 0, updated_at = ${updatedAt} WHERE id = ${id}`))

/** Deletes an agent (its challenges and key go with it). */
export const remove = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`DELETE FROM agents WHERE id = ${id}`))

/** One page of the operator's agents, newest first (index `agents_by_operator`). */
export const page = (operatorId: string, query: ListAgentsQuery) =>
  Paging.select<AgentRow>(query, AgentPageSize.default, (sql) => ({
    scope: ["agents", operatorId],
    table: "agents",
    where: sql`operator_id = ${operatorId}`,
    sortBy: "created_at"
  }))

// ---------------------------------------------------------------------------
// enrollment challenges and keys

/** A row of `enrollment_challenges`. Times are epoch milliseconds. */
export interface ChallengeRow {
  readonly id: string
  readonly operator_id: string
  readonly agent_id: string
  /** 32 random bytes, base64url. */
  readonly challenge: string
  readonly expires_at: number
  readonly used_at: number | null
  readonly created_at: number
}

/** Stores a new challenge. */
export const insertChallenge = (row: Omit<ChallengeRow, "used_at">) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO enrollment_challenges ${sql.insert(row)}`))

/** One of the agent's challenges (`undefined` when none). */
export const challenge = (operatorId: string, agentId: string, challengeId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<Pick<ChallengeRow, "id" | "challenge" | "expires_at" | "used_at">>`
        SELECT id, challenge, expires_at, used_at FROM enrollment_challenges
        WHERE id = ${challengeId} AND operator_id = ${operatorId} AND agent_id = ${agentId}`,
      (rows) => rows[0]
    ))

/** Marks a challenge used. */
export const useChallenge = (id: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE enrollment_challenges SET used_at = ${now} WHERE id = ${id}`))

/** Marks one of the agent's challenges used, unless it already is. */
export const burnChallenge = (operatorId: string, agentId: string, challengeId: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE enrollment_challenges SET used_at = ${now}
      WHERE id = ${challengeId} AND operator_id = ${operatorId} AND agent_id = ${agentId} AND used_at IS NULL`))

/** Stores the agent's enrolled key, replacing any previous one. */
export const upsertKey = (row: {
  readonly agent_id: string
  readonly key_id: string
  /** The public key, a JSON JWK. */
  readonly public_jwk: string
  readonly enrolled_at: number
}) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`INSERT INTO agent_keys ${sql.insert({ ...row })}
        ON CONFLICT (agent_id) DO UPDATE SET key_id = excluded.key_id, public_jwk = excluded.public_jwk,
          enrolled_at = excluded.enrolled_at`))

/** An agent with its enrolled key (`undefined` when it does not exist or has none). */
export const withKey = (agentId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ operator_id: string; status: string; public_jwk: string }>`
        SELECT a.operator_id AS operator_id, a.status AS status, k.public_jwk AS public_jwk
        FROM agents a JOIN agent_keys k ON k.agent_id = a.id WHERE a.id = ${agentId}`,
      (rows) => rows[0]
    ))

/**
 * Records an agent JWT's `jti` as used until `expiresAt` (epoch seconds),
 * forgetting those that expired before `forgetBefore`; false when it was
 * already used.
 */
export const useJwt = (agentId: string, jti: string, expiresAt: number, forgetBefore: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM agent_jwt_uses WHERE expires_at < ${forgetBefore}`
    const fresh = yield* sql`
      INSERT INTO agent_jwt_uses ${sql.insert({ agent_id: agentId, jti, expires_at: expiresAt })}
      ON CONFLICT DO NOTHING RETURNING jti`
    return fresh.length > 0
  })
