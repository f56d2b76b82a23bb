/**
 * Skills: publishing (slug, semver, schemas Ajv compiles, one name per
 * version), the marketplace (active skills of every operator, text, tags and
 * trust filters, keyset pages), the publisher's changes (update, suspend,
 * activate), invocations (sealed: a registered handler or a transform, the
 * output checked; open: pending, claimed once, completed with a checked
 * output or failed), trust levels read from the presented passport's
 * identity claims checked live, the request board's chains that really
 * chain, audit entries; and the SDK's service (browseAll, poll on the
 * TestClock).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Skills, StackError } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { rmSync } from "node:fs"
import * as Operators from "../src/core/Operators.js"
import * as Database from "../src/Database.js"
import { applyTransform, resolvePointer } from "../src/skills/Execution.js"
import { trustOf } from "../src/skills/Skills.js"
import { fits } from "../src/skills/Composition.js"
import { client, databaseFile, enrolled, expectError, requester, T0, withEmulator } from "./support/Client.js"

const SECRET = "the-customer-ledger-7731"

const textIn = { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false }
const summaryOut = {
  type: "object",
  properties: { summary: { type: "string" }, words: { type: "integer" } },
  required: ["summary", "words"]
}

/** A publish body with everything a skill needs; `overrides` win. */
const skillBody = (name: string, overrides: Record<string, unknown> = {}) => ({
  name,
  description: `the ${name} skill`,
  version: "1.0.0",
  input_schema: textIn,
  output_schema: summaryOut,
  execution_mode: "open",
  tags: ["text"],
  ...overrides
})

/** The default operator's client, with skill helpers. */
const skills = Effect.gen(function*() {
  const c = yield* client
  const as = (auth?: string) => auth === undefined ? {} : { auth }
  const publish = (body: Record<string, unknown>, auth?: string) =>
    Effect.map(c.post("/v1/skills", body, as(auth)), (reply) => {
      if (reply.status !== 201) throw new Error(`publish: ${reply.status} ${reply.text}`)
      return reply.json as { id: string; name: string; status: string; [key: string]: any }
    })
  const invoke = (id: string, body: Record<string, unknown>, auth?: string) => c.post(`/v1/skills/${id}/invoke`, body, as(auth))
  const step = (id: string, verb: "claim" | "complete" | "fail", body: unknown = {}, auth?: string) =>
    c.post(`/v1/skills/invocations/${id}/${verb}`, body, as(auth))
  /** Another operator: its key and a requester with it. */
  const otherOperator = (name: string) =>
    Effect.gen(function*() {
      const other = yield* c.emulator.createOperator({ name })
      const key = Redacted.value(other.apiKey)
      const call = requester((request) => c.emulator.handler(request), "http://emulator.test", key)
      const agent = Effect.map(call("POST", "/v1/agents/register", { json: { name: `${name}-bot` } }), (reply) => reply.json.id as string)
      return { key, call, agent, operatorId: other.operator.id }
    })
  return { ...c, publish, invoke, step, otherOperator }
})

/** Lets the in-process emulator's promises settle, without sleeping. */
const settle = Effect.promise(async () => {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve))
})

/** Initiates a stack_test verification of `claims`, approves it as the provider, completes it; returns the claims. */
const verified = (claims: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { post } = yield* client
    const session = yield* post("/v1/identity/verifications", { provider_key: "stack_test", requested_claims: claims })
    expect(session.status, session.text).toBe(201)
    expect((yield* post(`${session.json.url}/approve`)).status).toBe(200)
    const completed = yield* post(`/v1/identity/providers/stack_test/verifications/${session.json.session_ref}/complete`)
    expect(completed.status, completed.text).toBe(200)
    return completed.json.claims as Array<{ id: string; claim_type: string }>
  })

/** The `text` of a handler's input (already checked against the skill's input_schema). */
const textOf = (input: unknown): string => (input as { readonly text: string }).text

