/**
 * Passports: short-lived Ed25519 JWTs that say which agent acts, for which
 * operator, with which scopes and intent. Issue, verify, delegate (only
 * narrower, at most four hops, never to a lower accountability mode, never
 * outliving the parent), refresh (within a day of expiry), checkpoint and
 * checkout (accountability), and revocation with cascade.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { AccountabilityMode } from "@getstack/effect/api/Agents"
import {
  ActivePassports,
  BulkRevocation,
  CheckpointInterval,
  DelegatePassportRequest,
  type Intent,
  type InvalidReason,
  ISSUER,
  type IssuePassportRequest,
  ListActiveQuery,
  MAX_DELEGATION_DEPTH,
  PassportClaims,
  PassportSummary,
  PassportTtl,
  REFRESH_GRACE_SECONDS,
  RefreshPassportRequest,
  RevokeAgentPassportsRequest,
  RevokeAllPassportsRequest,
  RevokedPassport,
  RevokePassportRequest,
  revealToken,
  type ScopeGrant,
  type StackClaims,
  VerifyPassportRequest,
  type VerifyPassportResponse
} from "@getstack/effect/api/Passports"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Agents from "../agents/Agents.js"
import type * as AgentsStore from "../agents/Store.js"
import { type Actor, audited, type EntrySpec, transact } from "../core/Audit.js"
import { excerpt, listExcerpt, notFound, refuse, type StackFailure } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import { decodeJwt, verifyEd25519 } from "../core/Jwt.js"
import * as Policy from "../core/Policy.js"
import * as Signals from "../core/Signals.js"
import * as Identity from "../identity/Identity.js"
import * as MissionsStore from "../missions/Store.js"
import * as Catalog from "../services/Catalog.js"
import * as ServicesStore from "../services/Store.js"
import * as Revocation from "./Revocation.js"
import { type Issued, mint, resign, seconds, SigningKey } from "./Signing.js"
import * as Store from "./Store.js"

type VerifyRequest = typeof VerifyPassportRequest.Type
type DelegateRequest = typeof DelegatePassportRequest.Type
type RefreshRequest = typeof RefreshPassportRequest.Type
type RevokeRequest = typeof RevokePassportRequest.Type
type RevokeAgentRequest = typeof RevokeAgentPassportsRequest.Type
type RevokeAllRequest = typeof RevokeAllPassportsRequest.Type
type ActiveQuery = typeof ListActiveQuery.Type

const MODE_RANK: Record<AccountabilityMode, number> = { standard: 0, logged: 1, enforced: 2 }

// ---------------------------------------------------------------------------
// the checks every passport action starts with

/**
 * One of the operator's passports, visible to the caller (an agent sees only
 * its own); `NOT_FOUND` otherwise.
 */
export const ownPassport = (actor: Actor, jti: string) =>
  Effect.gen(function*() {
    const row = yield* Store.byJti(jti)
    return row === undefined || row.operator_id !== actor.operatorId || !Policy.actsFor(actor, row.agent_id)
      ? yield* notFound("passport", jti)
      : row
  })

/** Refuses a revoked passport, or one whose latest `exp` has passed. */
export const requireLive = (row: Store.PassportRow, now: number) =>
  row.revoked_at !== null
    ? refuse("PASSPORT_REVOKED", `passport ${row.jti} was revoked`)
    : now >= row.expires_at
    ? refuse("PASSPORT_EXPIRED", `passport ${row.jti} expired`)
    : Effect.void

