/**
 * Runs the snippets of docs/notifications.md and docs/governance.md against
 * the in-process emulator, and prints what they return: one line per
 * snippet. Webhook deliveries go over real HTTP, to the page's receiver
 * listening on a free port of 127.0.0.1. `check.ts` runs `check`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Agents, type Api, Missions, Notifications, Passports, Stack, StackError, Webhooks } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as TestContext from "effect/TestContext"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as GovernancePage from "./governance.js"
import * as NotificationsPage from "./notifications.js"

/** The emulator stands in for the human who grants the approval. */
const approveAll = Effect.map(
  Emulator.Emulator,
  (emulator) => (held: StackError.ApprovalRequiredError) =>
    Effect.orDie(emulator.decideApproval(emulator.operatorId, held.approvalId, "approved"))
)

/** Reads until `until` holds of what `read` gives, every 20 ms (real time), 10 s at most. */
const eventually = <A, E, R>(read: Effect.Effect<A, E, R>, until: (a: A) => boolean, what: string) =>
  read.pipe(
    Effect.tap(() => Effect.sleep("20 millis")),
    Effect.repeat({ until }),
    Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`timed out waiting for ${what}`) })
  )

/** The page's receiver (`webhookRoute`) on a free port, reading its secrets from `secrets`: its base URL. */
const receiverAt = (secrets: Ref.Ref<ReadonlyArray<Redacted.Redacted<string>>>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      HttpServer.serve(HttpRouter.empty.pipe(NotificationsPage.webhookRoute(Ref.get(secrets)))).pipe(
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
      )
    )
    const { address } = Context.get(context, HttpServer.HttpServer)
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("the receiver has no TCP address")
    return `http://127.0.0.1:${address.port}`
  })

/** Adds a destination, the emulator granting the approval it is held for. */
const addApproved = (request: { readonly channel_type: "email" | "sms" | "webhook"; readonly destination: string }) =>
  Effect.gen(function*() {
    const notifications = yield* Notifications.Notifications
    const approve = yield* approveAll
    return yield* notifications.addDestination(request).pipe(
      Effect.catchTag("ApprovalRequiredError", (held) =>
        Effect.zipRight(approve(held), notifications.addDestination({ ...request, governance_approval_id: held.approvalId })))
    )
  })

const deliveriesTo = (destinationId: string) =>
  Effect.flatMap(Notifications.Notifications, (notifications) =>
    Stream.runCollect(notifications.listAllDeliveries({ destination_id: destinationId }))).pipe(
      Effect.map(Chunk.toReadonlyArray)
    )

const isVerified = (id: string) => (list: Api.Notifications.DestinationList) =>
  list.destinations.some((destination) => destination.id === id && destination.verified)