describe("skills: publishing and the marketplace", () => {
  it.effect("publish answers the skill; bad slugs, versions and schemas are 400 naming the field; a name is once per version", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, publish } = yield* skills
      const bot = yield* agent("publisher-bot")
      const skill = yield* publish(skillBody("summarize-text", { agent_id: bot, price_per_invocation: 25, trust_level_required: "L1" }))
      expect(skill.id).toMatch(/^skl_[A-Za-z0-9]{24}$/)
      expect(skill).toMatchObject({
        name: "summarize-text",
        version: "1.0.0",
        status: "active",
        trust_level_required: "L1",
        price_per_invocation: 25,
        execution_mode: "open",
        credential_mode: "none",
        tags: ["text"],
        average_rating: null,
        invocation_count: 0,
        agent_id: bot,
        owned: true,
        input_schema: textIn,
        created_at: new Date(T0).toISOString()
      })
      const defaults = yield* publish({ ...skillBody("plain"), tags: undefined })
      expect(defaults).toMatchObject({ trust_level_required: "L0", price_per_invocation: 0, tags: [], agent_id: null })

      const bad = [
        [skillBody("A-Caps"), "name"],
        [skillBody("-leading"), "name"],
        [skillBody("x"), "name"],
        [skillBody("x".repeat(65)), "name"],
        [skillBody("ok-name", { version: "1.0" }), "version"],
        [skillBody("ok-name", { version: "v1.0.0" }), "version"],
        [skillBody("ok-name", { version: "01.0.0" }), "version"],
        [skillBody("ok-name", { input_schema: { type: "nonsense" } }), "input_schema"],
        [skillBody("ok-name", { output_schema: { properties: { a: { type: 7 } } } }), "output_schema"],
        [skillBody("ok-name", { output_schema: { $ref: "https://example.com/remote.json" } }), "output_schema"],
        [skillBody("ok-name", { description: "" }), "description"],
        [skillBody("ok-name", { description: "d".repeat(1001) }), "description"],
        [skillBody("ok-name", { trust_level_required: "L3" }), "trust_level_required"],
        [skillBody("ok-name", { execution_mode: "magic" }), "execution_mode"],
        [skillBody("ok-name", { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), "tags"],
        [skillBody("ok-name", { tags: ["t".repeat(41)] }), "tags"],
        [skillBody("ok-name", { price_per_invocation: -1 }), "price_per_invocation"],
        [skillBody("ok-name", { price_per_invocation: 1.5 }), "price_per_invocation"],
        [skillBody("ok-name", { transform: { a: "{{/text}}" } }), "transform"]
      ] as const
      for (const [body, field] of bad) {
        const reply = yield* post("/v1/skills", body)
        expectError(reply, 400, "INVALID_REQUEST")
        const named = Object.keys(reply.json.error.details?.fields ?? {})
        expect(named.some((key) => key === field || key.startsWith(`${field}.`)), `${JSON.stringify(body).slice(0, 80)}: ${named}`).toBe(true)
      }
      const uncompilable = yield* post("/v1/skills", skillBody("ok-name", { input_schema: { type: "nonsense" } }))
      expect(uncompilable.json.error.message).toContain("input_schema")
      expectError(yield* post("/v1/skills", skillBody("summarize-text")), 409, "CONFLICT")
      expect((yield* publish(skillBody("summarize-text", { version: "1.1.0-beta.1+build.7" }))).version).toBe("1.1.0-beta.1+build.7")
      expectError(yield* post("/v1/skills", skillBody("bot-skill", { agent_id: "agt_nope" })), 404, "NOT_FOUND")
    })))

  it.effect("browse: active skills of every operator, by text, every tag named and trust level, over keyset pages", () =>
    withEmulator(Effect.gen(function*() {
      const { get, otherOperator, publish } = yield* skills
      const other = yield* otherOperator("team-b")
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        ids.push((yield* publish(skillBody(`translate-${i}`, {
          description: i % 2 === 0 ? "Translates French INVOICES" : "Translates letters",
          tags: i % 2 === 0 ? ["translation", "finance"] : ["translation"],
          trust_level_required: (["L0", "L1", "L2"] as const)[i % 3]
        }))).id)
        yield* TestClock.adjust("1 second")
      }
      const theirs = yield* other.call("POST", "/v1/skills", { json: skillBody("their-invoices", { description: "Reads invoices", tags: ["finance"] }) })
      expect(theirs.status).toBe(201)

      const all = yield* get("/v1/skills")
      expect(all.json.skills.map((s: any) => s.id)).toEqual([theirs.json.id, ...[...ids].reverse()])
      expect(all.json.skills[0]).toMatchObject({ owned: false, publisher_id: other.operatorId })
      expect(all.json.skills[0]).not.toHaveProperty("transform")

      const byText = yield* get("/v1/skills?search=invoices")
      expect(byText.json.skills.map((s: any) => s.id)).toEqual([theirs.json.id, ids[4], ids[2], ids[0]])
      const byTags = yield* get("/v1/skills?tags=translation,finance")
      expect(byTags.json.skills.map((s: any) => s.id)).toEqual([ids[4], ids[2], ids[0]])
      const repeated = yield* get("/v1/skills?tags=translation&tags=finance")
      expect(repeated.json.skills.map((s: any) => s.id)).toEqual(byTags.json.skills.map((s: any) => s.id))
      const atL0 = yield* get("/v1/skills?trust_level=L0&tags=translation")
      expect(atL0.json.skills.map((s: any) => [s.id, s.trust_level_required])).toEqual([[ids[3], "L0"], [ids[0], "L0"]])
      const atL1 = yield* get("/v1/skills?trust_level=L1&tags=translation")
      expect(atL1.json.skills.map((s: any) => s.id)).toEqual([ids[4], ids[3], ids[1], ids[0]])
      expect((yield* get("/v1/skills?search=nothing-like-it")).json.skills).toEqual([])

      // keyset pages: every skill once, in order, over three pages
      const seen: Array<string> = []
      let cursor: string | null = null
      let pages = 0
      do {
        const page: any = yield* get(`/v1/skills?tags=translation&limit=2${cursor === null ? "" : `&cursor=${cursor}`}`)
        expect(page.status).toBe(200)
        seen.push(...page.json.skills.map((s: any) => s.id))
        cursor = page.json.next_cursor
        pages++
      } while (cursor !== null)
      expect(pages).toBe(3)
      expect(seen).toEqual([...ids].reverse())
      const first = yield* get("/v1/skills?limit=2")
      expectError(yield* get(`/v1/skills?search=x&cursor=${first.json.next_cursor}`), 400, "INVALID_REQUEST")
      expectError(yield* get("/v1/skills?trust_level=L9"), 400, "INVALID_REQUEST")
      expectError(yield* get("/v1/skills?limit=101"), 400, "INVALID_REQUEST")
    })))

  it.effect("the publisher updates, suspends and activates; another operator cannot; a suspended skill is hidden and refuses invocations", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, call, get, invoke, otherOperator, post, publish } = yield* skills
      const bot = yield* agent("updating-bot")
      const skill = yield* publish(skillBody("tidy-text"))
      const other = yield* otherOperator("team-c")
      const theirBot = yield* other.agent

      expectError(yield* other.call("PATCH", `/v1/skills/${skill.id}`, { json: { description: "mine now" } }), 403, "FORBIDDEN")
      expectError(yield* other.call("POST", `/v1/skills/${skill.id}/suspend`), 403, "FORBIDDEN")
      expectError(yield* other.call("POST", `/v1/skills/${skill.id}/activate`), 403, "FORBIDDEN")

      yield* TestClock.adjust("1 minute")
      const updated = yield* call("PATCH", `/v1/skills/${skill.id}`, {
        json: { description: "Tidies text", version: "1.1.0", tags: ["text", "cleanup"], price_per_invocation: 5, trust_level_required: "L0" }
      })
      expect(updated.status, updated.text).toBe(200)
      expect(updated.json).toMatchObject({
        description: "Tidies text",
        version: "1.1.0",
        tags: ["text", "cleanup"],
        price_per_invocation: 5,
        updated_at: new Date(T0 + 60_000).toISOString(),
        created_at: new Date(T0).toISOString()
      })
      expectError(yield* call("PATCH", `/v1/skills/${skill.id}`, { json: { output_schema: { type: "nonsense" } } }), 400, "INVALID_REQUEST")
      expectError(yield* call("PATCH", `/v1/skills/${skill.id}`, { json: { version: "one" } }), 400, "INVALID_REQUEST")
      expect((yield* get(`/v1/skills/${skill.id}`)).json.description).toBe("Tidies text")
      yield* publish(skillBody("tidy-text", { version: "2.0.0" }))
      expectError(yield* call("PATCH", `/v1/skills/${skill.id}`, { json: { version: "2.0.0" } }), 409, "CONFLICT")
      expectError(yield* call("PATCH", `/v1/skills/${skill.id}`, { json: { transform: { a: 1 } } }), 400, "INVALID_REQUEST")
      expect((yield* get(`/v1/skills/${skill.id}`)).json.version).toBe("1.1.0")

      const before = yield* other.call("POST", `/v1/skills/${skill.id}/invoke`, { json: { agent_id: theirBot, input: { text: "early" } } })
      expect(before.status, before.text).toBe(201)
      const suspended = yield* post(`/v1/skills/${skill.id}/suspend`)
      expect(suspended.json.status).toBe("suspended")
      // an invocation made before the suspension is still the publisher's to work on
      expect((yield* post(`/v1/skills/invocations/${before.json.id}/claim`)).json.status).toBe("claimed")
      expect((yield* post(`/v1/skills/${skill.id}/suspend`)).json.status).toBe("suspended")
      expect((yield* get("/v1/skills")).json.skills.map((s: any) => s.id)).not.toContain(skill.id)
      expect((yield* get(`/v1/skills/${skill.id}`)).json.status).toBe("suspended")
      expectError(yield* other.call("GET", `/v1/skills/${skill.id}`), 404, "SKILL_NOT_FOUND")
      expectError(yield* other.call("PATCH", `/v1/skills/${skill.id}`, { json: { description: "x" } }), 404, "SKILL_NOT_FOUND")
      const owned = yield* get("/v1/skills/owned")
      expect(owned.json.skills.map((s: any) => s.status)).toEqual(["active", "suspended"])
      expect(owned.json.skills[1].id).toBe(skill.id)
      expect((yield* get("/v1/skills/owned?status=suspended")).json.skills.map((s: any) => s.id)).toEqual([skill.id])
      expect((yield* other.call("GET", "/v1/skills/owned")).json.skills).toEqual([])
      expectError(yield* invoke(skill.id, { agent_id: bot, input: { text: "hi" } }), 409, "SKILL_SUSPENDED")
      expectError(yield* other.call("POST", `/v1/skills/${skill.id}/invoke`, { json: { agent_id: theirBot, input: { text: "hi" } } }), 409, "SKILL_SUSPENDED")

      expect((yield* post(`/v1/skills/${skill.id}/activate`)).json.status).toBe("active")
      const invoked = yield* other.call("POST", `/v1/skills/${skill.id}/invoke`, { json: { agent_id: theirBot, input: { text: "hi" } } })
      expect(invoked.status, invoked.text).toBe(201)
      expect((yield* get(`/v1/skills/${skill.id}`)).json.invocation_count).toBe(2)
      expectError(yield* get("/v1/skills/skl_nope"), 404, "SKILL_NOT_FOUND")
      expectError(yield* invoke("skl_nope", { agent_id: bot, input: {} }), 404, "SKILL_NOT_FOUND")
    })))
})

