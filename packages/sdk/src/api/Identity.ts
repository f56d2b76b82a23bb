/**
 * The identity of the contract: the identity providers STACK works with,
 * verification sessions with one of them, and the identity claims a
 * completed verification leaves with the operator (pointers, never PII),
 * which passports carry in `stk.identity_claims`.
 *
 * STACK documents `GET /v1/identity/providers` (providers with an `idp_` id,
 * a name, a `provider_key`, `supported_layers` (`humanity`, `identity`),
 * `claim_types` (`verified_human`, `verified_identity`) and an
 * `assurance_level`), that starting a verification takes `{ provider_key,
 * requested_claims, return_url? }` and answers a pending session's ref and
 * URL, that a session's status is `pending`, `completed`, `failed` or
 * `expired` with its requested claims and times and no PII, that a session
 * is completed with its provider and ref (the path here carries both, in
 * the order of the Python SDK's `complete_verification(provider,
 * session_ref)`), and that claims (`clm_`) are listed
 * and revoked, a revoked claim revoking the passports that carry it
 * (`bulk_claim`). Every path but the providers', the shape of the claims
 * list and every other answer field are the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, NonEmpty } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * What a claim vouches for: that a human stands behind the operator
 * (`humanity`), or who that human is (`identity`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const IdentityLayer = Schema.Literal("humanity", "identity")

/**
 * @since 0.1.0
 * @category schemas
 */
export type IdentityLayer = typeof IdentityLayer.Type

/**
 * The kinds of claim: `verified_human` (layer `humanity`) and
 * `verified_identity` (layer `identity`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ClaimType = Schema.Literal("verified_human", "verified_identity")

/**
 * @since 0.1.0
 * @category schemas
 */
export type ClaimType = typeof ClaimType.Type

/**
 * Where a verification session stands: `pending` (waiting for the provider),
 * `completed`, `failed` (the provider refused it) or `expired`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const VerificationStatus = Schema.Literal("pending", "completed", "failed", "expired")

/**
 * A session's status: one of `VerificationStatus`, or another string a newer
 * STACK sends.
 *
 * @since 0.1.0
 * @category schemas
 */
export type VerificationStatus = typeof VerificationStatus.Type | (string & {})

const TolerantStatus: Schema.Schema<VerificationStatus, string> = Schema.Union(VerificationStatus, Schema.String)

/**
 * An identity provider STACK works with.
 *
 * @since 0.1.0
 * @category schemas
 */
export class IdentityProvider extends Schema.Class<IdentityProvider>("IdentityProvider")({
  id: Schema.String,
  name: Schema.String,
  provider_key: Schema.String,
  supported_layers: Schema.Array(Schema.String),
  claim_types: Schema.Array(Schema.String),
  assurance_level: Schema.String,
  countries: Schema.optional(Schema.Array(Schema.String)),
  description: Schema.optional(Schema.String)
}) {}

