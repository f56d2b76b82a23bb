/**
 * Notifications, served by the emulator and delivered over real HTTP to a
 * `node:http` receiver started by each test: destinations verified with the
 * code a signed `destination.verification` carries (or the outbox holds),
 * rules routing `Events.emit` to verified destinations only, signed
 * deliveries retried with backoff on the TestClock until delivered or
 * failed, validation, isolation between operators, and the SDK service.
 */
import { describe, expect, it } from "@effect/vitest"
import { Auth, StackClient, StackError, Webhooks } from "@getstack/effect"
import { WebhookEvent } from "@getstack/effect/api/Webhooks"
import * as Notifications from "@getstack/effect/Notifications"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Events from "../src/core/Events.js"
import type { OutboxMessage } from "../src/notifications/Delivery.js"
import { client, enrolled, expectError, type Reply, T0 } from "./support/Client.js"

// ---------------------------------------------------------------------------------------------------------------------
// the receiver: a real HTTP server on port 0 that records what it is sent and answers the statuses it is told

interface Hit {
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
  readonly json: any
}

interface Receiver {
  readonly url: string
  readonly hits: ReadonlyArray<Hit>
  /** Answers these statuses to the next requests, in order, then `otherwise` (200 unless told). */
  readonly answer: (statuses: ReadonlyArray<number>, otherwise?: number) => void
  /** Waits (in real time, 3 s at most) until `count` requests have come. */
  readonly waitFor: (count: number) => Effect.Effect<ReadonlyArray<Hit>>
  /** Stops listening and drops every connection. */
  readonly close: Effect.Effect<void>
}

const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

const startReceiver: Effect.Effect<Receiver, never, import("effect/Scope").Scope> = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<Receiver>((resolve) => {
      const hits: Array<Hit> = []
      let queued: Array<number> = []
      let otherwise = 200
      const listeners = new Set<() => void>()
      const server = Http.createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8")
          let json: any
          try {
            json = JSON.parse(body)
          } catch {
            json = undefined
          }
          hits.push({ headers: request.headers, body, json })
          const status = queued.shift() ?? otherwise
          response.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : `receiver says ${status}`)
          for (const listener of listeners) listener()
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resolve({
          url: `http://127.0.0.1:${port}/hooks/stack`,
          hits,
          answer: (statuses, fallback = 200) => {
            queued = [...statuses]
            otherwise = fallback
          },
          waitFor: (count) =>
            Effect.promise(() =>
              new Promise<ReadonlyArray<Hit>>((done, fail) => {
                const check = () => {
                  if (hits.length < count) return
                  listeners.delete(check)
                  clearTimeout(timer)
                  done([...hits])
                }
                const timer = setTimeout(() => {
                  listeners.delete(check)
                  fail(new Error(`waited for ${count} requests; the receiver got ${hits.length}`))
                }, 3000)
                listeners.add(check)
                check()
              })
            ),
          close: Effect.promise(() =>
            new Promise<void>((done) => {
              server.close(() => done())
              server.closeAllConnections()
            })
          )
        })
      })
    })
  ),
  (receiver) => receiver.close
)

// ---------------------------------------------------------------------------------------------------------------------
// the emulator with the notifications routes and the delivery worker, and the hooks a test needs

class Hooks extends Context.Tag("test/NotificationsHooks")<Hooks, {
  /** `Events.emit`, in a transaction of its own, as a domain action would: the event's id and how many deliveries it made. */
  readonly emit: (input: Events.EmitInput) => Effect.Effect<{ readonly id: string; readonly deliveries: number }>
  /** An operator's outbox, oldest first. */
  readonly outbox: (operatorId: string) => Effect.Effect<ReadonlyArray<OutboxMessage>>
}>() {}

/** The emulator (nothing held for a human's approval) and its hooks. */
const layerNotifications: Layer.Layer<Emulator.Emulator | Hooks> = Layer.effectContext(
  Effect.map(Emulator.Emulator, (emulator) => Context.make(Hooks, { emit: emulator.emit, outbox: emulator.outbox }))
).pipe(Layer.provideMerge(Emulator.layer({ checkDeclaredErrors: true, governance: [] })), Layer.orDie)

/** Runs `body` against a fresh emulator (with notifications) at T0 on the TestClock, with a receiver. */
const withNotifications = <A, E>(
  body: (receiver: Receiver) => Effect.Effect<A, E, Emulator.Emulator | Hooks | import("effect/Scope").Scope>
) =>
  Effect.zipRight(
    TestClock.setTime(T0),
    Effect.scoped(Effect.flatMap(startReceiver, (receiver) => body(receiver))).pipe(Effect.provide(layerNotifications))
  )

