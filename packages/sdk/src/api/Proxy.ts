/**
 * The proxy of the contract: a call to a third-party service made by STACK
 * for an agent, with the agent's passport and the connection's stored
 * credential, so that the agent never holds the credential.
 *
 * STACK documents `POST /v1/proxy` with `Authorization` and the passport in
 * `X-Passport-Token`; the body `{ service, method (GET | POST | PUT | PATCH |
 * DELETE), url (absolute), headers?, body?, query? }`; `authority_request_id`
 * on non-GET calls (one operation, counted once: the same id with another
 * request is a conflict, and an operation whose outcome is unknown is not
 * sent again); that STACK strips the caller's auth headers and injects the
 * credential; a 30 s upstream timeout and a 10 MB answer cap; and that the
 * answer has the upstream's `status`. The rest of the answer (`headers`,
 * `body`, `body_encoding`, `scan`, …) is the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, NonEmpty } from "./Common.js"
import * as Endpoint from "./Endpoint.js"
import * as Errors from "./Errors.js"
import { PassportToken } from "./Passports.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const ProxyMethod = Schema.Literal("GET", "POST", "PUT", "PATCH", "DELETE")

/**
 * @since 0.1.0
 * @category schemas
 */
export type ProxyMethod = typeof ProxyMethod.Type

/**
 * Body of `POST /v1/proxy`. `body` is sent as JSON unless it is a string
 * (sent as it is). `authority_request_id` (1–200 characters) is required on
 * every method but GET; the SDK's `proxy.request` makes one when it is left
 * out. `cost_cents` is what the call spends (a charge, an order), counted
 * against its mission's `cents` cap.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ProxyRequest = Schema.Struct({
  service: NonEmpty,
  method: ProxyMethod,
  url: NonEmpty.pipe(Schema.maxLength(8192, { message: () => "must be at most 8192 characters" })),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  body: Schema.optional(Schema.Unknown),
  query: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  authority_request_id: Schema.optional(BoundedString(200)),
  cost_cents: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ProxyRequest = typeof ProxyRequest.Type

/**
 * The request headers of `POST /v1/proxy`: the passport the call is made
 * under.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ProxyHeaders = Schema.Struct({
  "x-passport-token": PassportToken
})

/**
 * How the upstream's body is given: parsed `json`, `text`, or `base64` for
 * bytes that are not UTF-8 text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BodyEncoding = Schema.Literal("json", "text", "base64")

/**
 * What STACK's detector found in the upstream's answer: a `suspicious` or
 * `critical` verdict also raised a `prompt_injection` security event on the
 * agent.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ProxyScan extends Schema.Class<ProxyScan>("ProxyScan")({
  verdict: Schema.String,
  pattern_id: Schema.optional(Schema.NullOr(Schema.String))
}) {}

/**
 * Answer of `POST /v1/proxy`: the upstream's status, headers and body, and
 * whether it is the first outcome of its `authority_request_id` answered
 * again (`replayed`), without calling the upstream.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ProxyResponse extends Schema.Class<ProxyResponse>("ProxyResponse")({
  status: Schema.Number,
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  body: Schema.optional(Schema.Unknown),
  body_encoding: Schema.optional(Schema.String),
  duration_ms: Schema.optional(Schema.Number),
  authority_request_id: Schema.optional(Schema.NullOr(Schema.String)),
  replayed: Schema.optional(Schema.Boolean),
  scan: Schema.optional(Schema.NullOr(ProxyScan))
}) {}

/**
 * The proxy endpoints, by name. A passport that is expired or revoked is
 * 401 `PASSPORT_EXPIRED` / `PASSPORT_REVOKED`; a service outside the
 * passport's scope, or a host outside the service's, is 403; an
 * `authority_request_id` reused for another request is 409 `CONFLICT`, and a
 * call under a mission paused by a cap 409 `MISSION_PAUSED`; an upstream
 * that fails, answers more than 10 MB or takes more than 30 s is 502
 * `UPSTREAM_ERROR` / `UPSTREAM_RESPONSE_TOO_LARGE` or 504 `UPSTREAM_TIMEOUT`
 * (not retried: the outcome is recorded under the id).
 *
 * @since 0.1.0
 * @category endpoints
 */
export const ProxyEndpoints = {
  request: Endpoint.post("request", "/v1/proxy")
    .setPayload(ProxyRequest)
    .setHeaders(ProxyHeaders)
    .addSuccess(ProxyResponse)
    .addError(Errors.BadGateway)
    .addError(Errors.GatewayTimeout)
    .pipe(Endpoint.write, Endpoint.keyedBy("authority_request_id"))
}
