/**
 * Security events raised from real triggers (a service used outside the
 * passport's scope, a missed checkpoint, a revoked passport presented again),
 * the agent's reaction to them (`on_critical` / `on_warning`: `block`), and
 * reviews of flagged checkouts whose decisions change passport issuance.
 */
import { describe, expect, it } from "@effect/vitest"
import { Agents, Passports, Reviews, SecurityEvents, StackError } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { client, enrolled, expectError, T0, withEmulator } from "./support/Client.js"

const intent = (services: Array<string>) => ({ summary: "oversight test", services })

/** An agent with the given mode and reactions, and a passport of it declaring `services`. */
const setup = (
  name: string,
  options: {
    readonly mode?: "enforced" | "logged" | "standard"
    readonly on_critical?: "notify" | "block"
    readonly on_warning?: "notify" | "block"
    readonly checkpoint_interval_seconds?: number
  } = {}
) =>
  Effect.gen(function*() {
    const { issue, post } = yield* client
    const registered = yield* post("/v1/agents/register", {
      name,
      accountability_mode: options.mode ?? "enforced",
      on_critical: options.on_critical ?? "notify",
      on_warning: options.on_warning ?? "notify"
    })
    if (registered.status !== 201) throw new Error(registered.text)
    const agentId = registered.json.id as string
    const passport = yield* issue({
      agent_id: agentId,
      intent: intent(["gmail"]),
      ...(options.checkpoint_interval_seconds === undefined ? {} : { checkpoint_interval_seconds: options.checkpoint_interval_seconds })
    })
    return { agentId, passport }
  })

/** The unresolved events, as the API lists them. */
const openEvents = (query = "") =>
  Effect.flatMap(client, ({ get }) =>
    Effect.map(get(`/v1/security-events${query}`), (reply) => {
      if (reply.status !== 200) throw new Error(reply.text)
      return reply.json.events as Array<{ id: string; type: string; severity: string; agent_id: string; passport_jti: string }>
    }))

