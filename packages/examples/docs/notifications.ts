/**
 * Snippets of docs/notifications.md. Every block of that page is copied from
 * this file; nothing here runs on import.
 */
// --- imports
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Api, Notifications, Stack, StackError, Webhooks } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createServer } from "node:http"
// ---

// --- add-webhook
export const addWebhook = (
  url: string,
  // asks a human to grant the approval, and succeeds once it is granted
  approve: (held: StackError.ApprovalRequiredError) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    const request = { channel_type: "webhook", destination: url } as const
    const hook = yield* notifications.addDestination(request).pipe(
      Effect.catchTag("ApprovalRequiredError", (held) =>
        Effect.zipRight(approve(held), notifications.addDestination({ ...request, governance_approval_id: held.approvalId })))
    )
    // shown this once, and Redacted: it prints as <redacted>
    if (hook.webhook_secret == null) return yield* Effect.dieMessage("a webhook destination comes with its secret")
    yield* Console.log(`${hook.id} → ${hook.destination}, verified ${hook.verified}, secret ${hook.webhook_secret}`)
    return { id: hook.id, secret: hook.webhook_secret }
  })
// ---

// --- verify
const decodeInvalidRequest = Schema.decodeUnknownOption(Api.Errors.InvalidRequestDetails)

/** Verifies a destination with the code it was sent; true once verified, false when a new code was sent. */
export const confirm = (destinationId: string, code: string) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    return yield* notifications.verifyDestination(destinationId, { code }).pipe(
      Effect.map((destination) => destination.verified),
      Effect.catchTag("BadRequestError", (error) => {
        const problem = Option.match(decodeInvalidRequest(error.details), {
          onNone: () => "",
          onSome: ({ fields }) => fields.code ?? ""
        })
        // a wrong code can be typed again (5 tries in all); a burnt or expired one never verifies
        return /burnt|expired/.test(problem)
          ? Effect.as(notifications.resendVerification(destinationId), false)
          : Effect.fail(error)
      })
    )
  })
// ---

// --- outbox
const CodeMessage = Schema.parseJson(Schema.Struct({ data: Schema.Struct({ code: Schema.String }) }))

/** In the emulator: the latest code sent to an email or SMS destination, from the outbox. */
export const codeFromOutbox = (destinationId: string) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    const sent = (yield* emulator.outbox(emulator.operatorId)).filter((message) =>
      message.destination_id === destinationId && message.event_type === "destination.verification"
    )
    const last = sent.at(-1)
    if (last === undefined) return yield* Effect.dieMessage(`no code was sent to ${destinationId}`)
    return (yield* Schema.decodeUnknown(CodeMessage)(last.body)).data.code
  })

export const addVerifiedSms = (phone: string) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    const sms = yield* notifications.addDestination({ channel_type: "sms", destination: phone })
    return yield* notifications.verifyDestination(sms.id, { code: yield* codeFromOutbox(sms.id) })
  })
// ---

// --- list-remove
/** Removes the destinations that were never verified; answers how many it removed. */
export const dropUnverified = Effect.gen(function*() {
  const notifications = yield* Notifications.Notifications
  const { destinations } = yield* notifications.listDestinations()
  const unverified = destinations.filter((destination) => !destination.verified)
  for (const destination of unverified) {
    // later reads show the secret's hint only: whsec_…abcd
    yield* Console.log(`removing ${destination.channel_type} ${destination.destination} (${destination.webhook_secret_hint ?? "no secret"})`)
    yield* notifications.removeDestination(destination.id)
  }
  return unverified.length
})
// ---

// --- rules
/** Every event to the team's webhook; what blocks agents, and critical security events, also to the on-call phone. */
export const routeEvents = (teamHookId: string, onCallSmsId: string) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    const everything = yield* notifications.createRule({
      events: ["security_event.created", "agent.blocked", "passport.flagged", "passport.revoked", "mission.completed"],
      // passport.revoked and mission.completed are info: the default minimum, warning, would drop them
      min_severity: "info",
      destination_ids: [teamHookId]
    })
    const urgent = yield* notifications.createRule({
      events: ["agent.blocked", "security_event.created"],
      min_severity: "critical",
      destination_ids: [onCallSmsId]
    })
    return [everything.id, urgent.id]
  })
// ---