describe("skills: invocations", () => {
  it.effect("the input is checked against input_schema: SCHEMA_VALIDATION_FAILED with Ajv's violations; agents of other operators are refused", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, invoke, otherOperator, publish } = yield* skills
      const bot = yield* agent("checked-bot")
      const skill = yield* publish(skillBody("strict-input"))
      const refused = yield* invoke(skill.id, { agent_id: bot, input: { text: 7, extra: true } })
      expectError(refused, 400, "SCHEMA_VALIDATION_FAILED")
      expect(refused.json.error.details.total).toBe(2)
      expect(refused.json.error.details.errors).toEqual(expect.arrayContaining([
        { path: "/text", keyword: "type", message: "must be string" },
        { path: "", keyword: "additionalProperties", message: "must NOT have additional properties" }
      ]))
      expectError(yield* invoke(skill.id, { agent_id: bot }), 400, "INVALID_REQUEST")
      const other = yield* otherOperator("team-d")
      const theirBot = yield* other.agent
      expectError(yield* invoke(skill.id, { agent_id: theirBot, input: { text: "x" } }), 404, "NOT_FOUND")
    })))

  it.effect("a stored schema this emulator no longer accepts: the invocation is 409 CONFLICT, not a 5xx", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => databaseFile("stack-skills-")),
      ({ filename, write }) =>
        withEmulator(Effect.gen(function*() {
          const { agent, invoke, publish } = yield* skills
          const bot = yield* agent("old-schema-bot")
          const skill = yield* publish(skillBody("old-schema", { input_schema: {} }))
          // as an emulator that ran patterns on JavaScript's RegExp would have stored it
          const schema = JSON.stringify({ type: "string", pattern: "^(?=a)a$" })
          expect(write("UPDATE skills SET input_schema = ? WHERE id = ?", schema, skill.id)).toBe(1)
          const refused = yield* invoke(skill.id, { agent_id: bot, input: "a" })
          expectError(refused, 409, "CONFLICT")
          expect(refused.json.error.message).toMatch(/input_schema of skill \S+ is no longer accepted: pattern "\^\(\?=a\)a\$" uses a lookahead/)
        }), { filename }),
      ({ dir }) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ))

  it.effect("sealed: a registered handler runs at once; a failing, slow or wrong-shaped one fails the invocation, never a 5xx", () =>
    withEmulator(
      Effect.gen(function*() {
        const { agent, call, invoke, publish } = yield* skills
        const bot = yield* agent("sealed-bot")
        const sealed = (name: string) => publish(skillBody(name, { execution_mode: "sealed" }))
        const counted = yield* sealed("count-words")
        const done = yield* invoke(counted.id, { agent_id: bot, input: { text: "one two three" } })
        expect(done.status, done.text).toBe(201)
        expect(done.json).toMatchObject({
          skill_id: counted.id,
          agent_id: bot,
          status: "completed",
          input: { text: "one two three" },
          output: { summary: "one…", words: 3 },
          error: null,
          completed_at: new Date(T0).toISOString()
        })
        expect(done.json.id).toMatch(/^sinv_/)
        expect((yield* call("GET", `/v1/skills/invocations/${done.json.id}`)).json).toEqual(done.json)

        const promised = yield* invoke((yield* sealed("count-async")).id, { agent_id: bot, input: { text: "a b" } })
        expect(promised.json).toMatchObject({ status: "completed", output: { summary: "a…", words: 2 } })
        const effected = yield* invoke((yield* sealed("count-effect")).id, { agent_id: bot, input: { text: "a" } })
        expect(effected.json).toMatchObject({ status: "completed", output: { summary: "a…", words: 1 } })

        for (const [name, error] of [
          ["throws", "the handler of skill throws failed: the ledger is closed"],
          ["rejects", "the handler of skill rejects failed: upstream said no"],
          ["fails-effect", "the handler of skill fails-effect failed: effect failure"],
          ["wrong-shape", "the output does not match the output_schema: /words must be integer"],
          ["not-json", "the handler answered no JSON value"]
        ] as const) {
          const reply = yield* invoke((yield* sealed(name)).id, { agent_id: bot, input: { text: "x" } })
          expect(reply.status, reply.text).toBe(201)
          expect(reply.json).toMatchObject({ status: "failed", output: null })
          expect(reply.json.error).toContain(error)
        }
        const unimplemented = yield* invoke((yield* sealed("no-implementation")).id, { agent_id: bot, input: { text: "x" } })
        expect(unimplemented.json.status).toBe("failed")
        expect(unimplemented.json.error).toContain("publish it with a transform, or register a handler")

        const slow = yield* sealed("never-answers")
        const pending = yield* Effect.fork(invoke(slow.id, { agent_id: bot, input: { text: "x" } }))
        for (let second = 0; second < 4; second++) {
          yield* settle
          yield* TestClock.adjust("1 second")
        }
        const timedOut = yield* Fiber.join(pending)
        expect(timedOut.json).toMatchObject({ status: "failed" })
        expect(timedOut.json.error).toContain("did not answer within 2000 ms")
      }),
      {
        skillTimeout: "2 seconds",
        skillHandlers: {
          "count-words": (input) => ({ summary: `${textOf(input).split(" ")[0]}…`, words: textOf(input).split(" ").length }),
          "count-async": async (input) => ({ summary: `${textOf(input).split(" ")[0]}…`, words: textOf(input).split(" ").length }),
          "count-effect": (input) => Effect.succeed({ summary: `${textOf(input)}…`, words: 1 }),
          "throws": () => {
            throw new Error("the ledger is closed")
          },
          "rejects": () => Promise.reject(new Error("upstream said no")),
          "fails-effect": () => Effect.fail("effect failure"),
          "wrong-shape": () => ({ summary: "s", words: 1.5 }),
          "not-json": () => undefined,
          "never-answers": () => Effect.never
        }
      }
    ))

  it.effect("sealed by transform: JSON Pointers into the input, missing ones null; the output still checked", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, invoke, publish } = yield* skills
      const bot = yield* agent("transform-bot")
      const anyIn = { type: "object", properties: { text: { type: "string" }, meta: { type: "object" } }, required: ["text"] }
      const echo = yield* publish(skillBody("echo-summary", {
        execution_mode: "sealed",
        input_schema: anyIn,
        output_schema: { type: "object", properties: { summary: { type: "string" } }, required: ["summary"] },
        transform: { summary: "{{/text}}", source: "{{/meta/a~1b}}", missing: "{{/nope}}", literal: "text {{/text}}", all: "{{}}", list: ["{{/meta/items/1}}", 3] }
      }))
      expect(echo.transform).toMatchObject({ summary: "{{/text}}" })
      const done = yield* invoke(echo.id, { agent_id: bot, input: { text: "hello", meta: { "a/b": 1, items: ["x", "y"] } } })
      expect(done.json).toMatchObject({ status: "completed" })
      expect(done.json.output).toEqual({
        summary: "hello",
        source: 1,
        missing: null,
        literal: "text {{/text}}",
        all: { text: "hello", meta: { "a/b": 1, items: ["x", "y"] } },
        list: ["y", 3]
      })
      const mismatched = yield* publish(skillBody("bad-transform", { execution_mode: "sealed", input_schema: anyIn, transform: { summary: "{{/nope}}" } }))
      const failed = yield* invoke(mismatched.id, { agent_id: bot, input: { text: "x" } })
      expect(failed.json.status).toBe("failed")
      expect(failed.json.error).toContain("the output does not match the output_schema")

      expect(resolvePointer({ a: [{ b: 1 }] }, "/a/0/b")).toBe(1)
      expect(resolvePointer({ a: [1] }, "/a/01")).toBeUndefined()
      expect(resolvePointer({ "m~n": 2 }, "/m~0n")).toBe(2)
      expect(resolvePointer({}, "/constructor")).toBeUndefined()
      expect(applyTransform({ x: ["{{/a}}"] }, { a: false })).toEqual({ x: [false] })
    })))

  it.effect("open: pending, claimed by the publisher, completed with a checked output (a bad one leaves it claimed); or failed", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, call, get, invoke, otherOperator, step } = yield* skills
      const provider = yield* otherOperator("provider-co")
      const published = yield* provider.call("POST", "/v1/skills", { json: skillBody("human-summary", { tags: ["text"] }) })
      const skillId = published.json.id as string
      const bot = yield* agent("buyer-bot")
      const pending = yield* invoke(skillId, { agent_id: bot, input: { text: SECRET } })
      expect(pending.status, pending.text).toBe(201)
      expect(pending.json).toMatchObject({ status: "pending", output: null, error: null, claimed_at: null, completed_at: null })
      const id = pending.json.id as string

      // the provider's queue holds it; the buyer cannot work on it
      const queue = yield* provider.call("GET", `/v1/skills/invocations/pending?skill_id=${skillId}`)
      expect(queue.json.invocations.map((i: any) => [i.id, i.input])).toEqual([[id, { text: SECRET }]])
      expect((yield* get("/v1/skills/invocations/pending")).json.invocations).toEqual([])
      expectError(yield* step(id, "claim"), 403, "FORBIDDEN")
      expectError(yield* provider.call("POST", `/v1/skills/invocations/${id}/complete`, { json: { output: { summary: "x", words: 1 } } }), 409, "INVOCATION_INVALID_STATE")

      yield* TestClock.adjust("5 seconds")
      const claimed = yield* provider.call("POST", `/v1/skills/invocations/${id}/claim`)
      expect(claimed.json).toMatchObject({ status: "claimed", claimed_by: null, claimed_at: new Date(T0 + 5000).toISOString() })
      expectError(yield* provider.call("POST", `/v1/skills/invocations/${id}/claim`), 409, "INVOCATION_NOT_PENDING")
      expect((yield* provider.call("GET", "/v1/skills/invocations/pending")).json.invocations).toEqual([])

      const bad = yield* provider.call("POST", `/v1/skills/invocations/${id}/complete`, { json: { output: { summary: 1 } } })
      expectError(bad, 400, "SCHEMA_VALIDATION_FAILED")
      expect(bad.json.error.details.errors).toEqual(expect.arrayContaining([
        { path: "/summary", keyword: "type", message: "must be string" },
        { path: "", keyword: "required", message: "must have required property 'words'" }
      ]))
      expect((yield* call("GET", `/v1/skills/invocations/${id}`)).json.status).toBe("claimed")

      yield* TestClock.adjust("5 seconds")
      const completed = yield* provider.call("POST", `/v1/skills/invocations/${id}/complete`, { json: { output: { summary: "done", words: 2 } } })
      expect(completed.status, completed.text).toBe(200)
      expect(completed.json).toMatchObject({ status: "completed", output: { summary: "done", words: 2 }, completed_at: new Date(T0 + 10_000).toISOString() })
      const seen = yield* call("GET", `/v1/skills/invocations/${id}`)
      expect(seen.json).toMatchObject({ status: "completed", output: { summary: "done", words: 2 } })
      expectError(yield* provider.call("POST", `/v1/skills/invocations/${id}/fail`, { json: { error: "late" } }), 409, "INVOCATION_INVALID_STATE")
      expectError(yield* provider.call("POST", `/v1/skills/invocations/${id}/complete`, { json: { output: { summary: "again", words: 1 } } }), 409, "INVOCATION_INVALID_STATE")

      // fail from pending, and from claimed
      const second = (yield* invoke(skillId, { agent_id: bot, input: { text: "b" } })).json.id
      const failed = yield* provider.call("POST", `/v1/skills/invocations/${second}/fail`, { json: { error: "no capacity today" } })
      expect(failed.json).toMatchObject({ status: "failed", error: "no capacity today", output: null })
      expectError(yield* provider.call("POST", `/v1/skills/invocations/${second}/claim`), 409, "INVOCATION_NOT_PENDING")
      const third = (yield* invoke(skillId, { agent_id: bot, input: { text: "c" } })).json.id
      yield* provider.call("POST", `/v1/skills/invocations/${third}/claim`)
      expectError(yield* provider.call("POST", `/v1/skills/invocations/${third}/fail`, { json: { error: "" } }), 400, "INVALID_REQUEST")
      expect((yield* provider.call("POST", `/v1/skills/invocations/${third}/fail`, { json: { error: "gave up" } })).json.status).toBe("failed")

      // the buyer's list, newest first, by status; a stranger sees nothing
      const mine = yield* get("/v1/skills/invocations")
      expect(mine.json.invocations.map((i: any) => i.id)).toEqual([third, second, id])
      expect((yield* get("/v1/skills/invocations?status=completed")).json.invocations.map((i: any) => i.id)).toEqual([id])
      expect((yield* get(`/v1/skills/invocations?skill_id=${skillId}&limit=1`)).json.has_more).toBe(true)
      const stranger = yield* otherOperator("stranger-co")
      expectError(yield* stranger.call("GET", `/v1/skills/invocations/${id}`), 404, "INVOCATION_NOT_FOUND")
      expectError(yield* stranger.call("POST", `/v1/skills/invocations/${id}/claim`), 404, "INVOCATION_NOT_FOUND")
      expect((yield* stranger.call("GET", "/v1/skills/invocations")).json.invocations).toEqual([])
      expectError(yield* get("/v1/skills/invocations?status=lost"), 400, "INVALID_REQUEST")
    })))

  it.effect("exactly one of ten concurrent claimers wins; the others are INVOCATION_NOT_PENDING", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, invoke, publish, step } = yield* skills
      const bot = yield* agent("race-buyer")
      const skill = yield* publish(skillBody("race-skill"))
      const id = (yield* invoke(skill.id, { agent_id: bot, input: { text: "go" } })).json.id as string
      const replies = yield* Effect.all(Array.from({ length: 10 }, () => step(id, "claim")), { concurrency: "unbounded" })
      const won = replies.filter((reply) => reply.status === 200)
      expect(won).toHaveLength(1)
      expect(won[0]!.json.status).toBe("claimed")
      const lost = replies.filter((reply) => reply.status !== 200)
      expect(lost).toHaveLength(9)
      for (const reply of lost) expectError(reply, 409, "INVOCATION_NOT_PENDING")
    })))

  it.effect("agents: an agent invokes as itself with a passport of its own; the publisher's agents claim and complete", () =>
    withEmulator(Effect.gen(function*() {
      const { invoke, issue, publish, step, get } = yield* skills
      const buyer = yield* enrolled("buyer-agent")
      const other = yield* enrolled("other-agent")
      const worker = yield* enrolled("worker-agent")
      const skill = yield* publish(skillBody("agent-work"))
      const input = { text: "x" }
      expectError(yield* invoke(skill.id, { agent_id: buyer.agentId, input }, yield* buyer.jwt()), 400, "INVALID_REQUEST")
      expectError(yield* invoke(skill.id, { agent_id: other.agentId, input }, yield* buyer.jwt()), 403, "FORBIDDEN")
      const others = yield* issue({ agent_id: other.agentId })
      expectError(yield* invoke(skill.id, { agent_id: buyer.agentId, input, passport_token: others.token }, yield* buyer.jwt()), 401, "UNAUTHORIZED")
      expectError(yield* invoke(skill.id, { agent_id: buyer.agentId, input, passport_token: others.token }), 403, "FORBIDDEN")
      const own = yield* issue({ agent_id: buyer.agentId })
      const made = yield* invoke(skill.id, { agent_id: buyer.agentId, input, passport_token: own.token }, yield* buyer.jwt())
      expect(made.status, made.text).toBe(201)
      const id = made.json.id as string
      // the operator publishes the skill too: its agents see the invocation as the provider's; as invokers, only their own
      expect((yield* get(`/v1/skills/invocations/${id}`, { auth: yield* other.jwt() })).status).toBe(200)
      expect((yield* get("/v1/skills/invocations", { auth: yield* buyer.jwt() })).json.invocations.map((i: any) => i.id)).toEqual([id])

      const claimed = yield* step(id, "claim", {}, yield* worker.jwt())
      expect(claimed.json).toMatchObject({ status: "claimed", claimed_by: worker.agentId })
      expectError(yield* step(id, "complete", { output: { summary: "s", words: 1 } }, yield* other.jwt()), 403, "FORBIDDEN")
      const done = yield* step(id, "complete", { output: { summary: "s", words: 1 } }, yield* worker.jwt())
      expect(done.json.status).toBe("completed")
      expect((yield* get(`/v1/skills/invocations/${id}`, { auth: yield* buyer.jwt() })).json.status).toBe("completed")
      expect((yield* get("/v1/skills/invocations", { auth: yield* other.jwt() })).json.invocations).toEqual([])
    })))
})