describe("security events", () => {
  it.effect("a service used outside the scope: listed until resolved; resolving is audited and idempotent", () =>
    withEmulator(Effect.gen(function*() {
      const { auditOf, get, post } = yield* client
      const { agentId, passport } = yield* setup("scope-bot")
      const checkpoint = yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: ["github"], actions_count: 1 })
      expect(checkpoint.status).toBe(200)
      const [event, ...rest] = yield* openEvents()
      expect(rest).toEqual([])
      expect(event).toMatchObject({ type: "credential_outside_scope", severity: "critical", agent_id: agentId, passport_jti: passport.jti })
      expect((yield* openEvents(`?agent_id=${agentId}`)).map((e) => e.id)).toEqual([event!.id])
      expect(yield* openEvents("?agent_id=agt_other")).toEqual([])

      const { entries, result } = yield* auditOf(post(`/v1/security-events/${event!.id}/resolve`))
      expect(result.json).toMatchObject({ resolved: true, event: { id: event!.id } })
      expect(typeof result.json.event.resolved_at).toBe("string")
      expect(entries.map((entry) => entry.action)).toEqual(["security_event.resolve"])
      expect(yield* openEvents()).toEqual([])
      expect((yield* post(`/v1/security-events/${event!.id}/resolve`)).json).toMatchObject({ resolved: false })
      expectError(yield* post("/v1/security-events/sig_unknown/resolve"), 404, "NOT_FOUND")
      // the agent reacts with notify: it keeps getting passports
      expect((yield* post("/v1/passports/issue", { agent_id: agentId, intent: intent(["gmail"]) })).status).toBe(201)
      expectError(yield* get("/v1/security-events?limit=501"), 400, "INVALID_REQUEST")
    })))

  it.effect("a critical event blocks an agent whose on_critical is block: PASSPORT_BLOCKED until agents.unblock", () =>
    withEmulator(Effect.gen(function*() {
      const { auditOf, post, unblock } = yield* client
      const { agentId, passport } = yield* setup("blocking-bot", { on_critical: "block" })
      const { entries } = yield* auditOf(
        post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: ["github"], actions_count: 1 })
      )
      expect(entries.map((entry) => entry.action)).toEqual(["agent.block", "passport.checkpoint"])
      expectError(yield* post("/v1/passports/issue", { agent_id: agentId, intent: intent(["gmail"]) }), 403, "PASSPORT_BLOCKED")
      expect((yield* unblock(agentId)).json.was_blocked).toBe(true)
      expect((yield* post("/v1/passports/issue", { agent_id: agentId, intent: intent(["gmail"]) })).status).toBe(201)
    })))

  it.effect("a warning blocks only an agent whose on_warning is block", () =>
    withEmulator(Effect.gen(function*() {
      const { post } = yield* client
      const notify = yield* setup("warned-bot", { mode: "logged" })
      const block = yield* setup("warn-blocked-bot", { mode: "logged", on_warning: "block" })
      for (const { passport } of [notify, block]) {
        yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: ["github"], actions_count: 1 })
      }
      const events = yield* openEvents()
      expect(events.map((event) => event.severity)).toEqual(["warning", "warning"])
      expect((yield* post("/v1/passports/issue", { agent_id: notify.agentId, intent: intent(["gmail"]) })).status).toBe(201)
      expectError(
        yield* post("/v1/passports/issue", { agent_id: block.agentId, intent: intent(["gmail"]) }),
        403,
        "PASSPORT_BLOCKED"
      )
    })))

  it.effect("a missed checkpoint is signalled once per silence, and blocks before the next passport", () =>
    withEmulator(Effect.gen(function*() {
      const { post } = yield* client
      const logged = yield* setup("silent-bot", { mode: "logged", checkpoint_interval_seconds: 60 })
      yield* TestClock.adjust("59 seconds")
      expect(yield* openEvents()).toEqual([])
      yield* TestClock.adjust("2 seconds")
      const [silence] = yield* openEvents()
      expect(silence).toMatchObject({ type: "checkpoint_silence", severity: "warning", passport_jti: logged.passport.jti })
      expect(yield* openEvents()).toHaveLength(1)
      // a checkpoint ends the silence; the next one is signalled again
      expect((yield* post(`/v1/passports/${logged.passport.jti}/checkpoint`, { services_used: [], actions_count: 0 })).status)
        .toBe(200)
      yield* TestClock.adjust("61 seconds")
      expect((yield* openEvents()).filter((event) => event.type === "checkpoint_silence")).toHaveLength(2)

      // blocking on warnings: nobody lists the events, the next passport is refused all the same
      const enforced = yield* setup("silent-enforced-bot", { on_warning: "block", checkpoint_interval_seconds: 60 })
      yield* TestClock.adjust("61 seconds")
      expectError(
        yield* post("/v1/passports/issue", { agent_id: enforced.agentId, intent: intent(["gmail"]) }),
        403,
        "PASSPORT_BLOCKED"
      )
      expectError(
        yield* post("/v1/passports/issue", { agent_id: enforced.agentId, intent: intent(["gmail"]) }),
        403,
        "PASSPORT_BLOCKED"
      )
      const critical = yield* openEvents(`?agent_id=${enforced.agentId}`)
      expect(critical.map((event) => [event.type, event.severity])).toEqual([["checkpoint_silence", "warning"]])
    })))

  it.effect("a revoked passport presented again (verified, checkpointed or checked out): one warning while unresolved", () =>
    withEmulator(Effect.gen(function*() {
      const { post, verify } = yield* client
      const { passport } = yield* setup("revoked-bot")
      const other = yield* setup("revoked-too-bot")
      for (const jti of [passport.jti, other.passport.jti]) {
        expect((yield* post("/v1/passports/revoke", { jti, reason: "test" })).status).toBe(200)
      }
      expect(yield* verify(passport.token)).toMatchObject({ valid: false, reason: "revoked" })
      expectError(yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: [], actions_count: 0 }), 401, "PASSPORT_REVOKED")
      expectError(yield* post(`/v1/passports/${other.passport.jti}/checkout`, { services_used: [], actions_count: 0 }), 401, "PASSPORT_REVOKED")
      for (let i = 0; i < 3; i++) yield* verify(passport.token)
      const events = yield* openEvents()
      expect(events.map((event) => event.passport_jti).sort()).toEqual([passport.jti, other.passport.jti].sort())
      for (const event of events) expect(event).toMatchObject({ type: "revoked_passport_use", severity: "warning" })
      // once resolved, the next presentation is an event again
      const mine = events.find((event) => event.passport_jti === passport.jti)!
      expect((yield* post(`/v1/security-events/${mine.id}/resolve`)).status).toBe(200)
      yield* verify(passport.token)
      expect((yield* openEvents()).filter((event) => event.passport_jti === passport.jti)).toHaveLength(1)
    })))

  it.effect("a blocked agent's enforced passport is not extended by its checkpoints: it ends with its interval", () =>
    withEmulator(Effect.gen(function*() {
      const { emulator, post } = yield* client
      const { agentId, passport } = yield* setup("stopped-bot", { checkpoint_interval_seconds: 120 })
      yield* TestClock.adjust("60 seconds")
      const extended = yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: [], actions_count: 0 })
      expect(Date.parse(extended.json.expires_at)).toBe(T0 + 180_000)
      yield* emulator.blockPassports(agentId)
      yield* TestClock.adjust("60 seconds")
      const kept = yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: [], actions_count: 0 })
      expect(kept.status).toBe(200)
      expect(kept.json.token).toBe(extended.json.token)
      expect(Date.parse(kept.json.expires_at)).toBe(T0 + 180_000)
    })))

  it.effect("the operator's alone: an agent is refused 403, another operator sees none", () =>
    withEmulator(Effect.gen(function*() {
      const { get, post } = yield* client
      const { passport } = yield* setup("private-bot")
      yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: ["github"], actions_count: 1 })
      const [event] = yield* openEvents()
      const { jwt } = yield* enrolled("nosy-bot")
      expectError(yield* get("/v1/security-events", { auth: yield* jwt() }), 403, "FORBIDDEN")
      const emulator = yield* Emulator.Emulator
      const other = Redacted.value((yield* emulator.createOperator()).apiKey)
      const { call } = yield* client
      const theirs = yield* call("GET", "/v1/security-events", { auth: other })
      expect(theirs.json.events).toEqual([])
      expectError(yield* call("POST", `/v1/security-events/${event!.id}/resolve`, { auth: other }), 404, "NOT_FOUND")
    })))
})

