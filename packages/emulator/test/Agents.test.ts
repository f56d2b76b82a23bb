import { describe, expect, it } from "@effect/vitest"
import { Agents, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"

/** An independent recomputation of STACK's audit hash, with node:crypto. */
const recompute = (entry: {
  entry_id: string
  timestamp: number
  operator_id: string
  agent_id: string | null
  layer: string
  action: string
  outcome: string
  prev_entry_hash: string
}) =>
  createHash("sha256").update(JSON.stringify({
    entry_id: entry.entry_id,
    timestamp: entry.timestamp,
    operator_id: entry.operator_id,
    agent_id: entry.agent_id,
    layer: entry.layer,
    action: entry.action,
    outcome: entry.outcome,
    prev_entry_hash: entry.prev_entry_hash
  })).digest("hex")

describe("Agents against the embedded emulator", () => {
  // governance holds are tested in Oversight.test.ts: here unblock runs at once
  it.layer(Emulator.layerStack({ governance: [] }))((it) => {
    it.effect("register applies STACK's defaults and returns the agent", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const emulator = yield* Emulator.Emulator
        const agent = yield* agents.register({ name: "defaults-bot" })
        expect(agent.id).toMatch(/^agt_[A-Za-z0-9]{24}$/)
        expect(agent.operator_id).toBe(emulator.operatorId)
        expect(agent).toMatchObject({
          name: "defaults-bot",
          description: null,
          accountability_mode: "enforced",
          on_warning: "notify",
          on_critical: "block",
          credential_access: "direct",
          icon_url: null,
          status: "active",
          passport_blocked: false
        })
      }))

    it.effect("register keeps every option", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const agent = yield* agents.register({
          name: "options-bot",
          description: "does things",
          accountability_mode: "logged",
          on_warning: "block",
          on_critical: "notify",
          credential_access: "proxy_only",
          icon_url: "data:image/png;base64,AAAA"
        })
        const fetched = yield* agents.get(agent.id)
        expect(fetched).toMatchObject({
          description: "does things",
          accountability_mode: "logged",
          on_warning: "block",
          on_critical: "notify",
          credential_access: "proxy_only",
          icon_url: "data:image/png;base64,AAAA"
        })
      }))

    it.effect("a duplicate name is a ConflictError, answered once (no retries)", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        yield* agents.register({ name: "twin" })
        const error = yield* Effect.flip(agents.register({ name: "twin" }))
        expect(error._tag).toBe("ConflictError")
        if (error._tag !== "ConflictError") return
        expect(error.code).toBe("CONFLICT")
        expect(error.status).toBe(409)
        expect(error.requestId).toMatch(/^req_/)
      }))

    it.effect("validation failures are BadRequestError INVALID_REQUEST naming each bad field", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const error = yield* Effect.flip(agents.register({
          name: "Not Valid!",
          description: "x".repeat(257),
          icon_url: "y".repeat(100_001)
        }))
        expect(error._tag).toBe("BadRequestError")
        if (error._tag !== "BadRequestError") return
        expect(error.code).toBe("INVALID_REQUEST")
        expect(error.status).toBe(400)
        const fields = (error.details as { fields: Record<string, string> }).fields
        expect(Object.keys(fields).sort()).toEqual(["description", "icon_url", "name"])
        expect(fields.name).toMatch(/lowercase/)
        expect(fields.description).toMatch(/256/)
      }))

    it.effect("names: 64 characters pass, 65 fail; one character fails; underscores inside pass; edges must be alphanumeric", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        yield* agents.register({ name: "a".repeat(64) })
        expect((yield* agents.register({ name: "support_bot-2" })).name).toBe("support_bot-2")
        for (const name of ["a".repeat(65), "a", "-ab", "ab-", "_ab", "ab_", "ab c", "AB"]) {
          const error = yield* Effect.flip(agents.register({ name }))
          expect(error._tag, name).toBe("BadRequestError")
        }
      }))

    it.effect("list streams every agent across pages, newest first; listPage gives one page", () =>
      Effect.gen(function*() {
        const { agents } = yield* Stack.Stack
        const before = Chunk.size(yield* Stream.runCollect(agents.listAll()))
        const names = Array.from({ length: 7 }, (_, i) => `paged-${i}`)
        for (const name of names) yield* agents.register({ name })
        const all = yield* Stream.runCollect(agents.listAll({ pageSize: 3 }))
        expect(Chunk.size(all)).toBe(before + 7)
        const paged = Chunk.toReadonlyArray(all).map((a) => a.name).filter((n) => n.startsWith("paged-"))
        expect(paged).toEqual([...names].reverse())
        const page = yield* agents.list({ page: 2, limit: 3 })
        expect(page.page).toBe(2)
        expect(page.limit).toBe(3)
        expect(page.agents).toHaveLength(3)
        expect(page.total).toBe(before + 7)
        expect(page.has_more).toBe(true)
      }))

    it.effect("listPage rejects a limit above 100", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const error = yield* Effect.flip(agents.list({ limit: 101 }))
        expect(error._tag).toBe("BadRequestError")
      }))

    it.effect("update changes fields, suspends, clears with null, and refuses a taken name", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const agent = yield* agents.register({ name: "to-update", description: "first" })
        yield* agents.register({ name: "taken-name" })
        const updated = yield* agents.update(agent.id, { status: "suspended", description: null, on_warning: "block" })
        expect(updated).toMatchObject({ status: "suspended", description: null, on_warning: "block", name: "to-update" })
        expect((yield* agents.get(agent.id)).status).toBe("suspended")
        const renamed = yield* agents.update(agent.id, { name: "renamed-bot", status: "active" })
        expect(renamed).toMatchObject({ name: "renamed-bot", status: "active" })
        const conflict = yield* Effect.flip(agents.update(agent.id, { name: "taken-name" }))
        expect(conflict._tag).toBe("ConflictError")
        // a value outside the contract's type is refused before it is sent
        const invalid = yield* Effect.flip(agents.update(agent.id, { status: "gone" as never }))
        expect(invalid._tag).toBe("RequestEncodeError")
        expect(invalid._tag === "RequestEncodeError" && invalid.fields).toEqual(["body.status"])
        // a value of the right type that breaks a rule is the server's to judge
        const tooLong = yield* Effect.flip(agents.update(agent.id, { description: "x".repeat(257) }))
        expect(tooLong._tag).toBe("BadRequestError")
      }))

    it.effect("delete removes the agent; get, update, delete and unblock then fail with NotFoundError", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const agent = yield* agents.register({ name: "short-lived" })
        const deleted = yield* agents.delete(agent.id)
        expect(deleted).toMatchObject({ id: agent.id, deleted: true })
        expect((yield* Effect.flip(agents.get(agent.id)))._tag).toBe("NotFoundError")
        expect((yield* Effect.flip(agents.update(agent.id, { description: "x" })))._tag).toBe("NotFoundError")
        expect((yield* Effect.flip(agents.delete(agent.id)))._tag).toBe("NotFoundError")
        expect((yield* Effect.flip(agents.unblock(agent.id)))._tag).toBe("NotFoundError")
        // the name is free again
        yield* agents.register({ name: "short-lived" })
      }))

    it.effect("unblock answers whether the agent was blocked", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const agent = yield* agents.register({ name: "unblock-me" })
        const result = yield* agents.unblock(agent.id)
        expect(result.was_blocked).toBe(false)
        expect(result.agent?.passport_blocked).toBe(false)
      }))

    it.effect("another operator's agents are invisible: 404, not 403, and absent from its list", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const emulator = yield* Emulator.Emulator
        const mine = yield* agents.register({ name: "private-bot" })
        const other = yield* emulator.createOperator({ name: "other" })
        const theirs = Stack.layer({ apiKey: other.apiKey }).pipe(Layer.provide(Emulator.layerHttpClient))
        yield* Effect.gen(function*() {
          const agents = yield* Agents.Agents
          expect((yield* Effect.flip(agents.get(mine.id)))._tag).toBe("NotFoundError")
          expect((yield* Effect.flip(agents.update(mine.id, { status: "suspended" })))._tag).toBe("NotFoundError")
          expect((yield* Effect.flip(agents.delete(mine.id)))._tag).toBe("NotFoundError")
          expect((yield* Effect.flip(agents.unblock(mine.id)))._tag).toBe("NotFoundError")
          expect(Chunk.size(yield* Stream.runCollect(agents.listAll()))).toBe(0)
          // the same name is free for another operator
          const same = yield* agents.register({ name: "private-bot" })
          expect(same.operator_id).toBe(other.operator.id)
        }).pipe(Effect.provide(theirs))
        expect((yield* agents.get(mine.id)).status).toBe("active")
        const theirChain = yield* emulator.auditChain(other.operator.id)
        const refused = theirChain.filter((entry) => entry.outcome === "failure")
        expect(refused.map((entry) => [entry.action, entry.error_code, entry.agent_id])).toEqual([
          ["agent.suspend", "NOT_FOUND", null],
          ["agent.delete", "NOT_FOUND", null],
          ["agent.unblock", "NOT_FOUND", null]
        ])
      }))

    it.effect("an unknown API key is an AuthenticationError INVALID_API_KEY", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flatMap(Agents.Agents, (agents) => Effect.flip(agents.list())).pipe(
          Effect.provide(Stack.layer({ apiKey: "sk_test_doesnotexist0000" }).pipe(Layer.provide(Emulator.layerHttpClient)))
        )
        expect(error._tag).toBe("AuthenticationError")
        if (error._tag !== "AuthenticationError") return
        expect(error.code).toBe("INVALID_API_KEY")
        expect(String(error)).not.toContain("sk_test_doesnotexist0000")
      }))

    it.effect("every mutation, and every refused one, wrote an audit entry; the chain recomputes", () =>
      Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const emulator = yield* Emulator.Emulator
        const start = (yield* emulator.auditChain(emulator.operatorId)).length
        const agent = yield* agents.register({ name: "audited-bot" })
        yield* agents.update(agent.id, { status: "suspended" })
        yield* agents.update(agent.id, { description: "quiet" })
        yield* agents.unblock(agent.id)
        yield* agents.get(agent.id)
        yield* Effect.flip(agents.register({ name: "audited-bot" }))
        yield* agents.delete(agent.id)
        const chain = yield* emulator.auditChain(emulator.operatorId)
        const added = chain.slice(start)
        expect(added.map((e) => [e.action, e.outcome])).toEqual([
          ["agent.register", "success"],
          ["agent.suspend", "success"],
          ["agent.update", "success"],
          ["agent.unblock", "success"],
          ["agent.register", "failure"],
          ["agent.delete", "success"]
        ])
        const refused = added[4]!
        expect(refused).toMatchObject({ agent_id: null, error_code: "CONFLICT" })
        expect(refused.error_message).toMatch(/already exists/)
        for (const entry of [...added.slice(0, 4), added[5]!]) {
          expect(entry.agent_id).toBe(agent.id)
          expect(entry.error_code).toBeNull()
        }
        for (const entry of added) {
          expect(entry.layer).toBe("system")
          expect(entry.entry_id).toMatch(/^aud_/)
          expect(entry.trace_id).toMatch(/^req_/)
          expect(entry.operator_id).toBe(emulator.operatorId)
        }
        expect(added[0]!.payload_hash).toMatch(/^[0-9a-f]{64}$/)
        expect(chain[0]!.prev_entry_hash).toBe("0".repeat(64))
        chain.forEach((entry, i) => {
          expect(entry.entry_hash).toBe(recompute(entry))
          if (i > 0) expect(entry.prev_entry_hash).toBe(chain[i - 1]!.entry_hash)
          if (i > 0) expect(entry.timestamp).toBeGreaterThanOrEqual(chain[i - 1]!.timestamp)
        })
      }))
  })
})
