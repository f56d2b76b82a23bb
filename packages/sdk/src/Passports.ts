/**
 * The passports service: short-lived, scoped, Ed25519-signed passports —
 * issue, verify (online and offline), revoke with cascade, delegate, refresh,
 * checkpoint, checkout — and the mission as a scoped resource.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Clock from "effect/Clock"
import * as Api from "./api/Passports.js"
import { decodeJwt, importEd25519PublicKey, verifyEd25519 } from "./internal/jose.js"
import * as MissionScope from "./internal/mission.js"
import { type CallOptions, type ErrorsOf, StackClient } from "./StackClient.js"

type E = typeof Api.PassportsEndpoints
type P = typeof Api.PublicPassportsEndpoints

/**
 * A passport token, as issued (`Redacted`) or as a plain string.
 *
 * @since 0.1.0
 * @category models
 */
export type Token = Redacted.Redacted<string> | string

const reveal = (token: Token): string => (Redacted.isRedacted(token) ? Redacted.value(token) : token)

/**
 * A passport that does not verify, and why.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPassportError extends Schema.TaggedError<InvalidPassportError>()("InvalidPassportError", {
  reason: Api.InvalidReason,
  message: Schema.String
}) {}

/**
 * Options of `verifyOffline`.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOfflineOptions {
  /** Also ask STACK whether the passport was revoked. */
  readonly checkRevocation?: boolean | undefined
  /** Accepted clock difference, in seconds. Default 0. */
  readonly leewaySeconds?: number | undefined
}

/**
 * Options of the scoped mission.
 *
 * @since 0.1.0
 * @category models
 */
export type MissionOptions = MissionScope.MissionOptions

/**
 * The handle of a scoped mission.
 *
 * @since 0.1.0
 * @category models
 */
