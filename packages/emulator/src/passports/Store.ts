/**
 * Passports as stored: the `passports`, `checkouts` and `signing_keys` rows
 * and every SQL statement over them.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { AccountabilityMode } from "@getstack/effect/api/Agents"
import type { StackClaims } from "@getstack/effect/api/Passports"
import * as Effect from "effect/Effect"

/** A row of `passports`. Times are epoch milliseconds; `expires_at` is the latest token's `exp`. */
export interface PassportRow {
  readonly jti: string
  readonly operator_id: string
  readonly agent_id: string
  readonly parent_jti: string | null
  readonly session_id: string
  readonly mission_id: string | null
  readonly delegation_depth: number
  readonly accountability: AccountabilityMode
  /** JSON array of the intent's services. */
  readonly intent_services: string
  readonly checkpoint_interval: number | null
  /** JSON of the `stk` claims every token of this passport carries. */
  readonly claims: string
  /** The latest token signed for this passport. */
  readonly token: string
  readonly issued_at: number
  readonly expires_at: number
  readonly refreshed_at: number | null
  readonly last_checkpoint_at: number | null
  readonly checked_out_at: number | null
  readonly revoked_at: number | null
  readonly revoke_reason: string | null
}

/** A passport, as far as revocation needs it. */
export interface PassportRef {
  readonly jti: string
  readonly agent_id: string
  readonly parent_jti: string | null
  readonly revoked_at: number | null
}

/** A row of `checkouts`. Times are epoch milliseconds. */
export interface CheckoutRow {
  readonly id: string
  readonly operator_id: string
  readonly agent_id: string
  readonly passport_jti: string
  readonly review: "clean" | "flagged" | "approved" | "blocked"
  /** JSON array of services. */
  readonly services_used: string
  readonly actions_count: number
  /** JSON array of agent ids. */
  readonly delegated_to: string
  readonly summary: string | null
  readonly created_at: number
}

/** The `stk` claims a passport's tokens carry. */
export const stkOf = (row: PassportRow): StackClaims => JSON.parse(row.claims) as StackClaims

/** A passport by jti, whoever's it is (`undefined` when none). */
export const byJti = (jti: string): Effect.Effect<PassportRow | undefined, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<PassportRow>`SELECT * FROM passports WHERE jti = ${jti}`, (rows) => rows[0]))

/** Stores a new passport. */
export const insert = (row: PassportRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO passports ${sql.insert({ ...row })}`))

/** Stores a passport's new token, its claims, and expiry (and when it was refreshed). */
export const updateToken = (jti: string, token: string, stk: StackClaims, expiresAt: number, refreshedAt: number | null) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE passports SET token = ${token}, claims = ${JSON.stringify(stk)}, expires_at = ${expiresAt},
      refreshed_at = ${refreshedAt} WHERE jti = ${jti}`))

/** Records that a passport's latest token carries these identity claims. */
export const linkClaims = (jti: string, claimIds: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    claimIds.length === 0
      ? Effect.void
      : Effect.asVoid(sql`INSERT OR IGNORE INTO passport_identity_claims ${
        sql.insert(claimIds.map((claimId) => ({ claim_id: claimId, passport_jti: jti })))
      }`))

/** Records that a passport's latest token no longer carries these identity claims. */
export const unlinkClaims = (jti: string, claimIds: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    claimIds.length === 0
      ? Effect.void
      : Effect.asVoid(sql`DELETE FROM passport_identity_claims
          WHERE passport_jti = ${jti} AND claim_id IN ${sql.in(claimIds)}`))

/** An operator's passports not yet revoked whose latest token carries an identity claim, oldest first. */
export const unrevokedCarrying = (operatorId: string, claimId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<PassportRef>`
      SELECT passports.jti, passports.agent_id, passports.parent_jti, passports.revoked_at
      FROM passport_identity_claims JOIN passports ON passports.jti = passport_identity_claims.passport_jti
      WHERE passport_identity_claims.claim_id = ${claimId}
        AND passports.operator_id = ${operatorId} AND passports.revoked_at IS NULL
      ORDER BY passports.issued_at ASC, passports.rowid ASC`)

/** An operator's passports not yet revoked, oldest first, optionally of one agent or one mission. */
export const unrevoked = (where: { readonly operatorId: string; readonly agentId?: string; readonly missionId?: string }) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<PassportRef>`
      SELECT jti, agent_id, parent_jti, revoked_at FROM passports
      WHERE ${
      sql.and([
        sql`operator_id = ${where.operatorId}`,
        sql`revoked_at IS NULL`,
        ...(where.agentId === undefined ? [] : [sql`agent_id = ${where.agentId}`]),
        ...(where.missionId === undefined ? [] : [sql`mission_id = ${where.missionId}`])
      ])
    }
      ORDER BY issued_at ASC, rowid ASC`)

/** The passports delegated from any of `jtis`, oldest first. */
export const childrenOf = (jtis: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<PassportRef>`
      SELECT jti, agent_id, parent_jti, revoked_at FROM passports
      WHERE parent_jti IN ${sql.in(jtis)} ORDER BY issued_at ASC, rowid ASC`)

/** Marks passports revoked at `now`, leaving those already revoked as they are. */
export const markRevoked = (jtis: ReadonlyArray<string>, now: number, reason: string | null) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    jtis.length === 0
      ? Effect.void
      : sql`UPDATE passports SET revoked_at = ${now}, revoke_reason = ${reason}
            WHERE jti IN ${sql.in(jtis)} AND revoked_at IS NULL`.pipe(Effect.asVoid))

/** An operator's passports live at `now`, newest first, optionally of one agent or session. */
export const live = (where: {
  readonly operatorId: string
  readonly now: number
  readonly agentId?: string | undefined
  readonly sessionId?: string | undefined
}) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<PassportRow>`
      SELECT * FROM passports WHERE ${
      sql.and([
        sql`operator_id = ${where.operatorId}`,
        sql`revoked_at IS NULL`,
        sql`expires_at > ${where.now}`,
        ...(where.agentId === undefined ? [] : [sql`agent_id = ${where.agentId}`]),
        ...(where.sessionId === undefined ? [] : [sql`session_id = ${where.sessionId}`])
      ])
    }
      ORDER BY issued_at DESC, rowid DESC`)

/** Records a checkpoint's time. */
export const markCheckpoint = (jti: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE passports SET last_checkpoint_at = ${now} WHERE jti = ${jti}`))

/** Stores a checkout and marks its passport checked out. */
export const checkOut = (row: CheckoutRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.gen(function*() {
      yield* sql`INSERT INTO checkouts ${sql.insert({ ...row })}`
      yield* sql`UPDATE passports SET checked_out_at = ${row.created_at} WHERE jti = ${row.passport_jti}`
    }))

/** The private JWK of the database's first signing key, if it has one. */
export const firstSigningKey = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<{ private_jwk: string }>`SELECT private_jwk FROM signing_keys ORDER BY created_at ASC, rowid ASC LIMIT 1`,
    (rows) => rows[0]?.private_jwk
  ))

/** Stores a signing key. */
export const insertSigningKey = (row: {
  readonly kid: string
  readonly private_jwk: string
  readonly public_jwk: string
  readonly created_at: number
}) => Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO signing_keys ${sql.insert({ ...row })}`))
