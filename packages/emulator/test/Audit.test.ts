/**
 * The audit reads, served by the emulator and read through the SDK: the
 * chain newest first with its watermark, the tail, the chain head, the
 * server's verification (against a chain tampered with in the database
 * file) and the export in JSON, NDJSON and CSV; 402 on a plan without
 * controls, 403 for an agent.
 */
import { describe, expect, it } from "@effect/vitest"
import { Agents, Audit, AuditChain, StackError } from "@getstack/effect"
import { type AuditEntry, CSV_COLUMNS } from "@getstack/effect/api/Audit"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { createRequire } from "node:module"
import { join } from "node:path"
import { client, enrolled, expectError, T0, withEmulator } from "./support/Client.js"

/** The SDK's services and the emulator, in process, at T0 on the TestClock. */
const withStack = <A, E>(
  body: Effect.Effect<A, E, Agents.Agents | Audit.Audit | Emulator.Emulator>,
  options: Emulator.Options = {}
) => Effect.zipRight(TestClock.setTime(T0), Effect.provide(body, Emulator.layerStack(options)))

/** Registers `count` agents, `concurrency` at a time: one audit entry each. */
const register = (prefix: string, count: number, concurrency = 1) =>
  Effect.flatMap(Agents.Agents, (agents) =>
    Effect.forEach(
      Array.from({ length: count }, (_, i) => `${prefix}-${i}`),
      (name) => Effect.map(agents.register({ name }), (agent) => agent.id),
      { concurrency }
    ))

/** The default operator's whole chain, oldest first, as the emulator stores it. */
const storedChain = Effect.flatMap(Emulator.Emulator, (emulator) => emulator.auditChain(emulator.operatorId))

const ids = (entries: Iterable<AuditEntry>) => Array.from(entries, (entry) => entry.entry_id)

describe("audit.list", () => {
  it.effect("newest first, with max_timestamp, narrowed by agent, passport and since; every entry by cursor", () =>
    withStack(Effect.gen(function*() {
      const audit = yield* Audit.Audit
      const empty = yield* audit.list()
      expect(empty.entries).toEqual([])
      expect(empty.max_timestamp).toBeNull()

      yield* register("early", 3)
      yield* TestClock.adjust("1 second")
      const [later] = yield* register("later", 2)
      const chain = yield* storedChain
      expect(chain).toHaveLength(5)

      const page = yield* audit.list({ limit: 2 })
      expect(ids(page.entries)).toEqual(ids(chain.slice(-2)).reverse())
      expect(page.max_timestamp).toBe(T0 + 1000)
      expect(typeof page.next_cursor).toBe("string")

      const byAgent = yield* audit.list({ agent_id: later! })
      expect(byAgent.entries.map((entry) => entry.agent_id)).toEqual([later])
      const since = yield* audit.list({ since: T0 + 1000 })
      expect(ids(since.entries)).toEqual(ids(chain.slice(3)).reverse())

      // more entries than a page holds: the stream follows next_cursor to the first entry
      yield* register("many", 120)
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(audit.listAll()))
      expect(ids(all)).toEqual(ids(yield* storedChain).reverse())
      expect(all).toHaveLength(125)
    })))

  it.effect("a limit outside 1..100 or a bad since is 400 INVALID_REQUEST naming the field", () =>
    withEmulator(Effect.gen(function*() {
      const { get } = yield* client
      for (const query of ["limit=0", "limit=101", "limit=abc", "since=-1", "since=soon"]) {
        const reply = yield* get(`/v1/audit?${query}`)
        expectError(reply, 400, "INVALID_REQUEST")
        expect(Object.keys(reply.json.error.details.fields)).toEqual([query.split("=")[0]])
      }
    })))
})

