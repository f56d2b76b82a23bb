import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import { AgentJwt, AgentsEndpoints } from "../api/Agents.js"
import { AuthenticationError } from "../StackError.js"
import type { AgentKeyStore, StoredAgentKey } from "./agentKeyStore.js"
import { base64url, signEd25519, signJwt } from "./jose.js"
import type { Service as StackClientService } from "./service.js"
import type { TokenError, TokenSource } from "./tokens.js"

const utf8 = new TextEncoder()

const importPrivate = (key: StoredAgentKey["private_key"]) =>
  Effect.promise(() => crypto.subtle.importKey("jwk", key, { name: "Ed25519" }, false, ["sign"]))

/**
 * The token source of an agent: the agent's Ed25519 key (enrolled with the
 * operator's credentials the first time, then read from the store) signs a
 * fresh 60-second JWT for every request.
 */
export const tokenSource = (options: {
  readonly agentId: string
  readonly store: AgentKeyStore
  /** A client authenticated as the operator, for enrollment; without one, the key must be in the store. */
  readonly operator: StackClientService | undefined
}): Effect.Effect<TokenSource> =>
  Effect.gen(function*() {
    const { agentId, store, operator } = options
    const loaded = yield* Ref.make(Option.none<CryptoKey>())
    const lock = yield* Effect.makeSemaphore(1)
    const keyError = (code: string, message: string, details?: unknown) =>
      new AuthenticationError({ status: 401, code, message, details, method: "POST", url: store.describe(agentId) })

    const enroll = Effect.gen(function*() {
      if (operator === undefined) {
        return yield* Effect.fail(
          keyError("AGENT_ENROLLMENT_FAILED", `no key for ${agentId} in ${store.describe(agentId)}, and no operator credentials to enroll one`)
        )
      }
      const pair = yield* Effect.promise(() =>
        crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as Promise<CryptoKeyPair>
      )
      const jwk = yield* Effect.promise(() => crypto.subtle.exportKey("jwk", pair.privateKey))
      if (jwk.x === undefined || jwk.d === undefined) return yield* Effect.dieMessage("Ed25519 key export without x or d")
      const challenge = yield* operator.call(AgentsEndpoints.enrollmentChallenge, { path: { id: agentId } })
      const signature = yield* signEd25519(pair.privateKey, utf8.encode(challenge.challenge))
      const enrolled = yield* operator.call(AgentsEndpoints.enroll, {
        path: { id: agentId },
        payload: {
          public_key: { kty: "OKP", crv: "Ed25519", x: jwk.x },
          challenge_id: challenge.challenge_id,
          signed_challenge: base64url(signature)
        }
      })
      yield* store.save({
        agent_id: agentId,
        ...(enrolled.key_id === undefined ? {} : { key_id: enrolled.key_id }),
        private_key: { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d },
        enrolled_at: new Date(yield* Clock.currentTimeMillis).toISOString()
      })
      return pair.privateKey
    })

    const key: Effect.Effect<CryptoKey, TokenError> = lock.withPermits(1)(Effect.gen(function*() {
      const cached = yield* Ref.get(loaded)
      if (Option.isSome(cached)) return cached.value
      const stored = yield* store.load(agentId)
      const privateKey = Option.isSome(stored) ? yield* importPrivate(stored.value.private_key) : yield* enroll
      yield* Ref.set(loaded, Option.some(privateKey))
      return privateKey
    })).pipe(
      Effect.catchAll((error): Effect.Effect<never, TokenError> => {
        switch (error._tag) {
          case "ConnectionError":
          case "TimeoutError":
            return Effect.fail(error)
          case "CredentialsFileError":
            return Effect.fail(keyError("AGENT_KEY_UNAVAILABLE", error.message))
          default:
            // the server's own answer stays readable in details
            return Effect.fail(
              keyError("AGENT_ENROLLMENT_FAILED", `enrolling a key for ${agentId} failed: ${error._tag}: ${error.message}`, {
                cause: { tag: error._tag, ...("code" in error ? { code: error.code, status: error.status } : {}) }
              })
            )
        }
      })
    )

    return {
      token: Effect.gen(function*() {
        const privateKey = yield* key
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const jwt = yield* signJwt(privateKey, { typ: "JWT" }, {
          iss: AgentJwt.issuer,
          sub: agentId,
          aud: AgentJwt.audience,
          iat: now,
          nbf: now,
          exp: now + AgentJwt.lifetimeSeconds,
          jti: crypto.randomUUID()
        })
        return Redacted.make(jwt)
      }),
      // each attempt signs a fresh JWT already: a 401 is not cured by another one
      invalidate: () => Effect.succeed(false)
    }
  })