const notifications = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  const service = yield* Notifications.Notifications
  const approve = yield* approveAll
  const secrets = yield* Ref.make<ReadonlyArray<Redacted.Redacted<string>>>([])
  const base = yield* receiverAt(secrets)

  // a webhook, held for approval; the receiver verifies it with the code it is sent
  const hook = yield* NotificationsPage.addWebhook(`${base}/hooks/stack`, approve)
  yield* Ref.set(secrets, [hook.secret])
  yield* eventually(service.listDestinations(), isVerified(hook.id), "the receiver to verify the webhook")
  yield* Console.log(`notifications.addWebhook: ${hook.id} verified by the receiver (handleEvent)`)

  // a webhook whose URL answers 404: its code is retried
  const nowhere = yield* addApproved({ channel_type: "webhook", destination: `${base}/nowhere` })
  yield* eventually(deliveriesTo(nowhere.id), (all) => (all[0]?.attempts?.length ?? 0) >= 1, "the first attempt to nowhere")
  yield* NotificationsPage.deliveryReport(nowhere.id)

  // an SMS: five wrong codes burn the code, and confirm asks for a new one
  const sms = yield* addApproved({ channel_type: "sms", destination: "+14155550100" })
  const first = yield* NotificationsPage.codeFromOutbox(sms.id)
  const wrong = first === "000000" ? "000001" : "000000"
  const refusals: Array<string> = []
  for (let i = 0; i < 4; i++) refusals.push((yield* Effect.flip(NotificationsPage.confirm(sms.id, wrong)))._tag)
  const burnt = yield* NotificationsPage.confirm(sms.id, wrong)
  const second = yield* NotificationsPage.codeFromOutbox(sms.id)
  const confirmed = yield* NotificationsPage.confirm(sms.id, second)
  yield* Console.log(`notifications.confirm: ${refusals.join(", ")}, then verified ${burnt} (a new code sent), then verified ${confirmed}`)

  yield* Console.log(`notifications.dropUnverified: ${yield* NotificationsPage.dropUnverified}`)
  yield* NotificationsPage.deliveryReport(nowhere.id)

  const [, urgent] = yield* NotificationsPage.routeEvents(hook.id, sms.id)
  yield* NotificationsPage.replaceRule(urgent!, { events: ["agent.blocked"], min_severity: "critical", destination_ids: [sms.id] })
  yield* NotificationsPage.describeRules

  // the five events, from real triggers
  const agents = yield* Agents.Agents
  const passports = yield* Passports.Passports
  const missions = yield* Missions.Missions
  const agent = yield* agents.register({ name: "trigger-bot", accountability_mode: "enforced", on_critical: "block" })
  const passport = yield* passports.issue({ agent_id: agent.id, intent: { summary: "read mail", services: ["gmail"] } })
  yield* passports.checkout(passport.jti, { services_used: ["github"], actions_count: 1 })
  const other = yield* agents.register({ name: "mission-bot" })
  const started = yield* missions.start({ agent_id: other.id, intent_summary: "weekly report" })
  yield* missions.complete(started.mission_id, { output: "sent" })
  const received = yield* eventually(
    deliveriesTo(hook.id),
    (all) => all.filter((delivery) => delivery.status === "delivered").length >= 6,
    "the five events"
  )
  const types = [...new Set(received.map((delivery) => delivery.event_type))].sort()
  const paged = (yield* emulator.outbox(emulator.operatorId)).filter((message) =>
    message.destination_id === sms.id && message.event_type !== "destination.verification"
  )
  yield* Console.log(`notifications.routeEvents: the webhook got ${types.join(", ")}; the SMS ${paged.map((m) => m.event_type).join(", ")}`)

  // rotation: a new destination at the same URL; the receiver reads both secrets meanwhile
  const keep = (secret: Redacted.Redacted<string>) => Ref.update(secrets, (current) => [...current, secret])
  const next = yield* NotificationsPage.rotateSecret(hook.id, keep, approve)
  yield* Ref.set(secrets, [next.secret])
  const afterRotation = yield* emulator.emit({
    operatorId: emulator.operatorId,
    type: "agent.blocked",
    severity: "critical",
    data: { agent_id: agent.id, cause: "the docs check" }
  })
  yield* eventually(
    deliveriesTo(next.id),
    (all) => all.some((delivery) => delivery.event_id === afterRotation.id && delivery.status === "delivered"),
    "a delivery with the new secret"
  )
  const left = (yield* service.listDestinations()).destinations.map((destination) => destination.id)
  const rules = (yield* service.listRules()).rules
  yield* Console.log(
    `notifications.rotateSecret: ${next.id} verified and delivering, old one gone ${!left.includes(hook.id)}, ` +
      `rules on it ${rules.filter((rule) => rule.destination_ids.includes(next.id)).length}`
  )

  const forgeries = yield* NotificationsPage.receiverRefusesForgeries
  yield* Console.log(`notifications.receiverRefusesForgeries: ${JSON.stringify(forgeries)}`)
}).pipe(Effect.scoped, Effect.provide(Emulator.layerStack()))

/** The node:http receiver, on a free port, sent a signed delivery and the same one tampered with. */
const plain = Effect.gen(function*() {
  const secret = yield* Webhooks.generateSecret()
  const seen: Array<string> = []
  const server = yield* Effect.acquireRelease(
    Effect.async<Server>((resume) => {
      const server = NotificationsPage.plainServer([secret], async (event) => {
        seen.push(event.type)
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed(server))
      })
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const body = JSON.stringify({
    id: "evt_plain",
    type: "passport.revoked",
    created_at: new Date().toISOString(),
    operator_id: "op_plain",
    data: { jti: "pp_plain" }
  })
  const headers = yield* Webhooks.sign({ secret, id: "msg_plain", body })
  const post = (text: string) =>
    Effect.promise(() => fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: text }))
  const signed = yield* post(body)
  const tampered = yield* post(body.replace("pp_plain", "pp_other"))
  yield* Console.log(`notifications.plainServer: ${signed.status} (${seen.join(", ")}), tampered ${tampered.status}`)
}).pipe(Effect.scoped)

/** Not about approvals: nothing held. */
const outbox = Effect.gen(function*() {
  const sms = yield* NotificationsPage.addVerifiedSms("+14155550100")
  yield* Console.log(`notifications.addVerifiedSms: ${sms.channel_type} ${sms.destination} verified ${sms.verified}`)
}).pipe(Effect.provide(Emulator.layerStack({ governance: [] })))

