/**
 * Signed webhooks, Standard Webhooks style: the reference vector, sign/verify
 * round trips, every refusal with its reason, secret rotation, the header
 * shapes a receiver meets, decoding the event, and bytes verified as they
 * arrive over a real socket.
 */
import * as PlatformHeaders from "@effect/platform/Headers"
import { describe, expect, it } from "@effect/vitest"
import * as Webhooks from "@getstack/effect/Webhooks"
import { WebhookEvent, WebhookEventAny } from "@getstack/effect/api/Webhooks"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { createHmac } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** The Standard Webhooks reference vector. */
const Vector = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: "{\"test\": 2432232314}",
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
}

const SECRET = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMDAx"
const OTHER_SECRET = "whsec_YW5vdGhlci1zZWNyZXQta2V5LWZvci10ZXN0cy0wMg=="

const EVENT = {
  id: "evt_1",
  type: "passport.revoked",
  created_at: "2026-03-04T05:06:07.000Z",
  operator_id: "op_1",
  data: { passport_id: "pp_1", reason: "mission ended" }
}
const BODY = JSON.stringify(EVENT)

/** Epoch seconds of the TestClock. */
const nowSeconds = Effect.map(DateTime.now, (now) => Math.floor(DateTime.toEpochMillis(now) / 1000))

/** The reason a delivery is refused with. */
const reasonOf = <A>(effect: Effect.Effect<A, Webhooks.WebhookVerificationError>) =>
  Effect.map(Effect.flip(effect), (error) => error.reason)

describe("signing", () => {
  it.effect("matches the Standard Webhooks reference vector, and verifies it", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: Vector.secret, id: Vector.id, timestamp: Vector.timestamp, body: Vector.body })
      expect(headers).toEqual({
        "webhook-id": Vector.id,
        "webhook-timestamp": "1614265330",
        "webhook-signature": Vector.signature
      })
      const asDate = yield* Webhooks.sign({
        secret: Redacted.make(Vector.secret),
        id: Vector.id,
        timestamp: new Date(Vector.timestamp * 1000 + 999),
        body: Vector.body
      })
      expect(asDate["webhook-signature"]).toBe(Vector.signature)

      yield* TestClock.setTime(Vector.timestamp * 1000)
      const received = { "webhook-id": Vector.id, "webhook-timestamp": "1614265330", "webhook-signature": Vector.signature }
      yield* Webhooks.verify(Vector.secret, received, Vector.body)
      // the secret without its prefix is the same key
      yield* Webhooks.verify(Vector.secret.slice("whsec_".length), received, Vector.body)
    }))

  it.effect("agrees with node:crypto on a non-ASCII body, given as text or as bytes", () =>
    Effect.gen(function*() {
      const body = "{\"note\":\"café ✓ — 日本\"}"
      const bytes = new TextEncoder().encode(body)
      const key = Buffer.from(SECRET.slice("whsec_".length), "base64")
      const expected = createHmac("sha256", key).update(`msg_2.1700000000.${body}`, "utf8").digest("base64")
      const fromText = yield* Webhooks.sign({ secret: SECRET, id: "msg_2", timestamp: 1700000000, body })
      const fromBytes = yield* Webhooks.sign({ secret: SECRET, id: "msg_2", timestamp: 1700000000, body: bytes })
      expect(fromText["webhook-signature"]).toBe(`v1,${expected}`)
      expect(fromBytes["webhook-signature"]).toBe(`v1,${expected}`)
    }))

  it.effect("without a timestamp, signs at the Clock's now", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_500)
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_3", body: BODY })
      expect(headers["webhook-timestamp"]).toBe("1700000000")
    }))

  it.effect("generateSecret makes a redacted whsec_ secret of 32 random bytes that signs and verifies", () =>
    Effect.gen(function*() {
      const secret = yield* Webhooks.generateSecret()
      const other = yield* Webhooks.generateSecret()
      const text = Redacted.value(secret)
      expect(text).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
      expect(Either.getOrThrow(Encoding.decodeBase64(text.slice("whsec_".length)))).toHaveLength(32)
      expect(Redacted.value(other)).not.toBe(text)
      expect(String(secret)).not.toContain(text.slice("whsec_".length))
      const headers = yield* Webhooks.sign({ secret, id: "msg_4", body: BODY })
      yield* Webhooks.verify(secret, headers, BODY)
      expect(yield* reasonOf(Webhooks.verify(other, headers, BODY))).toBe("invalid_signature")
    }))
})