describe("audit.tail", () => {
  it.effect("1,000 entries written concurrently at one instant: each emitted once, in chain order", () =>
    withStack(Effect.gen(function*() {
      const audit = yield* Audit.Audit
      yield* register("before", 5)
      yield* TestClock.adjust("10 millis")
      const tail = yield* Effect.fork(
        Stream.runCollect(Stream.take(audit.tail({ since: T0 + 10, interval: "1 second" }), 1000))
      )
      // the clock stands still while they are written: they all share one timestamp
      for (let round = 0; round < 4; round++) {
        yield* register(`tail-${round}`, 250, 25)
        yield* TestClock.adjust("1 second")
      }
      const emitted = ids(yield* Fiber.join(tail))
      const written = ids((yield* storedChain).slice(5))
      expect(written).toHaveLength(1000)
      expect(new Set(emitted).size).toBe(1000)
      expect(emitted).toEqual(written)
    })))

  it.effect("left without since, emits what is written after it starts, not what the chain held", () =>
    withStack(Effect.gen(function*() {
      const audit = yield* Audit.Audit
      yield* register("held", 3)
      const tail = yield* Effect.fork(Stream.runCollect(Stream.take(audit.tail({ interval: "1 second" }), 2)))
      // the tail's first read of the chain, in real time (the TestClock stands still)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
      yield* register("fresh", 2)
      yield* TestClock.adjust("1 second")
      expect(ids(yield* Fiber.join(tail))).toEqual(ids((yield* storedChain).slice(3)))
    })))

  it.effect("from a given since, across polls at the same and later timestamps, never repeating nor skipping", () =>
    withStack(Effect.gen(function*() {
      const audit = yield* Audit.Audit
      yield* register("old", 2)
      yield* TestClock.adjust("1 second")
      const tail = yield* Effect.fork(
        Stream.runCollect(Stream.take(audit.tail({ since: T0 + 1000, interval: "5 seconds", pageSize: 3 }), 9))
      )
      yield* register("a", 3)
      yield* TestClock.adjust("5 seconds")
      // the same timestamp as the watermark, then a later one
      yield* register("b", 4)
      yield* TestClock.adjust("5 seconds")
      yield* register("c", 2)
      yield* TestClock.adjust("5 seconds")
      const emitted = ids(yield* Fiber.join(tail))
      expect(emitted).toEqual(ids((yield* storedChain).slice(2)))
      expect(emitted).toHaveLength(9)
    })))
})

describe("audit.chainHead", () => {
  it.effect("the latest entry's hash, the count and the latest timestamp; nulls and 0 for an empty chain", () =>
    withStack(Effect.gen(function*() {
      const audit = yield* Audit.Audit
      expect(yield* audit.chainHead()).toMatchObject({ entry_hash: null, count: 0, max_timestamp: null })
      yield* register("head", 3)
      yield* TestClock.adjust("2 seconds")
      yield* register("head-later", 1)
      const chain = yield* storedChain
      const head = yield* audit.chainHead()
      expect(head).toMatchObject({ entry_hash: chain.at(-1)!.entry_hash, count: 4, max_timestamp: T0 + 2000 })
    })))
})

/** A database file for one test, removed after it. */
const withFile = <A, E, R>(body: (file: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "stack-audit-"))),
    (dir) => body(join(dir, "stack.db")),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

// better-sqlite3 ships no types: what this test uses of it
const Database = createRequire(import.meta.url)("better-sqlite3") as new(file: string) => {
  prepare(sql: string): { run(...params: Array<unknown>): { changes: number } }
  close(): void
}

/** Runs one statement on the database file from outside the emulator: a tampering. */
const tamper = (file: string, statement: string, ...params: Array<unknown>) =>
  Effect.sync(() => {
    const db = new Database(file)
    try {
      expect(db.prepare(statement).run(...params).changes).toBe(1)
    } finally {
      db.close()
    }
  })

