/**
 * STACK's OAuth token endpoint (RFC 6749 refresh grant). STACK's docs name
 * neither the path nor the layout; these are the contract's choices.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Path of the token endpoint, relative to the base URL.
 *
 * @since 0.1.0
 * @category paths
 */
export const tokenPath = "/v1/oauth/token"

/**
 * A successful token response. STACK rotates the refresh token on use, so a
 * new `refresh_token` replaces the old one.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  token_type: Schema.optional(Schema.String),
  expires_in: Schema.optional(Schema.Number),
  refresh_token: Schema.optional(Schema.String),
  scope: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type TokenResponse = typeof TokenResponse.Type

/**
 * An RFC 6749 error response of the token endpoint.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenErrorResponse = Schema.Struct({
  error: Schema.String,
  error_description: Schema.optional(Schema.String)
})