// --- rules-list
export const describeRules = Effect.gen(function*() {
  const notifications = yield* Notifications.Notifications
  const { rules } = yield* notifications.listRules()
  for (const rule of rules) {
    // events are plain strings: a rule naming a type newer than this SDK still decodes
    const known = rule.events.filter(Api.Webhooks.isWebhookEventType)
    yield* Console.log(`${rule.id}: ${known.join(", ")} from ${rule.min_severity} on, to ${rule.destination_ids.length} destination(s)`)
  }
})

/** A rule cannot be changed: create its replacement first, then delete it, so that no event falls between. */
export const replaceRule = (ruleId: string, next: Api.Notifications.CreateRuleRequest) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    const created = yield* notifications.createRule(next)
    yield* notifications.deleteRule(ruleId)
    return created
  })
// ---

// --- deliveries
/** The deliveries to a destination that have not arrived: those that failed for good, and those still tried. */
export const deliveryReport = (destinationId: string) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    yield* notifications.listAllDeliveries({ destination_id: destinationId, status: "failed" }).pipe(
      Stream.runForEach((delivery) => {
        const last = delivery.attempts?.at(-1)
        return Console.log(
          `${delivery.event_type} ${delivery.id}: failed after ${delivery.attempts?.length ?? 0} attempt(s), ` +
            `the last answered ${last?.status_code ?? "nothing"}${last?.error ? ` (${last.error})` : ""}`
        )
      })
    )
    const pending = yield* notifications.listDeliveries({ destination_id: destinationId, status: "pending", limit: 100 })
    for (const delivery of pending.deliveries) {
      const next = delivery.next_attempt_at == null ? "soon" : DateTime.formatIso(delivery.next_attempt_at)
      yield* Console.log(`${delivery.event_type} ${delivery.id}: attempt ${(delivery.attempts?.length ?? 0) + 1} at ${next}`)
    }
  })
// ---

// --- receive
/**
 * One delivery, as it arrived: its headers and the bytes of its body. Succeeds with the status to
 * answer: 204 once the event is handled, 400 when the delivery is refused, 500 when handling it
 * failed (STACK sends it again).
 */
export const receive = <E, R>(
  secrets: ReadonlyArray<Webhooks.Secret>,
  headers: Webhooks.HeadersInput,
  body: Uint8Array,
  handle: (event: Api.Webhooks.WebhookEvent) => Effect.Effect<void, E, R>
): Effect.Effect<number, never, R> =>
  Webhooks.parseEvent(secrets, headers, body).pipe(
    Effect.matchEffect({
      // not signed with one of the secrets, too old, or not an event: never handled
      onFailure: (refused) => Effect.as(Effect.logWarning(`webhook refused (${refused.reason}): ${refused.message}`), 400),
      onSuccess: (event) =>
        handle(event).pipe(
          Effect.as(204),
          Effect.catchAllCause((cause) => Effect.as(Effect.logError(`${event.type} ${event.id} failed`, cause), 500))
        )
    })
  )
// ---

// --- handle
const VerificationCode = Schema.Struct({ destination_id: Schema.String, code: Schema.String })

/** What this receiver does with each event. */
export const handleEvent = (event: Api.Webhooks.WebhookEvent) =>
  Effect.gen(function*() {
    switch (event.type) {
      case "destination.verification": {
        // a code for this URL: receiving it is the proof STACK asks for, so verify at once
        const { code, destination_id } = yield* Schema.decodeUnknown(VerificationCode)(event.data)
        const notifications = yield* Notifications.Notifications
        yield* notifications.verifyDestination(destination_id, { code })
        return
      }
      case "security_event.created":
      case "agent.blocked":
      case "passport.flagged":
        return yield* Effect.logWarning(`${event.type} ${event.id}`).pipe(Effect.annotateLogs(event.data))
      case "passport.revoked":
      case "mission.completed":
      case "dropoff.expired":
        return yield* Effect.logInfo(`${event.type} ${event.id}`).pipe(Effect.annotateLogs(event.data))
    }
  })
// ---

// --- route
/** The route STACK POSTs to. The secrets are read at each delivery, so a rotation needs no restart. */
export const webhookRoute = <R>(secrets: Effect.Effect<ReadonlyArray<Webhooks.Secret>, never, R>) =>
  HttpRouter.post(
    "/hooks/stack",
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      // the body's bytes as they arrived: never request.json (parsed, they no longer verify)
      const body = new Uint8Array(yield* request.arrayBuffer)
      const status = yield* receive(yield* secrets, request.headers, body, handleEvent)
      return HttpServerResponse.empty({ status })
    })
  )
// ---

// --- server
/** STACK_WEBHOOK_SECRETS: the secret, or while rotating the old and the new, comma-separated. */
export const secretsFromEnv = Config.array(Config.redacted(), "STACK_WEBHOOK_SECRETS").pipe(Effect.orDie)