const governance = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  const approve = yield* approveAll
  const agents = yield* Agents.Agents
  const passports = yield* Passports.Passports

  // a flagged checkout to decide: a service outside the passport's intent
  const agent = yield* agents.register({ name: "review-bot", accountability_mode: "enforced", on_critical: "notify" })
  const passport = yield* passports.issue({ agent_id: agent.id, intent: { summary: "read mail", services: ["gmail"] } })
  const checkout = yield* passports.checkout(passport.jti, { services_used: ["github"], actions_count: 1 })
  yield* Console.log(`governance.blockForGood: ${checkout.review}, agent blocked ${yield* GovernancePage.blockForGood(checkout.checkout_id, approve)}`)

  // a human who decides 300 ms after being told: the request is sent again every 50 ms until then
  let sent = 0
  const counted = (approval: { readonly governance_approval_id?: string }) =>
    Effect.suspend(() => {
      sent++
      return agents.unblock(agent.id, approval)
    })
  const later = (held: StackError.ApprovalRequiredError) =>
    Effect.asVoid(Effect.forkDaemon(Effect.zipRight(Effect.sleep("300 millis"), approve(held))))
  const unblocked = yield* GovernancePage.withApproval(counted, later, "50 millis")
  yield* Console.log(`governance.withApproval: was blocked ${unblocked.was_blocked}, granted after more than 3 sends ${sent > 3}`)

  yield* emulator.blockPassports(agent.id)
  const toldThenApproved = (held: StackError.ApprovalRequiredError) =>
    Effect.zipRight(GovernancePage.tellOnConsole(held), approve(held))
  yield* Console.log(`governance.unblockOnceApproved: was blocked ${yield* GovernancePage.unblockOnceApproved(agent.id, toldThenApproved)}`)

  const held = yield* Effect.flip(agents.unblock(agent.id))
  if (!(held instanceof StackError.ApprovalRequiredError)) return yield* Effect.dieMessage(`not held: ${held._tag}`)
  const pending = yield* GovernancePage.unblockWith(agent.id, held.approvalId)
  yield* approve(held)
  const used = yield* GovernancePage.unblockWith(agent.id, held.approvalId)
  const reused = yield* GovernancePage.unblockWith(agent.id, held.approvalId)
  const other = yield* agents.register({ name: "other-bot" })
  const elsewhere = yield* GovernancePage.unblockWith(other.id, held.approvalId)
  yield* Console.log(`governance.unblockWith: ${[pending.replace(held.approvalId, "gvr_…"), used, reused, elsewhere].join("; ").replaceAll(held.approvalId, "gvr_…")}`)
}).pipe(Effect.provide(Emulator.layerStack()))

const options = Effect.gen(function*() {
  const free = yield* Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return (yield* agents.unblock((yield* agents.register({ name: "free-bot" })).id)).was_blocked
  }).pipe(Effect.provide(GovernancePage.NothingHeld))
  const partly = yield* Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const notifications = yield* Notifications.Notifications
    yield* agents.unblock((yield* agents.register({ name: "free-bot" })).id)
    return (yield* Effect.flip(notifications.addDestination({ channel_type: "email", destination: "ops@example.com" })))._tag
  }).pipe(Effect.provide(GovernancePage.DestinationsHeld))
  yield* Console.log(`governance.NothingHeld: unblocked at once (was blocked ${free}); DestinationsHeld: unblocked at once, addDestination ${partly}`)
})

/**
 * The test scenarios, on a TestClock as in it.effect: in a fiber of their
 * own, awaited (not joined), so that the TestClock the layer installs does
 * not stay the clock of the checks that follow.
 */
const scenarios = Effect.gen(function*() {
  const once = yield* GovernancePage.approvedOnce.pipe(Effect.provide(Emulator.layerStack()))
  const refused = yield* GovernancePage.rejectedOrLate.pipe(Effect.provide(Emulator.layerStack()))
  yield* Console.log(`governance.approvedOnce: ${JSON.stringify(once)}; rejectedOrLate: ${JSON.stringify(refused)}`)
}).pipe(
  Effect.provide(TestContext.TestContext),
  Effect.forkDaemon,
  Effect.flatMap(Fiber.await),
  Effect.flatten
)

/** A served emulator on a free port; the approval granted over HTTP. */
const served = Effect.gen(function*() {
  const context = yield* Layer.build(
    Emulator.layerServe.pipe(
      Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Layer.provideMerge(Emulator.layer())
    )
  )
  const emulator = Context.get(context, Emulator.Emulator)
  const { address } = Context.get(context, HttpServer.HttpServer)
  if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("the emulator has no TCP address")
  const baseUrl = `http://127.0.0.1:${address.port}`
  const StackLive = Stack.layer({ apiKey: emulator.apiKey, baseUrl })
  yield* Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const agent = yield* agents.register({ name: "served-bot" })
    const held = yield* Effect.flip(agents.unblock(agent.id))
    if (!(held instanceof StackError.ApprovalRequiredError)) return yield* Effect.dieMessage(`not held: ${held._tag}`)
    const decided = yield* GovernancePage.decideOnServer(baseUrl, Redacted.value(emulator.apiKey), held.approvalId, "approve")
    const unblocked = yield* agents.unblock(agent.id, { governance_approval_id: held.approvalId })
    yield* Console.log(
      `governance.decideOnServer: ${decided.operation} ${decided.status} at ${held.approvalUrl?.replace(held.approvalId, "gvr_…")}, ` +
        `then unblocked (was blocked ${unblocked.was_blocked})`
    )
  }).pipe(Effect.provide(StackLive.pipe(Layer.provideMerge(FetchHttpClient.layer))))
}).pipe(Effect.scoped)

export const check: Effect.Effect<void, unknown, never> = notifications.pipe(
  Effect.zipRight(plain),
  Effect.zipRight(outbox),
  Effect.zipRight(governance),
  Effect.zipRight(options),
  Effect.zipRight(scenarios),
  Effect.zipRight(served),
  // the receiver's own logs (a code that came before its secret, the events it handled) are not the check's
  Logger.withMinimumLogLevel(LogLevel.Error)
)