/**
 * Answer of `listProviders`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ProviderList extends Schema.Class<ProviderList>("ProviderList")({
  providers: Schema.Array(IdentityProvider)
}) {}

/**
 * Body of `initiateVerification`: the provider (its `provider_key`), the
 * claim types wanted (among the provider's `claim_types`) and where the
 * provider sends the human back.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InitiateVerificationRequest = Schema.Struct({
  provider_key: NonEmpty,
  requested_claims: Schema.Array(NonEmpty).pipe(
    Schema.minItems(1, { message: () => "must name at least one claim type" }),
    Schema.maxItems(10, { message: () => "must name at most 10 claim types" })
  ),
  return_url: Schema.optional(BoundedString(2000))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type InitiateVerificationRequest = typeof InitiateVerificationRequest.Type

/**
 * Answer of `initiateVerification`: the session's ref and the URL where the
 * human verifies with the provider, before `expires_at`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class VerificationSession extends Schema.Class<VerificationSession>("VerificationSession")({
  session_ref: Schema.String,
  url: Schema.String,
  expires_at: Schema.DateTimeUtc,
  status: Schema.optional(TolerantStatus),
  provider_key: Schema.optional(Schema.String),
  requested_claims: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Answer of `getVerification`: where a session stands, never with PII.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Verification extends Schema.Class<Verification>("Verification")({
  session_ref: Schema.String,
  status: TolerantStatus,
  requested_claims: Schema.Array(Schema.String),
  created_at: Schema.DateTimeUtc,
  expires_at: Schema.DateTimeUtc,
  completed_at: Schema.NullOr(Schema.DateTimeUtc),
  provider_key: Schema.optional(Schema.String)
}) {}

/**
 * Where a claim stands: `active`, `expired` or `revoked`. Answers may carry
 * others.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ClaimStatus = Schema.Literal("active", "expired", "revoked")

/**
 * An identity claim of the operator: which provider verified what, at which
 * assurance level, until when. A pointer: it holds no PII.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Claim extends Schema.Class<Claim>("Claim")({
  id: Schema.String,
  provider: Schema.String,
  layer: Schema.String,
  claim_type: Schema.String,
  assurance_level: Schema.String,
  verified_at: Schema.DateTimeUtc,
  expires_at: Schema.NullOr(Schema.DateTimeUtc),
  status: Schema.optional(Schema.String),
  session_ref: Schema.optional(Schema.String),
  revoked_at: Schema.optional(Schema.NullOr(Schema.DateTimeUtc))
}) {}

/**
 * Answer of `revokeClaim`: the claim, revoked, and `revoked_passports`, the
 * passports this call revoked because they carried it (with their delegated
 * descendants); `[]` on a repeat. STACK documents that revoking a claim
 * revokes its passports in bulk (`bulk_claim`), not what it answers: the
 * field is the contract's choice, optional so that an answer without it
 * decodes.
 *
 * @since 0.1.0
 * @category schemas
 */
export class RevokedClaim extends Claim.extend<RevokedClaim>("RevokedClaim")({
  revoked_passports: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Answer of `listClaims`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ClaimList extends Schema.Class<ClaimList>("ClaimList")({
  claims: Schema.Array(Claim)
}) {}

/**
 * Answer of `completeVerification`: the completed session and the claims it
 * left.
 *
 * @since 0.1.0
 * @category schemas
 */
export class CompletedVerification extends Schema.Class<CompletedVerification>("CompletedVerification")({
  session_ref: Schema.String,
  status: TolerantStatus,
  claims: Schema.Array(Claim)
}) {}

/**
 * The identity endpoints, by name. Completing a session the provider has not
 * approved (still pending, failed or expired) is 409 `CONFLICT`; completing
 * it again answers the same claims. Sessions and claims of another operator
 * are 404.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const IdentityEndpoints = {
  listProviders: Endpoint.get("listProviders", "/v1/identity/providers")
    .addSuccess(ProviderList)
    .pipe(Endpoint.authenticated),
  initiateVerification: Endpoint.post("initiateVerification", "/v1/identity/verifications")
    .setPayload(InitiateVerificationRequest)
    .addSuccess(VerificationSession, { status: 201 })
    .pipe(Endpoint.create),
  getVerification: Endpoint.get("getVerification", "/v1/identity/verifications/:session_ref")
    .addSuccess(Verification)
    .pipe(Endpoint.read),
  completeVerification: Endpoint.post(
    "completeVerification",
    "/v1/identity/providers/:provider_key/verifications/:session_ref/complete"
  )
    .addSuccess(CompletedVerification)
    .pipe(Endpoint.write, Endpoint.idempotent),
  listClaims: Endpoint.get("listClaims", "/v1/identity/claims")
    .addSuccess(ClaimList)
    .pipe(Endpoint.authenticated),
  revokeClaim: Endpoint.del("revokeClaim", "/v1/identity/claims/:claim_id")
    .addSuccess(RevokedClaim)
    .pipe(Endpoint.write, Endpoint.idempotent)
}
