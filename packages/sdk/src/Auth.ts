/**
 * How the SDK authenticates: an API key, a session JWT, or OAuth with
 * refresh. Secrets are `Redacted` and unwrapped only where the header is set.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { AgentKeyStore } from "./internal/agentKeyStore.js"

/**
 * The tokens an OAuth refresh produced, handed to `onRefresh` so they can be
 * stored (STACK rotates refresh tokens on use: the old one stops working).
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshedTokens {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
  /** Epoch milliseconds, when the server said. */
  readonly expiresAt: number | undefined
}

/**
 * OAuth client credentials and tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface OAuthOptions {
  readonly clientId: string
  readonly clientSecret?: Redacted.Redacted<string> | string | undefined
  readonly accessToken?: Redacted.Redacted<string> | string | undefined
  readonly refreshToken: Redacted.Redacted<string> | string
  /** Epoch milliseconds at which `accessToken` expires. Read from the token itself when it is a JWT. */
  readonly expiresAt?: number | undefined
  /** Token endpoint; defaults to the base URL plus `/v1/oauth/token`. */
  readonly tokenUrl?: string | undefined
  /** Called after every successful refresh, e.g. to persist the rotated refresh token. */
  readonly onRefresh?: ((tokens: RefreshedTokens) => Effect.Effect<void>) | undefined
}

/**
 * An operator API key.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiKeyAuth {
  readonly _tag: "ApiKey"
  readonly apiKey: Redacted.Redacted<string>
}

/**
 * A dashboard session JWT.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionAuth {
  readonly _tag: "Session"
  readonly token: Redacted.Redacted<string>
}

/**
 * OAuth with refresh.
 *
 * @since 0.1.0
 * @category models
 */
export interface OAuthAuth {
  readonly _tag: "OAuth"
  readonly options: OAuthOptions
}

/**
 * An agent's own key.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentKeyAuth {
  readonly _tag: "AgentKey"
  readonly agentId: string
  /** The operator's credentials, used once, to enroll the agent's key; not needed once the key is stored. */
  readonly operator: Auth | undefined
  readonly store: AgentKeyStore
}

/**
 * An authentication strategy.
 *
 * @since 0.1.0
 * @category models
 */
export type Auth = ApiKeyAuth | SessionAuth | OAuthAuth | AgentKeyAuth

const redact = (value: Redacted.Redacted<string> | string): Redacted.Redacted<string> =>
  Redacted.isRedacted(value) ? value : Redacted.make(value)

/**
 * An operator API key (`sk_live_…`, or the emulator's `sk_test_…`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const apiKey = (key: Redacted.Redacted<string> | string): ApiKeyAuth => ({ _tag: "ApiKey", apiKey: redact(key) })

/**
 * A dashboard session JWT (`eyJ…`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const session = (token: Redacted.Redacted<string> | string): SessionAuth => ({ _tag: "Session", token: redact(token) })

/**
 * OAuth: the access token is refreshed when it expires and after a 401, once
 * for all concurrent callers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const oauth = (options: OAuthOptions): OAuthAuth => ({ _tag: "OAuth", options })

/**
 * Acting as an agent: the agent's own Ed25519 key (generated and enrolled with
 * the operator's credentials on first use, then kept in `store`) signs a
 * 60-second JWT for every request. `Stack.asAgent` sets this up with keys in
 * `~/.stack/agents`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const agentKey = (options: {
  readonly agentId: string
  readonly operator?: Auth | undefined
  readonly store: AgentKeyStore
}): AgentKeyAuth => ({ _tag: "AgentKey", agentId: options.agentId, operator: options.operator, store: options.store })

/**
 * Where agent keys are kept (for `agentKey`), and the layout of a stored key.
 *
 * @since 0.1.0
 * @category models
 */
export type { AgentKeyStore, StoredAgentKey } from "./internal/agentKeyStore.js"

/**
 * A key store in a directory, one `<agent_id>.json` per agent, mode 0600 —
 * what `Stack.asAgent` uses with `~/.stack/agents`.
 *
 * @since 0.1.0
 * @category constructors
 */
export { fileStore as agentKeyFileStore } from "./internal/agentKeyStore.js"

/**
 * @since 0.1.0
 * @category internal
 */
export const toRedacted = redact