export const ReceiverLive = HttpServer.serve(HttpRouter.empty.pipe(webhookRoute(secretsFromEnv))).pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port: 8080 })),
  // handleEvent verifies destinations: it calls STACK
  Layer.provide(Stack.layerConfig().pipe(Layer.provide(Layer.merge(FetchHttpClient.layer, NodeFileSystem.layer))))
)

export const main = Layer.launch(ReceiverLive)
// ---

// --- node-http
/** The same receiver in a plain node:http server: the body's chunks, joined, are the bytes to verify. */
export const plainServer = (secrets: ReadonlyArray<Webhooks.Secret>, onEvent: (event: Api.Webhooks.WebhookEvent) => Promise<void>) =>
  createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const handle = (event: Api.Webhooks.WebhookEvent) => Effect.tryPromise(() => onEvent(event))
      void Effect.runPromise(receive(secrets, request.headers, Buffer.concat(chunks), handle)).then((status) =>
        response.writeHead(status).end()
      )
    })
  })
// ---

// --- rotate
/**
 * Moves a webhook to a new secret: a new destination at the same URL, verified by the receiver
 * (handleEvent), takes over the old one's rules; then the old one is removed. `keep` adds the new
 * secret to those the receiver reads, next to the old one.
 */
export const rotateSecret = (
  oldId: string,
  keep: (secret: Redacted.Redacted<string>) => Effect.Effect<void>,
  approve: (held: StackError.ApprovalRequiredError) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    const old = (yield* notifications.listDestinations()).destinations.find((destination) => destination.id === oldId)
    if (old === undefined) return yield* Effect.dieMessage(`no destination ${oldId}`)
    const next = yield* addWebhook(old.destination, approve)
    yield* keep(next.secret)
    // its code may have come before keep ran: refused, it comes again 1 s, 5 s, 30 s … later
    yield* notifications.listDestinations().pipe(
      Effect.repeat({
        until: ({ destinations }) => destinations.some((destination) => destination.id === next.id && destination.verified),
        schedule: Schedule.spaced("1 second")
      }),
      Effect.timeout("3 minutes")
    )
    for (const rule of (yield* notifications.listRules()).rules) {
      if (!rule.destination_ids.includes(oldId)) continue
      yield* notifications.createRule({
        events: rule.events.filter(Api.Webhooks.isWebhookEventType),
        min_severity: rule.min_severity,
        destination_ids: rule.destination_ids.map((id) => id === oldId ? next.id : id)
      })
      yield* notifications.deleteRule(rule.id)
    }
    // removing it fails what is still being retried to it: wait for that first
    yield* notifications.listDeliveries({ destination_id: oldId, status: "pending", limit: 1 }).pipe(
      Effect.repeat({ until: (page) => page.deliveries.length === 0, schedule: Schedule.spaced("10 seconds") })
    )
    yield* notifications.removeDestination(oldId)
    return next
  })
// ---

// --- test-receiver
/** A delivery signed as STACK signs one, to test a receiver without STACK. */
export const signedDelivery = (secret: Webhooks.Secret, event: Api.Webhooks.WebhookEvent) =>
  Effect.gen(function*() {
    const body = JSON.stringify(Schema.encodeSync(Api.Webhooks.WebhookEvent)(event))
    const headers = yield* Webhooks.sign({ secret, id: "msg_test_1", body })
    return { headers, body: new TextEncoder().encode(body) }
  })

export const receiverRefusesForgeries = Effect.gen(function*() {
  const secret = yield* Webhooks.generateSecret()
  const event = new Api.Webhooks.WebhookEvent({
    id: "evt_test_1",
    type: "mission.completed",
    created_at: DateTime.unsafeMake("2026-03-04T05:06:07Z"),
    operator_id: "op_test",
    data: { mission_id: "ms_test" }
  })
  const { body, headers } = yield* signedDelivery(secret, event)
  const ignore = () => Effect.void
  const handled = yield* receive([secret], headers, body, ignore)
  const forged = yield* receive([yield* Webhooks.generateSecret()], headers, body, ignore)
  // the same JSON, re-serialized: other bytes, so another signature
  const reserialized = new TextEncoder().encode(JSON.stringify(JSON.parse(new TextDecoder().decode(body)), null, 2))
  const reformatted = yield* receive([secret], headers, reserialized, ignore)
  return { handled, forged, reformatted } // 204, 400, 400
})
// ---