describe("verify", () => {
  it.effect("accepts what sign signed, the body as text or as bytes", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", timestamp: yield* nowSeconds, body: BODY })
      yield* Webhooks.verify(SECRET, headers, BODY)
      yield* Webhooks.verify(Redacted.make(SECRET), headers, new TextEncoder().encode(BODY))
    }))

  it.effect("refuses a changed body, another id and a wrong secret with invalid_signature", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      expect(yield* reasonOf(Webhooks.verify(SECRET, headers, BODY.replace("pp_1", "pp_2")))).toBe("invalid_signature")
      expect(yield* reasonOf(Webhooks.verify(SECRET, headers, `${BODY} `))).toBe("invalid_signature")
      expect(yield* reasonOf(Webhooks.verify(SECRET, { ...headers, "webhook-id": "msg_2" }, BODY))).toBe("invalid_signature")
      expect(yield* reasonOf(Webhooks.verify(OTHER_SECRET, headers, BODY))).toBe("invalid_signature")
      // a signature header with nothing usable in it
      const unusable = { ...headers, "webhook-signature": "v1,not*base64 garbage" }
      expect(yield* reasonOf(Webhooks.verify(SECRET, unusable, BODY))).toBe("invalid_signature")
      // another timestamp in the header than the one signed
      const shifted = { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) + 1) }
      expect(yield* reasonOf(Webhooks.verify(SECRET, shifted, BODY))).toBe("invalid_signature")
    }))

  it.effect("refuses a delivery older than the tolerance with timestamp_too_old (5 minutes by default)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      yield* TestClock.adjust("5 minutes")
      yield* Webhooks.verify(SECRET, headers, BODY)
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Webhooks.verify(SECRET, headers, BODY))
      expect(error.reason).toBe("timestamp_too_old")
      expect(error.message).toContain("301 s in the past")
      yield* Webhooks.verify(SECRET, headers, BODY, { tolerance: "10 minutes" })
      yield* TestClock.adjust("10 minutes")
      expect(yield* reasonOf(Webhooks.verify(SECRET, headers, BODY, { tolerance: "10 minutes" }))).toBe("timestamp_too_old")
    }))

  it.effect("refuses a delivery from further in the future than the tolerance with timestamp_too_new", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const soon = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", timestamp: 1_700_000_000 + 300, body: BODY })
      yield* Webhooks.verify(SECRET, soon, BODY)
      const later = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", timestamp: 1_700_000_000 + 301, body: BODY })
      expect(yield* reasonOf(Webhooks.verify(SECRET, later, BODY))).toBe("timestamp_too_new")
    }))

  it.effect("refuses a delivery missing any of the three headers with missing_headers, naming them", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"] as const) {
        const { [name]: _, ...rest } = headers
        const error = yield* Effect.flip(Webhooks.verify(SECRET, rest, BODY))
        expect(error.reason).toBe("missing_headers")
        expect(error.message).toContain(name)
      }
      expect(yield* reasonOf(Webhooks.verify(SECRET, {}, BODY))).toBe("missing_headers")
    }))

  it.effect("refuses a timestamp that is not whole epoch seconds with invalid_timestamp", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      for (const timestamp of ["abc", "", "1.5", "-5", "1e3", "2023-11-14T22:13:20Z"]) {
        const reason = yield* reasonOf(Webhooks.verify(SECRET, { ...headers, "webhook-timestamp": timestamp }, BODY))
        expect(reason, timestamp).toBe("invalid_timestamp")
      }
    }))

  it.effect("refuses a secret that is not base64, or no secret at all, with invalid_secret", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      expect(yield* reasonOf(Webhooks.verify("whsec_not base64!", headers, BODY))).toBe("invalid_secret")
      expect(yield* reasonOf(Webhooks.verify("whsec_", headers, BODY))).toBe("invalid_secret")
      expect(yield* reasonOf(Webhooks.verify([SECRET, "whsec_%%%"], headers, BODY))).toBe("invalid_secret")
      expect(yield* reasonOf(Webhooks.verify([], headers, BODY))).toBe("invalid_secret")
    }))

  it.effect("an error never holds the secret, whether redacted or not", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      const badSecret = "whsec_THIS-IS-SECRET!"
      const errors = [
        yield* Effect.flip(Webhooks.verify(Redacted.make(SECRET), headers, "tampered")),
        yield* Effect.flip(Webhooks.verify(SECRET, headers, "tampered")),
        yield* Effect.flip(Webhooks.verify([OTHER_SECRET, SECRET], { ...headers, "webhook-timestamp": "0" }, BODY)),
        yield* Effect.flip(Webhooks.verify(badSecret, headers, BODY)),
        yield* Effect.flip(Webhooks.parseEvent(SECRET, yield* Webhooks.sign({ secret: SECRET, id: "m", body: "{" }), "{"))
      ]
      for (const error of errors) {
        for (const shown of [String(error), JSON.stringify(error), error.message, error.stack ?? ""]) {
          for (const secret of [SECRET, OTHER_SECRET, badSecret]) {
            expect(shown).not.toContain(secret.slice("whsec_".length))
          }
          expect(shown).not.toContain(headers["webhook-signature"].slice("v1,".length))
        }
      }
    }))
})

