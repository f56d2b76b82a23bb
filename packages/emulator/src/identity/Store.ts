/**
 * Verification sessions and identity claims, as stored. Times are epoch
 * milliseconds; requested claims a JSON array. Nothing here is PII.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Claim, Verification } from "@getstack/effect/api/Identity"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"

/** A row of `identity_sessions`. `approved` is the provider's yes, before `completeVerification`. */
export interface SessionRow {
  readonly session_ref: string
  readonly operator_id: string
  readonly provider_key: string
  readonly requested_claims: string
  readonly return_url: string | null
  readonly status: "pending" | "approved" | "failed" | "completed"
  readonly created_at: number
  readonly expires_at: number
  readonly decided_at: number | null
  readonly completed_at: number | null
}

/** A row of `identity_claims`. */
export interface ClaimRow {
  readonly id: string
  readonly operator_id: string
  readonly session_ref: string
  readonly provider_key: string
  readonly layer: string
  readonly claim_type: string
  readonly assurance_level: string
  readonly verified_at: number
  readonly expires_at: number | null
  readonly revoked_at: number | null
}

/** The emulator's stand-in for the provider's verification page: a session's `url`. */
export const sessionPath = (sessionRef: string) => `/_emulator/identity/sessions/${sessionRef}`

/**
 * A session's status on the wire: completed and failed stay; a session not
 * completed by its `expires_at` is expired; otherwise pending (the provider's
 * approval included, until `completeVerification`).
 */
export const statusOf = (row: SessionRow, now: number): "pending" | "completed" | "failed" | "expired" =>
  row.status === "completed" || row.status === "failed" ? row.status : now >= row.expires_at ? "expired" : "pending"

/** A claim's status: revoked, expired, or active. */
export const claimStatusOf = (row: ClaimRow, now: number): "active" | "expired" | "revoked" =>
  row.revoked_at !== null ? "revoked" : row.expires_at !== null && now >= row.expires_at ? "expired" : "active"

const time = (millis: number) => DateTime.unsafeMake(millis)

/** A session as the contract shows it. */
export const toVerification = (row: SessionRow, now: number): Verification =>
  new Verification({
    session_ref: row.session_ref,
    status: statusOf(row, now),
    requested_claims: JSON.parse(row.requested_claims) as Array<string>,
    created_at: time(row.created_at),
    expires_at: time(row.expires_at),
    completed_at: row.completed_at === null ? null : time(row.completed_at),
    provider_key: row.provider_key
  }, { disableValidation: true })

/** A claim as the contract shows it. */
export const toClaim = (row: ClaimRow, now: number): Claim =>
  new Claim({
    id: row.id,
    provider: row.provider_key,
    layer: row.layer,
    claim_type: row.claim_type,
    assurance_level: row.assurance_level,
    verified_at: time(row.verified_at),
    expires_at: row.expires_at === null ? null : time(row.expires_at),
    status: claimStatusOf(row, now),
    session_ref: row.session_ref,
    revoked_at: row.revoked_at === null ? null : time(row.revoked_at)
  }, { disableValidation: true })

/** One of the operator's sessions. */
export const session = (operatorId: string, sessionRef: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<SessionRow>`SELECT * FROM identity_sessions WHERE session_ref = ${sessionRef} AND operator_id = ${operatorId}`),
    (rows) => rows[0]
  )

/** Stores a new session. */
export const insertSession = (row: SessionRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO identity_sessions ${sql.insert({ ...row })}`))

/** Records the provider's decision on a pending session. */
export const decide = (sessionRef: string, status: "approved" | "failed", now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE identity_sessions SET status = ${status}, decided_at = ${now} WHERE session_ref = ${sessionRef}`))

/** Marks an approved session completed. */
export const complete = (sessionRef: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE identity_sessions SET status = 'completed', completed_at = ${now} WHERE session_ref = ${sessionRef}`))

/** Stores a new claim. */
export const insertClaim = (row: ClaimRow) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO identity_claims ${sql.insert({ ...row })}`))

/** The operator's claims, oldest first. */
export const claims = (operatorId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<ClaimRow>`SELECT * FROM identity_claims WHERE operator_id = ${operatorId} ORDER BY verified_at, rowid`)

/** The claims a session left, in the order it left them. */
export const claimsOfSession = (sessionRef: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<ClaimRow>`SELECT * FROM identity_claims WHERE session_ref = ${sessionRef} ORDER BY rowid`)

/** One of the operator's claims. */
export const claim = (operatorId: string, id: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<ClaimRow>`SELECT * FROM identity_claims WHERE id = ${id} AND operator_id = ${operatorId}`),
    (rows) => rows[0]
  )

/** Those of `ids` that are claims of the operator. */
export const claimsByIds = (operatorId: string, ids: ReadonlyArray<string>) =>
  ids.length === 0
    ? Effect.succeed([] as ReadonlyArray<ClaimRow>)
    : Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<ClaimRow>`SELECT * FROM identity_claims WHERE operator_id = ${operatorId} AND id IN ${sql.in(ids)}`)

/** Revokes a claim. */
export const revoke = (id: string, now: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`UPDATE identity_claims SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL`))
