/**
 * The wire contract of a webhook delivery, shared by the SDK (which verifies
 * deliveries) and the emulator (which sends them).
 *
 * STACK delivers each notification event to the operator's webhook URL as an
 * HTTP `POST` whose JSON body is a `WebhookEvent`, signed the way Standard
 * Webhooks (standardwebhooks.com) sign:
 * - `webhook-id`: the delivery's message id (`msg_…`), the same on every
 *   retry of one delivery;
 * - `webhook-timestamp`: when it was signed, in epoch seconds (decimal);
 * - `webhook-signature`: one or more space-separated `v1,<signature>`, each
 *   the standard, padded base64 of HMAC-SHA256 over `signedContent`, keyed by
 *   the bytes of the secret (`whsec_<base64 of the key>`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Timestamp } from "./Common.js"

/**
 * The header carrying the delivery's message id.
 *
 * @since 0.1.0
 * @category headers
 */
export const WEBHOOK_ID = "webhook-id"

/**
 * The header carrying when the delivery was signed, in epoch seconds.
 *
 * @since 0.1.0
 * @category headers
 */
export const WEBHOOK_TIMESTAMP = "webhook-timestamp"

/**
 * The header carrying the space-separated `v1,<base64>` signatures.
 *
 * @since 0.1.0
 * @category headers
 */
export const WEBHOOK_SIGNATURE = "webhook-signature"

/**
 * The version prefix of the signatures this contract defines (HMAC-SHA256).
 * Entries with another prefix are ignored by receivers.
 *
 * @since 0.1.0
 * @category signatures
 */
export const SIGNATURE_VERSION = "v1"

/**
 * The prefix of a webhook secret; the rest is the base64 of the HMAC key.
 *
 * @since 0.1.0
 * @category signatures
 */
export const SECRET_PREFIX = "whsec_"

const utf8 = new TextEncoder()

/**
 * The bytes a signature covers: the UTF-8 of `${id}.${timestamp}.` followed
 * by the body exactly as sent. Give the body as the bytes received, not as
 * re-serialized JSON: a single changed byte changes the signature.
 *
 * @since 0.1.0
 * @category signatures
 */
export const signedContent = (
  id: string,
  timestamp: string | number,
  body: string | Uint8Array
): Uint8Array<ArrayBuffer> => {
  const prefix = utf8.encode(`${id}.${timestamp}.`)
  const bytes = typeof body === "string" ? utf8.encode(body) : body
  const content = new Uint8Array(prefix.length + bytes.length)
  content.set(prefix)
  content.set(bytes, prefix.length)
  return content
}

/**
 * The event types STACK delivers.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WebhookEventType = Schema.Literal(
  "passport.flagged",
  "passport.revoked",
  "agent.blocked",
  "security_event.created",
  "mission.completed",
  "dropoff.expired",
  "destination.verification"
)

/**
 * @since 0.1.0
 * @category schemas
 */
export type WebhookEventType = typeof WebhookEventType.Type

/**
 * Whether a type (of a `WebhookEventAny`) is one this version of the SDK knows.
 *
 * @since 0.1.0
 * @category guards
 */
export const isWebhookEventType: (u: unknown) => u is WebhookEventType = Schema.is(WebhookEventType)

const eventFields = {
  /** The event's id (`evt_…`), the same on every delivery of the event. */
  id: Schema.String,
  created_at: Timestamp,
  operator_id: Schema.String,
  /** The event's subject: its shape depends on `type`. */
  data: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}

/**
 * An event, as delivered. Unknown fields are ignored, but `type` must be one
 * of `WebhookEventType`, so a `switch` on it is exhaustive; an event of a type
 * added to STACK after this SDK version does not decode. A receiver that must
 * accept every delivery decodes `WebhookEventAny` instead.
 *
 * @since 0.1.0
 * @category schemas
 */
export class WebhookEvent extends Schema.Class<WebhookEvent>("WebhookEvent")({
  ...eventFields,
  type: WebhookEventType
}) {}

/**
 * An event of any type, for forward compatibility: `type` is a plain string,
 * to narrow with `isWebhookEventType`. Decode this when an event type STACK
 * adds later must still be accepted (and acknowledged) rather than refused.
 *
 * @since 0.1.0
 * @category schemas
 */
export class WebhookEventAny extends Schema.Class<WebhookEventAny>("WebhookEventAny")({
  ...eventFields,
  type: Schema.String
}) {}