/** The latest `exp` (epoch seconds) a passport may get: its mission's end and its parent's current expiry. */
export const limitsOf = (row: Store.PassportRow, now: number) =>
  Effect.gen(function*() {
    let notAfter = Number.POSITIVE_INFINITY
    if (row.mission_id !== null) {
      const mission = yield* MissionsStore.byId(row.mission_id)
      if (mission === undefined || !MissionsStore.isLive(mission, now)) {
        return yield* refuse("MISSION_NOT_ACTIVE", `mission ${row.mission_id} is not active`)
      }
      notAfter = Math.min(notAfter, seconds(mission.expires_at))
    }
    if (row.parent_jti !== null) {
      const parent = yield* Store.byJti(row.parent_jti)
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

/**
 * A passport's claims as a token signed for it at `now` carries them: the
 * same, but for identity claims no longer active (revoked or expired), which
 * are left out.
 */
export const currentClaims = (row: Store.PassportRow, now: number) =>
  Effect.gen(function*() {
    const stk = Store.stkOf(row)
    return { ...stk, identity_claims: yield* Identity.stillActive(row.operator_id, stk.identity_claims, now) }
  })

// ---------------------------------------------------------------------------
// verification

type Inspection =
  | { readonly ok: false; readonly reason: InvalidReason; readonly message: string }
  | { readonly ok: true; readonly claims: PassportClaims; readonly row: Store.PassportRow | undefined }

const decodeClaims = Schema.decodeUnknownEither(PassportClaims)

const invalidInspection = (reason: InvalidReason, message: string): Inspection => ({ ok: false, reason, message })

/** Checks a token's form, key, signature and issuer, and finds its passport. */
const inspect = (token: string): Effect.Effect<Inspection, SqlError.SqlError, SigningKey | SqlClient.SqlClient> =>
  Effect.flatMap(SigningKey, (key) => {
    const jwt = decodeJwt(token)
    if (jwt === null) return Effect.succeed(invalidInspection("malformed", "the token is not a compact JWT"))
    if (jwt.header["alg"] !== "EdDSA") return Effect.succeed(invalidInspection("invalid_signature", "the token is not signed EdDSA"))
    const kid = jwt.header["kid"]
    if (kid !== undefined && kid !== key.kid) {
      return Effect.succeed(invalidInspection("unknown_key", "the token was signed by a key this server does not publish"))
    }
    if (!verifyEd25519(key.publicKey, jwt.signingInput, jwt.signature)) {
      return Effect.succeed(invalidInspection("invalid_signature", "the token's signature does not verify"))
    }
    const claims = decodeClaims(jwt.payload)
    if (Either.isLeft(claims)) return Effect.succeed(invalidInspection("malformed", "the token's claims are not a passport's"))
    if (claims.right.iss !== ISSUER) {
      return Effect.succeed(invalidInspection("wrong_issuer", `the token's issuer is not ${ISSUER}`))
    }
    return Effect.map(Store.byJti(claims.right.jti), (row): Inspection => ({ ok: true, claims: claims.right, row }))
  })

const effectiveExpiry = (claims: PassportClaims, row: Store.PassportRow) => Math.min(claims.exp * 1000, row.expires_at)

/**
 * Whether a token is a live passport: signed by this server, issued by it,
 * current, not revoked, and (when `service_id` is given) covering that
 * service. Answers why not otherwise. A token expires at its own `exp`, or
 * earlier when a later token of the same passport was given a shorter one.
 */
export const verify = (
  request: VerifyRequest
): Effect.Effect<VerifyPassportResponse, SqlError.SqlError, SigningKey | SqlClient.SqlClient> =>
  Effect.flatMap(inspect(revealToken(request.token)), (inspection) => {
    if (!inspection.ok) return Effect.succeed(invalidAnswer(inspection.reason, inspection.message))
    const { claims, row } = inspection
    if (row === undefined) return Effect.succeed(invalidAnswer("unknown_passport", "this server has no record of the passport"))
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (claims.nbf !== undefined && claims.nbf * 1000 > now) {
        return Effect.succeed(invalidAnswer("not_yet_valid", "the passport is not valid yet"))
      }
      if (row.revoked_at !== null) {
        return Effect.as(
          transact(Signals.raiseRevokedUse(row.jti, "to be verified")),
          invalidAnswer("revoked", "the passport was revoked")
        )
      }
      if (now >= effectiveExpiry(claims, row)) return Effect.succeed(invalidAnswer("expired", "the passport expired"))
      const stk = claims.stk
      if (
        request.service_id !== undefined &&
        !stk.services.some((service) => service.service_id === request.service_id) &&
        !stk.intent_services.includes(request.service_id)
      ) {
        return Effect.succeed(invalidAnswer("service_not_in_scope", `the passport does not cover ${excerpt(request.service_id)}`))
      }
      const valid: VerifyPassportResponse = {
        valid: true,
        jti: claims.jti,
        agent_id: stk.agent_id,
        agent_name: stk.agent_name,
        operator_id: stk.operator_id,
        scopes: stk.services,
        intent_services: stk.intent_services,
        expires_at: DateTime.unsafeMake(effectiveExpiry(claims, row)),
        claims
      }
      return Effect.succeed(valid)
    })
  })

const invalidAnswer = (reason: InvalidReason, message: string): VerifyPassportResponse => ({ valid: false, reason, message })

/**
 * The live passport a token presented for use stands for (the proxy's
 * `X-Passport-Token`): `UNAUTHORIZED` when it does not verify or is not one
 * of the operator's (an agent caller's own), `PASSPORT_REVOKED` (recording
 * the use of a revoked passport, which survives the refusal) and
 * `PASSPORT_EXPIRED`, its mission or parent ended included. `use` says what
 * for, in the signal a revoked passport raises.
 */
export const presentedForUse = (actor: Actor, token: string, use: string = "for a proxied call") =>
  Effect.gen(function*() {
    const inspection = yield* inspect(token)
    if (!inspection.ok) return yield* refuse("UNAUTHORIZED", `the passport does not verify: ${inspection.message}`)
    const { claims, row } = inspection
    if (row === undefined || row.operator_id !== actor.operatorId || !Policy.actsFor(actor, row.agent_id)) {
      return yield* refuse("UNAUTHORIZED", "the passport is not one of the caller's")
    }
    yield* usable(row, effectiveExpiry(claims, row), claims.nbf, use)
    return { claims, row }
  })

/** Refuses a passport that is revoked (recording the use), expired, not yet valid, or whose mission or parent ended. */
const usable = (row: Store.PassportRow, expiresAt: number, nbf: number | undefined, use: string) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (row.revoked_at !== null) {
      yield* transact(Signals.raiseRevokedUse(row.jti, use))
      return yield* refuse("PASSPORT_REVOKED", `passport ${row.jti} was revoked`)
    }
    if (now >= expiresAt) return yield* refuse("PASSPORT_EXPIRED", `passport ${row.jti} expired`)
    if (nbf !== undefined && nbf * 1000 > now) return yield* refuse("UNAUTHORIZED", `passport ${row.jti} is not valid yet`)
    yield* limitsOf(row, now).pipe(
      Effect.catchIf((failure) => failure._tag === "StackFailure" && failure.code === "MISSION_NOT_ACTIVE", () =>
        refuse("PASSPORT_EXPIRED", `passport ${row.jti}'s mission ${row.mission_id} has ended`))
    )
  })

