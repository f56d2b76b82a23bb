import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Missions, Passports, StackClient } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { stackOver } from "./support/Emulator.js"

/** The JSON bodies of the requests the SDK sent, in order. */
const recorded: Array<{ readonly url: string; readonly body: unknown }> = []
/** Requests sent and not answered yet. */
let inFlight = 0

const decoder = new TextDecoder()

/** The SDK over an in-process emulator, recording every request body and counting requests in flight. */
const RecordingStack = stackOver((client) =>
  client.pipe(HttpClient.transform((response, request) =>
    Effect.suspend(() => {
      const body = request.body._tag === "Uint8Array" ? JSON.parse(decoder.decode(request.body.body)) as unknown : undefined
      recorded.push({ url: request.url, body })
      inFlight++
      return Effect.ensuring(response, Effect.sync(() => inFlight--))
    })
  ))
)

/**
 * Moves the TestClock forward a second at a time, letting every request the
 * SDK sent reach the emulator (real I/O, outside the TestClock) before time
 * moves on: the emulator reads the same clock.
 */
const advance = (seconds: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < seconds; i++) {
      yield* TestClock.adjust("1 second")
      while (inFlight > 0) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
      yield* TestClock.adjust(0)
    }
  })

const StackLive = Emulator.layerStack()

const registerAgent = (name: string, mode: "enforced" | "logged" | "standard") =>
  Effect.flatMap(Agents.Agents, (agents) => agents.register({ name: name, accountability_mode: mode }))

const livePassports = (agentId: string) =>
  Effect.flatMap(Passports.Passports, (passports) => passports.listActive({ agent_id: agentId })).pipe(
    Effect.map((active) => active.passports)
  )

/** The SDK over an in-process emulator whose checkout requests never get an answer. */
const HangingCheckoutStack = stackOver((client) =>
  client.pipe(HttpClient.transform((response, request) => request.url.endsWith("/checkout") ? Effect.never : response))
)

