/**
 * Drop-offs: the one-way lifecycle (created → deposited → collected |
 * expired), deposits checked against the JSON Schema by Ajv (its errors in
 * `details`, bounded), one collect (exactly one winner among concurrent
 * collectors), who may deposit (the sender, with a passport of its own) and
 * collect (a recipient), expiry on the emulator's clock (lazy and on demand,
 * `dropoff.expired` emitted once), tenancy, audit entries without the
 * payload, the payload sealed at rest; and the SDK's service, typed by an
 * Effect Schema.
 */
import { describe, expect, it } from "@effect/vitest"
import { Dropoffs, StackError } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { rmSync } from "node:fs"
import * as Operators from "../src/core/Operators.js"
import * as Database from "../src/Database.js"
import * as Store from "../src/dropoffs/Store.js"
import { client, databaseFile, enrolled, expectError, requester, T0, withEmulator } from "./support/Client.js"

const SECRET = "the-wire-transfer-code-8461"

const invoiceSchema = {
  type: "object",
  properties: { invoice_id: { type: "string" }, amount: { type: "number", minimum: 0 }, note: { type: "string" } },
  required: ["invoice_id", "amount"],
  additionalProperties: false
}

/** The default operator's client, with drop-off helpers. */
const dropoffs = Effect.gen(function*() {
  const c = yield* client
  const create = (body: Record<string, unknown>, auth?: string) =>
    Effect.map(c.post("/v1/dropoffs", body, auth === undefined ? {} : { auth }), (reply) => {
      if (reply.status !== 201) throw new Error(`create: ${reply.status} ${reply.text}`)
      return reply.json as { id: string; status: string; expires_at: string }
    })
  const at = (id: string, step: "deposit" | "collect" | "expire", body: unknown = {}, auth?: string) =>
    c.post(`/v1/dropoffs/${id}/${step}`, body, auth === undefined ? {} : { auth })
  return { ...c, create, at }
})

