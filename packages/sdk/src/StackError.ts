/**
 * The SDK's errors: a tagged union, mapped from responses in ONE place
 * (`fromStatus`).
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { ErrorCode } from "./api/Errors.js"

const httpFields = {
  /** HTTP status of the response. */
  status: Schema.Number,
  /** STACK's machine code, e.g. `PASSPORT_REVOKED`. Branch on this, not on `message`. */
  code: ErrorCode,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown),
  /** The `x-request-id` of the response, to quote when asking STACK for help. */
  requestId: Schema.optional(Schema.String),
  method: Schema.String,
  url: Schema.String
}

/**
 * What the SDK knows of a write that failed without a clear refusal: a
 * timeout, a dropped connection or a 5xx may come after STACK performed it.
 *
 * @since 0.1.0
 * @category models
 */
const writeOutcome = {
  /**
   * `unknown` on a write STACK may have performed: check (with
   * `idempotencyKey`, or by reading the resource) before sending it again.
   */
  outcome: Schema.optional(Schema.Literal("unknown")),
  /** The `Idempotency-Key` every attempt of the write carried. */
  idempotencyKey: Schema.optional(Schema.String),
  /** How many attempts were made. */
  attempts: Schema.optional(Schema.Number)
}

/**
 * 400: the request broke one of STACK's rules. `code` says which
 * (`INVALID_REQUEST` with `details.fields`, `SCOPE_ESCALATION`, …).
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequestError extends Schema.TaggedError<BadRequestError>()("BadRequestError", httpFields) {}

/**
 * 401: missing, invalid, expired or revoked credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()(
  "AuthenticationError",
  httpFields
) {}

/**
 * 402: the plan does not include this (`CONTROLS_REQUIRED`) or the wallet is
 * empty (`INSUFFICIENT_CREDITS`).
 *
 * @since 0.1.0
 * @category errors
 */
export class PaymentRequiredError extends Schema.TaggedError<PaymentRequiredError>()(
  "PaymentRequiredError",
  httpFields
) {}

/**
 * 403: authenticated, but not allowed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ForbiddenError extends Schema.TaggedError<ForbiddenError>()("ForbiddenError", httpFields) {}

/**
 * 403 `GOVERNANCE_APPROVAL_REQUIRED`: STACK holds this operation for a human.
 * Have the approval at `approvalUrl` granted, then send the identical request
 * again with `governance_approval_id: approvalId` in its body. The approval
 * is single-use, bound to that request's payload, and expires after 24 hours.
 *
 * @since 0.1.0
 * @category errors
 */
export class ApprovalRequiredError extends Schema.TaggedError<ApprovalRequiredError>()("ApprovalRequiredError", {
  ...httpFields,
  /** The approval's id (`gvr_…`), to send back as `governance_approval_id`. */
  approvalId: Schema.String,
  /** Where a human grants or refuses the approval. */
  approvalUrl: Schema.optional(Schema.String)
}) {}