export type MissionHandle = MissionScope.MissionHandle

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Issues a passport for an agent. `enforced` and `logged` agents need an `intent`. */
  readonly issue: (
    request: Api.IssuePassportRequest,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.IssuedPassport, ErrorsOf<E["issue"]>>
  /** Asks STACK whether a token is valid now (revocation included). */
  readonly verify: (
    token: Token,
    options?: { readonly serviceId?: string | undefined },
    callOptions?: CallOptions
  ) => Effect.Effect<Api.VerifyPassportResponse, ErrorsOf<P["verify"]>>
  /**
   * Checks signature, `exp`/`nbf` and issuer against STACK's JWKS (fetched
   * once, refetched when a token names an unknown key) and returns the claims.
   */
  readonly verifyOffline: (
    token: Token,
    options?: VerifyOfflineOptions
  ) => Effect.Effect<Api.PassportClaims, InvalidPassportError | ErrorsOf<P["jwks"]> | ErrorsOf<P["verify"]>>
  /** Revokes a passport and, breadth first, every passport delegated from it. */
  readonly revoke: (
    jti: string,
    reason?: string,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.RevokedPassport, ErrorsOf<E["revoke"]>>
  /** Revokes every live passport of an agent, with their descendants. */
  readonly revokeAgent: (
    agentId: string,
    reason?: string,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.BulkRevocation, ErrorsOf<E["revokeAgent"]>>
  /** Revokes every live passport of the operator. */
  readonly revokeAll: (reason?: string, callOptions?: CallOptions) => Effect.Effect<Api.BulkRevocation, ErrorsOf<E["revokeAll"]>>
  /** The live passports, optionally of one agent or session. */
  readonly listActive: (
    filter?: { readonly agent_id?: string | undefined; readonly session_id?: string | undefined },
    callOptions?: CallOptions
  ) => Effect.Effect<Api.ActivePassports, ErrorsOf<E["listActive"]>>
  /** A narrower passport for another agent, never outliving its parent. */
  readonly delegate: (
    request: Omit<typeof Api.DelegatePassportRequest.Type, "parent_token"> & { readonly parent_token: Token },
    callOptions?: CallOptions
  ) => Effect.Effect<Api.IssuedPassport, ErrorsOf<E["delegate"]>>
  /** A re-signed token for a valid passport, or one expired less than 24 h ago. */
  readonly refresh: (
    token: Token,
    ttlSeconds?: number,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.IssuedPassport, ErrorsOf<E["refresh"]>>
  /** Reports progress; in enforced mode it extends the passport (a new token comes back). */
  readonly checkpoint: (
    jti: string,
    report: Api.CheckpointRequest,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.CheckpointResult, ErrorsOf<E["checkpoint"]>>
  /** The terminal report; STACK files it as clean, flagged or blocked. */
  readonly checkout: (
    jti: string,
    report: Api.CheckoutRequest,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.CheckoutResult, ErrorsOf<E["checkout"]>>
  /** STACK's public signing keys. */
  readonly jwks: (callOptions?: CallOptions) => Effect.Effect<Api.Jwks, ErrorsOf<P["jwks"]>>
  /**
   * A passport for the length of a `Scope`: actions are logged with
   * `handle.log`, checkpoints go out every interval from a background fiber,
   * and when the scope closes — after success, failure or interruption — the
   * passport is checked out, then revoked.
   */
  readonly mission: (
    options: MissionOptions
  ) => Effect.Effect<MissionHandle, ErrorsOf<E["issue"]>, Scope.Scope>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Passports extends Context.Tag("@getstack/effect/Passports")<Passports, Service>() {}

const decodeClaims = Schema.decodeUnknownOption(Api.PassportClaims)

/**
 * The least time between two JWKS fetches caused by unknown key ids.
 *
 * @since 0.1.0
 * @category defaults
 */
export const REFETCH_INTERVAL_MS = 30_000

/**
 * How long a fetched JWKS is trusted before it is fetched again, so a key
 * STACK stops publishing stops verifying.
 *
 * @since 0.1.0
 * @category defaults
 */
export const JWKS_MAX_AGE_MS = 60 * 60 * 1000

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.gen(function*() {
  const client = yield* StackClient
  const endpoints = Api.PassportsEndpoints
  const publicEndpoints = Api.PublicPassportsEndpoints

  const jwks: Service["jwks"] = (callOptions) => client.call(publicEndpoints.jwks, {}, callOptions)

  // The JWKS, fetched once and again when a token names an unknown key — at
  // most once per REFETCH_INTERVAL_MS, so forged kids cannot flood STACK.
  const keys = yield* SynchronizedRef.make<{ readonly byKid: ReadonlyMap<string, CryptoKey>; readonly fetchedAt: number | undefined }>({
    byKid: new Map(),
    fetchedAt: undefined
  })
  // A token without a kid is checked against the only key, when STACK publishes exactly one.
  const pick = (byKid: ReadonlyMap<string, CryptoKey>, kid: string | undefined) =>
    kid !== undefined ? byKid.get(kid) : byKid.size === 1 ? [...byKid.values()][0] : undefined
  const keyFor = (kid: string | undefined) =>
    SynchronizedRef.modifyEffect(keys, (state) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const age = state.fetchedAt === undefined ? Number.POSITIVE_INFINITY : now - state.fetchedAt
        const cached = age < JWKS_MAX_AGE_MS ? pick(state.byKid, kid) : undefined
        if (cached !== undefined || age < REFETCH_INTERVAL_MS) {
          return [Option.fromNullable(cached), state] as const
        }
        const set = yield* jwks()
        const byKid = new Map<string, CryptoKey>()
        for (const jwk of set.keys) {
          const key = yield* importEd25519PublicKey(jwk.x)
          if (Option.isSome(key)) byKid.set(jwk.kid, key.value)
        }
        return [Option.fromNullable(pick(byKid, kid)), { byKid, fetchedAt: now }] as const
      }))

  const verify: Service["verify"] = (token, options = {}, callOptions) =>
    client.call(publicEndpoints.verify, { payload: { token: reveal(token), service_id: options.serviceId } }, callOptions)

  const invalid = (reason: Api.InvalidReason, message: string) => Effect.fail(new InvalidPassportError({ reason, message }))

  const verifyOffline: Service["verifyOffline"] = (token, options = {}) =>
    Effect.gen(function*() {
      const decoded = decodeJwt(reveal(token))
      if (Option.isNone(decoded)) return yield* invalid("malformed", "not a compact JWS")
      const { header, payload, signature, signingInput } = decoded.value
      // the same reasons STACK's own verify gives
      if (header.alg !== "EdDSA") return yield* invalid("invalid_signature", `the token is not signed EdDSA (${String(header.alg)})`)
      const kid = typeof header.kid === "string" ? header.kid : undefined
      const key = yield* keyFor(kid)
      if (Option.isNone(key)) {
        return yield* invalid("unknown_key", kid === undefined ? "the token names no key (kid)" : `no key ${kid} in STACK's JWKS`)
      }
      if (!(yield* verifyEd25519(key.value, signature, signingInput))) {
        return yield* invalid("invalid_signature", "the signature does not verify")
      }
      const claims = decodeClaims(payload)
      if (Option.isNone(claims)) return yield* invalid("malformed", "the claims are not a passport's")
      if (claims.value.iss !== Api.ISSUER) return yield* invalid("wrong_issuer", `issuer ${claims.value.iss}`)
      const now = (yield* Clock.currentTimeMillis) / 1000
      const leeway = options.leewaySeconds ?? 0
      if (claims.value.nbf !== undefined && claims.value.nbf > now + leeway) {
        return yield* invalid("not_yet_valid", "the passport is not valid yet (nbf)")
      }
      if (claims.value.exp <= now - leeway) return yield* invalid("expired", "the passport has expired")
      if (options.checkRevocation) {
        const online = yield* verify(token)
        if (!online.valid) return yield* invalid(online.reason, online.message)
      }
      return claims.value
    })

  const service: Omit<Service, "mission"> = {
    issue: (request, callOptions) => client.call(endpoints.issue, { payload: request }, callOptions),
    verify,
    verifyOffline,
    revoke: (jti, reason, callOptions) => client.call(endpoints.revoke, { payload: { jti, reason } }, callOptions),
    revokeAgent: (agentId, reason, callOptions) =>
      client.call(endpoints.revokeAgent, { payload: { agent_id: agentId, reason } }, callOptions),
    revokeAll: (reason, callOptions) => client.call(endpoints.revokeAll, { payload: { reason } }, callOptions),
    listActive: (filter = {}, callOptions) => client.call(endpoints.listActive, { urlParams: filter }, callOptions),
    delegate: (request, callOptions) =>
      client.call(endpoints.delegate, { payload: { ...request, parent_token: reveal(request.parent_token) } }, callOptions),
    refresh: (token, ttlSeconds, callOptions) =>
      client.call(endpoints.refresh, { payload: { token: reveal(token), ttl_seconds: ttlSeconds } }, callOptions),
    checkpoint: (jti, report, callOptions) =>
      client.call(endpoints.checkpoint, { path: { jti }, payload: report }, callOptions),
    checkout: (jti, report, callOptions) =>
      client.call(endpoints.checkout, { path: { jti }, payload: report }, callOptions),
    jwks
  }
  return { ...service, mission: (options) => MissionScope.make(service, options) }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Passports, never, StackClient> = Layer.effect(Passports, make)