/** The SDK's notifications service over the same emulator, in process. */
const layerSdk = Layer.unwrapEffect(Effect.map(Emulator.Emulator, (emulator) =>
  Notifications.layer.pipe(
    Layer.provideMerge(StackClient.layer({ auth: Auth.apiKey(emulator.apiKey), baseUrl: "http://emulator.test" }))
  ))).pipe(Layer.provide(Emulator.layerHttpClient))

// ---------------------------------------------------------------------------------------------------------------------
// helpers

const ok = (reply: Reply, status = 200) => {
  expect(reply.status, reply.text).toBe(status)
  return reply.json
}

/** Polls (in real time, 3 s at most) until `check` holds of what `read` gives. */
const eventually = <A, E, R>(read: Effect.Effect<A, E, R>, check: (a: A) => boolean, what: string): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < 300; i++) {
      const value = yield* read
      if (check(value)) return value
      yield* realSleep(10)
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

/** Waits until a fiber sleeps until `at` on the TestClock (the worker waiting for the next attempt). */
const sleepingUntil = (at: number) =>
  eventually(TestClock.sleeps(), (sleeps) => Chunk.toReadonlyArray(sleeps).includes(at), `a sleep until ${at}`)

/** The default operator's deliveries, as the API lists them. */
const deliveries = (query = "", auth?: string) =>
  Effect.flatMap(client, ({ get }) =>
    Effect.map(
      get(`/v1/notifications/deliveries${query}`, auth === undefined ? {} : { auth }),
      (reply) => ok(reply).deliveries as Array<any>
    ))

/** One delivery, by id, as listed. */
const deliveryOf = (id: string) =>
  Effect.map(deliveries("?limit=100"), (all) => all.find((delivery) => delivery.id === id))

/** Adds a destination (201 expected). */
const addDestination = (channel_type: "email" | "sms" | "webhook", destination: string) =>
  Effect.flatMap(client, ({ post }) =>
    Effect.map(post("/v1/notifications/destinations", { channel_type, destination }), (reply) => ok(reply, 201)))

/** The verification events a receiver got for a destination, in order. */
const codesFor = (receiver: Receiver, destinationId: string) =>
  receiver.hits.filter((hit) => hit.json?.type === "destination.verification" && hit.json.data.destination_id === destinationId)

/** Adds a webhook destination at the receiver and verifies it with the code it gets; its id and secret. */
const verifiedWebhook = (receiver: Receiver) =>
  Effect.gen(function*() {
    const { post } = yield* client
    const before = receiver.hits.length
    const added = yield* addDestination("webhook", receiver.url)
    yield* receiver.waitFor(before + 1)
    const [code] = codesFor(receiver, added.id)
    ok(yield* post(`/v1/notifications/destinations/${added.id}/verify`, { code: code!.json.data.code }))
    return { id: added.id as string, secret: added.webhook_secret as string }
  })

/** The latest code the outbox holds for a destination. */
const outboxCode = (destinationId: string) =>
  Effect.gen(function*() {
    const { emulator } = yield* client
    const hooks = yield* Hooks
    const messages = (yield* hooks.outbox(emulator.operatorId)).filter((message) =>
      message.destination_id === destinationId && message.event_type === "destination.verification"
    )
    return JSON.parse(messages[messages.length - 1]!.body).data.code as string
  })

/** Adds an email destination and verifies it with the code from the outbox; its id. */
const verifiedEmail = (address: string) =>
  Effect.gen(function*() {
    const { post } = yield* client
    const added = yield* addDestination("email", address)
    ok(yield* post(`/v1/notifications/destinations/${added.id}/verify`, { code: yield* outboxCode(added.id) }))
    return added.id as string
  })

const createRule = (body: Record<string, unknown>) =>
  Effect.flatMap(client, ({ post }) => Effect.map(post("/v1/notifications/channels", body), (reply) => ok(reply, 201)))

const emit = (type: Events.EmitInput["type"], severity: Events.EmitInput["severity"], data: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const { emulator } = yield* client
    const hooks = yield* Hooks
    return yield* hooks.emit({ operatorId: emulator.operatorId, type, severity, data })
  })

/** Checks a delivery's signature with `secret`, and decodes its event. */
const verified = (secret: string, hit: Hit) => Webhooks.parseEvent(secret, hit.headers, hit.body)

// ---------------------------------------------------------------------------------------------------------------------