/**
 * The live passport a `jti` presented for use names (a drop-off deposit's
 * `passport_jti`), checked as `presentedForUse` checks a token: `UNAUTHORIZED`
 * when it is not one of the operator's (an agent caller's own),
 * `PASSPORT_REVOKED`, `PASSPORT_EXPIRED`.
 */
export const jtiPresentedForUse = (actor: Actor, jti: string, use: string) =>
  Effect.gen(function*() {
    const row = yield* Store.byJti(jti)
    if (row === undefined || row.operator_id !== actor.operatorId || !Policy.actsFor(actor, row.agent_id)) {
      return yield* refuse("UNAUTHORIZED", `passport ${excerpt(jti)} is not one of the caller's`)
    }
    yield* usable(row, row.expires_at, undefined, use)
    return row
  })

/**
 * The passport a token presented by the caller stands for: `UNAUTHORIZED`
 * when the token does not verify (form, key, signature, issuer), `NOT_FOUND`
 * when it is not one of the operator's passports. Expiry is the caller's to
 * judge.
 */
const presented = (actor: Actor, token: string, field: "token" | "parent_token") =>
  Effect.gen(function*() {
    const inspection = yield* inspect(token)
    // a bad token in the body is a bad request, not bad credentials: the caller's own key is fine
    if (!inspection.ok) {
      return yield* refuse("INVALID_REQUEST", `${field} is not a valid passport: ${inspection.message}`, {
        fields: { [field]: `not a valid passport (${inspection.reason})` }
      })
    }
    const { claims, row } = inspection
    if (row === undefined || row.operator_id !== actor.operatorId) return yield* notFound("passport", claims.jti)
    return { claims, row }
  })

// ---------------------------------------------------------------------------
// issue

const checkAgentMayHold = (agent: AgentsStore.AgentRow) =>
  agent.status !== "active"
    ? refuse("AGENT_SUSPENDED", `agent ${agent.id} is suspended`)
    : agent.passport_blocked === 1
    ? refuse("PASSPORT_BLOCKED", `agent ${agent.id} is blocked from new passports until it is unblocked`)
    : Effect.void