describe("skills: idempotent creates", () => {
  it.effect("publish, invoke and postRequest sent again with the same Idempotency-Key answer the first outcome, once", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, get, post } = yield* skills
      const bot = yield* agent("idempotent-bot")
      const once = (path: string, body: unknown, key: string) => post(path, body, { headers: { "idempotency-key": key } })
      const first = yield* once("/v1/skills", skillBody("once-only"), "publish-1")
      const again = yield* once("/v1/skills", skillBody("once-only"), "publish-1")
      expect(first.status).toBe(201)
      expect(again.json).toEqual(first.json)
      const invoked = yield* once(`/v1/skills/${first.json.id}/invoke`, { agent_id: bot, input: { text: "x" } }, "invoke-1")
      const replayed = yield* once(`/v1/skills/${first.json.id}/invoke`, { agent_id: bot, input: { text: "x" } }, "invoke-1")
      expect(replayed.json.id).toBe(invoked.json.id)
      expect((yield* get(`/v1/skills/${first.json.id}`)).json.invocation_count).toBe(1)
      expect((yield* get("/v1/skills/invocations")).json.invocations).toHaveLength(1)
      expectError(yield* once(`/v1/skills/${first.json.id}/invoke`, { agent_id: bot, input: { text: "other" } }, "invoke-1"), 409, "IDEMPOTENCY_KEY_REUSED")
      const posted = yield* once("/v1/skills/requests", { description: "once", tags: ["text"] }, "request-1")
      expect((yield* once("/v1/skills/requests", { description: "once", tags: ["text"] }, "request-1")).json.id).toBe(posted.json.id)
    })))
})

