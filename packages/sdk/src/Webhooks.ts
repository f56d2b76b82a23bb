/**
 * Signed webhooks, the Standard Webhooks way: make a secret, sign a delivery,
 * and, on the receiving end, verify a delivery and decode its event.
 *
 * Platform-neutral: HMAC-SHA256 through WebCrypto (`crypto.subtle`), so it
 * runs on Node, Deno, Bun, edge runtimes and browsers alike. Verification
 * reads the time from `Clock` (so `TestClock` drives it).
 *
 * ```ts
 * // in a handler, with the body as the raw bytes (or text) received
 * const event = yield* Webhooks.parseEvent(secret, request.headers, rawBody)
 * ```
 *
 * @since 0.1.0
 */
import type * as PlatformHeaders from "@effect/platform/Headers"
import * as Arr from "effect/Array"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import {
  SECRET_PREFIX,
  SIGNATURE_VERSION,
  signedContent,
  WEBHOOK_ID,
  WEBHOOK_SIGNATURE,
  WEBHOOK_TIMESTAMP,
  WebhookEvent
} from "./api/Webhooks.js"

/**
 * A webhook secret: `whsec_<base64 of the key>`, or the base64 alone. Keep it
 * `Redacted` so it never reaches a log.
 *
 * @since 0.1.0
 * @category models
 */
export type Secret = string | Redacted.Redacted<string>

/**
 * The headers of a delivery: a plain record (names in any case, Node's
 * `IncomingHttpHeaders` included), a web `Headers`, or `@effect/platform`
 * `Headers`.
 *
 * @since 0.1.0
 * @category models
 */
export type HeadersInput =
  | globalThis.Headers
  | PlatformHeaders.Headers
  | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/**
 * Options of `verify` and `parse`.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  /**
   * How far `webhook-timestamp` may be from now, either way, for the delivery
   * to be accepted; older deliveries are refused as possible replays.
   * Default 5 minutes.
   */
  readonly tolerance?: Duration.DurationInput | undefined
}

/**
 * What a refused delivery failed on.
 *
 * @since 0.1.0
 * @category errors
 */
export const VerificationFailure = Schema.Literal(
  "missing_headers",
  "invalid_timestamp",
  "timestamp_too_old",
  "timestamp_too_new",
  "invalid_signature",
  "invalid_secret",
  "invalid_payload"
)

/**
 * @since 0.1.0
 * @category errors
 */
export type VerificationFailure = typeof VerificationFailure.Type

/**
 * A delivery that was refused, and why. The message never holds a secret, a
 * signature or the body.
 *
 * @since 0.1.0
 * @category errors
 */
export class WebhookVerificationError extends Schema.TaggedError<WebhookVerificationError>()(
  "WebhookVerificationError",
  { reason: VerificationFailure, message: Schema.String }
) {}

const DEFAULT_TOLERANCE: Duration.DurationInput = "5 minutes"

const refuse = (reason: VerificationFailure, message: string) =>
  Effect.fail(new WebhookVerificationError({ reason, message }))

/** The HMAC key of a secret; a `Left` when it is not (prefixed) base64 of at least one byte. */
const keyOf = (secret: Secret): Either.Either<Uint8Array<ArrayBuffer>, void> => {
  const text = Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
  const base64 = (text.startsWith(SECRET_PREFIX) ? text.slice(SECRET_PREFIX.length) : text).trim()
  if (base64.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return Either.left(undefined)
  const padded = base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")
  return Either.match(Encoding.decodeBase64(padded), {
    onLeft: () => Either.left(undefined),
    onRight: (bytes) => bytes.length === 0 ? Either.left(undefined) : Either.right(new Uint8Array(bytes))
  })
}

/** HMAC-SHA256 of `content`, the key imported once for the call. */
const hmacSha256 = (key: Uint8Array<ArrayBuffer>, content: Uint8Array<ArrayBuffer>): Effect.Effect<Uint8Array<ArrayBuffer>> =>
  Effect.promise(async () => {
    const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, content))
  })

/** Compares every byte of two signatures of equal length: the time taken says nothing of where they differ. */
const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

const isWebHeaders = (headers: HeadersInput): headers is globalThis.Headers =>
  Predicate.hasProperty(headers, "get") && typeof headers.get === "function"