describe("audit.verifyChain", () => {
  it.effect("valid for an intact chain; a tampered field, a broken link or a timestamp moved back: the first break", () =>
    withFile((file) =>
      withStack(
        Effect.gen(function*() {
          const audit = yield* Audit.Audit
          yield* register("chain", 6)
          yield* TestClock.adjust("1 second")
          yield* register("chain-later", 2)
          const chain = yield* storedChain
          expect(yield* audit.verifyChain()).toMatchObject({ valid: true, checked: 8, complete: true })
          expect(yield* audit.verifyChain({ limit: 3 })).toMatchObject({ valid: true, checked: 3, complete: false })
          expect(yield* audit.verifyChain({ limit: 8 })).toMatchObject({ valid: true, checked: 8, complete: true })
          // a range starting mid-chain is linked to the entry before it
          const range = yield* audit.verifyChain({ from: DateTime.unsafeMake(T0 + 1000) })
          expect(range).toMatchObject({ valid: true, checked: 2 })

          yield* tamper(file, "UPDATE audit_entries SET action = 'agent.delete' WHERE entry_id = ?", chain[4]!.entry_id)
          expect(yield* audit.verifyChain()).toMatchObject({
            valid: false,
            checked: 5,
            first_break: { entry_id: chain[4]!.entry_id, position: 4, reason: "hash_mismatch" }
          })
          // the client, trusting nothing of the server, finds the same break in an export of the chain
          const exported = yield* AuditChain.verify(audit.exportAll({ pageSize: 3 }))
          expect(exported).toMatchObject({ _tag: "Broken", index: 4, entry_id: chain[4]!.entry_id, reason: "hash_mismatch" })
          // a range after the tampered entry does not see it
          expect(yield* audit.verifyChain({ from: DateTime.unsafeMake(T0 + 1000) })).toMatchObject({ valid: true })
          yield* tamper(file, "UPDATE audit_entries SET action = ? WHERE entry_id = ?", chain[4]!.action, chain[4]!.entry_id)
          expect(yield* audit.verifyChain()).toMatchObject({ valid: true })

          yield* tamper(file, "UPDATE audit_entries SET prev_entry_hash = ? WHERE entry_id = ?", "f".repeat(64), chain[2]!.entry_id)
          expect((yield* audit.verifyChain()).first_break).toMatchObject({ position: 2, reason: "link_mismatch" })
          expect(yield* AuditChain.verify(audit.exportAll())).toMatchObject({ _tag: "Broken", index: 2, reason: "link_mismatch" })
          yield* tamper(file, "UPDATE audit_entries SET prev_entry_hash = ? WHERE entry_id = ?", chain[1]!.entry_hash, chain[2]!.entry_id)

          yield* tamper(file, "UPDATE audit_entries SET timestamp = ? WHERE entry_id = ?", T0 - 1, chain[7]!.entry_id)
          expect((yield* audit.verifyChain()).first_break).toMatchObject({ position: 7, reason: "out_of_order" })
          expect(yield* AuditChain.verify(audit.exportAll())).toMatchObject({ _tag: "Broken", index: 7, reason: "out_of_order" })
          // intact again but for the last entry's removal: only a pinned head tells
          yield* tamper(file, "UPDATE audit_entries SET timestamp = ? WHERE entry_id = ?", chain[7]!.timestamp, chain[7]!.entry_id)
          const head = yield* audit.chainHead()
          yield* tamper(file, "DELETE FROM audit_entries WHERE entry_id = ?", chain[7]!.entry_id)
          expect(yield* audit.verifyChain()).toMatchObject({ valid: true })
          expect(yield* AuditChain.verify(audit.exportAll())).toMatchObject({ _tag: "Valid", count: 7 })
          expect(yield* AuditChain.verify(audit.exportAll(), { trustedHead: { entry_hash: head.entry_hash, count: head.count } }))
            .toMatchObject({ _tag: "Broken", index: 7, reason: "truncated" })
        }),
        { filename: file }
      )
    ))
})

