/**
 * Per-agent Ed25519 keys: enrollment with proof of possession, and the agent
 * JWTs signed with an enrolled key that authenticate an agent's requests.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
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
import { type Actor, audited } from "../core/Audit.js"
import { refuse, type StackFailure } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import { decodeJwt, ed25519PublicKey, fromBase64url, verifyEd25519 } from "../core/Jwt.js"
import * as Policy from "../core/Policy.js"
import * as Agents from "./Agents.js"
import * as Store from "./Store.js"

/** How long an enrollment challenge may be answered, in milliseconds. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000

/** The clock skew allowed when checking an agent JWT's times, in seconds. */
export const CLOCK_SKEW_SECONDS = 5

/** Issues a single-use challenge (32 random bytes, base64url) for the agent's next key. */
export const enrollmentChallenge = (actor: Actor, agentId: string) =>
  audited(
    actor,
    { action: "agent.enrollment_challenge", agentId: () => agentId, agentIdOnFailure: agentId },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "request an enrollment challenge")
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
      yield* Store.insertChallenge(row)
      return new EnrollmentChallenge({
        challenge_id: row.id,
        challenge: row.challenge,
        expires_at: DateTime.unsafeMake(row.expires_at)
      }, { disableValidation: true })
    })
  )

const enrollmentFailed = (message: string) => refuse("ENROLLMENT_FAILED", message)

/** Marks a challenge used, so a failed attempt cannot be retried with it. */
const burn = (actor: Actor, agentId: string, challengeId: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => Store.burnChallenge(actor.operatorId, agentId, challengeId, now))

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
      yield* Agents.findRow(actor, agentId)
      const now = yield* Clock.currentTimeMillis
      const challenge = yield* Store.challenge(actor.operatorId, agentId, request.challenge_id)
      if (challenge === undefined) return yield* enrollmentFailed("no such enrollment challenge for this agent")
      if (challenge.used_at !== null) {
        return yield* enrollmentFailed("the enrollment challenge was already used: request a new one")
      }
      if (challenge.expires_at <= now) {
        return yield* enrollmentFailed("the enrollment challenge expired: request a new one")
      }
      yield* Store.useChallenge(challenge.id, now)
      const publicKey = ed25519PublicKey(request.public_key.x)
      if (publicKey === null) return yield* enrollmentFailed("public_key is not an Ed25519 public key")
      const signature = fromBase64url(request.signed_challenge)
      if (signature === null || !verifyEd25519(publicKey, challenge.challenge, signature)) {
        return yield* enrollmentFailed("signed_challenge is not this key's Ed25519 signature of the challenge")
      }
      const keyId = newId("key")
      const publicJwk = JSON.stringify({ kty: "OKP", crv: "Ed25519", x: request.public_key.x })
      yield* Store.upsertKey({ agent_id: agentId, key_id: keyId, public_jwk: publicJwk, enrolled_at: now })
      return new EnrolledAgentKey(
        { agent_id: agentId, key_id: keyId, enrolled_at: DateTime.unsafeMake(now) },
        { disableValidation: true }
      )
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
    const row = yield* Store.withKey(sub)
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
      const fresh = yield* Store.useJwt(sub, jti, exp, Math.floor(now) - CLOCK_SKEW_SECONDS)
      if (!fresh) return yield* unauthorized("it was already used (its jti was seen before)")
    }
    return { operatorId: row.operator_id, agentId: sub }
  })