/** A header's value, whatever the case of its name; repeated values joined by a space. */
const headerOf = (headers: HeadersInput, name: string): string | undefined => {
  if (isWebHeaders(headers)) return headers.get(name) ?? undefined
  const record = headers as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  const values: Array<string> = []
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() !== name) continue
    const value = record[key]
    if (typeof value === "string") values.push(value)
    else if (value !== undefined) values.push(...value)
  }
  return values.length === 0 ? undefined : values.join(" ")
}

/**
 * The decoded `v1` signatures of a `webhook-signature` header. Entries of
 * other versions, and entries that are not base64, are skipped. A trailing
 * comma is dropped, as a web `Headers` joins repeated headers with `, `.
 */
const v1Signatures = (header: string): Array<Uint8Array> =>
  Arr.filterMap(header.split(/\s+/), (entry) => {
    const comma = entry.indexOf(",")
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) return Option.none()
    return Either.getRight(Encoding.decodeBase64(entry.slice(comma + 1).replace(/,$/, "")))
  })

const timestampOf = (timestamp: Date | number): number =>
  Math.floor(typeof timestamp === "number" ? timestamp : timestamp.getTime() / 1000)

/**
 * A new secret: `whsec_` and the base64 of 32 random bytes (from the
 * platform's cryptographic random source).
 *
 * @since 0.1.0
 * @category secrets
 */
export const generateSecret = (): Effect.Effect<Redacted.Redacted<string>> =>
  Effect.sync(() => Redacted.make(`${SECRET_PREFIX}${Encoding.encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`))

/**
 * What `sign` signs.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignInput {
  readonly secret: Secret
  /** The delivery's message id (`msg_…`), kept across retries of the delivery. */
  readonly id: string
  /** When it is signed: a `Date` or epoch seconds. Default: now, from `Clock`. */
  readonly timestamp?: Date | number | undefined
  /** The body exactly as it will be sent. */
  readonly body: string | Uint8Array
}

/**
 * The headers `sign` makes, to send with the body.
 *
 * @since 0.1.0
 * @category models
 */
export type SignedHeaders = {
  readonly "webhook-id": string
  readonly "webhook-timestamp": string
  readonly "webhook-signature": string
}

