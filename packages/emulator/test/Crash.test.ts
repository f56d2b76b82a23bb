import { afterEach, describe, expect, it } from "@effect/vitest"
import { Emulator } from "@getstack/emulator"
import { verifyChain } from "@getstack/effect/api/Audit"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { client, expectError, withEmulator } from "./support/Client.js"

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url))
const crashHook = fileURLToPath(new URL("./support/CrashAt.ts", import.meta.url))
const KEY = "sk_test_crashcrashcrash0123"

/** Every emulator process started and not yet exited: a failing test leaves none behind. */
const children = new Set<ChildProcess>()
afterEach(() => {
  for (const child of children) child.kill("SIGKILL")
})

interface Running {
  readonly child: ChildProcess
  readonly base: string
  /** The exit code, or the signal that ended the process. */
  readonly exited: Promise<number | string | null>
}

/**
 * Starts the CLI from its sources on `db`; with `crash`, the process kills
 * itself (SIGKILL) at a chosen SQL statement (see `support/CrashAt.ts`).
 */
const start = (db: string, crash: { readonly at: string; readonly arm?: string } | undefined = undefined) =>
  new Promise<Running>((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env }
    delete env["STACK_TEST_CRASH_AT"]
    delete env["STACK_TEST_CRASH_ARM"]
    if (crash !== undefined) {
      env["STACK_TEST_CRASH_AT"] = crash.at
      if (crash.arm !== undefined) env["STACK_TEST_CRASH_ARM"] = crash.arm
    }
    const child = spawn(
      process.execPath,
      ["--conditions=@getstack/source", "--import", "tsx", "--import", crashHook, cli, "--port", "0", "--db", db, "--api-key", KEY],
      { stdio: ["ignore", "pipe", "pipe"], env }
    )
    children.add(child)
    const exited = new Promise<number | string | null>((done) =>
      child.on("exit", (code, signal) => {
        children.delete(child)
        done(signal ?? code)
      })
    )
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match) resolve({ child, base: match[1]!, exited })
    })
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    void exited.then((how) => reject(new Error(`exited (${how}) before listening:\n${output}`)))
  })

const stop = async (running: Running) => {
  running.child.kill("SIGINT")
  expect(await running.exited).toBe(0)
}

interface Answer {
  readonly status: number
  readonly text: string
  readonly replayed: boolean
}

/** A keyed POST; `undefined` when the connection dropped before an answer. */
const keyed = (base: string, path: string, body: unknown, key: string): Promise<Answer | undefined> =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(body)
  }).then(
    async (response) => ({
      status: response.status,
      text: await response.text(),
      replayed: response.headers.get("idempotent-replayed") === "true"
    }),
    () => undefined
  )

const agentNames = async (base: string): Promise<Array<string>> => {
  const names: Array<string> = []
  for (let page = 1;; page++) {
    const response = await fetch(`${base}/v1/agents?limit=100&page=${page}`, { headers: { authorization: `Bearer ${KEY}` } })
    const body = (await response.json()) as { agents: Array<{ name: string }>; has_more?: boolean }
    names.push(...body.agents.map((agent) => agent.name))
    if (body.has_more !== true || body.agents.length === 0) return names
  }
}

/** The default operator's audit chain in `db`, checked with the SDK's `verifyChain`. */
const chainOf = (db: string) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const chain = yield* emulator.auditChain(emulator.operatorId)
      return { chain, verified: yield* verifyChain(chain) }
    }).pipe(Effect.provide(Emulator.layer({ filename: db, apiKey: KEY })))
  )

