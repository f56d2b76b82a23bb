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
import * as Proxy from "./Proxy.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.PassportsEndpoints
type P = typeof Api.PublicPassportsEndpoints

/**
 * A passport token, as issued (`Redacted`) or as a plain string.
 *
 * @since 0.1.0
 * @category models
 */
export type Token = Redacted.Redacted<string> | string


/**
 * A passport that does not verify, and why.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPassportError extends Schema.TaggedError<InvalidPassportError>()("InvalidPassportError", {
  reason: Api.OfflineReason,
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
 * A reason offline verification gives: it checks the token itself, and with
 * `checkRevocation` asks STACK whether it was revoked.
 *
 * @since 0.1.0
 * @category models
 */
export type OfflineInvalidReason = typeof Api.OfflineReason.Type

/**
 * The passports endpoints as methods, each with the endpoint's name (path
 * parameters first, then one object of the wire fields); tokens are accepted
 * as strings or `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E>, Methods<P> {
  /**
   * Checks signature, `exp`/`nbf` and issuer against STACK's JWKS (fetched
   * once, refetched when a token names an unknown key) and returns the claims.
   */
  readonly verifyOffline: (
    token: Token,
    options?: VerifyOfflineOptions
  ) => Effect.Effect<Api.PassportClaims, InvalidPassportError | ErrorsOf<P["jwks"]> | ErrorsOf<P["verify"]>>
  /**
   * A passport for the length of a `Scope`: actions are logged with
   * `handle.log`, checkpoints go out every interval from a background fiber
   * (and non-enforced passports are refreshed before they expire), and when the
   * scope closes — after success, failure or interruption — the passport is
   * checked out, then revoked.
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

const offlineReasons: ReadonlySet<string> = new Set(InvalidPassportError.fields.reason.literals)

interface PublicKey {
  readonly kid: string | undefined
  readonly key: CryptoKey
}

/** The key a token names; a token without a kid is checked against the only key, when STACK publishes exactly one. */
const pick = (keys: ReadonlyArray<PublicKey>, kid: string | undefined): CryptoKey | undefined =>
  kid !== undefined
    ? keys.find((key) => key.kid === kid)?.key ?? (keys.length === 1 && keys[0]!.kid === undefined ? keys[0]!.key : undefined)
    : keys.length === 1
    ? keys[0]!.key
    : undefined

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
  const calls = methods(client, Api.PassportsEndpoints)
  const publicCalls = methods(client, Api.PublicPassportsEndpoints)

  // The JWKS, fetched once and again when a token names an unknown key — at
  // most once per REFETCH_INTERVAL_MS, so forged kids cannot flood STACK.
  const keys = yield* SynchronizedRef.make<{ readonly keys: ReadonlyArray<PublicKey>; readonly fetchedAt: number | undefined }>({
    keys: [],
    fetchedAt: undefined
  })
  const keyFor = (kid: string | undefined) =>
    SynchronizedRef.modifyEffect(keys, (state) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const age = state.fetchedAt === undefined ? Number.POSITIVE_INFINITY : now - state.fetchedAt
        const cached = age < JWKS_MAX_AGE_MS ? pick(state.keys, kid) : undefined
        if (cached !== undefined || age < REFETCH_INTERVAL_MS) {
          return [Option.fromNullable(cached), state] as const
        }
        const set = yield* publicCalls.jwks()
        const fetched: Array<PublicKey> = []
        for (const jwk of set.keys) {
          const key = yield* importEd25519PublicKey(jwk.x)
          if (Option.isSome(key)) fetched.push({ kid: jwk.kid, key: key.value })
        }
        return [Option.fromNullable(pick(fetched, kid)), { keys: fetched, fetchedAt: now }] as const
      }))

  const invalid = (reason: OfflineInvalidReason, message: string) => Effect.fail(new InvalidPassportError({ reason, message }))

  const verifyOffline: Service["verifyOffline"] = (token, options = {}) =>
    Effect.gen(function*() {
      const decoded = decodeJwt(Api.revealToken(token))
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
        const online = yield* publicCalls.verify({ token })
        if (!online.valid) {
          const reason = online.reason !== undefined && offlineReasons.has(online.reason)
            ? online.reason as OfflineInvalidReason
            : "revoked"
          return yield* invalid(reason, online.message ?? `STACK does not accept the passport (${online.reason ?? "no reason given"})`)
        }
      }
      return claims.value
    })

  return {
    ...calls,
    ...publicCalls,
    verifyOffline,
    mission: (options) => MissionScope.passportMission({ ...calls, ...publicCalls, proxy: Proxy.requester(client) }, options)
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Passports, never, StackClient> = Layer.effect(Passports, make)