describe("the scoped mission", () => {
  it.effect("issues on open; checks out, then revokes on close", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const emulator = yield* Emulator.Emulator
      const agent = yield* registerAgent("scoped-happy", "enforced")
      const { jti, token } = yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* passports.mission({
          agent_id: agent.id,
          intent: "Process invoices",
          services: ["slack", "stripe"]
        })
        yield* mission.log("slack", "read_channel", "#invoices")
        yield* mission.log("stripe", "create_invoice")
        expect((yield* livePassports(agent.id)).map((p) => p.jti)).toEqual([mission.jti])
        const claims = yield* passports.verifyOffline(Redacted.value(yield* mission.token))
        expect(claims.stk.intent_summary).toBe("Process invoices")
        expect(claims.stk.intent_services).toEqual(["slack", "stripe"])
        expect((yield* mission.actions).map((a) => a.action)).toEqual(["read_channel", "create_invoice"])
        return { jti: mission.jti, token: yield* mission.token }
      }))
      expect(yield* livePassports(agent.id)).toEqual([])
      const chain = yield* emulator.auditChain(emulator.operatorId)
      const mine = chain.filter((entry) => entry.passport_jti === jti).map((entry) => entry.action)
      expect(mine).toEqual(["passport.issue", "passport.checkout", "passport.revoke"])
      const online = yield* passports.verify({ token: Redacted.value(token) })
      expect(online.valid === false && online.reason).toBe("revoked")
    }).pipe(Effect.provide(StackLive)))

  it.effect("checkpoints go out every interval with the services and actions since the previous one", () =>
    Effect.gen(function*() {
      recorded.length = 0
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-clock", "enforced")
      yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* passports.mission({
          agent_id: agent.id,
          intent: "Watch the queue",
          services: ["slack", "github"],
          checkpoint_interval: "frequent"
        })
        const firstExpiry = yield* mission.expiresAt
        yield* mission.log("slack", "read")
        yield* mission.log("slack", "post")
        yield* advance(120)
        yield* mission.log("github", "open_issue")
        yield* advance(120)
        yield* advance(120)
        const checkpoints = recorded.filter((r) => r.url.endsWith(`/v1/passports/${mission.jti}/checkpoint`))
        expect(checkpoints.map((c) => c.body)).toEqual([
          { services_used: ["slack"], actions_count: 2 },
          { services_used: ["github"], actions_count: 1 },
          { services_used: [], actions_count: 0 }
        ])
        // enforced: each checkpoint (a little before the interval ends: at 108 s, 216 s, 324 s)
        // extends the passport to one interval after it
        const expiry = yield* mission.expiresAt
        expect(expiry.epochMillis - firstExpiry.epochMillis).toBe(3 * 108_000)
      }))
      const checkout = recorded.find((r) => r.url.endsWith("/checkout"))
      expect(checkout?.body).toMatchObject({ services_used: ["slack", "github"], actions_count: 3 })
    }).pipe(Effect.provide(RecordingStack)))

  it.effect("a logged passport is refreshed before it expires, for as long as the mission runs", () =>
    Effect.gen(function*() {
      recorded.length = 0
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-long", "logged")
      yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* passports.mission({
          agent_id: agent.id,
          intent: "A long job",
          services: ["github"],
          ttl_seconds: 120,
          checkpoint_interval: "marathon"
        })
        yield* advance(400)
        const expiresAt = yield* mission.expiresAt
        expect(expiresAt.epochMillis).toBeGreaterThan(400_000)
        expect((yield* passports.verifyOffline(Redacted.value(yield* mission.token))).jti).toBe(mission.jti)
        expect((yield* livePassports(agent.id)).map((p) => p.jti)).toEqual([mission.jti])
        const refreshes = recorded.filter((r) => r.url.endsWith("/v1/passports/refresh"))
        // every ~108 s (120 s less a 12 s margin): at 108, 216, 324 s
        expect(refreshes.length).toBe(3)
      }))
      expect(yield* livePassports(agent.id)).toEqual([])
    }).pipe(Effect.provide(RecordingStack)))

  it.effect("checkpoints stop once the passport is revoked behind the mission's back", () =>
    Effect.gen(function*() {
      recorded.length = 0
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-revoked", "enforced")
      yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* passports.mission({
          agent_id: agent.id,
          intent: "Be revoked",
          services: [],
          checkpoint_interval: "frequent"
        })
        yield* passports.revoke({ jti: mission.jti, reason: "operator pulled it" })
        yield* advance(500)
        const checkpoints = recorded.filter((r) => r.url.endsWith("/checkpoint"))
        expect(checkpoints.length).toBe(1)
      }))
    }).pipe(Effect.provide(RecordingStack)))

  it.effect("a standard agent's mission stops checkpointing quietly (CHECKPOINT_NOT_AVAILABLE) and still closes", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-standard", "standard")
      recorded.length = 0
      yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* passports.mission({ agent_id: agent.id, intent: "Tidy up", services: ["notion"] })
        // four intervals: the first checkpoint is refused for good, and no other is sent
        yield* advance(20 * 60)
        const sent = recorded.filter((r) => r.url.endsWith(`/v1/passports/${mission.jti}/checkpoint`))
        expect(sent).toHaveLength(1)
        // the passport was kept alive by refreshes instead
        expect(recorded.filter((r) => r.url.endsWith("/v1/passports/refresh")).length).toBeGreaterThanOrEqual(1)
        const error = yield* Effect.flip(mission.checkpoint)
        expect(error._tag === "NotFoundError" && error.code).toBe("CHECKPOINT_NOT_AVAILABLE")
      }))
      expect(yield* livePassports(agent.id)).toEqual([])
    }).pipe(Effect.provide(RecordingStack)))

  it.effect("zero live passports after success, failure, defect and interruption at random points (240 runs)", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-chaos", "logged")
      const outcomes = { success: 0, failure: 0, defect: 0, interrupted: 0 }
      for (let run = 0; run < 240; run++) {
        const kind = run % 4
        const steps = yield* Random.nextIntBetween(0, 6)
        const program = Effect.scoped(Effect.gen(function*() {
          const mission = yield* passports.mission({ agent_id: agent.id, intent: `run ${run}`, services: ["slack"] })
          for (let i = 0; i < steps; i++) {
            yield* mission.log("slack", `step-${i}`)
            yield* Effect.yieldNow()
          }
          if (kind === 1) return yield* Effect.fail("work failed" as const)
          if (kind === 2) return yield* Effect.die(new Error("work crashed"))
          if (kind === 3) yield* Effect.never
          return "done" as const
        }))
        if (kind === 3) {
          const fiber = yield* Effect.fork(program)
          const wait = yield* Random.nextIntBetween(0, 40)
          for (let i = 0; i < wait; i++) yield* Effect.yieldNow()
          // let some runs be interrupted while the passport is still being issued
          if (wait > 20) yield* Effect.sleep(0)
          const exit = yield* Fiber.interrupt(fiber)
          expect(Exit.isInterrupted(exit)).toBe(true)
          outcomes.interrupted++
        } else {
          const exit = yield* Effect.exit(program)
          if (Exit.isSuccess(exit)) outcomes.success++
          else if (Exit.isFailure(exit) && exit.cause._tag === "Fail") outcomes.failure++
          else outcomes.defect++
        }
      }
      expect(outcomes).toEqual({ success: 60, failure: 60, defect: 60, interrupted: 60 })
      expect(yield* livePassports(agent.id)).toEqual([])
    }).pipe(Effect.provide(StackLive)), 120_000)

  it.effect("a closing step that hangs times out, is logged, and the passport is still revoked", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-hang", "logged")
      const logs: Array<string> = []
      const fiber = yield* Effect.fork(
        Effect.scoped(passports.mission({
          agent_id: agent.id,
          intent: "Hang on checkout",
          services: [],
          finalizerTimeout: "5 seconds"
        })).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logs.push(String(message)))))
        )
      )
      // the issue request is real I/O: wait until the passport exists and the scope hangs in its checkout
      while ((yield* livePassports(agent.id)).length === 0) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 2)))
      }
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("5 seconds")
      const handle = yield* Fiber.join(fiber)
      expect(logs.some((line) => line.includes("checkout failed"))).toBe(true)
      expect(yield* livePassports(agent.id)).toEqual([])
      expect(handle.jti).toMatch(/^pp_/)
    }).pipe(Effect.provide(HangingCheckoutStack)))

  it.effect("a failing finalizer is logged, not lost", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-lost", "logged")
      const logs: Array<string> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* passports.mission({ agent_id: agent.id, intent: "Lose the passport", services: [] })
        // revoked behind the mission's back: its checkout then fails with PASSPORT_REVOKED
        yield* passports.revoke({ jti: mission.jti, reason: "revoked elsewhere" })
      })).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logs.push(String(message)))))
      )
      expect(logs.some((line) => line.includes("checkout failed"))).toBe(true)
      expect(yield* livePassports(agent.id)).toEqual([])
    }).pipe(Effect.provide(StackLive)))
})

