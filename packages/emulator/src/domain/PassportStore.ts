/**
 * Passport storage and signing: the `passports` row, minting and re-signing
 * tokens, and the checks every passport action starts with.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { AccountabilityMode } from "@getstack/effect/api/Agents"
import { ISSUER, IssuedPassport, PassportClaims, type StackClaims } from "@getstack/effect/api/Passports"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { Actor } from "./Action.js"
import { notFound, refuse } from "./Failure.js"
import * as MissionRecords from "./MissionRecords.js"
import * as Policy from "./Policy.js"
import { SigningKey, signJwt } from "./Signing.js"

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

/** A passport just signed, and whom it is for. */
export interface Issued {
  readonly passport: IssuedPassport
  readonly jti: string
  readonly agentId: string
}

/** The `stk` claims a passport's tokens carry. */
export const stkOf = (row: PassportRow): StackClaims => JSON.parse(row.claims) as StackClaims

/** Epoch seconds from epoch milliseconds. */
export const seconds = (ms: number): number => Math.floor(ms / 1000)

/** The answer for a passport just signed. */
export const issued = (jti: string, token: string, expiresAt: number, agentId: string): Issued => ({
  passport: new IssuedPassport({ token: Redacted.make(token), jti, expires_at: DateTime.unsafeMake(expiresAt) }),
  jti,
  agentId
})

/** Signs a token for `jti` living until `exp` (epoch seconds). */
const signToken = (jti: string, agentId: string, stk: StackClaims, iat: number, exp: number) =>
  Effect.map(SigningKey, (key) =>
    signJwt(key, { iss: ISSUER, sub: agentId, jti, iat, nbf: iat, exp, stk } satisfies PassportClaims))

/** What a new passport is made of. */
export interface Mint {
  readonly agentId: string
  readonly stk: StackClaims
  readonly jti: string
  readonly ttlSeconds: number
  /** The latest `exp` allowed (the mission's or the parent's), epoch seconds. */
  readonly notAfter: number
}

/** Signs and stores a new passport. */
export const mint = (actor: Actor, m: Mint) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const iat = seconds(now)
    const exp = Math.min(iat + m.ttlSeconds, m.notAfter)
    if (exp <= iat) return yield* refuse("MISSION_NOT_ACTIVE", "the passport would expire at once: its mission or parent ends now")
    const token = yield* signToken(m.jti, m.agentId, m.stk, iat, exp)
    const row: PassportRow = {
      jti: m.jti,
      operator_id: actor.operatorId,
      agent_id: m.agentId,
      parent_jti: m.stk.parent_jti ?? null,
      session_id: m.stk.session_id,
      mission_id: m.stk.mission_id ?? null,
      delegation_depth: m.stk.delegation_depth,
      accountability: m.stk.accountability,
      intent_services: JSON.stringify(m.stk.intent_services),
      checkpoint_interval: m.stk.checkpoint_interval,
      claims: JSON.stringify(m.stk),
      token,
      issued_at: now,
      expires_at: exp * 1000,
      refreshed_at: null,
      last_checkpoint_at: null,
      checked_out_at: null,
      revoked_at: null,
      revoke_reason: null
    }
    yield* sql`INSERT INTO passports ${sql.insert({ ...row })}`
    return issued(m.jti, token, row.expires_at, m.agentId)
  })

/** Re-signs a passport (same jti, session and claims) with new `iat`/`exp`, and stores the token. */
export const resign = (row: PassportRow, exp: number, changes: { readonly refreshed?: boolean } = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const iat = seconds(now)
    const token = yield* signToken(row.jti, row.agent_id, stkOf(row), iat, exp)
    yield* sql`UPDATE passports SET token = ${token}, expires_at = ${exp * 1000},
      refreshed_at = ${changes.refreshed === true ? now : row.refreshed_at} WHERE jti = ${row.jti}`
    return issued(row.jti, token, exp * 1000, row.agent_id)
  })

export const byJti = (jti: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<PassportRow>`SELECT * FROM passports WHERE jti = ${jti}`, (rows) => rows[0]))

/**
 * One of the operator's passports, visible to the caller (an agent sees only
 * its own); `NOT_FOUND` otherwise.
 */
export const ownPassport = (actor: Actor, jti: string) =>
  Effect.gen(function*() {
    const row = yield* byJti(jti)
    return row === undefined || row.operator_id !== actor.operatorId || !Policy.actsFor(actor, row.agent_id)
      ? yield* notFound("passport", jti)
      : row
  })

/** Refuses a revoked passport, or one whose latest `exp` has passed. */
export const requireLive = (row: PassportRow, now: number) =>
  row.revoked_at !== null
    ? refuse("PASSPORT_REVOKED", `passport ${row.jti} was revoked`)
    : now >= row.expires_at
    ? refuse("PASSPORT_EXPIRED", `passport ${row.jti} expired`)
    : Effect.void

/** The latest `exp` (epoch seconds) a passport may get: its mission's end and its parent's current expiry. */
export const limitsOf = (row: PassportRow, now: number) =>
  Effect.gen(function*() {
    let notAfter = Number.POSITIVE_INFINITY
    if (row.mission_id !== null) {
      const mission = yield* MissionRecords.byId(row.mission_id)
      if (mission === undefined || !MissionRecords.isLive(mission, now)) {
        return yield* refuse("MISSION_NOT_ACTIVE", `mission ${row.mission_id} is not active`)
      }
      notAfter = Math.min(notAfter, seconds(mission.expires_at))
    }
    if (row.parent_jti !== null) {
      const parent = yield* byJti(row.parent_jti)
      if (parent === undefined || parent.revoked_at !== null) {
        return yield* refuse("PASSPORT_REVOKED", `the parent passport ${row.parent_jti} was revoked`)
      }
      if (now >= parent.expires_at) {
        return yield* refuse("PASSPORT_EXPIRED", `the parent passport ${row.parent_jti} expired: refresh it first`)
      }
      notAfter = Math.min(notAfter, seconds(parent.expires_at))
    }
    return notAfter
  })
