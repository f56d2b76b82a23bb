/**
 * The notifications group of the wire contract: where STACK sends the events
 * of an operator (destinations: an email address, a phone number, a webhook
 * URL), which events go where (rules), and what became of each delivery.
 *
 * STACK documents `POST /v1/notifications/destinations` and its answer, the
 * 6-digit verification code (POSTed to a webhook signed with its secret;
 * nothing is delivered to an unverified destination), and the fields of a
 * rule (`events`, `min_severity`, `destination_ids`), which its REST docs
 * call "channels". The other paths (verify, resend, list, remove, the rule
 * paths under `/v1/notifications/channels`, the deliveries) and their
 * envelopes are the contract's choices; so are the rule's `id` and the whole
 * delivery record.
 *
 * Deliveries to a webhook are signed as `api/Webhooks.ts` describes; their
 * `webhook-id` is the delivery's id (`msg_…`), the same on every retry.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Cursor, Limit, PageFields, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"
import { WebhookEventType } from "./Webhooks.js"

/**
 * How a destination is reached.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChannelType = Schema.Literal("email", "sms", "webhook")

/**
 * @since 0.1.0
 * @category schemas
 */
export type ChannelType = typeof ChannelType.Type

/**
 * How serious an event is; a rule delivers the events at or above its
 * `min_severity`, in this order.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Severity = Schema.Literal("info", "warning", "critical")

/**
 * @since 0.1.0
 * @category schemas
 */
export type Severity = typeof Severity.Type

/**
 * The severities, least serious first.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SEVERITIES: ReadonlyArray<Severity> = Severity.literals

/**
 * Whether an event of `severity` reaches a rule of `minimum`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const meetsSeverity = (severity: Severity, minimum: Severity): boolean =>
  SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(minimum)

/**
 * The `min_severity` of a rule created without one (STACK: `"warning"`).
 *
 * @since 0.1.0
 * @category defaults
 */
export const DEFAULT_MIN_SEVERITY: Severity = "warning"

/**
 * The verification code: how many digits, how long it lives, and how many
 * wrong guesses burn it (then `resendVerification` makes a new one).
 *
 * @since 0.1.0
 * @category defaults
 */
export const VerificationCode = { digits: 6, ttlSeconds: 10 * 60, maxAttempts: 5 } as const

/**
 * When a failed delivery is tried again, after the attempt before: 1 s, 5 s,
 * 30 s, 2 min, 10 min. With the first, 6 attempts in all; then the delivery
 * is `failed`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const RetrySchedule: ReadonlyArray<number> = [1_000, 5_000, 30_000, 120_000, 600_000]

/**
 * Why `destination` is not a valid address for `channelType` (`undefined`
 * when it is): a webhook is an `http(s)` URL, an email an address, an SMS
 * number E.164 (`+` and 8 to 15 digits).
 *
 * @since 0.1.0
 * @category validation
 */