describe("destinations", () => {
  it.effect("a webhook: its secret once, a signed verification code, verified with it; audited", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const { auditOf, emulator, get, post } = yield* client
        const { entries, result: added } = yield* auditOf(addDestination("webhook", receiver.url))
        expect(added).toMatchObject({
          operator_id: emulator.operatorId,
          channel_type: "webhook",
          destination: receiver.url,
          verified: false,
          created_at: new Date(T0).toISOString()
        })
        expect(added.id).toMatch(/^ndst_/)
        const secret = added.webhook_secret as string
        expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
        expect(added.webhook_secret_hint).toBe(`whsec_…${secret.slice(-4)}`)
        expect(entries.map((entry) => [entry.action, entry.outcome])).toEqual([["notification.destination_add", "success"]])

        // every later read: the hint only
        const listed = yield* get("/v1/notifications/destinations")
        expect(ok(listed).destinations).toEqual([{ ...added, webhook_secret: null }])
        expect(listed.text).not.toContain(secret.slice(6))

        // the code, POSTed to the URL and signed with the secret
        const [hit] = yield* receiver.waitFor(1)
        const event = yield* verified(secret, hit!)
        expect(event).toBeInstanceOf(WebhookEvent)
        expect(event.type).toBe("destination.verification")
        expect(event.operator_id).toBe(emulator.operatorId)
        expect(event.id).toMatch(/^evt_/)
        expect(event.data).toEqual({ destination_id: added.id, code: expect.stringMatching(/^[0-9]{6}$/) })
        expect(hit!.headers["content-type"]).toBe("application/json")
        expect(hit!.headers["webhook-id"]).toMatch(/^msg_/)
        expect(Object.keys(hit!.json)).toEqual(["id", "type", "created_at", "operator_id", "data"])
        const wrongSecret = Redacted.value(yield* Webhooks.generateSecret())
        expect((yield* Effect.flip(verified(wrongSecret, hit!))).reason).toBe("invalid_signature")
        const code = event.data.code as string

        const wrong = yield* auditOf(
          post(`/v1/notifications/destinations/${added.id}/verify`, { code: code === "000000" ? "000001" : "000000" })
        )
        expectError(wrong.result, 400, "INVALID_REQUEST")
        expect(wrong.result.json.error.details.fields).toEqual({ code: "does not match" })
        expect(wrong.result.json.error.message).toContain("4 tries left")
        expect(wrong.entries.map((entry) => [entry.action, entry.outcome, entry.error_code])).toEqual([
          ["notification.destination_verify", "failure", "INVALID_REQUEST"]
        ])

        const right = yield* auditOf(post(`/v1/notifications/destinations/${added.id}/verify`, { code }))
        expect(ok(right.result)).toEqual({ ...added, verified: true, webhook_secret: null })
        expect(right.entries.map((entry) => [entry.action, entry.outcome])).toEqual([
          ["notification.destination_verify", "success"]
        ])
        // idempotent: again, whatever the code
        expect(ok(yield* post(`/v1/notifications/destinations/${added.id}/verify`, { code })).verified).toBe(true)

        // the verification's delivery, recorded
        const [delivery] = yield* eventually(deliveries(), (all) => all[0]?.status === "delivered", "the delivery")
        expect(delivery).toEqual({
          id: hit!.headers["webhook-id"],
          event_id: event.id,
          event_type: "destination.verification",
          destination_id: added.id,
          status: "delivered",
          attempts: [{ at: new Date(T0).toISOString(), status_code: 200, error: null, duration_ms: 0 }],
          next_attempt_at: null,
          created_at: new Date(T0).toISOString()
        })
      })
    ))

  it.effect("five wrong codes burn the code; resendVerification sends a new one; a code expires after 10 minutes", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const { post } = yield* client
        const added = yield* addDestination("webhook", receiver.url)
        const [first] = yield* receiver.waitFor(1)
        const code = first!.json.data.code as string
        const wrongCode = code === "123456" ? "654321" : "123456"
        const verify = (id: string, value: string) => post(`/v1/notifications/destinations/${id}/verify`, { code: value })

        for (let i = 1; i <= 5; i++) {
          const reply = yield* verify(added.id, wrongCode)
          expectError(reply, 400, "INVALID_REQUEST")
          expect(reply.json.error.message).toContain(i < 5 ? `${5 - i} ${5 - i === 1 ? "try" : "tries"} left` : "burnt")
        }
        // burnt: the right code no longer verifies
        const burnt = yield* verify(added.id, code)
        expectError(burnt, 400, "INVALID_REQUEST")
        expect(burnt.json.error.message).toContain("resendVerification")
        expect(burnt.json.error.details.fields).toEqual({ code: "is burnt" })

        expect(ok(yield* post(`/v1/notifications/destinations/${added.id}/resend-verification`))).toEqual({ sent: true })
        const [, second] = yield* receiver.waitFor(2)
        expect(second!.json.data.destination_id).toBe(added.id)
        expect(second!.headers["webhook-id"]).not.toBe(first!.headers["webhook-id"])
        yield* verified(added.webhook_secret, second!)
        const newCode = second!.json.data.code as string
        if (newCode !== code) expectError(yield* verify(added.id, code), 400, "INVALID_REQUEST")
        expect(ok(yield* verify(added.id, newCode)).verified).toBe(true)
        // verified: nothing to resend
        expectError(yield* post(`/v1/notifications/destinations/${added.id}/resend-verification`), 409, "CONFLICT")

        // a code lives 10 minutes
        const late = yield* addDestination("webhook", receiver.url)
        yield* receiver.waitFor(3)
        const [lateHit] = codesFor(receiver, late.id)
        yield* TestClock.adjust("10 minutes")
        const expired = yield* verify(late.id, lateHit!.json.data.code)
        expectError(expired, 400, "INVALID_REQUEST")
        expect(expired.json.error.details.fields).toEqual({ code: "has expired" })
      })
    ))

  it.effect("email and SMS: the code goes to the outbox, never out; removing a destination drops it from its rules", () =>
    withNotifications(() =>
      Effect.gen(function*() {
        const { auditOf, emulator, get, post, call } = yield* client
        const hooks = yield* Hooks
        const email = yield* addDestination("email", "ops@example.com")
        expect(email).toMatchObject({ channel_type: "email", verified: false, webhook_secret: null, webhook_secret_hint: null })
        const sms = yield* addDestination("sms", "+14155550100")
        const outbox = yield* hooks.outbox(emulator.operatorId)
        expect(outbox.map((message) => [message.channel_type, message.destination, message.event_type])).toEqual([
          ["email", "ops@example.com", "destination.verification"],
          ["sms", "+14155550100", "destination.verification"]
        ])
        ok(yield* post(`/v1/notifications/destinations/${sms.id}/verify`, { code: yield* outboxCode(sms.id) }))
        ok(yield* post(`/v1/notifications/destinations/${email.id}/verify`, { code: yield* outboxCode(email.id) }))

        const rule = yield* createRule({ events: ["agent.blocked"], destination_ids: [email.id, sms.id] })
        const removed = yield* auditOf(call("DELETE", `/v1/notifications/destinations/${sms.id}`))
        expect(ok(removed.result)).toEqual({ id: sms.id, deleted: true })
        expect(removed.entries.map((entry) => entry.action)).toEqual(["notification.destination_remove"])
        expect(ok(yield* get("/v1/notifications/channels")).rules).toEqual([{ ...rule, destination_ids: [email.id] }])
        expect(ok(yield* get("/v1/notifications/destinations")).destinations.map((d: any) => d.id)).toEqual([email.id])
        expectError(yield* call("DELETE", `/v1/notifications/destinations/${sms.id}`), 404, "NOT_FOUND")

        const emitted = yield* emit("agent.blocked", "critical", { agent_id: "agt_x" })
        expect(emitted.deliveries).toBe(1)
        const last = (yield* hooks.outbox(emulator.operatorId)).at(-1)!
        expect(last).toMatchObject({ channel_type: "email", destination: "ops@example.com", event_type: "agent.blocked" })
        expect(JSON.parse(last.body)).toMatchObject({ id: emitted.id, type: "agent.blocked", data: { agent_id: "agt_x" } })
        const [delivery] = yield* deliveries()
        expect(delivery).toMatchObject({ event_id: emitted.id, destination_id: email.id, status: "delivered" })
      })
    ))
})