type ServiceClaim = StackClaims["services"][number]

/** The connection a claimed service stands for: `credential_ref` (an older passport's `service_id`). */
const connectionOf = (service: ServiceClaim): string => service.credential_ref ?? service.service_id

/** A service claim for a grant: the provider, its name, the scopes, and the connection as `credential_ref`. */
const claimOf = (provider: string, scopes: ReadonlyArray<string>, connectionId: string): ServiceClaim => ({
  service_id: provider,
  service_name: Catalog.entry(provider)?.name ?? provider,
  scopes: [...scopes],
  credential_ref: connectionId
})

/**
 * The services a new passport claims: each requested connection must be
 * granted to the agent and active, with scopes within the grant's (`*`
 * allows any); left out, every active grant of the agent, whole.
 */
const servicesFor = (agentId: string, requested: ReadonlyArray<ScopeGrant> | undefined) =>
  Effect.gen(function*() {
    const grants = (yield* ServicesStore.grantsOfAgent(agentId)).filter((grant) => grant.status === "active")
    if (requested === undefined) {
      return grants.map((grant) => claimOf(grant.provider, JSON.parse(grant.scopes) as Array<string>, grant.connection_id))
    }
    const claims: Array<ServiceClaim> = []
    for (const wanted of requested) {
      const grant = grants.find((grant) => grant.connection_id === wanted.service_connection_id)
      if (grant === undefined) {
        return yield* refuse(
          "SCOPE_ESCALATION",
          `agent ${agentId} holds no grant on an active connection ${excerpt(wanted.service_connection_id)}`
        )
      }
      const extra = ServicesStore.beyond(JSON.parse(grant.scopes) as Array<string>, wanted.scopes)
      if (extra.length > 0) {
        return yield* refuse(
          "SCOPE_ESCALATION",
          `agent ${agentId}'s grant on ${grant.connection_id} does not include ${listExcerpt(extra)}`
        )
      }
      claims.push(claimOf(grant.provider, wanted.scopes, grant.connection_id))
    }
    return claims
  })

/** A live mission of the operator that `agentId` may hold a passport for. */
const missionFor = (actor: Actor, missionId: string, agentId: string, now: number) =>
  Effect.gen(function*() {
    const mission = yield* MissionsStore.byId(missionId)
    if (mission === undefined || mission.operator_id !== actor.operatorId) return yield* notFound("mission", missionId)
    if (!MissionsStore.isLive(mission, now)) {
      return yield* refuse("MISSION_NOT_ACTIVE", `mission ${missionId} is not active`)
    }
    if (mission.agent_id !== null && mission.agent_id !== agentId) {
      return yield* refuse("FORBIDDEN", `mission ${missionId} is assigned to another agent`)
    }
    return mission
  })

const needsIntent = (mode: AccountabilityMode) => mode !== "standard"

/** TTL after the accountability rules: enforced passports live one checkpoint interval at most. */
const ttlFor = (mode: AccountabilityMode, requested: number | undefined, interval: number | null) => {
  const ttl = requested ?? PassportTtl.default
  return mode === "enforced" && interval !== null ? Math.min(ttl, interval) : ttl
}

/**
 * Issues a passport without auditing it: the shared core of `issue` and of
 * the missions that issue passports. A passport bound to a mission takes the
 * mission's intent when the request has none, and never outlives it.
 */