describe("drop-offs", () => {
  it.effect("the lifecycle: created, deposited (checked by Ajv), collected once; the status never shows the payload", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, at, create, get } = yield* dropoffs
      const sender = yield* agent("billing-bot")
      const receiver = yield* agent("payments-bot")
      const created = yield* create({ from_agent: sender, to_agent: receiver, schema: invoiceSchema })
      expect(created).toMatchObject({ status: "created", from_agent: sender, to_agents: [receiver], ttl_seconds: 1800 })
      expect(created.id).toMatch(/^dof_/)
      expect(created.expires_at).toBe(new Date(T0 + 1800_000).toISOString())

      const invalid = yield* at(created.id, "deposit", { payload: { invoice_id: 7, amount: -1, extra: true } })
      expectError(invalid, 400, "SCHEMA_VALIDATION_FAILED")
      expect(invalid.json.error.details.total).toBe(3)
      expect(invalid.json.error.details.errors).toEqual(expect.arrayContaining([
        { path: "/invoice_id", keyword: "type", message: "must be string" },
        { path: "/amount", keyword: "minimum", message: "must be >= 0" },
        { path: "", keyword: "additionalProperties", message: "must NOT have additional properties" }
      ]))
      expectError(yield* at(created.id, "deposit", {}), 400, "INVALID_REQUEST")
      expectError(yield* at(created.id, "collect"), 409, "CONFLICT")

      const deposited = yield* at(created.id, "deposit", { payload: { invoice_id: "inv_1", amount: 120, note: SECRET } })
      expect(deposited.status).toBe(200)
      expect(deposited.json).toMatchObject({ id: created.id, status: "deposited", deposited_at: new Date(T0).toISOString() })
      expect(deposited.text).not.toContain(SECRET)
      expectError(yield* at(created.id, "deposit", { payload: { invoice_id: "inv_2", amount: 1 } }), 409, "CONFLICT")
      const status = yield* get(`/v1/dropoffs/${created.id}`)
      expect(status.json).toMatchObject({ status: "deposited", to_agents: [receiver], collected_by: null })
      expect(status.text).not.toContain(SECRET)

      const collected = yield* at(created.id, "collect")
      expect(collected.status).toBe(200)
      expect(collected.json).toMatchObject({
        id: created.id,
        status: "collected",
        payload: { invoice_id: "inv_1", amount: 120, note: SECRET }
      })
      expectError(yield* at(created.id, "collect"), 409, "DROPOFF_ALREADY_COLLECTED")
      expectError(yield* at(created.id, "deposit", { payload: { invoice_id: "x", amount: 1 } }), 409, "CONFLICT")
      expectError(yield* at(created.id, "expire"), 409, "CONFLICT")
      const after = yield* get(`/v1/dropoffs/${created.id}`)
      expect(after.json).toMatchObject({ status: "collected", collected_by: null, collected_at: new Date(T0).toISOString() })
    })))

  it.effect("Ajv's errors are bounded to 20, each excerpted; a schema Ajv cannot compile, and other bad creates, are 400", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, at, create, post } = yield* dropoffs
      const sender = yield* agent("wide-bot")
      const receiver = yield* agent("reader-bot")
      const fields = Array.from({ length: 30 }, (_, i) => `field_${i}`)
      const wide = yield* create({ from_agent: sender, to_agents: [receiver], schema: { type: "object", required: fields } })
      const refused = yield* at(wide.id, "deposit", { payload: {} })
      expectError(refused, 400, "SCHEMA_VALIDATION_FAILED")
      expect(refused.json.error.details.total).toBe(30)
      expect(refused.json.error.details.errors).toHaveLength(20)
      const long = "k".repeat(5000)
      const deep = yield* create({ from_agent: sender, to_agents: [receiver], schema: { type: "object", required: [long] } })
      const excerpted = yield* at(deep.id, "deposit", { payload: {} })
      expect(excerpted.json.error.details.errors[0].message.length).toBeLessThanOrEqual(201)
      expect(excerpted.text.length).toBeLessThan(2000)

      const bad = [
        [{ from_agent: sender, to_agent: receiver, schema: { type: "nonsense" } }, "schema"],
        [{ from_agent: sender, to_agent: receiver, schema: { $ref: "https://example.com/remote.json" } }, "schema"],
        [{ from_agent: sender, to_agent: receiver, schema: [1, 2] }, "schema"],
        [{ from_agent: sender, to_agent: receiver }, "schema"],
        [{ from_agent: sender, to_agent: receiver, schema: {}, ttl_seconds: 86401 }, "ttl_seconds"],
        [{ from_agent: sender, to_agent: receiver, schema: {}, ttl_seconds: 0 }, "ttl_seconds"],
        [{ from_agent: sender, to_agent: receiver, to_agents: [receiver], schema: {} }, "to_agents"],
        [{ from_agent: sender, schema: {} }, "to_agent"],
        [{ from_agent: sender, to_agents: [], schema: {} }, "to_agents"],
        [{ to_agent: receiver, schema: {} }, "from_agent"]
      ] as const
      for (const [body, field] of bad) {
        const reply = yield* post("/v1/dropoffs", body)
        expectError(reply, 400, "INVALID_REQUEST")
        const named = Object.keys(reply.json.error.details?.fields ?? {})
        expect(named.some((key) => key === field || key.startsWith(`${field}.`)), `${JSON.stringify(body)}: ${named}`).toBe(true)
      }
      expectError(yield* post("/v1/dropoffs", { from_agent: sender, to_agent: "agt_nope", schema: {} }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/dropoffs", { from_agent: "agt_nope", to_agent: receiver, schema: {} }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/dropoffs/dof_nope/deposit", { payload: 1 }), 404, "NOT_FOUND")
      expect((yield* post("/v1/dropoffs", { from_agent: sender, to_agent: receiver, schema: {}, ttl_seconds: 86400 })).status).toBe(201)
    })))

  it.effect("exactly one of ten concurrent collectors wins; the others are DROPOFF_ALREADY_COLLECTED", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, at, create } = yield* dropoffs
      const sender = yield* agent("race-sender")
      const receiver = yield* agent("race-receiver")
      const created = yield* create({ from_agent: sender, to_agent: receiver, schema: {} })
      expect((yield* at(created.id, "deposit", { payload: { n: 1 } })).status).toBe(200)
      const replies = yield* Effect.all(Array.from({ length: 10 }, () => at(created.id, "collect")), { concurrency: "unbounded" })
      const won = replies.filter((reply) => reply.status === 200)
      expect(won).toHaveLength(1)
      expect(won[0]!.json.payload).toEqual({ n: 1 })
      for (const reply of replies.filter((reply) => reply.status !== 200)) expectError(reply, 409, "DROPOFF_ALREADY_COLLECTED")
    })))

  it.effect("agents: the sender deposits with a passport of its own (token or jti), a recipient collects, others are refused", () =>
    withEmulator(Effect.gen(function*() {
      const { at, create, get, issue, post } = yield* dropoffs
      const sender = yield* enrolled("agent-sender")
      const receiver = yield* enrolled("agent-receiver")
      const stranger = yield* enrolled("agent-stranger")
      expectError(
        yield* post("/v1/dropoffs", { from_agent: receiver.agentId, to_agent: sender.agentId, schema: {} }, { auth: yield* sender.jwt() }),
        403,
        "FORBIDDEN"
      )
      const created = yield* create({ from_agent: sender.agentId, to_agent: receiver.agentId, schema: {} }, yield* sender.jwt())
      const payload = { payload: { ok: true } }
      expectError(yield* at(created.id, "deposit", payload, yield* sender.jwt()), 400, "INVALID_REQUEST")
      const others = yield* issue({ agent_id: receiver.agentId })
      expectError(yield* at(created.id, "deposit", { ...payload, passport_token: others.token }, yield* sender.jwt()), 401, "UNAUTHORIZED")
      expectError(yield* at(created.id, "deposit", { ...payload, passport_jti: others.jti }, yield* sender.jwt()), 401, "UNAUTHORIZED")
      expectError(yield* at(created.id, "deposit", { ...payload, passport_token: "not.a.jwt" }, yield* sender.jwt()), 401, "UNAUTHORIZED")
      expectError(yield* at(created.id, "deposit", { ...payload, passport_token: others.token }, yield* receiver.jwt()), 403, "FORBIDDEN")
      expectError(yield* at(created.id, "deposit", payload, yield* stranger.jwt()), 404, "NOT_FOUND")
      // the operator may deposit with a passport, but only the sender's
      expectError(yield* at(created.id, "deposit", { ...payload, passport_jti: others.jti }), 403, "FORBIDDEN")
      const own = yield* issue({ agent_id: sender.agentId })
      const revoked = yield* issue({ agent_id: sender.agentId })
      expect((yield* post("/v1/passports/revoke", { jti: revoked.jti, reason: "test" })).status).toBe(200)
      expectError(yield* at(created.id, "deposit", { ...payload, passport_jti: revoked.jti }, yield* sender.jwt()), 401, "PASSPORT_REVOKED")
      const deposited = yield* at(created.id, "deposit", { ...payload, passport_token: own.token }, yield* sender.jwt())
      expect(deposited.json.status).toBe("deposited")

      expectError(yield* get(`/v1/dropoffs/${created.id}`, { auth: yield* stranger.jwt() }), 404, "NOT_FOUND")
      expect((yield* get(`/v1/dropoffs/${created.id}`, { auth: yield* receiver.jwt() })).json.status).toBe("deposited")
      expectError(yield* at(created.id, "collect", {}, yield* sender.jwt()), 403, "FORBIDDEN")
      expectError(yield* at(created.id, "collect", {}, yield* stranger.jwt()), 404, "NOT_FOUND")
      expectError(yield* at(created.id, "expire", {}, yield* receiver.jwt()), 403, "FORBIDDEN")
      const collected = yield* at(created.id, "collect", {}, yield* receiver.jwt())
      expect(collected.json).toMatchObject({ status: "collected", payload: { ok: true }, collected_by: receiver.agentId })
      expect((yield* get(`/v1/dropoffs/${created.id}`)).json.collected_by).toBe(receiver.agentId)

      const second = yield* create({ from_agent: sender.agentId, to_agent: receiver.agentId, schema: {} })
      const byJti = yield* at(second.id, "deposit", { payload: [1, 2], passport_jti: own.jti }, yield* sender.jwt())
      expect(byJti.json.status).toBe("deposited")
      const listed = (yield* get("/v1/dropoffs", { auth: yield* stranger.jwt() })).json.dropoffs
      expect(listed).toEqual([])
      expect((yield* get("/v1/dropoffs", { auth: yield* receiver.jwt() })).json.dropoffs.map((d: any) => d.id)).toEqual([second.id, created.id])
    })))

  it.effect("expiry on the clock: lazily on a read, deposit or collect, and on demand; dropoff.expired is emitted once", () =>
    withEmulator(
      Effect.gen(function*() {
        const { agent, at, auditOf, create, emulator, get, post } = yield* dropoffs
        const email = yield* post("/v1/notifications/destinations", { channel_type: "email", destination: "ops@example.com" })
        const code = JSON.parse((yield* emulator.outbox(emulator.operatorId)).at(-1)!.body).data.code
        expect((yield* post(`/v1/notifications/destinations/${email.json.id}/verify`, { code })).status).toBe(200)
        expect((yield* post("/v1/notifications/channels", { events: ["dropoff.expired"], destination_ids: [email.json.id] })).status).toBe(201)
        const expiredEvents = Effect.map(
          emulator.outbox(emulator.operatorId),
          (messages) => messages.filter((message) => message.event_type === "dropoff.expired").map((message) => JSON.parse(message.body).data)
        )

        const sender = yield* agent("ttl-sender")
        const receiver = yield* agent("ttl-receiver")
        const short = yield* create({ from_agent: sender, to_agent: receiver, schema: {}, ttl_seconds: 60 })
        expect((yield* at(short.id, "deposit", { payload: SECRET })).status).toBe(200)
        yield* TestClock.adjust("59 seconds")
        expect((yield* get(`/v1/dropoffs/${short.id}`)).json.status).toBe("deposited")
        yield* TestClock.adjust("1 second")
        const { entries, result } = yield* auditOf(get(`/v1/dropoffs/${short.id}`))
        expect(result.json).toMatchObject({ status: "expired", expired_at: new Date(T0 + 60_000).toISOString() })
        expect(entries.map((e) => [e.action, e.layer, e.outcome])).toEqual([["dropoff.expire", "dropoff", "success"]])
        expectError(yield* at(short.id, "collect"), 409, "CONFLICT")
        expect((yield* at(short.id, "expire")).json.status).toBe("expired")
        expect((yield* get(`/v1/dropoffs/${short.id}`)).json.status).toBe("expired")
        expect(yield* expiredEvents).toEqual([
          expect.objectContaining({ dropoff_id: short.id, reason: "ttl", previous_status: "deposited", to_agents: [receiver] })
        ])

        const unused = yield* create({ from_agent: sender, to_agent: receiver, schema: {}, ttl_seconds: 30 })
        yield* TestClock.adjust("31 seconds")
        expectError(yield* at(unused.id, "deposit", { payload: 1 }), 409, "CONFLICT")
        const listed = yield* get("/v1/dropoffs?status=expired")
        expect(listed.json.dropoffs.map((d: any) => d.id)).toEqual([unused.id, short.id])

        const early = yield* create({ from_agent: sender, to_agent: receiver, schema: {} })
        const stale = yield* create({ from_agent: sender, to_agent: receiver, schema: {}, ttl_seconds: 10 })
        yield* TestClock.adjust("11 seconds")
        // overdue drop-offs expire before a list answers
        expect((yield* get("/v1/dropoffs?status=created")).json.dropoffs.map((d: any) => d.id)).toEqual([early.id])
        expect((yield* at(early.id, "deposit", { payload: 2 })).status).toBe(200)
        const onDemand = yield* at(early.id, "expire")
        expect(onDemand.json).toMatchObject({ status: "expired" })
        expect((yield* at(early.id, "expire")).json).toEqual(onDemand.json)
        expectError(yield* at(early.id, "collect"), 409, "CONFLICT")
        const events = yield* expiredEvents
        expect(events.map((data: any) => [data.dropoff_id, data.reason])).toEqual([
          [short.id, "ttl"],
          [unused.id, "ttl"],
          [stale.id, "ttl"],
          [early.id, "on_demand"]
        ])
      }),
      { governance: [] }
    ))

  it.effect("lists page by keyset, newest first, filtered by status", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, at, create, get } = yield* dropoffs
      const sender = yield* agent("list-sender")
      const receiver = yield* agent("list-receiver")
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        ids.push((yield* create({ from_agent: sender, to_agent: receiver, schema: {} })).id)
        yield* TestClock.adjust("1 second")
      }
      yield* at(ids[1]!, "deposit", { payload: 1 })
      const first = yield* get("/v1/dropoffs?limit=2")
      expect(first.json.dropoffs.map((d: any) => d.id)).toEqual([ids[4], ids[3]])
      expect(first.json.has_more).toBe(true)
      expect(first.json.dropoffs[0]).not.toHaveProperty("payload")
      const second = yield* get(`/v1/dropoffs?limit=2&cursor=${first.json.next_cursor}`)
      expect(second.json.dropoffs.map((d: any) => d.id)).toEqual([ids[2], ids[1]])
      expect((yield* get("/v1/dropoffs?status=deposited")).json.dropoffs.map((d: any) => d.id)).toEqual([ids[1]])
      expectError(yield* get(`/v1/dropoffs?status=deposited&cursor=${first.json.next_cursor}`), 400, "INVALID_REQUEST")
      expectError(yield* get("/v1/dropoffs?status=lost"), 400, "INVALID_REQUEST")
      expectError(yield* get("/v1/dropoffs?limit=201"), 400, "INVALID_REQUEST")
    })))

  it.effect("another operator's drop-off is NOT_FOUND, and none of its agents may be named", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, at, create, emulator } = yield* dropoffs
      const sender = yield* agent("first-sender")
      const receiver = yield* agent("first-receiver")
      const created = yield* create({ from_agent: sender, to_agent: receiver, schema: {} })
      yield* at(created.id, "deposit", { payload: SECRET })
      const second = yield* emulator.createOperator({ name: "team-b" })
      const theirs = requester((request) => emulator.handler(request), "http://emulator.test", Redacted.value(second.apiKey))
      expectError(yield* theirs("GET", `/v1/dropoffs/${created.id}`), 404, "NOT_FOUND")
      for (const step of ["deposit", "collect", "expire"]) {
        expectError(yield* theirs("POST", `/v1/dropoffs/${created.id}/${step}`, { json: { payload: 1 } }), 404, "NOT_FOUND")
      }
      expect((yield* theirs("GET", "/v1/dropoffs")).json.dropoffs).toEqual([])
      const theirAgent = (yield* theirs("POST", "/v1/agents/register", { json: { name: "b-bot" } })).json.id
      expectError(
        yield* theirs("POST", "/v1/dropoffs", { json: { from_agent: theirAgent, to_agent: receiver, schema: {} } }),
        404,
        "NOT_FOUND"
      )
      expect((yield* at(created.id, "collect")).json.payload).toBe(SECRET)
    })))

  it.effect("every change is audited (layer dropoff), refusals included, never with the payload", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, at, auditOf, create } = yield* dropoffs
      const sender = yield* agent("audit-sender")
      const receiver = yield* agent("audit-receiver")
      const { entries, result } = yield* auditOf(Effect.gen(function*() {
        const created = yield* create({ from_agent: sender, to_agent: receiver, schema: { type: "string" } })
        yield* at(created.id, "deposit", { payload: 42 })
        yield* at(created.id, "deposit", { payload: SECRET })
        yield* at(created.id, "collect")
        yield* at(created.id, "collect")
        const other = yield* create({ from_agent: sender, to_agent: receiver, schema: {} })
        yield* at(other.id, "expire")
        return created.id
      }))
      expect(result).toMatch(/^dof_/)
      expect(entries.map((e) => [e.action, e.layer, e.outcome, e.agent_id, e.error_code])).toEqual([
        ["dropoff.create", "dropoff", "success", sender, null],
        ["dropoff.deposit", "dropoff", "failure", sender, "SCHEMA_VALIDATION_FAILED"],
        ["dropoff.deposit", "dropoff", "success", sender, null],
        ["dropoff.collect", "dropoff", "success", null, null],
        ["dropoff.collect", "dropoff", "failure", null, "DROPOFF_ALREADY_COLLECTED"],
        ["dropoff.create", "dropoff", "success", sender, null],
        ["dropoff.expire", "dropoff", "success", sender, null]
      ])
      expect(JSON.stringify(entries)).not.toContain(SECRET)
    })))
})

