/**
 * How the SDK authenticates: an API key, a session JWT, or OAuth with
 * refresh. Secrets are `Redacted` and unwrapped only where the header is set.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

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
 * An authentication strategy.
 *
 * @since 0.1.0
 * @category models
 */
export type Auth =
  | { readonly _tag: "ApiKey"; readonly apiKey: Redacted.Redacted<string> }
  | { readonly _tag: "Session"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "OAuth"; readonly options: OAuthOptions }

const redact = (value: Redacted.Redacted<string> | string): Redacted.Redacted<string> =>
  Redacted.isRedacted(value) ? value : Redacted.make(value)

/**
 * An operator API key (`sk_live_…`, or the emulator's `sk_test_…`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const apiKey = (key: Redacted.Redacted<string> | string): Auth => ({ _tag: "ApiKey", apiKey: redact(key) })

/**
 * A dashboard session JWT (`eyJ…`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const session = (token: Redacted.Redacted<string> | string): Auth => ({ _tag: "Session", token: redact(token) })

/**
 * OAuth: the access token is refreshed when it expires and after a 401, once
 * for all concurrent callers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const oauth = (options: OAuthOptions): Auth => ({ _tag: "OAuth", options })

/**
 * @since 0.1.0
 * @category internal
 */
export const toRedacted = redact