describe("skills: trust levels", () => {
  it.effect("L0 needs nothing; L1 a verified_human (or verified_identity); L2 a verified_identity; read from the passport's live claims", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, invoke, issue, post, publish } = yield* skills
      const bot = yield* agent("trusting-bot")
      const level = (l: string) => publish(skillBody(`needs-${l.toLowerCase()}`, { trust_level_required: l }))
      const [l0, l1, l2] = [yield* level("L0"), yield* level("L1"), yield* level("L2")]
      const input = { text: "x" }

      const bare = yield* issue({ agent_id: bot })
      expect((yield* invoke(l0.id, { agent_id: bot, input })).status).toBe(201)
      expect((yield* invoke(l0.id, { agent_id: bot, input, passport_token: bare.token })).status).toBe(201)
      const refused = yield* invoke(l1.id, { agent_id: bot, input, passport_token: bare.token })
      expectError(refused, 403, "TRUST_LEVEL_INSUFFICIENT")
      expect(refused.json.error.details).toEqual({ required: "L1", actual: "L0" })
      // claims the caller says it has count for nothing
      const claimed = yield* invoke(l1.id, {
        agent_id: bot,
        input,
        passport_claims: [{ claim_type: "verified_human", assurance_level: "high" }, { claim_type: "verified_identity" }]
      })
      expectError(claimed, 403, "TRUST_LEVEL_INSUFFICIENT")

      const [human] = yield* verified(["verified_human"])
      const humanPassport = yield* issue({ agent_id: bot })
      expect((yield* invoke(l1.id, { agent_id: bot, input, passport_token: humanPassport.token })).status).toBe(201)
      const notEnough = yield* invoke(l2.id, { agent_id: bot, input, passport_token: humanPassport.token })
      expectError(notEnough, 403, "TRUST_LEVEL_INSUFFICIENT")
      expect(notEnough.json.error.details).toEqual({ required: "L2", actual: "L1" })
      // a passport issued before the claims existed binds none
      expectError(yield* invoke(l1.id, { agent_id: bot, input, passport_token: bare.token }), 403, "TRUST_LEVEL_INSUFFICIENT")

      const [identity] = yield* verified(["verified_identity"])
      const identityOnly = yield* issue({ agent_id: bot, identity_claim_ids: [identity!.id] })
      expect((yield* invoke(l2.id, { agent_id: bot, input, passport_token: identityOnly.token })).status).toBe(201)
      expect((yield* invoke(l1.id, { agent_id: bot, input, passport_token: identityOnly.token })).status).toBe(201)

      // a revoked claim stops counting: the passport that carries it no longer invokes at L1, whether it is refused
      // whole (revoking a claim may revoke its passports) or read at L0 (its claims are read live: see trustOf below)
      const { call } = yield* client
      expect((yield* call("DELETE", `/v1/identity/claims/${human!.id}`)).status).toBe(200)
      const afterRevoke = yield* invoke(l1.id, { agent_id: bot, input, passport_token: humanPassport.token })
      if (afterRevoke.status === 401) {
        expectError(afterRevoke, 401, "PASSPORT_REVOKED")
      } else {
        expectError(afterRevoke, 403, "TRUST_LEVEL_INSUFFICIENT")
        expect(afterRevoke.json.error.details).toEqual({ required: "L1", actual: "L0" })
      }
      // an expired claim too: stack_test claims last a year
      yield* TestClock.adjust("366 days")
      const expired = yield* invoke(l0.id, { agent_id: bot, input, passport_token: identityOnly.token })
      expectError(expired, 401, "PASSPORT_EXPIRED")
      const fresh = yield* issue({ agent_id: bot })
      const lapsed = yield* invoke(l2.id, { agent_id: bot, input, passport_token: fresh.token })
      expectError(lapsed, 403, "TRUST_LEVEL_INSUFFICIENT")
      // a revoked passport does not count at all
      const revoked = yield* issue({ agent_id: bot })
      expect((yield* post("/v1/passports/revoke", { jti: revoked.jti, reason: "test" })).status).toBe(200)
      expectError(yield* invoke(l0.id, { agent_id: bot, input, passport_token: revoked.token }), 401, "PASSPORT_REVOKED")
    })))
})

