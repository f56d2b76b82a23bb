/**
 * The passports group of the wire contract: `/v1/passports` and the JWKS.
 *
 * STACK documents `issue`, `verify`, the JWKS and the checkpoint/checkout
 * paths; the other paths and every response envelope except `issue`'s are
 * the contract's choices (STACK's docs are silent on them).
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { AccountabilityMode } from "./Agents.js"
import { BoundedString, NonEmpty, Seconds, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * Passport lifetimes, in seconds.
 *
 * @since 0.1.0
 * @category defaults
 */
export const PassportTtl = { default: 900, min: 60, max: 3600 } as const

/**
 * Checkpoint intervals, in seconds: STACK's presets and the allowed range.
 *
 * @since 0.1.0
 * @category defaults
 */
export const CheckpointInterval = {
  frequent: 120,
  standard: 300,
  relaxed: 900,
  marathon: 3600,
  default: 300,
  min: 60,
  max: 3600
} as const

/**
 * How many hops a delegation chain may have below its root.
 *
 * @since 0.1.0
 * @category defaults
 */
export const MAX_DELEGATION_DEPTH = 4

/**
 * How long after expiry a passport may still be refreshed, in seconds.
 *
 * @since 0.1.0
 * @category defaults
 */
export const REFRESH_GRACE_SECONDS = 24 * 60 * 60

/**
 * The `iss` of every passport.
 *
 * @since 0.1.0
 * @category claims
 */
export const ISSUER = "https://api.getstack.run"

/**
 * Scopes granted on one service connection.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ScopeGrant = Schema.Struct({
  service_connection_id: NonEmpty,
  scopes: Schema.Array(NonEmpty)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ScopeGrant = typeof ScopeGrant.Type

/**
 * What the agent means to do: required for `enforced` and `logged` agents.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Intent = Schema.Struct({
  summary: NonEmpty.pipe(Schema.maxLength(500, { message: () => "must be at most 500 characters" })),
  services: Schema.Array(NonEmpty),
  will_delegate: Schema.optional(Schema.Boolean),
  estimated_duration_seconds: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.positive()))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type Intent = typeof Intent.Type

/**
 * Body of `POST /v1/passports/issue`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const IssuePassportRequest = Schema.Struct({
  agent_id: NonEmpty,
  ttl_seconds: Schema.optional(Seconds(PassportTtl.min, PassportTtl.max)),
  scopes: Schema.optional(Schema.Array(ScopeGrant)),
  identity_claim_ids: Schema.optional(Schema.Array(NonEmpty)),
  intent: Schema.optional(Intent),
  checkpoint_interval_seconds: Schema.optional(Seconds(CheckpointInterval.min, CheckpointInterval.max)),
  /** The live mission the passport is bound to: STACK takes exactly one. */
  mission_ids: Schema.optional(
    Schema.Array(NonEmpty).pipe(Schema.itemsCount(1, { message: () => "must name exactly one mission" }))
  )
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type IssuePassportRequest = typeof IssuePassportRequest.Type

/**
 * A passport's token: a string on the wire, `Redacted` once decoded so it
 * never shows in a log line or an error.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PassportToken = Schema.Redacted(Schema.String)

/**
 * A passport token sent to STACK: a plain string or a `Redacted` one (as
 * `issue` returns it), revealed only when the body is encoded.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenInput: Schema.Schema<Redacted.Redacted<string> | string, string> = Schema.transform(
  NonEmpty,
  Schema.Union(Schema.String, Schema.RedactedFromSelf(Schema.String)),
  { strict: true, decode: (token) => token, encode: (token) => revealToken(token) }
)

/**
 * The text of a token given as a string or `Redacted`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const revealToken = (token: Redacted.Redacted<string> | string): string =>
  Redacted.isRedacted(token) ? Redacted.value(token) : token

/**
 * A freshly signed passport.
 *
 * @since 0.1.0
 * @category schemas
 */
export class IssuedPassport extends Schema.Class<IssuedPassport>("IssuedPassport")({
  token: PassportToken,
  jti: Schema.String,
  expires_at: Timestamp
}) {}

/**
 * A service in the passport's `stk.services` claim.
 *
 * @since 0.1.0
 * @category claims
 */