describe("rules and delivery", () => {
  it.effect("an event reaches each verified destination of a matching rule once, signed; nothing else is delivered", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const { auditOf, emulator, get, call } = yield* client
        const hook = yield* verifiedWebhook(receiver)
        const unverified = yield* addDestination("webhook", receiver.url)
        yield* receiver.waitFor(2)
        const before = receiver.hits.length

        const created = yield* auditOf(createRule({
          events: ["mission.completed", "passport.revoked"],
          destination_ids: [hook.id, unverified.id, hook.id]
        }))
        const rule = created.result
        expect(rule).toEqual({
          id: expect.stringMatching(/^nrul_/),
          events: ["mission.completed", "passport.revoked"],
          min_severity: "warning",
          destination_ids: [hook.id, unverified.id],
          created_at: new Date(T0).toISOString()
        })
        expect(created.entries.map((entry) => entry.action)).toEqual(["notification.rule_create"])
        // a second rule naming the same destination: still one delivery per event
        yield* createRule({ events: ["mission.completed"], min_severity: "info", destination_ids: [hook.id] })
        expect(ok(yield* get("/v1/notifications/channels")).rules).toHaveLength(2)

        const emitted = yield* emit("mission.completed", "warning", { mission_id: "ms_1" })
        expect(emitted.deliveries).toBe(1)
        const hits = yield* receiver.waitFor(before + 1)
        const hit = hits[before]!
        const event = yield* verified(hook.secret, hit)
        expect(event).toMatchObject({
          id: emitted.id,
          type: "mission.completed",
          operator_id: emulator.operatorId,
          data: { mission_id: "ms_1" }
        })
        const [delivery] = yield* eventually(deliveries(), (all) => all[0]?.status === "delivered", "the delivery")
        expect(delivery).toMatchObject({ id: hit.headers["webhook-id"], event_id: event.id, destination_id: hook.id })

        // not routed: a type no rule takes, a severity below every rule's minimum for it
        expect((yield* emit("agent.blocked", "critical")).deliveries).toBe(0)
        expect((yield* emit("passport.revoked", "info")).deliveries).toBe(0)
        // the second rule takes mission.completed from info on
        expect((yield* emit("mission.completed", "info")).deliveries).toBe(1)
        yield* receiver.waitFor(before + 2)
        yield* realSleep(100)
        expect(receiver.hits).toHaveLength(before + 2)
        // the unverified destination got nothing but its code
        const toUnverified = (yield* deliveries("?destination_id=" + unverified.id)).map((d) => d.event_type)
        expect(toUnverified).toEqual(["destination.verification"])

        const deleted = yield* auditOf(call("DELETE", `/v1/notifications/channels/${rule.id}`))
        expect(ok(deleted.result)).toEqual({ id: rule.id, deleted: true })
        expect(deleted.entries.map((entry) => entry.action)).toEqual(["notification.rule_delete"])
        expect((yield* emit("passport.revoked", "critical")).deliveries).toBe(0)
        expectError(yield* call("DELETE", `/v1/notifications/channels/${rule.id}`), 404, "NOT_FOUND")
      })
    ))

  it.effect("a webhook answering 500 is retried after 1 s with the same webhook-id; every attempt is recorded", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const hook = yield* verifiedWebhook(receiver)
        yield* createRule({ events: ["agent.blocked"], destination_ids: [hook.id] })
        const before = receiver.hits.length
        receiver.answer([500])
        yield* emit("agent.blocked", "critical", { agent_id: "agt_1" })
        const [first] = (yield* receiver.waitFor(before + 1)).slice(before)
        const id = first!.headers["webhook-id"] as string
        const pending = yield* eventually(deliveryOf(id), (d) => d?.attempts.length === 1, "the first attempt")
        expect(pending).toMatchObject({
          status: "pending",
          attempts: [{ at: new Date(T0).toISOString(), status_code: 500, error: "HTTP 500: receiver says 500" }],
          next_attempt_at: new Date(T0 + 1000).toISOString()
        })

        yield* sleepingUntil(T0 + 1000)
        yield* TestClock.adjust("999 millis")
        yield* realSleep(50)
        expect(receiver.hits).toHaveLength(before + 1)
        yield* TestClock.adjust("1 millis")
        const [, second] = (yield* receiver.waitFor(before + 2)).slice(before)
        expect(second!.headers["webhook-id"]).toBe(id)
        expect(second!.body).toBe(first!.body)
        expect(second!.headers["webhook-timestamp"]).toBe(String(T0 / 1000 + 1))
        yield* verified(hook.secret, first!)
        yield* verified(hook.secret, second!)
        const delivered = yield* eventually(deliveryOf(id), (d) => d?.status === "delivered", "the retry")
        expect(delivered.attempts).toEqual([
          { at: new Date(T0).toISOString(), status_code: 500, error: "HTTP 500: receiver says 500", duration_ms: 0 },
          { at: new Date(T0 + 1000).toISOString(), status_code: 200, error: null, duration_ms: 0 }
        ])
        expect(delivered.next_attempt_at).toBeNull()
      })
    ))

  it.effect("a webhook that always fails: 6 attempts (after 1 s, 5 s, 30 s, 2 min, 10 min), then failed", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const hook = yield* verifiedWebhook(receiver)
        yield* createRule({ events: ["security_event.created"], min_severity: "critical", destination_ids: [hook.id] })
        const before = receiver.hits.length
        receiver.answer([], 503)
        yield* emit("security_event.created", "critical")
        const [first] = (yield* receiver.waitFor(before + 1)).slice(before)
        const id = first!.headers["webhook-id"] as string
        let at = T0
        for (const [index, delay] of [1_000, 5_000, 30_000, 120_000, 600_000].entries()) {
          const delivery = yield* eventually(deliveryOf(id), (d) => d?.attempts.length === index + 1, `attempt ${index + 1}`)
          expect(delivery.status).toBe("pending")
          at += delay
          expect(delivery.next_attempt_at).toBe(new Date(at).toISOString())
          yield* sleepingUntil(at)
          yield* TestClock.adjust(delay)
          yield* receiver.waitFor(before + index + 2)
        }
        const failed = yield* eventually(deliveryOf(id), (d) => d?.status === "failed", "the delivery to fail")
        expect(failed.attempts).toHaveLength(6)
        expect(failed.attempts.map((attempt: any) => attempt.status_code)).toEqual([503, 503, 503, 503, 503, 503])
        expect(failed.next_attempt_at).toBeNull()
        const sent = receiver.hits.slice(before)
        expect(sent.map((hit) => hit.headers["webhook-id"])).toEqual(Array(6).fill(id))
        // nothing more, however long one waits
        yield* TestClock.adjust("1 hour")
        yield* realSleep(100)
        expect(receiver.hits).toHaveLength(before + 6)
        expect(yield* deliveries("?status=failed")).toHaveLength(1)
      })
    ))

  it.effect("a network error is an attempt with no status; removing the destination fails its pending deliveries", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const { call } = yield* client
        const hook = yield* verifiedWebhook(receiver)
        yield* createRule({ events: ["dropoff.expired"], destination_ids: [hook.id] })
        yield* receiver.close
        yield* emit("dropoff.expired", "warning")
        const [pending] = yield* eventually(
          deliveries("?status=pending"),
          (all) => all[0]?.attempts.length === 1,
          "the first attempt"
        )
        const [attempt] = pending.attempts
        expect(attempt.status_code).toBeNull()
        expect(typeof attempt.error).toBe("string")
        expect(attempt.error.length).toBeGreaterThan(0)
        expect(attempt.error.length).toBeLessThanOrEqual(201)

        ok(yield* call("DELETE", `/v1/notifications/destinations/${hook.id}`))
        const [failed] = yield* deliveries(`?destination_id=${hook.id}&status=failed`)
        expect(failed).toMatchObject({ id: pending.id, status: "failed", next_attempt_at: null })
        expect(yield* deliveries("?status=pending")).toEqual([])
      })
    ))
})