describe("rotation", () => {
  it.effect("accepts a delivery when any v1 signature matches any of the secrets", () =>
    Effect.gen(function*() {
      const byNew = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      const byOld = yield* Webhooks.sign({ secret: OTHER_SECRET, id: "msg_1", body: BODY })
      // the receiver knows both secrets while rotating
      yield* Webhooks.verify([OTHER_SECRET, SECRET], byNew, BODY)
      yield* Webhooks.verify([OTHER_SECRET, SECRET], byOld, BODY)
      expect(yield* reasonOf(Webhooks.verify([OTHER_SECRET], byNew, BODY))).toBe("invalid_signature")
      // the sender signs with both; a receiver knowing either accepts
      const both = { ...byNew, "webhook-signature": `${byOld["webhook-signature"]} ${byNew["webhook-signature"]}` }
      yield* Webhooks.verify(SECRET, both, BODY)
      yield* Webhooks.verify(OTHER_SECRET, both, BODY)
      yield* Webhooks.verify(Redacted.make(SECRET), both, BODY)
    }))

  it.effect("ignores entries of another version, even one carrying the right signature bytes", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      const value = headers["webhook-signature"].slice("v1,".length)
      const onlyV2 = { ...headers, "webhook-signature": `v2,${value}` }
      expect(yield* reasonOf(Webhooks.verify(SECRET, onlyV2, BODY))).toBe("invalid_signature")
      const v2AndBadV1 = { ...headers, "webhook-signature": `v2,${value} v1,${Encoding.encodeBase64(new Uint8Array(32))}` }
      expect(yield* reasonOf(Webhooks.verify(SECRET, v2AndBadV1, BODY))).toBe("invalid_signature")
      const v2AndGoodV1 = { ...headers, "webhook-signature": `v2,whatever v1a,${value} ${headers["webhook-signature"]}` }
      yield* Webhooks.verify(SECRET, v2AndGoodV1, BODY)
    }))
})

describe("header shapes", () => {
  it.effect("a plain record with names in any case, with array values as Node gives them", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      const mixed = {
        "Webhook-Id": headers["webhook-id"],
        "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
        "webhook-Signature": headers["webhook-signature"],
        "Content-Type": "application/json"
      }
      yield* Webhooks.verify(SECRET, mixed, BODY)
      const arrays = { ...mixed, "webhook-Signature": ["v1,AAAA", headers["webhook-signature"]], "x-absent": undefined }
      yield* Webhooks.verify(SECRET, arrays, BODY)
      const tampered = { ...mixed, "WEBHOOK-ID": "msg_2", "Webhook-Id": undefined }
      expect(yield* reasonOf(Webhooks.verify(SECRET, tampered, BODY))).toBe("invalid_signature")
    }))

  it.effect("a web Headers, repeated signature headers included", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      yield* Webhooks.verify(SECRET, new Headers(headers), BODY)
      const repeated = new Headers({ "Webhook-Id": headers["webhook-id"], "Webhook-Timestamp": headers["webhook-timestamp"] })
      repeated.append("Webhook-Signature", "v1,AAAA")
      repeated.append("Webhook-Signature", headers["webhook-signature"])
      yield* Webhooks.verify(SECRET, repeated, BODY)
      const missing = new Headers({ "webhook-id": headers["webhook-id"], "webhook-signature": headers["webhook-signature"] })
      expect(yield* reasonOf(Webhooks.verify(SECRET, missing, BODY))).toBe("missing_headers")
    }))

  it.effect("@effect/platform Headers", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: BODY })
      yield* Webhooks.verify(SECRET, PlatformHeaders.fromInput(headers), BODY)
      const changed = PlatformHeaders.set(PlatformHeaders.fromInput(headers), "Webhook-Id", "msg_9")
      expect(yield* reasonOf(Webhooks.verify(SECRET, changed, BODY))).toBe("invalid_signature")
    }))
})