export const ServiceClaim = Schema.Struct({
  service_id: Schema.String,
  service_name: Schema.String,
  scopes: Schema.Array(Schema.String),
  credential_ref: Schema.NullOr(Schema.String)
})

/**
 * An identity claim in `stk.identity_claims` (a pointer, never PII).
 *
 * @since 0.1.0
 * @category claims
 */
export const IdentityClaim = Schema.Struct({
  claim_id: Schema.String,
  provider: Schema.String,
  layer: Schema.String,
  claim_type: Schema.String,
  assurance_level: Schema.String,
  verified_at: Schema.Number,
  expires_at: Schema.NullOr(Schema.Number)
})

/**
 * STACK's claims, under `stk`.
 *
 * @since 0.1.0
 * @category claims
 */
export const StackClaims = Schema.Struct({
  operator_id: Schema.String,
  agent_id: Schema.String,
  agent_name: Schema.String,
  services: Schema.Array(ServiceClaim),
  identity_claims: Schema.Array(IdentityClaim),
  delegation_depth: Schema.Number,
  session_id: Schema.String,
  accountability: AccountabilityMode,
  intent_summary: Schema.NullOr(Schema.String),
  intent_services: Schema.Array(Schema.String),
  checkpoint_interval: Schema.NullOr(Schema.Number),
  mission_id: Schema.optional(Schema.NullOr(Schema.String)),
  parent_jti: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * @since 0.1.0
 * @category claims
 */
export type StackClaims = typeof StackClaims.Type

/**
 * The payload of a passport JWT. Times are epoch seconds. STACK documents
 * `jti`, `sub`, `iss`, `exp` and the `stk` claims; `iat` and `nbf` are
 * optional.
 *
 * @since 0.1.0
 * @category claims
 */
export const PassportClaims = Schema.Struct({
  iss: Schema.String,
  sub: Schema.String,
  jti: Schema.String,
  iat: Schema.optional(Schema.Number),
  nbf: Schema.optional(Schema.Number),
  exp: Schema.Number,
  stk: StackClaims
})

/**
 * @since 0.1.0
 * @category claims
 */
export type PassportClaims = typeof PassportClaims.Type

/**
 * Body of `POST /v1/passports/verify`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const VerifyPassportRequest = Schema.Struct({
  token: TokenInput,
  service_id: Schema.optional(NonEmpty)
})

/**
 * The reasons a passport is not valid that offline verification can give
 * (with `checkRevocation`, `revoked` and `unknown_passport` come from STACK).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OfflineReason = Schema.Literal(
  "malformed",
  "invalid_signature",
  "unknown_key",
  "wrong_issuer",
  "not_yet_valid",
  "expired",
  "revoked",
  "unknown_passport"
)

/**
 * Why a passport is not valid.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InvalidReason = Schema.Literal(...OfflineReason.literals, "service_not_in_scope")

/**
 * @since 0.1.0
 * @category schemas
 */
export type InvalidReason = typeof InvalidReason.Type

/**
 * A reason STACK's `verify` gives: one of `InvalidReason`, or another string
 * STACK may add.
 *
 * @since 0.1.0
 * @category schemas
 */
export const VerifyReason: Schema.Schema<InvalidReason | (string & {}), string> = Schema.String as Schema.Schema<
  InvalidReason | (string & {}),
  string
>

/**
 * Answer of `verify`: the claims when valid, else the reason. STACK documents
 * only that a valid passport's identity and scopes come back: every field but
 * `valid` is optional.
 *
 * @since 0.1.0
 * @category schemas
 */
export const VerifyPassportResponse = Schema.Union(
  Schema.Struct({
    valid: Schema.Literal(true),
    jti: Schema.optional(Schema.String),
    agent_id: Schema.optional(Schema.String),
    agent_name: Schema.optional(Schema.String),
    operator_id: Schema.optional(Schema.String),
    scopes: Schema.optional(Schema.Array(ServiceClaim)),
    intent_services: Schema.optional(Schema.Array(Schema.String)),
    expires_at: Schema.optional(Timestamp),
    claims: Schema.optional(PassportClaims)
  }),
  Schema.Struct({
    valid: Schema.Literal(false),
    reason: Schema.optional(VerifyReason),
    message: Schema.optional(Schema.String)
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type VerifyPassportResponse = typeof VerifyPassportResponse.Type

const Reason = Schema.optional(BoundedString(500))

/**
 * Body of `POST /v1/passports/revoke`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RevokePassportRequest = Schema.Struct({ jti: NonEmpty, reason: Reason })

/**
 * Answer of `revoke`: the passport and every delegated descendant revoked with
 * it (breadth first).
 *
 * @since 0.1.0
 * @category schemas
 */
export class RevokedPassport extends Schema.Class<RevokedPassport>("RevokedPassport")({
  jti: Schema.optional(Schema.String),
  revoked: Schema.optional(Schema.Boolean),
  cascaded: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Body of `POST /v1/passports/revoke-agent`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RevokeAgentPassportsRequest = Schema.Struct({ agent_id: NonEmpty, reason: Reason })

/**
 * Body of `POST /v1/passports/revoke-all`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RevokeAllPassportsRequest = Schema.Struct({ reason: Reason })

/**
 * Answer of the bulk revocations.
 *
 * @since 0.1.0
 * @category schemas
 */
export class BulkRevocation extends Schema.Class<BulkRevocation>("BulkRevocation")({
  revoked_count: Schema.optional(Schema.Number),
  cascaded_count: Schema.optional(Schema.Number),
  jtis: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Query of `GET /v1/passports/active`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListActiveQuery = Schema.Struct({
  agent_id: Schema.optional(Schema.String),
  session_id: Schema.optional(Schema.String)
})

/**
 * A live passport, as listed.
 *
 * @since 0.1.0
 * @category schemas
 */
export class PassportSummary extends Schema.Class<PassportSummary>("PassportSummary")({
  jti: Schema.String,
  agent_id: Schema.optional(Schema.String),
  session_id: Schema.optional(Schema.String),
  parent_jti: Schema.optional(Schema.NullOr(Schema.String)),
  mission_id: Schema.optional(Schema.NullOr(Schema.String)),
  delegation_depth: Schema.optional(Schema.Number),
  accountability: Schema.optional(AccountabilityMode),
  issued_at: Schema.optional(Timestamp),
  expires_at: Schema.optional(Timestamp)
}) {}

/**
 * @since 0.1.0
 * @category schemas
 */
export class ActivePassports extends Schema.Class<ActivePassports>("ActivePassports")({
  passports: Schema.Array(PassportSummary)
}) {}

/**
 * Body of `POST /v1/passports/delegate`: a narrower passport for another agent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DelegatePassportRequest = Schema.Struct({
  parent_token: TokenInput,
  child_agent_id: NonEmpty,
  scopes: Schema.optional(Schema.Array(ScopeGrant)),
  ttl_seconds: Schema.optional(Seconds(PassportTtl.min, PassportTtl.max))
})

/**
 * Body of `POST /v1/passports/refresh`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RefreshPassportRequest = Schema.Struct({
  token: TokenInput,
  ttl_seconds: Schema.optional(Seconds(PassportTtl.min, PassportTtl.max))
})

/**
 * Body of `POST /v1/passports/{jti}/checkpoint`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CheckpointRequest = Schema.Struct({
  services_used: Schema.Array(NonEmpty),
  actions_count: Schema.Number.pipe(Schema.int(), Schema.nonNegative({ message: () => "must be 0 or more" })),
  delegated_to: Schema.optional(Schema.Array(NonEmpty)),
  summary: Schema.optional(BoundedString(1000))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type CheckpointRequest = typeof CheckpointRequest.Type

/**
 * A security signal raised by a checkpoint or checkout.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Signal = Schema.Struct({
  type: Schema.String,
  severity: Schema.Literal("info", "warning", "critical"),
  detail: Schema.optional(Schema.String)
})

/**
 * Answer of `checkpoint`: in enforced mode the passport lives one more
 * interval, so a re-signed token comes back.
 *
 * @since 0.1.0
 * @category schemas
 */
export class CheckpointResult extends Schema.Class<CheckpointResult>("CheckpointResult")({
  jti: Schema.optional(Schema.String),
  accepted: Schema.optional(Schema.Boolean),
  token: Schema.optional(PassportToken),
  expires_at: Schema.optional(Timestamp),
  signals: Schema.optional(Schema.Array(Signal))
}) {}

/**
 * Body of `POST /v1/passports/{jti}/checkout`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CheckoutRequest = Schema.Struct({
  services_used: Schema.Array(NonEmpty),
  actions_count: Schema.Number.pipe(Schema.int(), Schema.nonNegative({ message: () => "must be 0 or more" })),
  delegated_to: Schema.optional(Schema.Array(NonEmpty)),
  summary: Schema.optional(BoundedString(1000))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type CheckoutRequest = typeof CheckoutRequest.Type

/**
 * The review bucket of a checkout.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Review = Schema.Literal("clean", "flagged", "blocked")

/**
 * Answer of `checkout`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class CheckoutResult extends Schema.Class<CheckoutResult>("CheckoutResult")({
  checkout_id: Schema.String,
  review: Review,
  jti: Schema.optional(Schema.String),
  signals: Schema.optional(Schema.Array(Signal))
}) {}

/**
 * An Ed25519 public key in the JWKS.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Jwk = Schema.Struct({
  kty: Schema.Literal("OKP"),
  crv: Schema.Literal("Ed25519"),
  x: Schema.String,
  kid: Schema.optional(Schema.String),
  alg: Schema.optional(Schema.String),
  use: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type Jwk = typeof Jwk.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export class Jwks extends Schema.Class<Jwks>("Jwks")({ keys: Schema.Array(Jwk) }) {}

/**
 * The passports endpoints, by name.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const PassportsEndpoints = {
  issue: Endpoint.post("issue", "/v1/passports/issue")
    .setPayload(IssuePassportRequest)
    .addSuccess(IssuedPassport, { status: 201 })
    .pipe(Endpoint.write),
  revoke: Endpoint.post("revoke", "/v1/passports/revoke")
    .setPayload(RevokePassportRequest)
    .addSuccess(RevokedPassport)
    .pipe(Endpoint.write, Endpoint.idempotent),
  revokeAgent: Endpoint.post("revokeAgent", "/v1/passports/revoke-agent")
    .setPayload(RevokeAgentPassportsRequest)
    .addSuccess(BulkRevocation)
    .pipe(Endpoint.write, Endpoint.idempotent),
  revokeAll: Endpoint.post("revokeAll", "/v1/passports/revoke-all")
    .setPayload(RevokeAllPassportsRequest)
    .addSuccess(BulkRevocation)
    .pipe(Endpoint.create, Endpoint.idempotent),
  listActive: Endpoint.get("listActive", "/v1/passports/active")
    .setUrlParams(ListActiveQuery)
    .addSuccess(ActivePassports)
    .pipe(Endpoint.list),
  delegate: Endpoint.post("delegate", "/v1/passports/delegate")
    .setPayload(DelegatePassportRequest)
    .addSuccess(IssuedPassport, { status: 201 })
    .pipe(Endpoint.write),
  refresh: Endpoint.post("refresh", "/v1/passports/refresh")
    .setPayload(RefreshPassportRequest)
    .addSuccess(IssuedPassport)
    .pipe(Endpoint.write),
  checkpoint: Endpoint.post("checkpoint", "/v1/passports/:jti/checkpoint")
    .setPayload(CheckpointRequest)
    .addSuccess(CheckpointResult)
    .pipe(Endpoint.write),
  checkout: Endpoint.post("checkout", "/v1/passports/:jti/checkout")
    .setPayload(CheckoutRequest)
    .addSuccess(CheckoutResult)
    .pipe(Endpoint.write)
}

/**
 * The endpoints that need no credentials.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const PublicPassportsEndpoints = {
  verify: Endpoint.post("verify", "/v1/passports/verify")
    .setPayload(VerifyPassportRequest)
    .addSuccess(VerifyPassportResponse)
    .pipe(Endpoint.unauthenticated, Endpoint.badRequest, Endpoint.idempotent),
  jwks: Endpoint.get("jwks", "/v1/.well-known/jwks.json")
    .addSuccess(Jwks)
    .pipe(Endpoint.unauthenticated)
}