describe("validation and isolation", () => {
  it.effect("bad requests are 400 INVALID_REQUEST naming the field", () =>
    withNotifications(() =>
      Effect.gen(function*() {
        const { get, post } = yield* client
        const fieldsOf = (reply: Reply) => {
          expectError(reply, 400, "INVALID_REQUEST")
          return Object.keys(reply.json.error.details.fields)
        }
        const add = (body: unknown) => post("/v1/notifications/destinations", body)
        expect(fieldsOf(yield* add({ channel_type: "webhook", destination: "ftp://example.com/hook" }))).toEqual(["destination"])
        expect(fieldsOf(yield* add({ channel_type: "webhook", destination: "not a url" }))).toEqual(["destination"])
        expect(fieldsOf(yield* add({ channel_type: "email", destination: "nobody" }))).toEqual(["destination"])
        expect(fieldsOf(yield* add({ channel_type: "sms", destination: "0044 20 7946 0000" }))).toEqual(["destination"])
        expect(fieldsOf(yield* add({ channel_type: "sms", destination: "+1234567" }))).toEqual(["destination"])
        expect(fieldsOf(yield* add({ channel_type: "pigeon", destination: "x" }))).toEqual(["channel_type"])
        expect(fieldsOf(yield* add({}))).toEqual(["channel_type", "destination"])
        const sms = yield* add({ channel_type: "sms", destination: "+447946000000" })
        expect(sms.status).toBe(201)

        expect(fieldsOf(yield* post(`/v1/notifications/destinations/${sms.json.id}/verify`, { code: "12ab56" }))).toEqual(["code"])
        expect(fieldsOf(yield* post(`/v1/notifications/destinations/${sms.json.id}/verify`, { code: "1234567" }))).toEqual(["code"])

        const rule = (body: unknown) => post("/v1/notifications/channels", body)
        const ids = [sms.json.id]
        expect(fieldsOf(yield* rule({ events: [], destination_ids: ids }))).toEqual(["events"])
        expect(fieldsOf(yield* rule({ events: ["agent.exploded"], destination_ids: ids }))).toEqual(["events.0"])
        expect(fieldsOf(yield* rule({ events: ["agent.blocked"], destination_ids: [] }))).toEqual(["destination_ids"])
        expect(fieldsOf(yield* rule({ events: ["agent.blocked"], min_severity: "loud", destination_ids: ids }))).toEqual([
          "min_severity"
        ])
        expect(fieldsOf(yield* rule({ events: ["destination.verification"], destination_ids: ids }))).toEqual(["events"])
        const missing = yield* rule({ events: ["agent.blocked"], destination_ids: [sms.json.id, "ndst_nope"] })
        expectError(missing, 404, "NOT_FOUND")
        expect(missing.json.error.message).toContain("ndst_nope")

        expect(fieldsOf(yield* get("/v1/notifications/deliveries?limit=0"))).toEqual(["limit"])
        expect(fieldsOf(yield* get("/v1/notifications/deliveries?limit=101"))).toEqual(["limit"])
        expect(fieldsOf(yield* get("/v1/notifications/deliveries?status=lost"))).toEqual(["status"])
        expect(fieldsOf(yield* get("/v1/notifications/deliveries?cursor=forged"))).toEqual(["cursor"])
      })
    ))

  it.effect("another operator sees none of it and cannot use it (404); an agent is refused (403)", () =>
    withNotifications(() =>
      Effect.gen(function*() {
        const { call, get, post, emulator } = yield* client
        const email = yield* verifiedEmail("ops@example.com")
        const rule = yield* createRule({ events: ["agent.blocked"], destination_ids: [email] })
        yield* emit("agent.blocked", "critical")
        const other = Redacted.value((yield* emulator.createOperator({ name: "other" })).apiKey)
        const as = { auth: other }

        expect(ok(yield* get("/v1/notifications/destinations", as))).toEqual({ destinations: [] })
        expect(ok(yield* get("/v1/notifications/channels", as))).toEqual({ rules: [] })
        expect(yield* deliveries(`?destination_id=${email}`, other)).toEqual([])
        expectError(yield* post(`/v1/notifications/destinations/${email}/verify`, { code: "123456" }, as), 404, "NOT_FOUND")
        expectError(yield* post(`/v1/notifications/destinations/${email}/resend-verification`, {}, as), 404, "NOT_FOUND")
        expectError(yield* call("DELETE", `/v1/notifications/destinations/${email}`, as), 404, "NOT_FOUND")
        expectError(yield* call("DELETE", `/v1/notifications/channels/${rule.id}`, as), 404, "NOT_FOUND")
        const borrowed = yield* post("/v1/notifications/channels", { events: ["agent.blocked"], destination_ids: [email] }, as)
        expectError(borrowed, 404, "NOT_FOUND")
        expect(borrowed.json.error.message).toContain(email)
        // still the owner's
        expect(ok(yield* get("/v1/notifications/destinations")).destinations).toHaveLength(1)
        expect(yield* deliveries(`?destination_id=${email}`)).toHaveLength(2)

        const { jwt } = yield* enrolled("notifier-bot")
        expectError(yield* get("/v1/notifications/destinations", { auth: yield* jwt() }), 403, "FORBIDDEN")
        expectError(
          yield* post("/v1/notifications/destinations", { channel_type: "email", destination: "a@b.co" }, { auth: yield* jwt() }),
          403,
          "FORBIDDEN"
        )
      })
    ))
})