describe("drop-offs: the caller's schema cannot stall the emulator", () => {
  it.effect("patterns run in linear time (a catastrophic one answers its normal result), lookarounds are refused at create", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, at, create, post } = yield* dropoffs
      const sender = yield* agent("pattern-sender")
      const receiver = yield* agent("pattern-receiver")
      const evil = yield* create({ from_agent: sender, to_agent: receiver, schema: { type: "string", pattern: "^(a+)+$" } })
      const refused = yield* at(evil.id, "deposit", { payload: `${"a".repeat(40)}!` })
      expectError(refused, 400, "SCHEMA_VALIDATION_FAILED")
      expect(refused.json.error.details).toEqual({
        total: 1,
        errors: [{ path: "", keyword: "pattern", message: "must match pattern \"^(a+)+$\"" }]
      })
      expect((yield* at(evil.id, "deposit", { payload: "a".repeat(40) })).json.status).toBe("deposited")

      const phone = yield* create({
        from_agent: sender,
        to_agent: receiver,
        schema: { type: "object", properties: { phone: { type: "string", pattern: "^\\+\\d{6,12}$" } }, required: ["phone"] }
      })
      const wrong = yield* at(phone.id, "deposit", { payload: { phone: "call me" } })
      expectError(wrong, 400, "SCHEMA_VALIDATION_FAILED")
      expect(wrong.json.error.details.errors.map((e: any) => [e.path, e.keyword])).toEqual([["/phone", "pattern"]])
      expect((yield* at(phone.id, "deposit", { payload: { phone: "+46701234" } })).json.status).toBe("deposited")

      for (const pattern of ["^(?=.*\\d)\\w+$", "(?<!x)y", "^(a)\\1$"]) {
        const reply = yield* post("/v1/dropoffs", { from_agent: sender, to_agent: receiver, schema: { type: "string", pattern } })
        expectError(reply, 400, "INVALID_REQUEST")
        expect(reply.json.error.message).toContain(`pattern ${JSON.stringify(pattern)} uses a`)
        expect(reply.json.error.details.fields.schema).toMatch(/lookarounds or backreferences/)
      }
      const keys = yield* post("/v1/dropoffs", {
        from_agent: sender,
        to_agent: receiver,
        schema: { type: "object", patternProperties: { "^(?!_)": { type: "string" } } }
      })
      expectError(keys, 400, "INVALID_REQUEST")
      expect(keys.json.error.message).toContain("uses a lookahead")
    })))

  it.effect("a schema nested too deep or holding too many values is refused at create", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post } = yield* dropoffs
      const sender = yield* agent("bound-sender")
      const receiver = yield* agent("bound-receiver")
      let deep: unknown = { type: "string" }
      for (let level = 1; level <= 40; level++) deep = { type: "array", items: deep }
      const tooDeep = yield* post("/v1/dropoffs", { from_agent: sender, to_agent: receiver, schema: deep })
      expectError(tooDeep, 400, "INVALID_REQUEST")
      expect(tooDeep.json.error.details.fields.schema).toMatch(/nests deeper than 32 levels/)
      const properties = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, { type: "string" }]))
      const tooMany = yield* post("/v1/dropoffs", { from_agent: sender, to_agent: receiver, schema: { type: "object", properties } })
      expectError(tooMany, 400, "INVALID_REQUEST")
      expect(tooMany.json.error.details.fields.schema).toMatch(/holds more than 2000 values/)
    })))

  it.effect("a stored schema this emulator no longer accepts: its deposit is 409 CONFLICT, not a crash", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => databaseFile("stack-dropoffs-")),
      ({ filename, write }) =>
        withEmulator(Effect.gen(function*() {
          const { agent, at, create } = yield* dropoffs
          const created = yield* create({ from_agent: yield* agent("old-sender"), to_agent: yield* agent("old-receiver"), schema: {} })
          // as an emulator that ran patterns on JavaScript's RegExp would have stored it
          const schema = JSON.stringify({ type: "string", pattern: "^(?=a)a$" })
          expect(write("UPDATE dropoffs SET json_schema = ? WHERE id = ?", schema, created.id)).toBe(1)
          const refused = yield* at(created.id, "deposit", { payload: "a" })
          expectError(refused, 409, "CONFLICT")
          expect(refused.json.error.message).toMatch(/is no longer accepted: pattern "\^\(\?=a\)a\$" uses a lookahead/)
        }), { filename }),
      ({ dir }) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ))
})

