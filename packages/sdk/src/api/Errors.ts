/**
 * STACK's error body, its codes, and the per-status error schemas that every
 * endpoint of the contract declares.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Schema from "effect/Schema"

/**
 * Every error code STACK documents. A response may carry a code that is not
 * listed here; `ErrorCode` keeps it as a plain string.
 *
 * @since 0.1.0
 * @category codes
 */
export const KnownErrorCodes = [
  "UNAUTHORIZED",
  "INVALID_API_KEY",
  "PASSPORT_EXPIRED",
  "PASSPORT_REVOKED",
  "FORBIDDEN",
  "PASSPORT_BLOCKED",
  "TIER_LIMIT_EXCEEDED",
  "TRUST_LEVEL_INSUFFICIENT",
  "UNAUTHORIZED_SKILL_ACCESS",
  "IDENTITY_REQUIREMENTS_NOT_MET",
  "DELEGATION_DEPTH_EXCEEDED",
  "SCOPE_ESCALATION",
  "ACCOUNTABILITY_REQUIRED",
  "DELEGATION_ACCOUNTABILITY_VIOLATION",
  "SCHEMA_VALIDATION_FAILED",
  "DROPOFF_ALREADY_COLLECTED",
  "INVALID_REQUEST",
  "INSUFFICIENT_CREDITS",
  "CONTROLS_REQUIRED",
  "GOVERNANCE_APPROVAL_REQUIRED",
  "GOVERNANCE_APPROVAL_INVALID",
  "NOT_FOUND",
  "SKILL_NOT_FOUND",
  "INVOCATION_NOT_FOUND",
  "CHECKPOINT_NOT_AVAILABLE",
  "CONFLICT",
  "MISSION_NOT_ACTIVE",
  "MISSION_NOT_PAUSED",
  "AGENT_SUSPENDED",
  "ENROLLMENT_FAILED",
  "IDEMPOTENCY_KEY_REUSED",
  "IDEMPOTENCY_KEY_IN_USE",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "METHOD_NOT_ALLOWED",
  "RATE_LIMITED",
  "REQUEST_TIMEOUT",
  "INTERNAL_ERROR",
  "OAUTH_REFRESH_FAILED",
  "AGENT_ENROLLMENT_FAILED",
  "AGENT_KEY_UNAVAILABLE",
  "CONTROL_DENIED",
  "MISSION_PAUSED",
  "UPSTREAM_ERROR",
  "UPSTREAM_TIMEOUT",
  "UPSTREAM_RESPONSE_TOO_LARGE",
  "SKILL_SUSPENDED",
  "INVOCATION_NOT_PENDING",
  "INVOCATION_INVALID_STATE"
] as const

/**
 * @since 0.1.0
 * @category codes
 */
export type KnownErrorCode = (typeof KnownErrorCodes)[number]

/**
 * A STACK error code: one of the documented codes, or any other string the
 * server sends.
 *
 * @since 0.1.0
 * @category codes
 */
export type ErrorCode = KnownErrorCode | (string & {})

/**
 * @since 0.1.0
 * @category codes
 */
export const ErrorCode: Schema.Schema<ErrorCode, string> = Schema.String as Schema.Schema<ErrorCode, string>

/**
 * The inner object of STACK's error body.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorDetail = Schema.Struct({
  message: Schema.String,
  code: ErrorCode,
  details: Schema.optional(Schema.Unknown)
})

/**
 * STACK's error body: `{"error": {"message", "code", "details"}}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorBody = Schema.Struct({ error: ErrorDetail })

/**
 * @since 0.1.0
 * @category schemas
 */
export type ErrorBody = typeof ErrorBody.Type

/**
 * Marks, in the type of an endpoint's error schema, the HTTP status the error
 * body is sent with. It exists only in types; the SDK reads it to name the
 * errors each method can produce.
 *
 * @since 0.1.0
 * @category schemas
 */
export declare const ErrorStatus: unique symbol

/**
 * An error body sent with status `S`.
 *
 * @since 0.1.0
 * @category schemas
 */
export interface StatusErrorBody<S extends number> extends ErrorBody {
  readonly [ErrorStatus]?: S
}

const withStatus = <S extends number>(status: S): Schema.Schema<StatusErrorBody<S>, typeof ErrorBody.Encoded> =>
  ErrorBody.annotations(
    HttpApiSchema.annotations({ status, identifier: `StackError${status}`, title: `STACK error (${status})` })
  ) as Schema.Schema<StatusErrorBody<S>, typeof ErrorBody.Encoded>