export const issueFor = (actor: Actor, request: IssuePassportRequest) =>
  Effect.gen(function*() {
    yield* Policy.requireSelf(actor, request.agent_id, "issue passports")
    const agent = yield* Agents.operatorRow(actor.operatorId, request.agent_id)
    yield* checkAgentMayHold(agent)
    const identity = yield* Identity.passportClaims(actor.operatorId, request.identity_claim_ids)
    const now = yield* Clock.currentTimeMillis
    const mission = request.mission_ids?.[0] === undefined ? undefined : yield* missionFor(actor, request.mission_ids[0], agent.id, now)
    const intent: Intent | undefined = request.intent ??
      (mission === undefined
        ? undefined
        : { summary: mission.intent_summary, services: JSON.parse(mission.intent_services) as Array<string> })
    const mode = agent.accountability_mode
    if (needsIntent(mode) && intent === undefined) {
      return yield* refuse("ACCOUNTABILITY_REQUIRED", `agent ${agent.id} is ${mode}: send an intent with its passports`)
    }
    const interval = needsIntent(mode) ? request.checkpoint_interval_seconds ?? CheckpointInterval.default : null
    const stk: StackClaims = {
      operator_id: actor.operatorId,
      agent_id: agent.id,
      agent_name: agent.name,
      services: yield* servicesFor(agent.id, request.scopes),
      identity_claims: identity,
      delegation_depth: 0,
      session_id: newId("ses"),
      accountability: mode,
      intent_summary: intent?.summary ?? null,
      intent_services: [...(intent?.services ?? [])],
      checkpoint_interval: interval,
      mission_id: mission?.id ?? null,
      parent_jti: null
    }
    return yield* mint(actor, {
      agentId: agent.id,
      stk,
      jti: newId("pp"),
      ttlSeconds: ttlFor(mode, request.ttl_seconds, interval),
      notAfter: mission === undefined ? Number.POSITIVE_INFINITY : seconds(mission.expires_at)
    })
  })

/** The audit entry of a passport issued as part of another action. */
export const issueEntry = (issued: Issued): EntrySpec => ({
  action: "passport.issue",
  layer: "vault",
  agentId: issued.agentId,
  passportJti: issued.jti
})

/**
 * Issues a passport for one of the operator's agents. Missed checkpoints of
 * the agent's passports are signalled first, in their own transaction: a
 * signal that blocks the agent refuses this passport and stays.
 */
export const issue = (actor: Actor, request: IssuePassportRequest) =>
  Effect.zipRight(
    transact(Signals.raiseSilences(actor.operatorId, request.agent_id)),
    audited(
    actor,
    {
      action: "passport.issue",
      layer: "vault",
      agentId: (r) => r.agentId,
      agentIdOnFailure: request.agent_id,
      passportJti: (r) => r.jti
    },
    issueFor(actor, request)
  )).pipe(Effect.map((r) => r.passport))

// ---------------------------------------------------------------------------
// delegation and refresh

/** The child's grants: each must be one of the parent's connections, with a subset of its scopes (`*` allows any). */
const narrowed = (parent: StackClaims, requested: ReadonlyArray<ScopeGrant> | undefined) =>
  Effect.gen(function*() {
    if (requested === undefined) return parent.services
    const claims: Array<ServiceClaim> = []
    for (const grant of requested) {
      const granted = parent.services.filter((service) => connectionOf(service) === grant.service_connection_id)
      if (granted.length === 0) {
        return yield* refuse("SCOPE_ESCALATION", `the parent passport has no grant on ${excerpt(grant.service_connection_id)}`)
      }
      const extra = ServicesStore.beyond(granted.flatMap((service) => service.scopes), grant.scopes)
      if (extra.length > 0) {
        return yield* refuse(
          "SCOPE_ESCALATION",
          `the parent passport does not grant ${listExcerpt(extra)} on ${excerpt(grant.service_connection_id)}`
        )
      }
      claims.push({ ...granted[0]!, scopes: [...grant.scopes] })
    }
    return claims
  })

/**
 * Delegates a live passport to another of the operator's agents: only
 * narrower scopes, at most `MAX_DELEGATION_DEPTH` hops, never to an agent of
 * a lower accountability mode, never outliving the parent. The child keeps
 * the parent's session, intent, mission and identity claims (those still
 * active).
 */