describe("drop-offs, as stored", () => {
  it.effect("each change of status happens once: of ten concurrent deposits, collects or expiries, one succeeds", () =>
    Effect.gen(function*() {
      const { operator } = yield* Operators.create({ name: "store" })
      const row = (id: string, status: Store.DropoffRow["status"]): Store.DropoffRow => ({
        id,
        operator_id: operator.id,
        from_agent: "agt_a",
        to_agents: JSON.stringify(["agt_b"]),
        json_schema: "{}",
        ttl_seconds: 60,
        on_expire: null,
        status,
        payload: status === "deposited" ? Buffer.from("sealed") : null,
        deposit_jti: null,
        collected_by: null,
        created_at: T0,
        expires_at: T0 + 60_000,
        deposited_at: null,
        collected_at: null,
        expired_at: null
      })
      const ten = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.all(Array.from({ length: 10 }, () => effect), { concurrency: "unbounded" })
      const once = (results: ReadonlyArray<boolean>) => results.filter((changed) => changed).length

      yield* Store.insert(row("dof_deposit", "created"))
      expect(once(yield* ten(Store.deposit("dof_deposit", Buffer.from("x"), null, T0)))).toBe(1)
      yield* Store.insert(row("dof_collect", "deposited"))
      expect(once(yield* ten(Store.collect("dof_collect", "agt_b", T0)))).toBe(1)
      const collected = yield* Store.byId(operator.id, "dof_collect")
      expect(collected).toMatchObject({ status: "collected", payload: null, collected_by: "agt_b" })
      expect(yield* Store.expire("dof_collect", T0)).toBe(false)
      yield* Store.insert(row("dof_expire", "deposited"))
      expect(once(yield* ten(Store.expire("dof_expire", T0)))).toBe(1)
      expect(yield* Store.byId(operator.id, "dof_expire")).toMatchObject({ status: "expired", payload: null })
      expect(yield* Store.collect("dof_expire", "agt_b", T0)).toBe(false)
      // past its time, a drop-off takes no deposit and is not collected
      yield* Store.insert(row("dof_late", "created"))
      expect(yield* Store.deposit("dof_late", Buffer.from("x"), null, T0 + 60_000)).toBe(false)
    }).pipe(Effect.provide(Database.layer(":memory:")), Effect.orDie))
})