describe("skills: trust, as stored", () => {
  it.effect("trustOf reads each bound claim now: revoked, expired, unknown and other operators' claims count for nothing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const sql = yield* SqlClient.SqlClient
      const { operator } = yield* Operators.create({ name: "trust" })
      const { operator: other } = yield* Operators.create({ name: "other" })
      for (const [ref, operatorId] of [["ivs_t", operator.id], ["ivs_o", other.id]] as const) {
        yield* sql`INSERT INTO identity_sessions ${
          sql.insert({
            session_ref: ref,
            operator_id: operatorId,
            provider_key: "stack_test",
            requested_claims: "[]",
            return_url: null,
            status: "completed",
            created_at: T0,
            expires_at: T0 + 60_000,
            decided_at: T0,
            completed_at: T0
          })
        }`
      }
      const claim = (id: string, type: string, fields: { revoked_at?: number; expires_at?: number | null; operator_id?: string } = {}) =>
        sql`INSERT INTO identity_claims ${
          sql.insert({
            id,
            operator_id: fields.operator_id ?? operator.id,
            session_ref: fields.operator_id === undefined ? "ivs_t" : "ivs_o",
            provider_key: "stack_test",
            layer: type === "verified_human" ? "humanity" : "identity",
            claim_type: type,
            assurance_level: "substantial",
            verified_at: T0,
            expires_at: fields.expires_at === undefined ? T0 + 86_400_000 : fields.expires_at,
            revoked_at: fields.revoked_at ?? null
          })
        }`
      yield* claim("clm_human", "verified_human")
      yield* claim("clm_identity", "verified_identity")
      yield* claim("clm_revoked", "verified_identity", { revoked_at: T0 })
      yield* claim("clm_lapsing", "verified_identity", { expires_at: T0 + 1000 })
      yield* claim("clm_theirs", "verified_identity", { operator_id: other.id })
      const level = (ids: ReadonlyArray<string>) => trustOf(operator.id, ids.map((claim_id) => ({ claim_id })))

      expect(yield* level([])).toBe("L0")
      expect(yield* level(["clm_human"])).toBe("L1")
      expect(yield* level(["clm_identity"])).toBe("L2")
      expect(yield* level(["clm_human", "clm_identity"])).toBe("L2")
      expect(yield* level(["clm_revoked"])).toBe("L0")
      expect(yield* level(["clm_human", "clm_revoked"])).toBe("L1")
      expect(yield* level(["clm_theirs", "clm_nope"])).toBe("L0")
      expect(yield* level(["clm_lapsing"])).toBe("L2")
      yield* TestClock.adjust("1 second")
      expect(yield* level(["clm_lapsing"])).toBe("L0")
      // revoked after the fact: the same ids now give less
      yield* sql`UPDATE identity_claims SET revoked_at = ${T0} WHERE id = 'clm_identity'`
      expect(yield* level(["clm_human", "clm_identity"])).toBe("L1")
    }).pipe(Effect.provide(Database.layer(":memory:")), Effect.orDie))
})