describe("reviews", () => {
  /** A checkout flagged by a critical signal of its passport. */
  const flagged = (name: string) =>
    Effect.gen(function*() {
      const { post } = yield* client
      const { agentId, passport } = yield* setup(name)
      const checkout = yield* post(`/v1/passports/${passport.jti}/checkout`, { services_used: ["github"], actions_count: 2 })
      expect(checkout.json.review).toBe("flagged")
      return { agentId, checkoutId: checkout.json.checkout_id as string }
    })

  it.effect("approved clears the flag; blocked stops the agent's passports; a decided or clean checkout is a conflict", () =>
    withEmulator(Effect.gen(function*() {
      const { auditOf, get, post } = yield* client
      const first = yield* flagged("approved-bot")
      const second = yield* flagged("blocked-bot")
      const listed = (yield* get("/v1/reviews")).json
      expect(listed.reviews.map((review: any) => review.checkout_id)).toEqual([second.checkoutId, first.checkoutId])
      expect(listed.reviews[0]).toMatchObject({ status: "flagged", agent_id: second.agentId, services_used: ["github"] })

      const { entries, result } = yield* auditOf(
        post("/v1/reviews/decide", { checkout_id: first.checkoutId, decision: "approved", notes: "ancillary use" })
      )
      expect(result.json).toMatchObject({
        review: { checkout_id: first.checkoutId, status: "approved", notes: "ancillary use" },
        agent_blocked: false
      })
      expect(entries.map((entry) => entry.action)).toEqual(["review.decide"])
      expect((yield* post("/v1/passports/issue", { agent_id: first.agentId, intent: intent(["gmail"]) })).status).toBe(201)

      const blocked = yield* post("/v1/reviews/decide", { checkout_id: second.checkoutId, decision: "blocked" })
      expect(blocked.json).toMatchObject({ review: { status: "blocked" }, agent_blocked: true })
      expectError(yield* post("/v1/passports/issue", { agent_id: second.agentId, intent: intent(["gmail"]) }), 403, "PASSPORT_BLOCKED")
      expect((yield* get("/v1/reviews")).json.reviews).toEqual([])
      expect((yield* get("/v1/reviews?status=blocked")).json.reviews.map((review: any) => review.checkout_id))
        .toEqual([second.checkoutId])
      expect((yield* get("/v1/reviews?status=approved")).json.reviews.map((review: any) => review.checkout_id))
        .toEqual([first.checkoutId])

      expectError(yield* post("/v1/reviews/decide", { checkout_id: second.checkoutId, decision: "approved" }), 409, "CONFLICT")
      const { passport } = yield* setup("clean-bot")
      const clean = yield* post(`/v1/passports/${passport.jti}/checkout`, { services_used: ["gmail"], actions_count: 1 })
      expect(clean.json.review).toBe("clean")
      expectError(yield* post("/v1/reviews/decide", { checkout_id: clean.json.checkout_id, decision: "approved" }), 409, "CONFLICT")
      expectError(yield* post("/v1/reviews/decide", { checkout_id: "cout_unknown", decision: "approved" }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/reviews/decide", { checkout_id: first.checkoutId, decision: "maybe" }), 400, "INVALID_REQUEST")
    })))

  it.effect("block_future with an approval keeps the agent from new passports", () =>
    withEmulator(Effect.gen(function*() {
      const { post, postApproved } = yield* client
      const { agentId, checkoutId } = yield* flagged("future-bot")
      const decided = yield* postApproved("/v1/reviews/decide", { checkout_id: checkoutId, decision: "approved", block_future: true })
      expect(decided.json).toMatchObject({ review: { status: "approved", block_future: true }, agent_blocked: true })
      expectError(yield* post("/v1/passports/issue", { agent_id: agentId, intent: intent(["gmail"]) }), 403, "PASSPORT_BLOCKED")
    })))
})

describe("governance approvals", () => {
  /** The approval a held request names. */
  const approvalOf = (reply: { status: number; json: any; headers: Headers }) => {
    expectError(reply, 403, "GOVERNANCE_APPROVAL_REQUIRED")
    return reply.json.error.details.approval_id as string
  }

  it.effect("bound to its payload, single-use, refused when rejected or expired, still held while pending; audited", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, auditOf, emulator, post } = yield* client
      const first = yield* agent("gov-a")
      const second = yield* agent("gov-b")
      const { entries, result } = yield* auditOf(post(`/v1/agents/${first}/unblock`))
      const approval = approvalOf(result)
      expect(approval).toMatch(/^gvr_/)
      expect(entries.map((entry) => [entry.action, entry.outcome, entry.error_code])).toEqual([
        ["agent.unblock", "failure", "GOVERNANCE_APPROVAL_REQUIRED"]
      ])
      const resend = (agentId: string, id: string) => post(`/v1/agents/${agentId}/unblock`, { governance_approval_id: id })
      // pending: still held, with the same approval
      expect(approvalOf(yield* resend(first, approval))).toBe(approval)
      yield* Effect.orDie(emulator.decideApproval(emulator.operatorId, approval, "approved"))
      // another payload: the approval is not for it
      expectError(yield* resend(second, approval), 403, "GOVERNANCE_APPROVAL_INVALID")
      expect((yield* resend(first, approval)).status).toBe(200)
      // single use
      expectError(yield* resend(first, approval), 403, "GOVERNANCE_APPROVAL_INVALID")

      const rejected = approvalOf(yield* post(`/v1/agents/${second}/unblock`))
      yield* Effect.orDie(emulator.decideApproval(emulator.operatorId, rejected, "rejected"))
      expectError(yield* resend(second, rejected), 403, "GOVERNANCE_APPROVAL_INVALID")

      const late = approvalOf(yield* post(`/v1/agents/${second}/unblock`))
      yield* Effect.orDie(emulator.decideApproval(emulator.operatorId, late, "approved"))
      yield* TestClock.adjust("24 hours")
      expectError(yield* resend(second, late), 403, "GOVERNANCE_APPROVAL_INVALID")
      expectError(yield* resend(second, "gvr_unknown"), 403, "GOVERNANCE_APPROVAL_INVALID")
      // the emulator's stand-in for the approval page refuses what it cannot decide
      expect(yield* Effect.flip(emulator.decideApproval(emulator.operatorId, "gvr_unknown", "approved")))
        .toMatchObject({ _tag: "ApprovalDecisionError", reason: "not_found" })
      expect(yield* Effect.flip(emulator.decideApproval(emulator.operatorId, late, "rejected")))
        .toMatchObject({ _tag: "ApprovalDecisionError", reason: "already_decided" })
      // an unknown agent is refused before any approval is asked for
      expectError(yield* post("/v1/agents/agt_nobody/unblock"), 404, "NOT_FOUND")
    })))

  it.effect("adding a notification destination is held too, then created with the approval", () =>
    withEmulator(Effect.gen(function*() {
      const { post, postApproved } = yield* client
      const body = { channel_type: "email", destination: "ops@example.com" }
      approvalOf(yield* post("/v1/notifications/destinations", body))
      const added = yield* postApproved("/v1/notifications/destinations", body)
      expect(added.status).toBe(201)
      expect(added.json).toMatchObject({ channel_type: "email", destination: "ops@example.com", verified: false })
    })))

  it.effect("block_future is held, a plain decision is not; an operation left out of the option is not held", () =>
    Effect.gen(function*() {
      const { post } = yield* client
      const review = (name: string) =>
        Effect.gen(function*() {
          const { passport } = yield* setup(name)
          return (yield* post(`/v1/passports/${passport.jti}/checkout`, { services_used: ["github"], actions_count: 1 })).json
            .checkout_id as string
        })
      // a checkout that cannot be decided is refused before any approval is asked for
      expectError(
        yield* post("/v1/reviews/decide", { checkout_id: "cout_unknown", decision: "blocked", block_future: true }),
        404,
        "NOT_FOUND"
      )
      const held = yield* review("held-review-bot")
      approvalOf(yield* post("/v1/reviews/decide", { checkout_id: held, decision: "blocked", block_future: true }))
      expect((yield* post("/v1/reviews/decide", { checkout_id: held, decision: "blocked" })).status).toBe(200)
      const agentId = (yield* setup("free-bot")).agentId
      expect((yield* post(`/v1/agents/${agentId}/unblock`)).status).toBe(200)
    }).pipe((body) => withEmulator(body, { governance: ["reviews.decide.block_future"] })))

  it.effect("through the SDK: a typed ApprovalRequiredError with the approval's id and URL, then the same call approved", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const agents = yield* Agents.Agents
      const emulator = yield* Emulator.Emulator
      const agent = yield* agents.register({ name: "sdk-gov-bot" })
      const held = yield* Effect.flip(agents.unblock(agent.id))
      expect(held).toBeInstanceOf(StackError.ApprovalRequiredError)
      if (!(held instanceof StackError.ApprovalRequiredError)) return
      expect(held).toMatchObject({ status: 403, code: "GOVERNANCE_APPROVAL_REQUIRED" })
      expect(held.approvalUrl).toBe(`/_emulator/approvals/${held.approvalId}`)
      yield* emulator.decideApproval(emulator.operatorId, held.approvalId, "approved")
      const unblocked = yield* agents.unblock(agent.id, { governance_approval_id: held.approvalId })
      expect(unblocked.was_blocked).toBe(false)
    }).pipe(Effect.provide(Emulator.layerStack())))
})