describe("missions.scoped", () => {
  const liveOf = (agentId: string) => Effect.map(livePassports(agentId), (passports) => passports.map((p) => p.jti))

  it.effect("success completes the mission with its output; every bound passport, renewed ones included, is dead", () =>
    Effect.gen(function*() {
      const missions = yield* Missions.Missions
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-mission-ok", "enforced")
      const { missionId, first, renewed } = yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* missions.scoped({
          agent_id: agent.id,
          intent_summary: "Reconcile invoices",
          intent_services: ["stripe"],
          checkpoint_interval: "5m"
        })
        const claims = yield* passports.verifyOffline(yield* mission.token)
        expect(claims.stk.mission_id).toBe(mission.missionId)
        expect(claims.stk.checkpoint_interval).toBe(300)
        const renewed = yield* missions.renew(mission.missionId)
        expect(yield* liveOf(agent.id)).toHaveLength(2)
        yield* mission.log("stripe", "list_invoices")
        yield* mission.setOutput({ reconciled: 12 })
        return { missionId: mission.missionId, first: mission.jti, renewed: renewed.passport.jti }
      }))
      const done = yield* missions.get(missionId)
      expect(done.status).toBe("completed")
      expect(done.output).toEqual({ reconciled: 12 })
      expect(yield* liveOf(agent.id)).toEqual([])
      for (const jti of [first, renewed]) {
        const refused = yield* Effect.flip(passports.checkpoint(jti, { services_used: [], actions_count: 0 }))
        expect(refused._tag === "AuthenticationError" && refused.code).toBe("PASSPORT_REVOKED")
      }
    }).pipe(Effect.provide(StackLive)))

  it.effect("failure and interruption revoke the mission; its passport is dead", () =>
    Effect.gen(function*() {
      const missions = yield* Missions.Missions
      const agent = yield* registerAgent("scoped-mission-bad", "logged")
      const run = (intent: string, body: Effect.Effect<void, string>) =>
        Effect.gen(function*() {
          let missionId = ""
          const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
            const mission = yield* missions.scoped({ agent_id: agent.id, intent_summary: intent })
            missionId = mission.missionId
            yield* mission.setOutput("never used")
            yield* body
          })))
          return { exit, mission: yield* missions.get(missionId) }
        })
      const failed = yield* run("fails", Effect.fail("work failed"))
      expect(Exit.isFailure(failed.exit)).toBe(true)
      expect(failed.mission).toMatchObject({ status: "revoked", revoke_reason: "operator_initiated_clean", notes: "scope failed" })
      expect(failed.mission.output).toBeUndefined()

      const fiber = yield* Effect.fork(run("interrupted", Effect.never))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      const listed = yield* missions.list({ status: "revoked" })
      expect(listed.missions.map((m) => [m.intent_summary, m.notes]).sort()).toEqual([
        ["fails", "scope failed"],
        ["interrupted", "scope interrupted"]
      ])
      expect(yield* liveOf(agent.id)).toEqual([])
    }).pipe(Effect.provide(StackLive)))

  it.effect("a mission started with an idempotency key gives its own calls keys of their own: it still checkpoints and closes", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const agent = yield* registerAgent("scoped-keyed", "enforced")
      yield* Effect.scoped(Effect.gen(function*() {
        const mission = yield* passports.mission({ agent_id: agent.id, intent: "Keyed", services: ["slack"] })
        const result = yield* mission.checkpoint
        expect(result.accepted).toBe(true)
      })).pipe(StackClient.withCallOptions({ idempotencyKey: "one-mission-key" }))
      expect(yield* livePassports(agent.id)).toEqual([])
    }).pipe(Effect.provide(StackLive)))

  it.effect("a checkpoint interval that is not one is refused before anything is sent", () =>
    Effect.gen(function*() {
      const missions = yield* Missions.Missions
      const agent = yield* registerAgent("scoped-mission-interval", "enforced")
      const error = yield* Effect.flip(Effect.scoped(missions.scoped({ agent_id: agent.id, intent_summary: "x", checkpoint_interval: "5 parsecs" as never })))
      expect(error._tag === "RequestEncodeError" && error.fields).toEqual(["checkpoint_interval"])
      expect((yield* missions.list()).missions).toEqual([])
    }).pipe(Effect.provide(StackLive)))
})
