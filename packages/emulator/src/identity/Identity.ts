/**
 * Identity: the providers, verification sessions and the claims they leave.
 * Only the operator starts and completes verifications and revokes claims
 * (identity is its human's); agents may read the providers, sessions and
 * claims. A session lives 15 minutes: the provider approves or rejects it
 * (the emulator's stand-in for its callback:
 * `POST /_emulator/identity/sessions/{session_ref}/approve|reject`), then
 * `completeVerification` turns an approved session into one claim per
 * requested claim type, valid for the provider's period. A claim counts
 * until it expires or is revoked; passports bind the active ones
 * (`passportClaims`), a token signed again keeps those still active
 * (`stillActive`), and revoking a claim revokes the passports that carry it.
 * Nothing stored or audited is PII.
 */
import type { IdentityClaim } from "@getstack/effect/api/Passports"
import {
  ClaimList,
  CompletedVerification,
  type InitiateVerificationRequest,
  ProviderList,
  RevokedClaim,
  VerificationSession
} from "@getstack/effect/api/Identity"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { type Actor, audited } from "../core/Audit.js"
import { excerpt, listExcerpt, MAX_LIST_EXCERPT, notFound, refuse } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as Policy from "../core/Policy.js"
import * as Revocation from "../passports/Revocation.js"
import * as PassportsStore from "../passports/Store.js"
import * as Providers from "./Providers.js"
import * as Store from "./Store.js"

/** How long a verification session waits for its provider and completion. */
export const SESSION_TTL_MS = 15 * 60 * 1000

const DAY_MS = 24 * 60 * 60 * 1000

const providerList = new ProviderList({ providers: Providers.providers.map(Providers.toProvider) }, { disableValidation: true })

/** The providers. */
export const listProviders = Effect.succeed(providerList)

/** Starts a verification with a provider: a pending session, and the URL where the human verifies. */
export const initiate = (actor: Actor, request: InitiateVerificationRequest) =>
  audited(
    actor,
    { action: "identity.verification_start", agentId: () => null },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "start identity verifications")
      const provider = Providers.byKey(request.provider_key)
      if (provider === undefined) {
        return yield* refuse("INVALID_REQUEST", `${excerpt(request.provider_key)} is not an identity provider`, {
          fields: { provider_key: "not an identity provider (GET /v1/identity/providers lists them)" }
        })
      }
      const requested = [...new Set(request.requested_claims)]
      const unknown = requested.filter((type) => !(provider.claimTypes as ReadonlyArray<string>).includes(type))
      if (unknown.length > 0) {
        return yield* refuse("INVALID_REQUEST", `${provider.key} does not issue ${listExcerpt(unknown)}`, {
          fields: { requested_claims: `each one of ${provider.claimTypes.join(", ")}` }
        })
      }
      const now = yield* Clock.currentTimeMillis
      const row: Store.SessionRow = {
        session_ref: newId("ivs"),
        operator_id: actor.operatorId,
        provider_key: provider.key,
        requested_claims: JSON.stringify(requested),
        return_url: request.return_url ?? null,
        status: "pending",
        created_at: now,
        expires_at: now + SESSION_TTL_MS,
        decided_at: null,
        completed_at: null
      }
      yield* Store.insertSession(row)
      return new VerificationSession({
        session_ref: row.session_ref,
        url: Store.sessionPath(row.session_ref),
        expires_at: DateTime.unsafeMake(row.expires_at),
        status: "pending",
        provider_key: provider.key,
        requested_claims: requested
      }, { disableValidation: true })
    })
  )

/** One of the operator's sessions, or `NOT_FOUND`. */
const ownSession = (actor: Actor, sessionRef: string) =>
  Effect.flatMap(
    Store.session(actor.operatorId, sessionRef),
    (row) => row === undefined ? notFound("verification session", sessionRef) : Effect.succeed(row)
  )

