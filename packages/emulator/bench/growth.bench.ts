/**
 * Growth: what a keyed `agents.register` and a full `agents.listAll` cost
 * through the SDK over an in-process emulator whose database already holds 1k
 * and 100k rows (agents and remembered Idempotency-Keys of one operator),
 * side by side: `npm run bench -- growth`. Targets: register at 100k ≤ 1.3×
 * at 1k; `listAll`'s cost per agent at 100k ≤ 1.5× at 1k. The ratios are
 * printed after the run.
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Agents } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, bench, describe } from "vitest"

const SIZES = [1_000, 100_000] as const

/** Stores `rows` agents and as many answered Idempotency-Keys for the operator, all of the last hour. */
const seed = (filename: string, operatorId: string, rows: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = Date.now()
    yield* sql.withTransaction(Effect.gen(function*() {
      for (let start = 0; start < rows; start += 500) {
        const batch = Array.from({ length: Math.min(500, rows - start) }, (_, i) => start + i)
        const at = (i: number) => now - 3_600_000 + Math.floor((i * 3_000_000) / rows)
        yield* sql`INSERT INTO agents ${
          sql.insert(batch.map((i) => ({
            id: `agt_seed${String(i).padStart(19, "0")}`,
            operator_id: operatorId,
            name: `seed-${i}`,
            accountability_mode: "standard",
            on_warning: "notify",
            on_critical: "block",
            credential_access: "direct",
            status: "active",
            passport_blocked: 0,
            created_at: at(i),
            updated_at: at(i)
          })))
        }`
        yield* sql`INSERT INTO idempotency_keys ${
          sql.insert(batch.map((i) => ({
            operator_id: operatorId,
            key: `stk-seed-${i}`,
            request_hash: "seed",
            status: 201,
            body: "{}",
            should_retry: null,
            created_at: at(i)
          })))
        }`
      }
    }))
  }).pipe(Effect.provide(SqliteClient.layer({ filename })))

const dir = mkdtempSync(join(tmpdir(), "stack-growth-"))
const setups = await Promise.all(SIZES.map(async (rows) => {
  const filename = join(dir, `${rows}.db`)
  const runtime = ManagedRuntime.make(Emulator.layerStack({ filename }))
  const emulator = await runtime.runPromise(Emulator.Emulator)
  await Effect.runPromise(seed(filename, emulator.operatorId, rows))
  return { rows, runtime }
}))
// warms both up alike (JIT, statement caches), so that the first case measured is not the coldest
for (const { rows, runtime } of setups) {
  await runtime.runPromise(Effect.flatMap(Agents.Agents, (agents) =>
    Effect.zipRight(
      Effect.forEach(Array.from({ length: 200 }, (_, i) => `warm-${rows}-${i}`), (name) => agents.register({ name })),
      Stream.runDrain(Stream.take(agents.listAll(), 2_000))
    )))
}

afterAll(async () => {
  for (const { runtime } of setups) await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })
  const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  const register = SIZES.map((rows) => median(registerMs.get(rows) ?? []))
  const perItem = SIZES.map((rows) => median(listPerItemUs.get(rows) ?? []))
  console.log(
    [
      `keyed agents.register, median: ${register.map((ms, i) => `${ms.toFixed(3)} ms at ${SIZES[i]} rows`).join(", ")}` +
      ` → ${(register[1]! / register[0]!).toFixed(2)}× (target ≤ 1.3×)`,
      `agents.listAll per agent, median: ${
        perItem.map((us, i) => `${us.toFixed(1)} µs at ${listed.get(SIZES[i]!)} agents (seeded ${SIZES[i]})`).join(", ")
      }` +
      ` → ${(perItem[1]! / perItem[0]!).toFixed(2)}× (target ≤ 1.5×)`
    ].join("\n")
  )
})

const registerMs = new Map<number, Array<number>>()
const listPerItemUs = new Map<number, Array<number>>()
const listed = new Map<number, number>()
const record = (into: Map<number, Array<number>>, rows: number, value: number) =>
  into.set(rows, [...(into.get(rows) ?? []), value])

describe("keyed agents.register (Idempotency-Key sent by the SDK)", () => {
  for (const { rows, runtime } of setups) {
    let n = 0
    bench(`${rows} agents and keys stored`, async () => {
      const started = performance.now()
      await runtime.runPromise(
        Effect.flatMap(Agents.Agents, (agents) => agents.register({ name: `bench-${rows}-${n++}` }))
      )
      record(registerMs, rows, performance.now() - started)
    }, { time: 2_000, warmupTime: 200 })
  }
})

describe("agents.listAll, every agent, through the SDK", () => {
  for (const { rows, runtime } of setups) {
    bench(`${rows} agents stored`, async () => {
      const started = performance.now()
      const count = await runtime.runPromise(
        Effect.flatMap(Agents.Agents, (agents) => Stream.runCount(agents.listAll()))
      )
      record(listPerItemUs, rows, ((performance.now() - started) * 1000) / count)
      listed.set(rows, count)
    }, { iterations: 3, warmupIterations: 1, time: 0, warmupTime: 0 })
  }
})