/**
 * 404: no such resource for this caller (another operator's resources are
 * invisible, so they are not found either).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("NotFoundError", httpFields) {}

/**
 * 409: the request conflicts with the current state (a duplicate name, an
 * idempotency key reused for another request).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConflictError extends Schema.TaggedError<ConflictError>()("ConflictError", httpFields) {}

/**
 * 422: well-formed, but not processable.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnprocessableEntityError extends Schema.TaggedError<UnprocessableEntityError>()(
  "UnprocessableEntityError",
  httpFields
) {}

/**
 * 429: slow down. `retryAfterMs` is what the server asked for, if it did.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimitError extends Schema.TaggedError<RateLimitError>()("RateLimitError", {
  ...httpFields,
  retryAfterMs: Schema.optional(Schema.Number)
}) {}

/**
 * 5xx: STACK failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalServerError extends Schema.TaggedError<InternalServerError>()("InternalServerError", {
  ...httpFields,
  ...writeOutcome
}) {}

/**
 * Any status the endpoint does not declare.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedStatusError extends Schema.TaggedError<UnexpectedStatusError>()(
  "UnexpectedStatusError",
  httpFields
) {}

/**
 * The request never got an answer: DNS, refused connection, reset, …
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  message: Schema.String,
  method: Schema.String,
  url: Schema.String,
  cause: Schema.optional(Schema.Unknown),
  ...writeOutcome
}) {}

/**
 * An attempt ran past its timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class TimeoutError extends Schema.TaggedError<TimeoutError>()("TimeoutError", {
  message: Schema.String,
  method: Schema.String,
  url: Schema.String,
  timeoutMs: Schema.Number,
  ...writeOutcome
}) {}

/**
 * The SDK could not put the request on the wire: an input does not have the
 * type the contract gives it, or a path parameter is empty. Nothing was sent.
 * The message names the inputs, never their values.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestEncodeError extends Schema.TaggedError<RequestEncodeError>()("RequestEncodeError", {
  message: Schema.String,
  method: Schema.String,
  url: Schema.String,
  /** The inputs that could not be encoded, by dotted path (`path.id`, `body.intent.summary`). */
  fields: Schema.Array(Schema.String)
}) {}

/**
 * A successful response whose body does not match the contract. The message
 * names the fields that do not match; the body itself (its first 1000
 * characters) is `Redacted`, as it may hold tokens.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseDecodeError extends Schema.TaggedError<ResponseDecodeError>()("ResponseDecodeError", {
  message: Schema.String,
  status: Schema.Number,
  requestId: Schema.optional(Schema.String),
  method: Schema.String,
  url: Schema.String,
  body: Schema.Redacted(Schema.String)
}) {}

/**
 * No credentials were found; `searched` names each place looked at, in order.
 *
 * @since 0.1.0
 * @category errors
 */
export class CredentialsNotFoundError extends Schema.TaggedError<CredentialsNotFoundError>()(
  "CredentialsNotFoundError",
  { message: Schema.String, searched: Schema.Array(Schema.String) }
) {}

/**
 * A credentials file exists but cannot be read or understood.
 *
 * @since 0.1.0
 * @category errors
 */
export class CredentialsFileError extends Schema.TaggedError<CredentialsFileError>()("CredentialsFileError", {
  message: Schema.String,
  path: Schema.String
}) {}

/**
 * An error STACK answered with an HTTP status.
 *
 * @since 0.1.0
 * @category models
 */
export type HttpStatusError =
  | BadRequestError
  | AuthenticationError
  | PaymentRequiredError
  | ForbiddenError
  | ApprovalRequiredError
  | NotFoundError
  | ConflictError
  | UnprocessableEntityError
  | RateLimitError
  | InternalServerError
  | UnexpectedStatusError

/**
 * The errors any call can produce, whatever the endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export type TransportError =
  | AuthenticationError
  | RateLimitError
  | InternalServerError
  | UnexpectedStatusError
  | ConnectionError
  | TimeoutError
  | RequestEncodeError
  | ResponseDecodeError

/**
 * Every error of the SDK.
 *
 * @since 0.1.0
 * @category models
 */
export type StackError =
  | HttpStatusError
  | ConnectionError
  | TimeoutError
  | RequestEncodeError
  | ResponseDecodeError
  | CredentialsNotFoundError
  | CredentialsFileError

/**
 * The error a status maps to (type level): what `fromStatus` returns.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorForStatus<S> = S extends 400 ? BadRequestError
  : S extends 401 ? AuthenticationError
  : S extends 402 ? PaymentRequiredError
  : S extends 403 ? ForbiddenError | ApprovalRequiredError
  : S extends 404 ? NotFoundError
  : S extends 409 ? ConflictError
  : S extends 422 ? UnprocessableEntityError
  : S extends 429 ? RateLimitError
  : S extends 500 | 502 | 503 | 504 ? InternalServerError
  : UnexpectedStatusError

/**
 * The fields of an error STACK answered with.
 *
 * @since 0.1.0
 * @category models
 */