describe("parse", () => {
  it.effect("verifies, then decodes a WebhookEvent: created_at a DateTime, unknown fields dropped", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ ...EVENT, delivered_by: "a future field" })
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body })
      const event = yield* Webhooks.parseEvent(SECRET, headers, new TextEncoder().encode(body))
      expect(event).toBeInstanceOf(WebhookEvent)
      expect(event.type).toBe("passport.revoked")
      expect(DateTime.isDateTime(event.created_at)).toBe(true)
      expect(DateTime.formatIso(event.created_at)).toBe(EVENT.created_at)
      expect(event.data).toEqual(EVENT.data)
      expect(event).not.toHaveProperty("delivered_by")
      const same = yield* Webhooks.parse(WebhookEvent)(SECRET, headers, body)
      expect(same.id).toBe("evt_1")
    }))

  it.effect("refuses a body that is not JSON with invalid_payload", () =>
    Effect.gen(function*() {
      for (const body of ["not json", "{\"id\":", ""]) {
        const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body })
        const error = yield* Effect.flip(Webhooks.parseEvent(SECRET, headers, body))
        expect(error.reason).toBe("invalid_payload")
        expect(error.message).toContain("not JSON")
      }
      const invalidUtf8 = new Uint8Array([0x7b, 0xff, 0x7d])
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: invalidUtf8 })
      expect(yield* reasonOf(Webhooks.parseEvent(SECRET, headers, invalidUtf8))).toBe("invalid_payload")
    }))

  it.effect("refuses a body of the wrong shape with invalid_payload naming the fields, not their values", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ ...EVENT, created_at: "yesterday-ish", operator_id: 42 })
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body })
      const error = yield* Effect.flip(Webhooks.parseEvent(SECRET, headers, body))
      expect(error.reason).toBe("invalid_payload")
      expect(error.message).toContain("WebhookEvent")
      expect(error.message).toContain("created_at")
      expect(error.message).toContain("operator_id")
      expect(error.message).not.toContain("yesterday-ish")
      expect(yield* reasonOf(Webhooks.parseEvent(SECRET, headers, "[1,2]"))).toBe("invalid_signature")
    }))

  it.effect("an event type added later is refused by WebhookEvent but decodes as WebhookEventAny", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ ...EVENT, type: "passport.teleported" })
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body })
      const error = yield* Effect.flip(Webhooks.parseEvent(SECRET, headers, body))
      expect(error.reason).toBe("invalid_payload")
      expect(error.message).toContain("type")
      const event = yield* Webhooks.parse(WebhookEventAny)(SECRET, headers, body)
      expect(event.type).toBe("passport.teleported")
      expect(DateTime.isDateTime(event.created_at)).toBe(true)
    }))

  it.effect("checks the signature before the payload", () =>
    Effect.gen(function*() {
      const headers = yield* Webhooks.sign({ secret: SECRET, id: "msg_1", body: "not json" })
      expect(yield* reasonOf(Webhooks.parseEvent(OTHER_SECRET, headers, "not json"))).toBe("invalid_signature")
    }))
})

interface Received {
  readonly status: number
  readonly reason?: string
}

/** A `node:http` receiver that verifies each delivery from the bytes it read off the socket; closed with the scope. */
const receiver = (secret: Webhooks.Secret) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly server: Http.Server; readonly bodies: Array<Buffer> }>((resume) => {
      const bodies: Array<Buffer> = []
      const server = Http.createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const raw = Buffer.concat(chunks)
          bodies.push(raw)
          void Effect.runPromise(Effect.either(Webhooks.parseEvent(secret, request.headers, raw))).then((result) => {
            response.writeHead(Either.isRight(result) ? 200 : 400, { "content-type": "application/json" })
            response.end(JSON.stringify(Either.isRight(result) ? { type: result.right.type } : { reason: result.left.reason }))
          })
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server, bodies })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const post = (url: string, headers: Record<string, string>, body: string) =>
  Effect.promise(async (): Promise<Received> => {
    const response = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body })
    const json = (await response.json()) as { readonly reason?: string }
    return json.reason === undefined ? { status: response.status } : { status: response.status, reason: json.reason }
  })

describe("over a real socket", () => {
  it.live("the bytes on the wire verify; a tampered body does not", () =>
    Effect.gen(function*() {
      const secret = yield* Webhooks.generateSecret()
      const { bodies, url } = yield* receiver(secret)
      const body = JSON.stringify({ ...EVENT, data: { note: "café ✓ — 日本", spaced: "a  b" } }, null, 2)
      const headers = yield* Webhooks.sign({ secret, id: "msg_live_1", timestamp: new Date(), body })

      expect(yield* post(url, headers, body)).toEqual({ status: 200 })
      expect(bodies[0]!.equals(Buffer.from(body, "utf8"))).toBe(true)

      const tampered = body.replace("evt_1", "evt_2")
      expect(tampered).not.toBe(body)
      expect(yield* post(url, headers, tampered)).toEqual({ status: 400, reason: "invalid_signature" })
      const reserialized = JSON.stringify(JSON.parse(body))
      expect(yield* post(url, headers, reserialized)).toEqual({ status: 400, reason: "invalid_signature" })
    }).pipe(Effect.scoped))
})