describe("the SDK's Notifications service", () => {
  it.effect("typed answers; the secret is Redacted; errors are typed; every delivery streamed newest first", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const notifications = yield* Notifications.Notifications
        const hook = yield* notifications.addDestination({ channel_type: "webhook", destination: receiver.url })
        expect(hook.created_at.epochMillis).toBe(T0)
        const secret = hook.webhook_secret!
        expect(Redacted.isRedacted(secret)).toBe(true)
        const text = Redacted.value(secret)
        expect(text).toMatch(/^whsec_/)
        expect(String(hook)).not.toContain(text)
        expect(String(hook)).toContain("<redacted>")
        expect(JSON.stringify(hook)).not.toContain(text)
        expect(JSON.stringify(hook)).toContain("<redacted>")

        const [hit] = yield* receiver.waitFor(1)
        const event = yield* Webhooks.parseEvent(secret, hit!.headers, hit!.body)
        const refused = yield* Effect.flip(notifications.verifyDestination(hook.id, { code: "abc" }))
        expect(refused).toBeInstanceOf(StackError.BadRequestError)
        expect(refused._tag === "BadRequestError" && refused.code).toBe("INVALID_REQUEST")
        const verifiedHook = yield* notifications.verifyDestination(hook.id, { code: event.data.code as string })
        expect(verifiedHook.verified).toBe(true)
        expect(verifiedHook.webhook_secret).toBeNull()

        const listed = yield* notifications.listDestinations()
        expect(listed.destinations.map((d) => [d.id, d.verified, d.webhook_secret_hint])).toEqual([
          [hook.id, true, `whsec_…${text.slice(-4)}`]
        ])
        const rule = yield* notifications.createRule({ events: ["passport.flagged"], destination_ids: [hook.id] })
        expect(rule.min_severity).toBe("warning")
        expect((yield* notifications.listRules()).rules.map((r) => r.id)).toEqual([rule.id])
        const notFound = yield* Effect.flip(notifications.deleteRule("nrul_nope"))
        expect(notFound).toBeInstanceOf(StackError.NotFoundError)

        for (let i = 0; i < 5; i++) yield* emit("passport.flagged", "warning", { n: i })
        yield* receiver.waitFor(6)
        const all = yield* eventually(
          Effect.map(Stream.runCollect(notifications.listAllDeliveries({ pageSize: 2 })), Chunk.toReadonlyArray).pipe(Effect.orDie),
          (list) => list.length === 6 && list.every((d) => d.status === "delivered"),
          "every delivery"
        )
        expect(all.map((d) => d.event_type)).toEqual([...Array(5).fill("passport.flagged"), "destination.verification"])
        const page = yield* notifications.listDeliveries({ limit: 2, status: "delivered" })
        expect(page.deliveries.map((d) => d.id)).toEqual(all.slice(0, 2).map((d) => d.id))
        expect(typeof page.next_cursor).toBe("string")

        expect(yield* notifications.deleteRule(rule.id)).toMatchObject({ id: rule.id, deleted: true })
        expect(yield* notifications.removeDestination(hook.id)).toMatchObject({ id: hook.id, deleted: true })
      }).pipe(Effect.provide(layerSdk))
    ))
})