/**
 * The error bodies an endpoint can declare, by status.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BadRequest = /* @__PURE__ */ withStatus(400)
/** @since 0.1.0 */
export const Unauthorized = /* @__PURE__ */ withStatus(401)
/** @since 0.1.0 */
export const PaymentRequired = /* @__PURE__ */ withStatus(402)
/** @since 0.1.0 */
export const Forbidden = /* @__PURE__ */ withStatus(403)
/** @since 0.1.0 */
export const NotFound = /* @__PURE__ */ withStatus(404)
/** @since 0.1.0 */
export const Conflict = /* @__PURE__ */ withStatus(409)
/** @since 0.1.0 */
export const PayloadTooLarge = /* @__PURE__ */ withStatus(413)
/** @since 0.1.0 */
export const UnprocessableEntity = /* @__PURE__ */ withStatus(422)
/** @since 0.1.0 */
export const TooManyRequests = /* @__PURE__ */ withStatus(429)
/** @since 0.1.0 */
export const InternalServerError = /* @__PURE__ */ withStatus(500)
/** @since 0.1.0 */
export const BadGateway = /* @__PURE__ */ withStatus(502)
/** @since 0.1.0 */
export const GatewayTimeout = /* @__PURE__ */ withStatus(504)

/**
 * The `details` STACK sends with `INVALID_REQUEST`: one entry per bad field,
 * keyed by its dotted path (`intent.summary`, `scopes.0`), or `body` for the
 * body as a whole.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InvalidRequestDetails = Schema.Struct({
  fields: Schema.Record({ key: Schema.String, value: Schema.String })
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type InvalidRequestDetails = typeof InvalidRequestDetails.Type

/**
 * The HTTP status STACK sends each code with. Codes not listed here are sent
 * with the status their context gives.
 *
 * @since 0.1.0
 * @category codes
 */
export const statusOfCode = {
  UNAUTHORIZED: 401,
  INVALID_API_KEY: 401,
  PASSPORT_EXPIRED: 401,
  PASSPORT_REVOKED: 401,
  FORBIDDEN: 403,
  PASSPORT_BLOCKED: 403,
  TIER_LIMIT_EXCEEDED: 403,
  TRUST_LEVEL_INSUFFICIENT: 403,
  UNAUTHORIZED_SKILL_ACCESS: 403,
  IDENTITY_REQUIREMENTS_NOT_MET: 403,
  DELEGATION_DEPTH_EXCEEDED: 400,
  SCOPE_ESCALATION: 400,
  ACCOUNTABILITY_REQUIRED: 400,
  DELEGATION_ACCOUNTABILITY_VIOLATION: 400,
  SCHEMA_VALIDATION_FAILED: 400,
  // documented without a status: a drop-off collected a second time, 409 is the contract's
  DROPOFF_ALREADY_COLLECTED: 409,
  INVALID_REQUEST: 400,
  INSUFFICIENT_CREDITS: 402,
  CONTROLS_REQUIRED: 402,
  GOVERNANCE_APPROVAL_REQUIRED: 403,
  GOVERNANCE_APPROVAL_INVALID: 403,
  NOT_FOUND: 404,
  SKILL_NOT_FOUND: 404,
  INVOCATION_NOT_FOUND: 404,
  CHECKPOINT_NOT_AVAILABLE: 404,
  CONFLICT: 409,
  MISSION_NOT_ACTIVE: 409,
  MISSION_NOT_PAUSED: 409,
  AGENT_SUSPENDED: 403,
  ENROLLMENT_FAILED: 400,
  IDEMPOTENCY_KEY_REUSED: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  METHOD_NOT_ALLOWED: 405,
  RATE_LIMITED: 429,
  REQUEST_TIMEOUT: 408,
  INTERNAL_ERROR: 500,
  // the SDK's own, for credentials it could not obtain
  OAUTH_REFRESH_FAILED: 401,
  AGENT_ENROLLMENT_FAILED: 401,
  AGENT_KEY_UNAVAILABLE: 401,
  // documented without a status (a held or unlisted action): 403 is the contract's
  CONTROL_DENIED: 403,
  // the contract's, for the proxy: a mission paused by a cap, and the upstream failing
  MISSION_PAUSED: 409,
  UPSTREAM_ERROR: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_RESPONSE_TOO_LARGE: 502,
  // the contract's, for skills: a suspended skill invoked, an invocation claimed when not pending or
  // taken through a step its status has passed
  SKILL_SUSPENDED: 409,
  INVOCATION_NOT_PENDING: 409,
  INVOCATION_INVALID_STATE: 409
} as const satisfies Record<KnownErrorCode, number>