describe("through the SDK", () => {
  it.effect("SecurityEvents.listAll and resolve, Reviews.list and decide, typed; PASSPORT_BLOCKED is a ForbiddenError", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { post } = yield* client
      const { passport } = yield* setup("sdk-bot")
      yield* post(`/v1/passports/${passport.jti}/checkout`, { services_used: ["github", "notion"], actions_count: 2 })
      const events = yield* SecurityEvents.SecurityEvents
      const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(events.listAll({ pageSize: 1 })))
      expect(listed.map((event) => event.type)).toEqual(["credential_outside_scope", "credential_outside_scope"])
      const resolved = yield* events.resolve(listed[0]!.id)
      expect(resolved.resolved).toBe(true)
      const reviews = yield* Reviews.Reviews
      const [review] = (yield* reviews.list()).reviews
      expect(review!.status).toBe("flagged")
      const decided = yield* reviews.decide({ checkout_id: review!.checkout_id, decision: "blocked", notes: "no" })
      expect(decided.agent_blocked).toBe(true)
      const passports = yield* Passports.Passports
      const blocked = yield* Effect.flip(passports.issue({ agent_id: review!.agent_id!, intent: intent(["gmail"]) }))
      expect(blocked).toBeInstanceOf(StackError.ForbiddenError)
      expect(blocked).toMatchObject({ status: 403, code: "PASSPORT_BLOCKED" })
      const conflict = yield* Effect.flip(reviews.decide({ checkout_id: review!.checkout_id, decision: "approved" }))
      expect(conflict).toBeInstanceOf(StackError.ConflictError)
    }).pipe(Effect.provide(Emulator.layerStack())))
})