export const delegate = (actor: Actor, request: DelegateRequest) =>
  audited(
    actor,
    {
      action: "passport.delegate",
      layer: "vault",
      agentId: (r) => r.agentId,
      agentIdOnFailure: request.child_agent_id,
      passportJti: (r) => r.jti
    },
    Effect.gen(function*() {
      const { claims, row: parent } = yield* presented(actor, revealToken(request.parent_token), "parent_token")
      if (!Policy.actsFor(actor, parent.agent_id)) {
        return yield* refuse("FORBIDDEN", "an agent may delegate only its own passports")
      }
      const now = yield* Clock.currentTimeMillis
      if (parent.revoked_at !== null) return yield* refuse("PASSPORT_REVOKED", `passport ${parent.jti} was revoked`)
      if (now >= effectiveExpiry(claims, parent)) return yield* refuse("PASSPORT_EXPIRED", `passport ${parent.jti} expired`)
      if (claims.nbf !== undefined && claims.nbf * 1000 > now) {
        return yield* refuse("UNAUTHORIZED", `passport ${parent.jti} is not valid yet`)
      }
      const depth = parent.delegation_depth + 1
      if (depth > MAX_DELEGATION_DEPTH) {
        return yield* refuse(
          "DELEGATION_DEPTH_EXCEEDED",
          `a delegation chain may have at most ${MAX_DELEGATION_DEPTH} hops; this would be hop ${depth}`
        )
      }
      const child = yield* Agents.operatorRow(actor.operatorId, request.child_agent_id)
      yield* checkAgentMayHold(child)
      const parentStk = Store.stkOf(parent)
      const mode = child.accountability_mode
      if (MODE_RANK[mode] < MODE_RANK[parentStk.accountability]) {
        return yield* refuse(
          "DELEGATION_ACCOUNTABILITY_VIOLATION",
          `a ${parentStk.accountability} passport cannot be delegated to a ${mode} agent`
        )
      }
      const services = yield* narrowed(parentStk, request.scopes)
      if (needsIntent(mode) && parentStk.intent_summary === null) {
        return yield* refuse("ACCOUNTABILITY_REQUIRED", `agent ${child.id} is ${mode}, and the parent passport has no intent`)
      }
      const interval = needsIntent(mode) ? parentStk.checkpoint_interval ?? CheckpointInterval.default : null
      const notAfter = Math.min(yield* limitsOf(parent, now), seconds(parent.expires_at))
      const stk: StackClaims = {
        ...parentStk,
        identity_claims: yield* Identity.stillActive(actor.operatorId, parentStk.identity_claims, now),
        agent_id: child.id,
        agent_name: child.name,
        services,
        delegation_depth: depth,
        accountability: mode,
        checkpoint_interval: interval,
        parent_jti: parent.jti
      }
      return yield* mint(actor, {
        agentId: child.id,
        stk,
        jti: newId("pp"),
        ttlSeconds: ttlFor(mode, request.ttl_seconds, interval),
        notAfter
      })
    })
  ).pipe(Effect.map((r) => r.passport))

/**
 * Re-signs a passport that is live or expired less than
 * `REFRESH_GRACE_SECONDS` ago: same jti, session, claims and delegation
 * chain, new `iat`/`exp`, but only the identity claims still active (not
 * revoked, not expired now). The agent must still be allowed passports; a
 * delegated passport never outlives its parent's current expiry, nor a
 * mission-bound one its mission. As at issue, a claim's own `expires_at`
 * does not shorten the passport: the token carries it for verifiers.
 */
export const refresh = (actor: Actor, request: RefreshRequest) =>
  audited(
    actor,
    { action: "passport.refresh", layer: "vault", agentId: (r) => r.agentId, passportJti: (r) => r.jti },
    Effect.gen(function*() {
      const { row } = yield* presented(actor, revealToken(request.token), "token")
      if (!Policy.actsFor(actor, row.agent_id)) {
        return yield* refuse("FORBIDDEN", "an agent may refresh only its own passports")
      }
      if (row.revoked_at !== null) return yield* refuse("PASSPORT_REVOKED", `passport ${row.jti} was revoked`)
      const now = yield* Clock.currentTimeMillis
      if (now >= row.expires_at + REFRESH_GRACE_SECONDS * 1000) {
        return yield* refuse(
          "PASSPORT_EXPIRED",
          `passport ${row.jti} expired more than ${REFRESH_GRACE_SECONDS / 3600} hours ago: issue a new one`
        )
      }
      yield* checkAgentMayHold(yield* Agents.operatorRow(actor.operatorId, row.agent_id))
      const notAfter = yield* limitsOf(row, now)
      const exp = Math.min(seconds(now) + ttlFor(row.accountability, request.ttl_seconds, row.checkpoint_interval), notAfter)
      if (exp <= seconds(now)) return yield* refuse("PASSPORT_EXPIRED", `passport ${row.jti} cannot outlive its parent`)
      return yield* resign(row, exp, { refreshed: true, stk: yield* currentClaims(row, now) })
    })
  ).pipe(Effect.map((r) => r.passport))

