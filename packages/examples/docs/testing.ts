/**
 * Snippets of docs/testing.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 *
 * The test suites are wrapped in exported functions so that importing this
 * file declares no tests; their bodies are left unindented so that they read
 * exactly as they would at the top level of a `*.test.ts` file.
 */
// --- imports
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { expect, it, layer } from "@effect/vitest"
import { Agents, Api, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
// ---

// --- code-under-test
/** Suspends every active agent; returns how many it suspended. */
export const suspendAll = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  return yield* agents.list().pipe(
    Stream.filter((agent) => agent.status === "active"),
    Stream.mapEffect((agent) => agents.update(agent.id, { status: "suspended" })),
    Stream.runCount
  )
})
// ---

export function emulatorSuites(): void {
// --- it-layer
it.layer(Emulator.layerStack())("suspendAll", (it) => {
  it.effect("suspends the active agents only", () =>
    Effect.gen(function*() {
      const agents = yield* Agents.Agents
      const a = yield* agents.register("bot-a")
      const b = yield* agents.register("bot-b")
      yield* agents.update(b.id, { status: "suspended" })

      expect(yield* suspendAll).toBe(1)
      expect((yield* agents.get(a.id)).status).toBe("suspended")
    }))

  it.effect("refuses a name that is taken", () =>
    Effect.gen(function*() {
      const agents = yield* Agents.Agents
      const error = yield* agents.register("bot-a").pipe(Effect.flip)
      expect(error._tag).toBe("ConflictError")
    }))
})
// ---

// --- per-test
it.effect("starts from an empty STACK", () =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    expect(yield* suspendAll).toBe(0)
    const page = yield* agents.listPage()
    expect(page.total).toBe(0)
  }).pipe(Effect.provide(Emulator.layerStack())))
// ---

// --- real-clock
layer(Emulator.layerStack(), { excludeTestServices: true })("with the real clock", (it) => {
  it.effect("stamps agents with the current time", () =>
    Effect.gen(function*() {
      const agents = yield* Agents.Agents
      const agent = yield* agents.register("clock-bot")
      expect(DateTime.toEpochMillis(agent.created_at)).toBeGreaterThan(Date.UTC(2020, 0, 1))
    }))
})
// ---

// --- emulator-service
it.effect("writes one audit entry per change", () =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const emulator = yield* Emulator.Emulator
    yield* agents.register("audited-bot")
    yield* suspendAll

    const chain = yield* emulator.auditChain(emulator.operatorId)
    expect(chain.map((entry) => entry.action)).toEqual(["agent.register", "agent.suspend"])
    expect((yield* Api.Audit.verifyChain(chain)).valid).toBe(true)
  }).pipe(Effect.provide(Emulator.layerStack())))
// ---
}

// --- test-double
const agent = (id: string, status: Api.Agents.AgentStatus) =>
  new Api.Agents.Agent({
    id,
    operator_id: "op_test",
    name: id.replace("agt_", "bot-"),
    description: null,
    ...Api.Agents.AgentDefaults,
    icon_url: null,
    status,
    passport_blocked: false,
    created_at: DateTime.unsafeMake(0),
    updated_at: DateTime.unsafeMake(0)
  })

const AgentsTest = (updated: Ref.Ref<ReadonlyArray<string>>) =>
  Layer.succeed(
    Agents.Agents,
    Agents.Agents.of({
      list: () => Stream.make(agent("agt_1", "active"), agent("agt_2", "suspended"), agent("agt_3", "active")),
      update: (id, changes) =>
        Effect.as(Ref.update(updated, (ids) => [...ids, id]), agent(id, changes.status ?? "active")),
      register: () => Effect.dieMessage("not used"),
      listPage: () => Effect.dieMessage("not used"),
      get: () => Effect.dieMessage("not used"),
      delete: () => Effect.dieMessage("not used"),
      unblock: () => Effect.dieMessage("not used")
    })
  )
// ---

export function testDoubleSuites(): void {
// --- test-double-use
it.effect("suspendAll updates each active agent once", () =>
  Effect.gen(function*() {
    const updated = yield* Ref.make<ReadonlyArray<string>>([])
    const count = yield* suspendAll.pipe(Effect.provide(AgentsTest(updated)))
    expect(count).toBe(2)
    expect(yield* Ref.get(updated)).toEqual(["agt_1", "agt_3"])
  }))
// ---
}

// --- fake-http
const answering = (status: number, body: unknown) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.succeed(HttpClientResponse.fromWeb(request, new Response(JSON.stringify(body), { status })))
    )
  )

const StackAnswering = (status: number, body: unknown) =>
  Stack.layer({ apiKey: "sk_test_fake", retry: { maxRetries: 0 } }).pipe(
    Layer.provide(answering(status, body))
  )
// ---

export function fakeHttpSuites(): void {
// --- fake-http-use
it.effect("fails with InternalServerError when STACK is down", () =>
  Effect.gen(function*() {
    const error = yield* suspendAll.pipe(
      Effect.flip,
      Effect.provide(StackAnswering(503, { error: { code: "INTERNAL_ERROR", message: "down" } }))
    )
    expect(error._tag).toBe("InternalServerError")
    expect(error).toMatchObject({ status: 503, code: "INTERNAL_ERROR", message: "down" })
  }))
// ---
}