export const destinationProblem = (channelType: ChannelType, destination: string): string | undefined => {
  switch (channelType) {
    case "webhook": {
      let url: URL
      try {
        url = new URL(destination)
      } catch {
        return "must be an http(s) URL"
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http(s) URL"
      if (url.username !== "" || url.password !== "") return "must not carry credentials"
      return undefined
    }
    case "email":
      return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(destination) && destination.length <= 254
        ? undefined
        : "must be an email address"
    case "sms":
      return /^\+[0-9]{8,15}$/.test(destination) ? undefined : "must be an E.164 phone number: + and 8 to 15 digits"
  }
}

/**
 * Body of `POST /v1/notifications/destinations`. The destination must fit its
 * channel (see `destinationProblem`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AddDestinationRequest = Schema.Struct({
  channel_type: ChannelType,
  destination: Schema.String.pipe(
    Schema.minLength(1, { message: () => "must not be empty" }),
    Schema.maxLength(2048, { message: () => "must be at most 2048 characters" })
  ),
  governance_approval_id: Schema.optional(Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" })))
}).pipe(Schema.filter((request) => {
  const problem = destinationProblem(request.channel_type, request.destination)
  return problem === undefined ? true : { path: ["destination"], message: problem }
}))

/**
 * @since 0.1.0
 * @category schemas
 */
export type AddDestinationRequest = typeof AddDestinationRequest.Type

/**
 * A destination (STACK: a "delivery method"). `webhook_secret`, the HMAC
 * secret deliveries to a webhook are signed with, is in the answer of
 * `addDestination` only, once, decoded `Redacted` so that it never reaches a
 * log (`Redacted.value` reads it); later reads show `webhook_secret_hint`, a
 * masked form (`whsec_…abcd`). `verified` turns true with
 * `verifyDestination`; nothing but the verification code is delivered before.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Destination extends Schema.Class<Destination>("Destination")({
  id: Schema.String,
  operator_id: Schema.String,
  channel_type: ChannelType,
  destination: Schema.String,
  verified: Schema.Boolean,
  created_at: Timestamp,
  webhook_secret: Schema.optional(Schema.NullOr(Schema.Redacted(Schema.String))),
  webhook_secret_hint: Schema.optional(Schema.NullOr(Schema.String))
}) {}

/**
 * Body of `POST /v1/notifications/destinations/{id}/verify`: the 6-digit
 * code sent to the destination.
 *
 * @since 0.1.0
 * @category schemas
 */
export const VerifyDestinationRequest = Schema.Struct({
  code: Schema.String.pipe(Schema.pattern(/^[0-9]{6}$/, { message: () => "must be the 6 digits sent" }))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type VerifyDestinationRequest = typeof VerifyDestinationRequest.Type

/**
 * Answer of `resendVerification`: a new code was sent (the old one no longer
 * verifies).
 *
 * @since 0.1.0
 * @category schemas
 */
export class VerificationSent extends Schema.Class<VerificationSent>("VerificationSent")({
  sent: Schema.optional(Schema.Boolean)
}) {}

/**
 * Answer of `GET /v1/notifications/destinations`: every destination of the
 * operator, oldest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export class DestinationList extends Schema.Class<DestinationList>("DestinationList")({
  destinations: Schema.Array(Destination)
}) {}

/**
 * Answer of `removeDestination`. The destination is dropped from every rule
 * that named it, and its pending deliveries fail.
 *
 * @since 0.1.0
 * @category schemas
 */
export class RemovedDestination extends Schema.Class<RemovedDestination>("RemovedDestination")({
  id: Schema.optional(Schema.String),
  deleted: Schema.optional(Schema.Boolean)
}) {}

/**
 * Body of `POST /v1/notifications/channels`: which events (at least one),
 * from which severity on (default `"warning"`), go to which destinations (at
 * least one, each the operator's). `destination.verification` is not one to
 * subscribe to: it goes only to the destination being verified.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateRuleRequest = Schema.Struct({
  events: Schema.Array(WebhookEventType).pipe(
    Schema.minItems(1, { message: () => "must name at least one event type" }),
    Schema.maxItems(50, { message: () => "must name at most 50 event types" })
  ),
  min_severity: Schema.optional(Severity),
  destination_ids: Schema.Array(Schema.String).pipe(
    Schema.minItems(1, { message: () => "must name at least one destination" }),
    Schema.maxItems(50, { message: () => "must name at most 50 destinations" })
  )
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type CreateRuleRequest = typeof CreateRuleRequest.Type

/**
 * A rule (STACK's REST docs: a "channel"). `events` are decoded as plain
 * strings, so a rule naming a type added to STACK after this SDK version
 * still decodes: narrow with `isWebhookEventType`. The `id` is the
 * contract's (`nrul_…`), as is `created_at`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class NotificationRule extends Schema.Class<NotificationRule>("NotificationRule")({
  id: Schema.String,
  events: Schema.Array(Schema.String),
  min_severity: Severity,
  destination_ids: Schema.Array(Schema.String),
  created_at: Schema.optional(Timestamp)
}) {}

/**
 * Answer of `deleteRule`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class DeletedRule extends Schema.Class<DeletedRule>("DeletedRule")({
  id: Schema.optional(Schema.String),
  deleted: Schema.optional(Schema.Boolean)
}) {}

/**
 * Answer of `GET /v1/notifications/channels`: every rule, oldest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export class RuleList extends Schema.Class<RuleList>("RuleList")({
  rules: Schema.Array(NotificationRule)
}) {}

/**
 * Where a delivery is: waiting for its next attempt, delivered (a 2xx from
 * the webhook; an email or SMS once handed over), or failed for good.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DeliveryStatus = Schema.Literal("pending", "delivered", "failed")

/**
 * @since 0.1.0
 * @category schemas
 */
export type DeliveryStatus = typeof DeliveryStatus.Type

/**
 * One attempt of a delivery: when, the HTTP status answered (`null` when
 * none was: a network error or the 10-second timeout), what went wrong (an
 * excerpt of at most 200 characters, `null` on success) and how long it took.
 *
 * @since 0.1.0
 * @category schemas
 */
export class DeliveryAttempt extends Schema.Class<DeliveryAttempt>("DeliveryAttempt")({
  at: Timestamp,
  status_code: Schema.optional(Schema.NullOr(Schema.Number)),
  error: Schema.optional(Schema.NullOr(Schema.String)),
  duration_ms: Schema.optional(Schema.Number)
}) {}

/**
 * One event sent to one destination (all the contract's: STACK documents no
 * delivery record). `id` (`msg_…`) is the `webhook-id` of every attempt;
 * `next_attempt_at` is when a pending delivery is tried next.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Delivery extends Schema.Class<Delivery>("Delivery")({
  id: Schema.String,
  status: DeliveryStatus,
  event_id: Schema.optional(Schema.String),
  event_type: Schema.optional(Schema.String),
  destination_id: Schema.optional(Schema.String),
  attempts: Schema.optional(Schema.Array(DeliveryAttempt)),
  next_attempt_at: Schema.optional(Schema.NullOr(Timestamp)),
  created_at: Schema.optional(Timestamp)
}) {}

/**
 * Page sizes of `listDeliveries`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const DeliveryPageSize = { default: 20, max: 100 } as const

/**
 * Query of `GET /v1/notifications/deliveries`: newest first, narrowed to a
 * destination and a status; `cursor` (a page's `next_cursor`) reads the page
 * after it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListDeliveriesQuery = Schema.Struct({
  destination_id: Schema.optional(Schema.String),
  status: Schema.optional(DeliveryStatus),
  cursor: Schema.optional(Cursor),
  limit: Schema.optional(Limit(DeliveryPageSize.max))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListDeliveriesQuery = typeof ListDeliveriesQuery.Type

/**
 * One page of deliveries, newest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export class DeliveryPage extends Schema.Class<DeliveryPage>("DeliveryPage")({
  deliveries: Schema.Array(Delivery),
  ...PageFields
}) {}

/**
 * The notifications endpoints, by name.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const NotificationsEndpoints = {
  addDestination: Endpoint.post("addDestination", "/v1/notifications/destinations")
    .setPayload(AddDestinationRequest)
    .addSuccess(Destination, { status: 201 })
    .pipe(Endpoint.create),
  verifyDestination: Endpoint.post("verifyDestination", "/v1/notifications/destinations/:id/verify")
    .setPayload(VerifyDestinationRequest)
    .addSuccess(Destination)
    .pipe(Endpoint.write, Endpoint.idempotent),
  resendVerification: Endpoint.post("resendVerification", "/v1/notifications/destinations/:id/resend-verification")
    .addSuccess(VerificationSent)
    .pipe(Endpoint.write),
  listDestinations: Endpoint.get("listDestinations", "/v1/notifications/destinations")
    .addSuccess(DestinationList)
    .pipe(Endpoint.authenticated),
  removeDestination: Endpoint.del("removeDestination", "/v1/notifications/destinations/:id")
    .addSuccess(RemovedDestination)
    .pipe(Endpoint.write),
  createRule: Endpoint.post("createRule", "/v1/notifications/channels")
    .setPayload(CreateRuleRequest)
    .addSuccess(NotificationRule, { status: 201 })
    .pipe(Endpoint.write),
  listRules: Endpoint.get("listRules", "/v1/notifications/channels")
    .addSuccess(RuleList)
    .pipe(Endpoint.authenticated),
  deleteRule: Endpoint.del("deleteRule", "/v1/notifications/channels/:id")
    .addSuccess(DeletedRule)
    .pipe(Endpoint.write),
  listDeliveries: Endpoint.get("listDeliveries", "/v1/notifications/deliveries")
    .setUrlParams(ListDeliveriesQuery)
    .addSuccess(DeliveryPage)
    .pipe(Endpoint.list)
}