/** Where a session stands. */
export const get = (actor: Actor, sessionRef: string) =>
  Effect.gen(function*() {
    const row = yield* ownSession(actor, sessionRef)
    return Store.toVerification(row, yield* Clock.currentTimeMillis)
  })

/**
 * The provider's decision on a pending session, as its callback brings it
 * (the emulator's stand-in: not part of STACK's contract).
 */
export const decide = (actor: Actor, sessionRef: string, decision: "approved" | "rejected") =>
  audited(
    actor,
    { action: decision === "approved" ? "identity.verification_approve" : "identity.verification_reject", agentId: () => null },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "decide identity verifications")
      const row = yield* ownSession(actor, sessionRef)
      const now = yield* Clock.currentTimeMillis
      const status = Store.statusOf(row, now)
      if (status !== "pending" || row.status !== "pending") {
        return yield* refuse("CONFLICT", `verification session ${row.session_ref} is ${row.status === "approved" && status === "pending" ? "already approved" : status}, not pending`)
      }
      const stored = decision === "approved" ? "approved" : "failed"
      yield* Store.decide(row.session_ref, stored, now)
      return Store.toVerification({ ...row, status: stored, decided_at: now }, now)
    })
  )

/**
 * Completes a session its provider approved: one claim per requested claim
 * type. Completing it again answers the same claims; a session still
 * pending, failed or expired is `CONFLICT`.
 */
export const complete = (actor: Actor, providerKey: string, sessionRef: string) =>
  audited(
    actor,
    { action: "identity.verification_complete", agentId: () => null },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "complete identity verifications")
      const row = yield* ownSession(actor, sessionRef)
      if (row.provider_key !== providerKey) return yield* notFound(`verification session of ${excerpt(providerKey)}`, sessionRef)
      const now = yield* Clock.currentTimeMillis
      if (row.status === "completed") {
        const claims = yield* Store.claimsOfSession(row.session_ref)
        return new CompletedVerification({
          session_ref: row.session_ref,
          status: "completed",
          claims: claims.map((claim) => Store.toClaim(claim, now))
        }, { disableValidation: true })
      }
      const status = Store.statusOf(row, now)
      if (status === "failed") return yield* refuse("CONFLICT", `the provider rejected verification session ${row.session_ref}`)
      if (status === "expired") return yield* refuse("CONFLICT", `verification session ${row.session_ref} expired`)
      if (row.status !== "approved") {
        return yield* refuse("CONFLICT", `the provider has not approved verification session ${row.session_ref} yet`)
      }
      const provider = Providers.byKey(row.provider_key)!
      const claims: Array<Store.ClaimRow> = (JSON.parse(row.requested_claims) as Array<Providers.ClaimType>).map((type) => ({
        id: newId("clm"),
        operator_id: actor.operatorId,
        session_ref: row.session_ref,
        provider_key: provider.key,
        layer: Providers.layerOf[type],
        claim_type: type,
        assurance_level: provider.assuranceLevel,
        verified_at: now,
        expires_at: now + provider.claimDays * DAY_MS,
        revoked_at: null
      }))
      for (const claim of claims) yield* Store.insertClaim(claim)
      yield* Store.complete(row.session_ref, now)
      return new CompletedVerification({
        session_ref: row.session_ref,
        status: "completed",
        claims: claims.map((claim) => Store.toClaim(claim, now))
      }, { disableValidation: true })
    })
  )

/** The operator's claims, each with its status (revoked and expired ones included). */
export const listClaims = (actor: Actor) =>
  Effect.gen(function*() {
    const rows = yield* Store.claims(actor.operatorId)
    const now = yield* Clock.currentTimeMillis
    return new ClaimList({ claims: rows.map((row) => Store.toClaim(row, now)) }, { disableValidation: true })
  })

/**
 * Revokes a claim and, in the same transaction, every passport of the
 * operator not yet revoked whose latest token carries it (STACK's
 * `bulk_claim` revocation), with their delegated descendants, as
 * `passports.revoke` revokes them: `revoke_reason` `identity_claim_revoked:
 * clm_…`, a `passport.revoked` event each, and one `passport.revoke` (or
 * `passport.revoke_cascade`) audit entry each after `identity.claim_revoke`.
 * Passports issued from then on no longer bind the claim. Revoking it again
 * answers the same claim, revoking any passport still carrying it (none,
 * unless stored before this rule).
 */