describe("skills: the request board", () => {
  it.effect("requests match skills by tag and text; compositions chain only skills whose output fits the next input", () =>
    withEmulator(Effect.gen(function*() {
      const { get, otherOperator, post, publish } = yield* skills
      const pdfIn = { type: "object", properties: { url: { type: "string" } }, required: ["url"] }
      const textOut = { type: "object", properties: { text: { type: "string" }, pages: { type: "integer" } }, required: ["text"] }
      const extract = yield* publish(skillBody("pdf-extract", {
        description: "Extracts the text of a PDF",
        tags: ["pdf"],
        input_schema: pdfIn,
        output_schema: textOut
      }))
      const summarize = yield* publish(skillBody("summarize", {
        description: "Summarizes text",
        tags: ["summary"],
        input_schema: textIn,
        output_schema: { type: "object", properties: { summary: { type: "string" } }, required: ["summary"] }
      }))
      const other = yield* otherOperator("translators")
      const translate = yield* other.call("POST", "/v1/skills", {
        json: skillBody("translate-summary", {
          description: "Translates a summary",
          tags: ["translation"],
          input_schema: { type: "object", properties: { summary: { type: "string" } }, required: ["summary"] }
        })
      })
      // takes a number where the summary is a string: it fits nothing here
      const scorer = yield* publish(skillBody("score-pages", {
        description: "Scores page counts",
        tags: ["translation", "summary"],
        input_schema: { type: "object", properties: { pages: { type: "string" } }, required: ["pages"] }
      }))
      const suspendedFit = yield* publish(skillBody("suspended-summary", { tags: ["summary"], input_schema: textIn }))
      yield* post(`/v1/skills/${suspendedFit.id}/suspend`)

      const request = yield* post("/v1/skills/requests", { description: "Turn a PDF into a translated summary", tags: ["pdf", "summary", "translation"] })
      expect(request.status, request.text).toBe(201)
      expect(request.json.id).toMatch(/^sreq_/)
      expect(request.json.status).toBe("open")
      expect([...request.json.matches].sort()).toEqual([extract.id, summarize.id, translate.json.id, scorer.id].sort())

      const suggested = yield* get(`/v1/skills/requests/${request.json.id}/compositions`)
      expect(suggested.status, suggested.text).toBe(200)
      const chains = suggested.json.compositions as Array<{ skills: Array<string>; covers: Array<string>; score: number }>
      expect(chains.length).toBeGreaterThan(0)
      expect(chains[0]).toEqual({
        skills: [extract.id, summarize.id, translate.json.id],
        covers: ["pdf", "summary", "translation"],
        score: 1
      })
      expect(chains.map((c) => c.skills)).toContainEqual([extract.id, summarize.id])
      // every suggested chain really chains: each output fits the next input
      const byId = new Map<string, any>()
      for (const id of [extract.id, summarize.id, translate.json.id, scorer.id]) byId.set(id, (yield* get(`/v1/skills/${id}`)).json)
      for (const chain of chains) {
        for (let i = 1; i < chain.skills.length; i++) {
          expect(fits(byId.get(chain.skills[i - 1]!).output_schema, byId.get(chain.skills[i]!).input_schema), chain.skills.join(" → ")).toBe(true)
        }
      }
      // extract's pages is an integer, scorer wants a string: never chained; the suspended skill never suggested
      expect(chains.some((c) => c.skills.includes(scorer.id) && c.skills.length > 1)).toBe(false)
      expect(chains.flatMap((c) => c.skills)).not.toContain(suspendedFit.id)
      expect(fits(textOut, { type: "object", properties: { pages: { type: "string" } }, required: ["pages"] })).toBe(false)
      expect(fits(textOut, { type: "object", properties: { pages: { type: "number" } }, required: ["pages"] })).toBe(true)
      expect(fits(textOut, { type: "object", properties: { other: {} } })).toBe(false)
      // ranked: the scores never rise
      expect(chains.map((c) => c.score)).toEqual([...chains.map((c) => c.score)].sort((a, b) => b - a))

      expectError(yield* get("/v1/skills/requests/sreq_nope/compositions"), 404, "NOT_FOUND")
      expectError(yield* other.call("GET", `/v1/skills/requests/${request.json.id}/compositions`), 404, "NOT_FOUND")
      expectError(yield* post("/v1/skills/requests", { description: "" }), 400, "INVALID_REQUEST")
    })))
})

describe("skills: audit and storage", () => {
  it.effect("every change is audited (layer skills), refusals included, never with inputs or outputs", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, auditOf, invoke, post, publish, step } = yield* skills
      const bot = yield* agent("audit-bot")
      const { entries, result } = yield* auditOf(Effect.gen(function*() {
        const skill = yield* publish(skillBody("audited-skill"))
        yield* post("/v1/skills", skillBody("audited-skill"))
        yield* post(`/v1/skills/${skill.id}/suspend`)
        yield* invoke(skill.id, { agent_id: bot, input: { text: SECRET } })
        yield* post(`/v1/skills/${skill.id}/activate`)
        const id = (yield* invoke(skill.id, { agent_id: bot, input: { text: SECRET } })).json.id
        yield* step(id, "claim")
        yield* step(id, "complete", { output: { summary: SECRET } })
        yield* step(id, "complete", { output: { summary: SECRET, words: 1 } })
        const other = (yield* invoke(skill.id, { agent_id: bot, input: { text: "y" } })).json.id
        yield* step(other, "fail", { error: "nope" })
        yield* post("/v1/skills/requests", { description: "audited", tags: ["text"] })
        return skill.id
      }))
      expect(result).toMatch(/^skl_/)
      expect(entries.map((e) => [e.action, e.layer, e.outcome, e.error_code])).toEqual([
        ["skill.publish", "skills", "success", null],
        ["skill.publish", "skills", "failure", "CONFLICT"],
        ["skill.suspend", "skills", "success", null],
        ["skill.invoke", "skills", "failure", "SKILL_SUSPENDED"],
        ["skill.activate", "skills", "success", null],
        ["skill.invoke", "skills", "success", null],
        ["skill.claim", "skills", "success", null],
        ["skill.complete", "skills", "failure", "SCHEMA_VALIDATION_FAILED"],
        ["skill.complete", "skills", "success", null],
        ["skill.invoke", "skills", "success", null],
        ["skill.fail", "skills", "success", null],
        ["skill.request", "skills", "success", null]
      ])
      expect(entries.find((e) => e.action === "skill.invoke" && e.outcome === "success")?.agent_id).toBe(bot)
      expect(JSON.stringify(entries)).not.toContain(SECRET)
    })))

  it.effect("the database file never holds an invocation's input or output", () =>
    Effect.gen(function*() {
      const { bytesHold, dir, filename } = databaseFile("stack-skills-")
      try {
        yield* TestClock.setTime(T0)
        const run = Effect.gen(function*() {
          const { agent } = yield* client
          const service = yield* Skills.Skills
          const skill = yield* service.publish({
            name: "disk-skill",
            description: "stores nothing in the clear",
            version: "1.0.0",
            input_schema: {},
            output_schema: {},
            execution_mode: "sealed",
            transform: { echoed: "{{/secret}}" }
          })
          return yield* service.invoke(skill.id, { agent_id: yield* agent("disk-bot"), input: { secret: SECRET } })
        })
        const done = yield* Effect.provide(run, Emulator.layerStack({ filename }))
        expect(done.output).toEqual({ echoed: SECRET })
        expect(bytesHold(SECRET)).toBe(false)
        expect(bytesHold("disk-skill")).toBe(true)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))
})