export type HttpErrorFields = {
  readonly status: number
  readonly code: ErrorCode
  readonly message: string
  readonly details?: unknown
  readonly requestId?: string | undefined
  readonly method: string
  readonly url: string
}

/**
 * The approval a 403 `GOVERNANCE_APPROVAL_REQUIRED` names, from its details
 * (`approval_id`, `approval_url`); none when it names no approval id.
 */
const approvalOf = (fields: HttpErrorFields): { approvalId: string; approvalUrl?: string } | undefined => {
  if (fields.code !== "GOVERNANCE_APPROVAL_REQUIRED" || !Predicate.isRecord(fields.details)) return undefined
  const { approval_id, approval_url } = fields.details
  if (typeof approval_id !== "string") return undefined
  return typeof approval_url === "string" ? { approvalId: approval_id, approvalUrl: approval_url } : { approvalId: approval_id }
}

/**
 * Maps a status to its error. This is the one place statuses become errors.
 * `declared` lists the statuses the endpoint declares besides the ones every
 * endpoint can answer with (401, 429, 5xx); any other status becomes an
 * `UnexpectedStatusError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStatus = (
  fields: HttpErrorFields,
  options: { readonly declared: ReadonlySet<number>; readonly retryAfterMs?: number | undefined }
): HttpStatusError => {
  const status = fields.status
  if (status === 401) return new AuthenticationError(fields)
  if (status === 429) return new RateLimitError({ ...fields, retryAfterMs: options.retryAfterMs })
  if (status >= 500 && status <= 599) return new InternalServerError(fields)
  if (!options.declared.has(status)) return new UnexpectedStatusError(fields)
  switch (status) {
    case 400:
      return new BadRequestError(fields)
    case 402:
      return new PaymentRequiredError(fields)
    case 403: {
      const approval = approvalOf(fields)
      return approval === undefined ? new ForbiddenError(fields) : new ApprovalRequiredError({ ...fields, ...approval })
    }
    case 404:
      return new NotFoundError(fields)
    case 409:
      return new ConflictError(fields)
    case 422:
      return new UnprocessableEntityError(fields)
    default:
      return new UnexpectedStatusError(fields)
  }
}

const httpStatusTags: ReadonlySet<string> = new Set([
  "BadRequestError",
  "AuthenticationError",
  "PaymentRequiredError",
  "ForbiddenError",
  "ApprovalRequiredError",
  "NotFoundError",
  "ConflictError",
  "UnprocessableEntityError",
  "RateLimitError",
  "InternalServerError",
  "UnexpectedStatusError"
])

/**
 * Whether a value is an error STACK answered with an HTTP status.
 *
 * @since 0.1.0
 * @category guards
 */
export const isHttpStatusError = (u: unknown): u is HttpStatusError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && httpStatusTags.has(u._tag)

/**
 * A write that failed in a way that leaves its outcome unknown (a timeout, a
 * dropped connection or a 5xx after it was sent): STACK may have performed
 * it. Its `idempotencyKey` and `attempts` say what was sent.
 *
 * @since 0.1.0
 * @category models
 */
export type OutcomeUnknownError = (TimeoutError | ConnectionError | InternalServerError) & { readonly outcome: "unknown" }

/**
 * Whether an error is a write whose outcome is unknown: reconcile (read the
 * resource, or send it again with the same `idempotencyKey` where the server
 * honours it) before trying anything else.
 *
 * @since 0.1.0
 * @category guards
 */
export const isOutcomeUnknown = (u: unknown): u is OutcomeUnknownError =>
  Predicate.hasProperty(u, "_tag") && Predicate.hasProperty(u, "outcome") && u.outcome === "unknown" &&
  (u._tag === "TimeoutError" || u._tag === "ConnectionError" || u._tag === "InternalServerError")