describe("audit.export", () => {
  it.effect("JSON pages oldest first with next_offset, and exportAll reads them all", () =>
    withStack(Effect.gen(function*() {
      const audit = yield* Audit.Audit
      yield* register("export", 5)
      yield* TestClock.adjust("1 second")
      yield* register("export-later", 2)
      const chain = yield* storedChain
      const first = yield* audit.export({ format: "json", limit: 3 })
      expect(typeof first).not.toBe("string")
      if (typeof first === "string") return
      expect(ids(first.entries)).toEqual(ids(chain.slice(0, 3)))
      expect(first.next_offset).toBe(3)
      const last = yield* audit.export({ limit: 3, offset: 6 })
      expect(last).toMatchObject({ next_offset: null })
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(audit.exportAll({ pageSize: 2 })))
      expect(ids(all)).toEqual(ids(chain))
      expect(all).toHaveLength(7)
      const later = Chunk.toReadonlyArray(yield* Stream.runCollect(audit.exportAll({ from: DateTime.unsafeMake(T0 + 1000) })))
      expect(ids(later)).toEqual(ids(chain.slice(5)))
      const early = Chunk.toReadonlyArray(yield* Stream.runCollect(audit.exportAll({ to: DateTime.unsafeMake(T0) })))
      expect(ids(early)).toEqual(ids(chain.slice(0, 5)))
    })))

  it.effect("NDJSON is one entry a line; CSV a header row, then fields quoted where needed", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, get } = yield* client
      yield* agent("csv-bot")
      // a refusal whose message holds a comma and quotes lands in error_message
      const { call } = yield* client
      expectError(yield* call("DELETE", `/v1/agents/${encodeURIComponent("agt_a,\"b\"")}`), 404, "NOT_FOUND")
      const emulator = yield* Emulator.Emulator
      const chain = yield* emulator.auditChain(emulator.operatorId)
      expect(chain.some((entry) => entry.error_message?.includes("\"") === true)).toBe(true)

      const ndjson = yield* get("/v1/audit/export?format=ndjson")
      expect(ndjson.status).toBe(200)
      expect(ndjson.headers.get("content-type")).toBe("application/x-ndjson")
      const lines = ndjson.text.split("\n")
      expect(lines.at(-1)).toBe("")
      expect(lines.slice(0, -1).map((line) => JSON.parse(line).entry_hash)).toEqual(chain.map((entry) => entry.entry_hash))

      const csv = yield* get("/v1/audit/export?format=csv")
      expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8")
      const rows = csv.text.split("\r\n")
      expect(rows[0]).toBe(CSV_COLUMNS.join(","))
      expect(rows).toHaveLength(chain.length + 2)
      const failed = chain.findIndex((entry) => entry.error_message !== null)
      const quoted = `"${chain[failed]!.error_message!.replace(/"/g, "\"\"")}"`
      expect(rows[failed + 1]).toContain(`,${quoted},`)
      expect(rows[failed + 1]!.endsWith(chain[failed]!.entry_hash)).toBe(true)
    })))

  it.effect("the SDK decodes NDJSON and CSV exports as their text", () =>
    withStack(Effect.gen(function*() {
      const audit = yield* Audit.Audit
      yield* register("text", 2)
      const ndjson = yield* audit.export({ format: "ndjson" })
      expect(typeof ndjson).toBe("string")
      expect(String(ndjson).trim().split("\n")).toHaveLength(2)
      const csv = yield* audit.export({ format: "csv", limit: 1 })
      expect(String(csv).split("\r\n")).toEqual([CSV_COLUMNS.join(","), expect.stringMatching(/^aud_/), ""])
    })))

  it.effect("limit over 50,000, a negative offset or an unknown format is 400", () =>
    withEmulator(Effect.gen(function*() {
      const { get } = yield* client
      for (const [query, field] of [["limit=50001", "limit"], ["offset=-1", "offset"], ["format=xml", "format"], ["from=yesterday", "from"]]) {
        const reply = yield* get(`/v1/audit/export?${query}`)
        expectError(reply, 400, "INVALID_REQUEST")
        expect(Object.keys(reply.json.error.details.fields)).toEqual([field])
      }
    })))
})

describe("who may read the chain", () => {
  it.effect("on a plan without controls every audit read and the mission listing are a typed 402 CONTROLS_REQUIRED", () =>
    withStack(
      Effect.gen(function*() {
        const audit = yield* Audit.Audit
        const refusals: Array<unknown> = [
          yield* Effect.flip(audit.list()),
          yield* Effect.flip(audit.chainHead()),
          yield* Effect.flip(audit.verifyChain()),
          yield* Effect.flip(audit.export()),
          yield* Effect.flip(Stream.runCollect(audit.tail({ since: 0 })))
        ]
        expect(refusals).toHaveLength(5)
        for (const refusal of refusals) {
          expect(refusal).toBeInstanceOf(StackError.PaymentRequiredError)
          expect(refusal).toMatchObject({ status: 402, code: "CONTROLS_REQUIRED" })
        }
        const { get } = yield* client
        expectError(yield* get("/v1/missions"), 402, "CONTROLS_REQUIRED")
        // what is not a control still works
        expect((yield* register("no-controls", 1))).toHaveLength(1)
      }),
      { controls: false }
    ))

  it.effect("an agent with its own key is refused 403: the chain is the operator's", () =>
    withEmulator(Effect.gen(function*() {
      const { get } = yield* client
      const { jwt } = yield* enrolled("reader-bot")
      for (const path of ["/v1/audit", "/v1/audit/chain-head", "/v1/audit/verify-chain", "/v1/audit/export"]) {
        expectError(yield* get(path, { auth: yield* jwt() }), 403, "FORBIDDEN")
      }
    })))

  it.effect("each operator reads only its own chain", () =>
    withStack(Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const other = yield* emulator.createOperator()
      yield* register("mine", 2)
      const { get } = yield* client
      const theirs = yield* get("/v1/audit", { auth: Redacted.value(other.apiKey) })
      expect(theirs.json.entries).toEqual([])
      expect((yield* get("/v1/audit/chain-head", { auth: Redacted.value(other.apiKey) })).json).toMatchObject({ count: 0 })
      expect((yield* get("/v1/audit")).json.entries).toHaveLength(2)
    })))
})