// ---------------------------------------------------------------------------
// revocation and listing

/** Revokes every passport bound to a mission, with their descendants. */
export const revokeBound = (operatorId: string, missionId: string, reason: string) =>
  Effect.flatMap(Store.unrevoked({ operatorId, missionId }), (targets) => Revocation.revoke(operatorId, targets, reason))

/**
 * Revokes a passport and, by cascade, every passport delegated from it.
 * `revoked` says whether this call revoked it (false when it already was).
 */
export const revoke = (actor: Actor, request: RevokeRequest) =>
  audited(
    actor,
    {
      action: "passport.revoke",
      layer: "vault",
      agentId: (r) => r.agentId,
      passportJti: (r) => r.jti,
      followUps: (r) => Revocation.auditEntries(r.revocation, { includeDirect: false })
    },
    Effect.gen(function*() {
      const row = yield* ownPassport(actor, request.jti)
      const revocation = yield* Revocation.revoke(actor.operatorId, [row], request.reason ?? null)
      return {
        agentId: row.agent_id,
        jti: row.jti,
        revocation,
        result: new RevokedPassport({
          jti: row.jti,
          revoked: revocation.direct.length > 0,
          cascaded: revocation.cascaded.map((r) => r.jti)
        }, { disableValidation: true })
      }
    })
  ).pipe(Effect.map((r) => r.result))

const bulk = (revocation: Revocation.Revocation) =>
  new BulkRevocation({
    revoked_count: revocation.direct.length,
    cascaded_count: revocation.cascaded.length,
    jtis: Revocation.revokedJtis(revocation)
  }, { disableValidation: true })

/** Revokes every passport of an agent not yet revoked (expired ones too, so they cannot be refreshed), with their descendants. */
export const revokeAgent = (actor: Actor, request: RevokeAgentRequest) =>
  audited(
    actor,
    {
      action: "passport.revoke_agent",
      layer: "vault",
      agentId: () => request.agent_id,
      agentIdOnFailure: request.agent_id,
      followUps: (r) => Revocation.auditEntries(r, { includeDirect: true })
    },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "revoke passports in bulk")
      yield* Agents.operatorRow(actor.operatorId, request.agent_id)
      const targets = yield* Store.unrevoked({ operatorId: actor.operatorId, agentId: request.agent_id })
      return yield* Revocation.revoke(actor.operatorId, targets, request.reason ?? null)
    })
  ).pipe(Effect.map(bulk))

/** Revokes every passport of the operator not yet revoked. */
export const revokeAll = (actor: Actor, request: RevokeAllRequest) =>
  audited(
    actor,
    {
      action: "passport.revoke_all",
      layer: "vault",
      agentId: () => null,
      followUps: (r) => Revocation.auditEntries(r, { includeDirect: true })
    },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "revoke passports in bulk")
      const targets = yield* Store.unrevoked({ operatorId: actor.operatorId })
      return yield* Revocation.revoke(actor.operatorId, targets, request.reason ?? null)
    })
  ).pipe(Effect.map(bulk))

const toSummary = (row: Store.PassportRow) =>
  new PassportSummary({
    jti: row.jti,
    agent_id: row.agent_id,
    session_id: row.session_id,
    parent_jti: row.parent_jti,
    mission_id: row.mission_id,
    delegation_depth: row.delegation_depth,
    accountability: row.accountability,
    issued_at: DateTime.unsafeMake(row.issued_at),
    expires_at: DateTime.unsafeMake(row.expires_at)
  }, { disableValidation: true })

/**
 * The operator's live passports (not revoked, not expired), newest first,
 * optionally of one agent or session. An agent caller lists only its own.
 */
export const listActive = (
  actor: Actor,
  query: ActiveQuery
): Effect.Effect<ActivePassports, StackFailure | SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    if (query.agent_id !== undefined) yield* Policy.requireSelf(actor, query.agent_id, "list passports")
    const agentId = query.agent_id ?? actor.agentId ?? undefined
    const now = yield* Clock.currentTimeMillis
    const rows = yield* Store.live({ operatorId: actor.operatorId, now, agentId, sessionId: query.session_id })
    return new ActivePassports({ passports: rows.map(toSummary) }, { disableValidation: true })
  })
