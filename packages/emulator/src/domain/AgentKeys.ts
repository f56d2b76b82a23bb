/**
 * Per-agent Ed25519 keys: enrollment with proof of possession, and the agent
 * JWTs signed with an enrolled key that authenticate an agent's requests.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import {
  AgentJwt,
  type EnrollAgentKeyRequest,
  EnrolledAgentKey,
  EnrollmentChallenge
} from "@getstack/effect/api/Agents"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { randomBytes } from "node:crypto"
import { type Actor, audited } from "./Action.js"
import * as Agents from "./Agents.js"
import { refuse, type StackFailure } from "./Failure.js"
import { newId } from "./Ids.js"
import * as Policy from "./Policy.js"
import { decodeJwt, ed25519PublicKey, fromBase64url, verifyEd25519 } from "./Signing.js"

/** How long an enrollment challenge may be answered, in milliseconds. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000

/** The clock skew allowed when checking an agent JWT's times, in seconds. */
export const CLOCK_SKEW_SECONDS = 5

interface ChallengeRow {
  readonly id: string
  readonly challenge: string
  readonly expires_at: number
  readonly used_at: number | null
}

/** Issues a single-use challenge (32 random bytes, base64url) for the agent's next key. */
export const enrollmentChallenge = (actor: Actor, agentId: string) =>
  audited(
    actor,
    { action: "agent.enrollment_challenge", agentId: () => agentId, agentIdOnFailure: agentId },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "request an enrollment challenge")
      const sql = yield* SqlClient.SqlClient
      yield* Agents.findRow(actor, agentId)
      const now = yield* Clock.currentTimeMillis
      const row = {
        id: newId("chl"),
        operator_id: actor.operatorId,
        agent_id: agentId,
        challenge: randomBytes(32).toString("base64url"),
        expires_at: now + CHALLENGE_TTL_MS,
        created_at: now
      }
      yield* sql`INSERT INTO enrollment_challenges ${sql.insert(row)}`
      return new EnrollmentChallenge({
        challenge_id: row.id,
        challenge: row.challenge,
        expires_at: DateTime.unsafeMake(row.expires_at)
      })
    })
  )

const enrollmentFailed = (message: string) => refuse("ENROLLMENT_FAILED", message)

/** Marks a challenge used, so a failed attempt cannot be retried with it. */
const burn = (actor: Actor, agentId: string, challengeId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    yield* sql`UPDATE enrollment_challenges SET used_at = ${now}
      WHERE id = ${challengeId} AND operator_id = ${actor.operatorId} AND agent_id = ${agentId} AND used_at IS NULL`
  })

/**
 * Enrolls the agent's public key after checking its proof of possession: the
 * Ed25519 signature of the challenge's UTF-8 bytes. A challenge answers one
 * attempt, right or wrong. The key replaces any previous one.
 */
export const enroll = (actor: Actor, agentId: string, request: EnrollAgentKeyRequest) =>
  audited(
    actor,
    { action: "agent.enroll", agentId: () => agentId, agentIdOnFailure: agentId },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "enroll keys")
      const sql = yield* SqlClient.SqlClient
      yield* Agents.findRow(actor, agentId)
      const now = yield* Clock.currentTimeMillis
      const [challenge] = yield* sql<ChallengeRow>`
        SELECT id, challenge, expires_at, used_at FROM enrollment_challenges
        WHERE id = ${request.challenge_id} AND operator_id = ${actor.operatorId} AND agent_id = ${agentId}`
      if (challenge === undefined) return yield* enrollmentFailed("no such enrollment challenge for this agent")
      if (challenge.used_at !== null) {
        return yield* enrollmentFailed("the enrollment challenge was already used: request a new one")
      }
      if (challenge.expires_at <= now) {
        return yield* enrollmentFailed("the enrollment challenge expired: request a new one")
      }
      yield* sql`UPDATE enrollment_challenges SET used_at = ${now} WHERE id = ${challenge.id}`
      const publicKey = ed25519PublicKey(request.public_key.x)
      if (publicKey === null) return yield* enrollmentFailed("public_key is not an Ed25519 public key")
      const signature = fromBase64url(request.signed_challenge)
      if (signature === null || !verifyEd25519(publicKey, challenge.challenge, signature)) {
        return yield* enrollmentFailed("signed_challenge is not this key's Ed25519 signature of the challenge")
      }
      const keyId = newId("key")
      const publicJwk = JSON.stringify({ kty: "OKP", crv: "Ed25519", x: request.public_key.x })
      yield* sql`INSERT INTO agent_keys ${
        sql.insert({ agent_id: agentId, key_id: keyId, public_jwk: publicJwk, enrolled_at: now })
      }
        ON CONFLICT (agent_id) DO UPDATE SET key_id = excluded.key_id, public_jwk = excluded.public_jwk,
          enrolled_at = excluded.enrolled_at`
      return new EnrolledAgentKey({ agent_id: agentId, key_id: keyId, enrolled_at: DateTime.unsafeMake(now) })
    })
  ).pipe(
    Effect.tapError((error) =>
      error._tag === "StackFailure" && error.code === "ENROLLMENT_FAILED"
        ? burn(actor, agentId, request.challenge_id)
        : Effect.void
    )
  )

const isNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

/**
 * The agent an agent JWT authenticates, acting for its operator. The JWT must
 * be signed EdDSA by the agent's enrolled key, with `iss` "stack-sdk", `sub`
 * the agent id, `aud` "stack:agent", and `iat`/`nbf`/`exp` current (5 s of
 * skew) and at most 60 s apart; the agent must exist, be enrolled and not be
 * suspended. Anything else is `UNAUTHORIZED`.
 */
export const authenticate = (
  token: string
): Effect.Effect<
  { readonly operatorId: string; readonly agentId: string },
  StackFailure | SqlError.SqlError,
  SqlClient.SqlClient
> =>
  Effect.gen(function*() {
    const unauthorized = (why: string) => refuse("UNAUTHORIZED", `the agent token is not valid: ${why}`)
    const jwt = decodeJwt(token)
    if (jwt === null) return yield* unauthorized("it is not a JWT")
    if (jwt.header["alg"] !== "EdDSA") return yield* unauthorized("its alg must be EdDSA")
    const { iss, sub, aud, iat, nbf, exp } = jwt.payload
    if (iss !== AgentJwt.issuer) return yield* unauthorized(`its iss must be ${AgentJwt.issuer}`)
    const audiences = Array.isArray(aud) ? aud : [aud]
    if (!audiences.includes(AgentJwt.audience)) return yield* unauthorized(`its aud must be ${AgentJwt.audience}`)
    if (typeof sub !== "string" || sub === "") return yield* unauthorized("its sub must be the agent id")
    if (!isNumber(iat) || !isNumber(exp) || (nbf !== undefined && !isNumber(nbf))) {
      return yield* unauthorized("iat and exp (and nbf when sent) must be epoch seconds")
    }
    if (exp <= iat || exp - iat > AgentJwt.lifetimeSeconds) {
      return yield* unauthorized(`it must expire within ${AgentJwt.lifetimeSeconds} seconds of iat`)
    }
    const now = (yield* Clock.currentTimeMillis) / 1000
    if (iat > now + CLOCK_SKEW_SECONDS || (isNumber(nbf) && nbf > now + CLOCK_SKEW_SECONDS)) {
      return yield* unauthorized("it is not valid yet")
    }
    if (exp <= now - CLOCK_SKEW_SECONDS) return yield* unauthorized("it expired")
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ operator_id: string; status: string; public_jwk: string }>`
      SELECT a.operator_id AS operator_id, a.status AS status, k.public_jwk AS public_jwk
      FROM agents a JOIN agent_keys k ON k.agent_id = a.id WHERE a.id = ${sub}`
    if (row === undefined) return yield* unauthorized("no enrolled agent has that id")
    const { x } = JSON.parse(row.public_jwk) as { readonly x: string }
    const publicKey = ed25519PublicKey(x)
    if (publicKey === null || !verifyEd25519(publicKey, jwt.signingInput, jwt.signature)) {
      return yield* unauthorized("its signature does not verify with the agent's enrolled key")
    }
    if (row.status !== "active") return yield* unauthorized("the agent is suspended")
    // a JWT that names a jti is good for one request: a replay within its lifetime is refused
    const { jti } = jwt.payload
    if (jti !== undefined) {
      if (typeof jti !== "string" || jti === "" || jti.length > 200) return yield* unauthorized("its jti must be a short string")
      yield* sql`DELETE FROM agent_jwt_uses WHERE expires_at < ${Math.floor(now) - CLOCK_SKEW_SECONDS}`
      const fresh = yield* sql`
        INSERT INTO agent_jwt_uses ${sql.insert({ agent_id: sub, jti, expires_at: exp })}
        ON CONFLICT DO NOTHING RETURNING jti`
      if (fresh.length === 0) return yield* unauthorized("it was already used (its jti was seen before)")
    }
    return { operatorId: row.operator_id, agentId: sub }
  })