const withDb = async (body: (db: string) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "stack-crash-"))
  try {
    await body(join(dir, "stack.db"))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// each test starts the CLI from source (tsx) more than once: slow on a loaded machine
describe("a crash never loses an acknowledged answer nor leaves a key stuck", { timeout: 120_000 }, () => {
  // the action's writes, its audit entry, the stored answer and the commit: a kill -9 at each
  const points = [
    { name: "at the action's first write", at: "^\\s*INSERT INTO agents\\b" },
    { name: "at the action's audit entry", at: "^\\s*INSERT INTO audit_entries\\b", arm: "^\\s*INSERT INTO agents\\b" },
    { name: "when the answer is stored", at: "idempotency_keys", arm: "^\\s*INSERT INTO audit_entries\\b" },
    { name: "at the commit after the action", at: "^\\s*COMMIT\\b", arm: "^\\s*INSERT INTO audit_entries\\b" }
  ]
  for (const point of points) {
    it(`killed ${point.name}: the retry runs the request once, and the audit chain verifies`, () =>
      withDb(async (db) => {
        const request = { name: "crash-bot", accountability_mode: "standard" }
        const crashing = await start(db, point)
        expect(await keyed(crashing.base, "/v1/agents/register", request, "crash-key")).toBeUndefined()
        expect(await crashing.exited).toBe("SIGKILL")

        const restarted = await start(db)
        const retry = await keyed(restarted.base, "/v1/agents/register", request, "crash-key")
        expect(retry?.status, retry?.text).toBe(201)
        expect(retry?.replayed).toBe(false)
        const again = await keyed(restarted.base, "/v1/agents/register", request, "crash-key")
        expect(again).toEqual({ ...retry, replayed: true })
        expect(await agentNames(restarted.base)).toEqual(["crash-bot"])
        await stop(restarted)

        const { chain, verified } = await chainOf(db)
        expect(verified).toEqual({ valid: true })
        expect(chain.filter((entry) => entry.action === "agent.register").map((entry) => entry.outcome)).toEqual(["success"])
      }))
  }

  it("kill -9 during many concurrent keyed requests, three times: every retry replays or runs, never 409", () =>
    withDb(async (db) => {
      const sizes = [{ requests: 120, killAfter: 5 }, { requests: 120, killAfter: 30 }, { requests: 120, killAfter: 70 }]
      let base: string | undefined
      let previous: Array<{ readonly path: string; readonly body: unknown; readonly key: string; readonly answer: Answer | undefined }> = []
      let agentId = ""
      let stuck = 0
      const retryPrevious = async (running: Running) => {
        const retries = await Promise.all(previous.map((request) => keyed(running.base, request.path, request.body, request.key)))
        previous.forEach((request, i) => {
          const retry = retries[i]!
          if (retry.status === 409) stuck++
          expect(retry.status, `${request.key}: ${retry.text}`).toBe(201)
          // an answer that was acknowledged is replayed as it was sent
          if (request.answer !== undefined) expect(retry).toEqual({ ...request.answer, replayed: true })
        })
      }
      for (const [round, size] of sizes.entries()) {
        const running = await start(db)
        base = running.base
        await retryPrevious(running)
        if (round === 0) {
          const agent = await keyed(base, "/v1/agents/register", { name: "issuer-bot", accountability_mode: "standard" }, "issuer")
          agentId = JSON.parse(agent!.text).id
        }
        const requests = Array.from({ length: size.requests }, (_, i) =>
          i % 3 === 2
            ? { path: "/v1/passports/issue", body: { agent_id: agentId, ttl_seconds: 600 }, key: `issue-${round}-${i}` }
            : { path: "/v1/agents/register", body: { name: `bot-${round}-${i}` }, key: `register-${round}-${i}` })
        let answered = 0
        const answers = await Promise.all(requests.map((request) =>
          keyed(running.base, request.path, request.body, request.key).then((answer) => {
            if (answer !== undefined && ++answered === size.killAfter) running.child.kill("SIGKILL")
            return answer
          })
        ))
        expect(await running.exited).toBe("SIGKILL")
        const acknowledged = answers.filter((answer) => answer !== undefined)
        expect(acknowledged.length).toBeGreaterThanOrEqual(size.killAfter)
        expect(acknowledged.length).toBeLessThan(size.requests)
        for (const answer of acknowledged) expect(answer.status, answer.text).toBe(201)
        previous = requests.map((request, i) => ({ ...request, answer: answers[i] }))
      }
      const last = await start(db)
      await retryPrevious(last)
      expect(stuck).toBe(0)
      const names = await agentNames(last.base)
      expect(new Set(names).size).toBe(names.length)
      // every register of every round ran exactly once, acknowledged or retried
      for (const round of sizes.keys()) expect(names.filter((name) => name.startsWith(`bot-${round}-`))).toHaveLength(80)
      await stop(last)

      const { verified } = await chainOf(db)
      expect(verified).toEqual({ valid: true })
    }))
})

describe("a keyed request is one transaction", () => {
  it.effect("a refusal's failure entry is written with the stored answer, once; its replay writes none", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, call, emulator } = yield* client
      const id = yield* agent("suspended-bot", "standard")
      expect((yield* call("PATCH", `/v1/agents/${id}`, { json: { status: "suspended" } })).status).toBe(200)
      const before = (yield* emulator.auditChain(emulator.operatorId)).length
      const headers = { "idempotency-key": "refused-key" }
      const refused = yield* post("/v1/passports/issue", { agent_id: id }, { headers })
      expectError(refused, 403, "AGENT_SUSPENDED")
      const replayed = yield* post("/v1/passports/issue", { agent_id: id }, { headers })
      expect(replayed.text).toBe(refused.text)
      expect(replayed.headers.get("idempotent-replayed")).toBe("true")
      const conflict = yield* post("/v1/agents/register", { name: "suspended-bot" }, { headers: { "idempotency-key": "conflict-key" } })
      expectError(conflict, 409, "CONFLICT")
      const chain = yield* emulator.auditChain(emulator.operatorId)
      expect(chain.slice(before).map((entry) => [entry.action, entry.outcome, entry.error_code])).toEqual([
        ["passport.issue", "failure", "AGENT_SUSPENDED"],
        ["agent.register", "failure", "CONFLICT"]
      ])
      expect(yield* verifyChain(chain)).toEqual({ valid: true })
    })))
})
