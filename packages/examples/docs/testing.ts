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
import { Agents, Api, Passports, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
// ---

// --- code-under-test
/** Suspends every active agent; returns how many it suspended. */
export const suspendAll = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  return yield* agents.listAll().pipe(
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
      const a = yield* agents.register({ name: "bot-a" })
      const b = yield* agents.register({ name: "bot-b" })
      yield* agents.update(b.id, { status: "suspended" })

      expect(yield* suspendAll).toBe(1)
      expect((yield* agents.get(a.id)).status).toBe("suspended")
    }))

  it.effect("refuses a name that is taken", () =>
    Effect.gen(function*() {
      const agents = yield* Agents.Agents
      const error = yield* agents.register({ name: "bot-a" }).pipe(Effect.flip)
      expect(error._tag).toBe("ConflictError")
    }))
})
// ---

// --- per-test
it.effect("starts from an empty STACK", () =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    expect(yield* suspendAll).toBe(0)
    const page = yield* agents.list()
    expect(page.agents).toEqual([])
  }).pipe(Effect.provide(Emulator.layerStack())))
// ---

// --- real-clock
layer(Emulator.layerStack(), { excludeTestServices: true })("with the real clock", (it) => {
  it.effect("stamps agents with the current time", () =>
    Effect.gen(function*() {
      const agents = yield* Agents.Agents
      const agent = yield* agents.register({ name: "clock-bot" })
      expect(agent.created_at?.epochMillis).toBeGreaterThan(Date.UTC(2020, 0, 1))
    }))
})
// ---

// --- emulator-service
it.effect("writes one audit entry per change", () =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const emulator = yield* Emulator.Emulator
    yield* agents.register({ name: "audited-bot" })
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
      listAll: () => Stream.make(agent("agt_1", "active"), agent("agt_2", "suspended"), agent("agt_3", "active")),
      update: (id, changes) =>
        Effect.as(Ref.update(updated, (ids) => [...ids, id]), agent(id, changes?.status ?? "active")),
      register: () => Effect.dieMessage("not used"),
      list: () => Effect.dieMessage("not used"),
      get: () => Effect.dieMessage("not used"),
      delete: () => Effect.dieMessage("not used"),
      unblock: () => Effect.dieMessage("not used"),
      enrollmentChallenge: () => Effect.dieMessage("not used"),
      enroll: () => Effect.dieMessage("not used")
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

// --- mission-under-test
/** Handles each message inside a mission; fails on a poison message. */
export const drainQueue = (agentId: string, messages: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const mission = yield* passports.mission({ agent_id: agentId, intent: "Drain the queue", services: ["sqs"] })
      for (const message of messages) {
        if (message === "poison") return yield* Effect.fail("poison message" as const)
        yield* mission.log("sqs", "receive", message)
      }
      return messages.length
    })
  )
// ---

export function scopedMissionSuites(): void {
// --- mission-tests
it.layer(Emulator.layerStack())("drainQueue", (it) => {
  const trail = (agentId: string) =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const chain = yield* emulator.auditChain(emulator.operatorId)
      return chain.filter((entry) => entry.agent_id === agentId).map((entry) => entry.action)
    })
  const live = (agentId: string) =>
    Effect.flatMap(Passports.Passports, (passports) => passports.listActive({ agent_id: agentId }))

  it.effect("checks out and revokes its passport", () =>
    Effect.gen(function*() {
      const agents = yield* Agents.Agents
      const agent = yield* agents.register({ name: "queue-bot", accountability_mode: "logged" })
      expect(yield* drainQueue(agent.id, ["a", "b"])).toBe(2)
      expect((yield* live(agent.id)).passports).toEqual([])
      expect(yield* trail(agent.id)).toEqual(["agent.register", "passport.issue", "passport.checkout", "passport.revoke"])
    }))

  it.effect("closes the mission when the work fails", () =>
    Effect.gen(function*() {
      const agents = yield* Agents.Agents
      const agent = yield* agents.register({ name: "poisoned-bot", accountability_mode: "logged" })
      const exit = yield* Effect.exit(drainQueue(agent.id, ["a", "poison"]))
      expect(exit).toStrictEqual(Exit.fail("poison message"))
      expect((yield* live(agent.id)).passports).toEqual([])
      expect(yield* trail(agent.id)).toContain("passport.revoke")
    }))
})
// ---
}

// --- eventually
/**
 * Waits, in real time, until `condition` holds. Requests to the in-process
 * emulator are real I/O, which `TestClock.adjust` does not wait for.
 */
const eventually = <E, R>(condition: Effect.Effect<boolean, E, R>): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    while (!(yield* condition)) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
  })
// ---

export function missionClockSuites(): void {
// --- mission-clock
it.effect("an enforced mission checks in before each interval ends", () =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const passports = yield* Passports.Passports
    const agent = yield* agents.register({ name: "night-shift-bot", accountability_mode: "enforced" })
    yield* Effect.scoped(Effect.gen(function*() {
      const mission = yield* passports.mission({
        agent_id: agent.id,
        intent: "Night shift",
        services: ["sqs"],
        checkpoint_interval: "frequent"
      })
      const endsAt = Effect.map(mission.expiresAt, DateTime.toEpochMillis)
      // issued at 0 s: an enforced passport lives one interval (120 s)
      expect(yield* endsAt).toBe(120_000)
      // the checkpoint goes out at 108 s and moves the end to 108 + 120 s
      yield* TestClock.adjust("108 seconds")
      yield* eventually(Effect.map(endsAt, (end) => end === 228_000))
      yield* TestClock.adjust("108 seconds")
      yield* eventually(Effect.map(endsAt, (end) => end === 336_000))
    }))
  }).pipe(Effect.provide(Emulator.layerStack())))
// ---
}