/**
 * Signs a delivery: the `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers to send with `body`. A secret that is not
 * base64 is a defect (the secret is not in its message).
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (input: SignInput): Effect.Effect<SignedHeaders> =>
  Effect.gen(function*() {
    const key = yield* Either.match(keyOf(input.secret), {
      onLeft: () => Effect.dieMessage("Webhooks.sign: the secret is not whsec_ followed by base64"),
      onRight: Effect.succeed
    })
    const timestamp = input.timestamp === undefined
      ? Math.floor((yield* Clock.currentTimeMillis) / 1000)
      : timestampOf(input.timestamp)
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      return yield* Effect.dieMessage("Webhooks.sign: the timestamp is not a valid time")
    }
    const signature = yield* hmacSha256(key, signedContent(input.id, timestamp, input.body))
    return {
      [WEBHOOK_ID]: input.id,
      [WEBHOOK_TIMESTAMP]: String(timestamp),
      [WEBHOOK_SIGNATURE]: `${SIGNATURE_VERSION},${Encoding.encodeBase64(signature)}`
    }
  })

/**
 * Verifies a delivery: its three headers are present, its timestamp is within
 * `tolerance` of now, and one of the `v1` signatures of `webhook-signature`
 * is the signature of `rawBody` by one of the secrets (give the old and the
 * new secret while rotating). Pass the body exactly as received: its bytes,
 * or its text undecoded by any JSON parser.
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (
  secret: Secret | ReadonlyArray<Secret>,
  headers: HeadersInput,
  rawBody: string | Uint8Array,
  options?: VerifyOptions
): Effect.Effect<void, WebhookVerificationError> =>
  Effect.gen(function*() {
    const secrets: ReadonlyArray<Secret> = Array.isArray(secret) ? secret : [secret as Secret]
    const keys: Array<Uint8Array<ArrayBuffer>> = []
    for (const [index, one] of secrets.entries()) {
      const key = keyOf(one)
      if (Either.isLeft(key)) {
        return yield* refuse(
          "invalid_secret",
          `webhook secret ${index + 1} of ${secrets.length} is not whsec_ followed by base64`
        )
      }
      keys.push(key.right)
    }
    if (keys.length === 0) return yield* refuse("invalid_secret", "no webhook secret was given")

    const id = headerOf(headers, WEBHOOK_ID)
    const timestampHeader = headerOf(headers, WEBHOOK_TIMESTAMP)
    const signatureHeader = headerOf(headers, WEBHOOK_SIGNATURE)
    if (id === undefined || timestampHeader === undefined || signatureHeader === undefined) {
      const missing = [
        [WEBHOOK_ID, id],
        [WEBHOOK_TIMESTAMP, timestampHeader],
        [WEBHOOK_SIGNATURE, signatureHeader]
      ].filter(([, value]) => value === undefined).map(([name]) => name)
      return yield* refuse("missing_headers", `the delivery lacks the ${missing.join(", ")} header(s)`)
    }

    const timestamp = timestampHeader.trim()
    if (!/^\d{1,15}$/.test(timestamp)) {
      return yield* refuse("invalid_timestamp", `${WEBHOOK_TIMESTAMP} is not a whole number of epoch seconds`)
    }
    const toleranceMs = Duration.toMillis(Duration.decode(options?.tolerance ?? DEFAULT_TOLERANCE))
    const skewMs = (yield* Clock.currentTimeMillis) - Number(timestamp) * 1000
    if (skewMs > toleranceMs) {
      return yield* refuse(
        "timestamp_too_old",
        `${WEBHOOK_TIMESTAMP} is ${Math.floor(skewMs / 1000)} s in the past, beyond the tolerance of ${toleranceMs / 1000} s`
      )
    }
    if (-skewMs > toleranceMs) {
      return yield* refuse(
        "timestamp_too_new",
        `${WEBHOOK_TIMESTAMP} is ${Math.floor(-skewMs / 1000)} s in the future, beyond the tolerance of ${toleranceMs / 1000} s`
      )
    }

    const candidates = v1Signatures(signatureHeader)
    if (candidates.length === 0) {
      return yield* refuse("invalid_signature", `${WEBHOOK_SIGNATURE} holds no ${SIGNATURE_VERSION} signature`)
    }
    const content = signedContent(id, timestamp, rawBody)
    const expected = yield* Effect.forEach(keys, (key) => hmacSha256(key, content))
    if (!expected.some((signature) => candidates.some((candidate) => constantTimeEqual(signature, candidate)))) {
      return yield* refuse(
        "invalid_signature",
        `no ${SIGNATURE_VERSION} signature of ${WEBHOOK_SIGNATURE} matches the body with the ${keys.length} secret(s) given`
      )
    }
  })

const fromUtf8 = new TextDecoder("utf-8", { fatal: true })

/** Where a value fails its schema, without the values. */
const mismatchedPaths = (error: ParseResult.ParseError): Array<string> => [
  ...new Set(
    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.path.map(String).join(".") || "(root)")
  )
]

/**
 * Verifies a delivery (as `verify` does), then parses its body as JSON and
 * decodes it with `schema`. A body that is not JSON, or that does not match
 * the schema, is refused with `invalid_payload`; the message names the
 * mismatched fields, not their values.
 *
 * @since 0.1.0
 * @category verifying
 */
export const parse = <A, I, R>(schema: Schema.Schema<A, I, R>) => {
  const decode = Schema.decodeUnknown(schema, { errors: "all" })
  const name = Option.getOrElse(AST.getIdentifierAnnotation(AST.typeAST(schema.ast)), () => "the schema")
  return (
    secret: Secret | ReadonlyArray<Secret>,
    headers: HeadersInput,
    rawBody: string | Uint8Array,
    options?: VerifyOptions
  ): Effect.Effect<A, WebhookVerificationError, R> =>
    Effect.gen(function*() {
      yield* verify(secret, headers, rawBody, options)
      let json: unknown
      try {
        json = JSON.parse(typeof rawBody === "string" ? rawBody : fromUtf8.decode(rawBody))
      } catch {
        return yield* refuse("invalid_payload", "the webhook body is not JSON")
      }
      return yield* Effect.mapError(
        decode(json),
        (error) =>
          new WebhookVerificationError({
            reason: "invalid_payload",
            message: `the webhook body does not match ${name} at ${mismatchedPaths(error).join(", ")}`
          })
      )
    })
}

/**
 * Verifies a delivery and decodes its `WebhookEvent`: `parse(WebhookEvent)`.
 *
 * @since 0.1.0
 * @category verifying
 */
export const parseEvent = parse(WebhookEvent)