const Invoice = Schema.Struct({
  invoice_id: Schema.String,
  amount: Schema.Number.pipe(Schema.nonNegative()),
  due: Schema.Date
})

describe("drop-offs through the SDK", () => {
  it.effect("typed: the JSON Schema derived from the Effect Schema, payloads encoded on deposit and decoded on collect", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { emulator, agent } = yield* client
      const sender = yield* agent("typed-sender")
      const receiver = yield* agent("typed-receiver")
      const invoices = yield* Dropoffs.typed(Invoice)
      expect(invoices.jsonSchema).toMatchObject({ type: "object", required: ["invoice_id", "amount", "due"] })
      const created = yield* invoices.create({ from_agent: sender, to_agent: receiver, ttl_seconds: 600 })
      expect(created.status).toBe("created")
      expect(created.schema).toEqual(JSON.parse(JSON.stringify(invoices.jsonSchema)))
      const due = new Date("2026-02-01T00:00:00.000Z")
      const deposited = yield* invoices.deposit(created.id, { invoice_id: "inv_9", amount: 99, due })
      expect(deposited.status).toBe("deposited")
      const { dropoff, payload } = yield* invoices.collect(created.id)
      expect(dropoff.status).toBe("collected")
      expect(payload).toEqual({ invoice_id: "inv_9", amount: 99, due })

      // STACK's check is the JSON Schema's: -1 breaks its minimum (Ajv); a payload that passes it but not the Effect Schema does not decode
      const service = yield* Dropoffs.Dropoffs
      const loose = yield* service.create({ from_agent: sender, to_agent: receiver, schema: { type: "object" } })
      const refused = yield* Effect.flip(invoices.deposit(loose.id, { invoice_id: "x", amount: -1, due }))
      expect(refused).toMatchObject({ _tag: "DropoffPayloadError", direction: "encode" })
      const strict = yield* invoices.create({ from_agent: sender, to_agent: receiver })
      const ajv = yield* Effect.flip(service.deposit(strict.id, { payload: { invoice_id: "x", amount: -1, due: "soon" } }))
      expect(ajv).toBeInstanceOf(StackError.BadRequestError)
      expect((ajv as StackError.BadRequestError).code).toBe("SCHEMA_VALIDATION_FAILED")
      expect((ajv as StackError.BadRequestError).details).toMatchObject({ errors: [{ path: "/amount", keyword: "minimum" }], total: 1 })
      yield* service.deposit(loose.id, { payload: { invoice_id: "x", amount: 1, due: "not a date" } })
      const undecodable = yield* Effect.flip(invoices.collect(loose.id))
      expect(undecodable).toMatchObject({ _tag: "DropoffPayloadError", direction: "decode", dropoffId: loose.id })
      expect(undecodable.message).not.toContain("not a date")
      const again = yield* Effect.flip(service.collect(loose.id))
      expect(again).toMatchObject({ _tag: "ConflictError", code: "DROPOFF_ALREADY_COLLECTED" })

      const all = yield* Stream.runCollect(service.listAll({ pageSize: 1 }))
      expect(Chunk.toReadonlyArray(all).map((d) => d.id)).toEqual([strict.id, loose.id, created.id])
      expect(emulator.operatorId).toMatch(/^op_/)
    }).pipe(Effect.provide(Emulator.layerStack())))

  it.effect("the database file never holds a payload, before or after it is collected", () =>
    Effect.gen(function*() {
      const { bytesHold, dir, filename } = databaseFile("stack-dropoffs-")
      try {
        yield* TestClock.setTime(T0)
        const run = Effect.gen(function*() {
          const { agent } = yield* client
          const service = yield* Dropoffs.Dropoffs
          const created = yield* service.create({ from_agent: yield* agent("disk-sender"), to_agent: yield* agent("disk-receiver"), schema: {} })
          yield* service.deposit(created.id, { payload: { secret: SECRET } })
          const heldWhileDeposited = bytesHold(SECRET)
          const collected = yield* service.collect(created.id)
          return { heldWhileDeposited, collected }
        })
        const { collected, heldWhileDeposited } = yield* Effect.provide(run, Emulator.layerStack({ filename }))
        expect(collected.payload).toEqual({ secret: SECRET })
        expect(heldWhileDeposited).toBe(false)
        expect(bytesHold(SECRET)).toBe(false)
        expect(bytesHold("disk-sender")).toBe(true)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))
})