describe("skills through the SDK", () => {
  it.effect("publish, browseAll over pages, invoke, and poll: an open invocation completed after 5 simulated seconds is returned", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { agent } = yield* client
      const service = yield* Skills.Skills
      const bot = yield* agent("sdk-bot")
      for (let i = 0; i < 5; i++) {
        yield* service.publish({
          name: `sdk-skill-${i}`,
          description: "an SDK skill",
          version: "1.0.0",
          input_schema: textIn,
          output_schema: summaryOut,
          execution_mode: "open",
          tags: ["sdk"]
        })
      }
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(service.browseAll({ tags: "sdk", pageSize: 2 })))
      expect(all.map((skill) => skill.name)).toEqual([4, 3, 2, 1, 0].map((i) => `sdk-skill-${i}`))
      const skill = all[0]!

      const invocation = yield* service.invoke(skill.id, { agent_id: bot, input: { text: "poll me" } })
      expect(invocation.status).toBe("pending")
      const polling = yield* Effect.fork(service.poll(invocation.id, { interval: "1 second", timeout: "30 seconds" }))
      for (let second = 1; second <= 5; second++) {
        yield* settle
        yield* TestClock.adjust("1 second")
      }
      expect(yield* Fiber.poll(polling)).toEqual(Option.none())
      // claimed is not finished: poll goes on reading
      yield* service.claim(invocation.id)
      for (let second = 0; second < 2; second++) {
        yield* settle
        yield* TestClock.adjust("1 second")
      }
      yield* settle
      expect(yield* Fiber.poll(polling)).toEqual(Option.none())
      yield* service.complete(invocation.id, { output: { summary: "polled", words: 1 } })
      for (let second = 0; second < 3; second++) {
        yield* settle
        yield* TestClock.adjust("1 second")
      }
      const finished = yield* Fiber.join(polling)
      expect(finished).toMatchObject({ id: invocation.id, status: "completed", output: { summary: "polled", words: 1 } })

      const wrong = yield* Effect.flip(service.complete(invocation.id, { output: { summary: "x", words: 1 } }))
      expect(wrong).toBeInstanceOf(StackError.ConflictError)
      expect((wrong as StackError.ConflictError).code).toBe("INVOCATION_INVALID_STATE")
    }).pipe(Effect.provide(Emulator.layerStack())))

  it.effect("poll: a never-finished invocation times out with SkillPollTimeout (last status, time waited); a failed one is an answer", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { agent } = yield* client
      const service = yield* Skills.Skills
      const bot = yield* agent("sdk-timeout-bot")
      const skill = yield* service.publish({
        name: "never-done",
        description: "nobody works on it",
        version: "1.0.0",
        input_schema: {},
        output_schema: {},
        execution_mode: "open"
      })
      const invocation = yield* service.invoke(skill.id, { agent_id: bot, input: {} })
      const polling = yield* Effect.fork(Effect.either(Skills.poll(invocation.id, { interval: "2 seconds", timeout: "10 seconds" })))
      for (let i = 0; i < 8; i++) {
        yield* settle
        yield* TestClock.adjust("2 seconds")
      }
      const result = yield* Fiber.join(polling)
      expect(Either.isLeft(result)).toBe(true)
      const timeout = Either.getLeft(result).pipe((o) => o._tag === "Some" ? o.value : undefined)
      expect(timeout).toBeInstanceOf(Skills.SkillPollTimeout)
      expect(timeout).toMatchObject({ _tag: "SkillPollTimeout", invocationId: invocation.id, status: "pending", waitedMillis: 10_000 })

      yield* service.fail(invocation.id, { error: "nobody came" })
      const failed = yield* service.poll(invocation.id)
      expect(failed).toMatchObject({ status: "failed", error: "nobody came" })
      const missing = yield* Effect.flip(service.poll("sinv_nope"))
      expect(missing).toMatchObject({ _tag: "NotFoundError", code: "INVOCATION_NOT_FOUND" })
    }).pipe(Effect.provide(Emulator.layerStack())))

  it.effect("typed refusals: SKILL_SUSPENDED is a ConflictError, TRUST_LEVEL_INSUFFICIENT a ForbiddenError with details", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { agent } = yield* client
      const service = yield* Skills.Skills
      const bot = yield* agent("sdk-typed-bot")
      const skill = yield* service.publish({
        name: "needs-identity",
        description: "L2 only",
        version: "1.0.0",
        input_schema: {},
        output_schema: {},
        execution_mode: "open",
        trust_level_required: "L2"
      })
      const low = yield* Effect.flip(service.invoke(skill.id, { agent_id: bot, input: {} }))
      expect(low).toBeInstanceOf(StackError.ForbiddenError)
      expect(low).toMatchObject({ code: "TRUST_LEVEL_INSUFFICIENT", details: { required: "L2", actual: "L0" } })
      yield* service.suspend(skill.id)
      const suspended = yield* Effect.flip(service.invoke(skill.id, { agent_id: bot, input: {} }))
      expect(suspended).toMatchObject({ _tag: "ConflictError", code: "SKILL_SUSPENDED" })
      const owned = yield* service.listOwned()
      expect(owned.skills.map((s) => s.status)).toEqual(["suspended"])
    }).pipe(Effect.provide(Emulator.layerStack())))
})