export const revokeClaim = (actor: Actor, claimId: string) =>
  audited(
    actor,
    {
      action: "identity.claim_revoke",
      agentId: () => null,
      followUps: (r) => Revocation.auditEntries(r.revocation, { includeDirect: true })
    },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "revoke identity claims")
      const row = yield* Store.claim(actor.operatorId, claimId)
      if (row === undefined) return yield* notFound("identity claim", claimId)
      const now = yield* Clock.currentTimeMillis
      if (row.revoked_at === null) yield* Store.revoke(row.id, now)
      const carrying = yield* PassportsStore.unrevokedCarrying(actor.operatorId, row.id)
      const revocation = yield* Revocation.revoke(actor.operatorId, carrying, `identity_claim_revoked: ${row.id}`)
      const claim = Store.toClaim({ ...row, revoked_at: row.revoked_at ?? now }, now)
      return {
        revocation,
        claim: new RevokedClaim({ ...claim, revoked_passports: Revocation.revokedJtis(revocation) }, { disableValidation: true })
      }
    })
  ).pipe(Effect.map((r) => r.claim))

const seconds = (millis: number) => Math.floor(millis / 1000)

/** A claim as a passport carries it in `stk.identity_claims`. */
const passportClaim = (row: Store.ClaimRow): typeof IdentityClaim.Type => ({
  claim_id: row.id,
  provider: row.provider_key,
  layer: row.layer,
  claim_type: row.claim_type,
  assurance_level: row.assurance_level,
  verified_at: seconds(row.verified_at),
  expires_at: row.expires_at === null ? null : seconds(row.expires_at)
})

/**
 * Of the identity claims a passport carries, those still active at `now`
 * (not revoked, not expired): what a token signed for it now carries.
 */
export const stillActive = (
  operatorId: string,
  carried: ReadonlyArray<typeof IdentityClaim.Type>,
  now: number
) =>
  Effect.map(Store.claimsByIds(operatorId, carried.map((claim) => claim.claim_id)), (rows) => {
    const active = new Set(rows.filter((row) => Store.claimStatusOf(row, now) === "active").map((row) => row.id))
    return carried.filter((claim) => active.has(claim.claim_id))
  })

/**
 * The identity claims a new passport binds: each id asked for must be an
 * active claim of the operator (unknown, revoked and expired ones are
 * refused); left out, every active claim of the operator.
 */
export const passportClaims = (operatorId: string, ids: ReadonlyArray<string> | undefined) =>
  Effect.gen(function*() {
    if (ids !== undefined && ids.length === 0) return []
    const now = yield* Clock.currentTimeMillis
    const rows = yield* Store.claims(operatorId)
    if (ids === undefined) return rows.filter((row) => Store.claimStatusOf(row, now) === "active").map(passportClaim)
    const wanted = [...new Set(ids)]
    const refused: Array<[string, string]> = []
    const bound: Array<typeof IdentityClaim.Type> = []
    for (const id of wanted) {
      const row = rows.find((row) => row.id === id)
      const status = row === undefined ? undefined : Store.claimStatusOf(row, now)
      if (row === undefined || status !== "active") {
        refused.push([id, status === undefined ? `unknown identity claim ${excerpt(id)}` : `identity claim ${excerpt(id)} is ${status}`])
      } else {
        bound.push(passportClaim(row))
      }
    }
    if (refused.length > 0) {
      return yield* refuse("INVALID_REQUEST", refused[0]![1], {
        fields: Object.fromEntries(
          refused.slice(0, MAX_LIST_EXCERPT).map(([id, reason]) => [`identity_claim_ids.${ids.indexOf(id)}`, reason])
        )
      })
    }
    return bound
  })