describe("events from real triggers", () => {
  it.effect("a blocking agent's critical signal, its review, a revocation and a completed mission reach a webhook, signed", () =>
    withNotifications((receiver) =>
      Effect.gen(function*() {
        const { post } = yield* client
        const hook = yield* verifiedWebhook(receiver)
        const types = ["security_event.created", "agent.blocked", "passport.flagged", "passport.revoked", "mission.completed"]
        yield* createRule({ events: types, min_severity: "info", destination_ids: [hook.id] })
        const before = receiver.hits.length

        // an enforced agent that blocks on critical events uses a service outside its passport's scope
        const agent = ok(
          yield* post("/v1/agents/register", { name: "trigger-bot", accountability_mode: "enforced", on_critical: "block" }),
          201
        )
        const passport = ok(
          yield* post("/v1/passports/issue", { agent_id: agent.id, intent: { summary: "mail", services: ["gmail"] } }),
          201
        )
        ok(yield* post(`/v1/passports/${passport.jti}/checkout`, { services_used: ["github"], actions_count: 1 }))
        // a mission completed: its passport is revoked with it
        const other = ok(yield* post("/v1/agents/register", { name: "mission-bot" }), 201)
        const started = ok(yield* post("/v1/missions/start", { agent_id: other.id, intent_summary: "report" }), 201)
        ok(yield* post(`/v1/missions/${started.mission_id}/complete`, { output: "done" }))

        const hits = (yield* receiver.waitFor(before + 5)).slice(before)
        const events = yield* Effect.forEach(hits, (hit) => verified(hook.secret, hit))
        expect(events.map((event) => event.type).sort()).toEqual([...types].sort())
        const byType = Object.fromEntries(events.map((event) => [event.type, event.data]))
        expect(byType["security_event.created"]).toMatchObject({ type: "credential_outside_scope", agent_id: agent.id })
        expect(byType["agent.blocked"]).toMatchObject({ agent_id: agent.id })
        expect(byType["passport.flagged"]).toMatchObject({ jti: passport.jti, agent_id: agent.id })
        expect(byType["passport.revoked"]).toMatchObject({ jti: started.passport.jti, cascaded: false })
        expect(byType["mission.completed"]).toMatchObject({ mission_id: started.mission_id, agent_id: other.id })
      })
    ))
})
