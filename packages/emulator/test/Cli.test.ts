import { describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url))

interface Running {
  readonly child: ChildProcess
  readonly base: string
  readonly output: () => string
}

/** Starts the CLI from its sources (the same module the `stack-emulator` bin runs once built). */
const start = (args: ReadonlyArray<string>) =>
  new Promise<Running>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@getstack/source", "--import", "tsx", cli, ...args], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match) resolve({ child, base: match[1]!, output: () => output })
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("exit", (code) => reject(new Error(`exited with ${code} before listening:\n${output}`)))
  })

const stop = (running: Running) =>
  new Promise<number | null>((resolve) => {
    running.child.removeAllListeners("exit")
    running.child.on("exit", (code) => resolve(code))
    running.child.kill("SIGINT")
  })

const exitOf = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ["--conditions=@getstack/source", "--import", "tsx", cli, ...args])
    let output = ""
    child.stdout.on("data", (c: Buffer) => (output += c.toString()))
    child.stderr.on("data", (c: Buffer) => (output += c.toString()))
    child.on("exit", (code) => resolve({ code, output }))
  })

/** Runs `operators create` and reads the operator's id and key from what it prints. */
const createOperator = async (db: string, name: string) => {
  const { code, output } = await exitOf(["operators", "create", "--db", db, "--name", name])
  expect(code, output).toBe(0)
  const id = /operator:\s+(op_[A-Za-z0-9]+)/.exec(output)?.[1]
  const key = /API key:\s+(sk_test_[A-Za-z0-9]+)/.exec(output)?.[1]
  expect(id, output).toBeDefined()
  expect(key, output).toBeDefined()
  expect(output).toContain(`name:      ${name}`)
  return { id: id!, key: key! }
}

/** A request over real HTTP as the holder of `key`. */
const http = async (base: string, key: string, method: string, path: string, json?: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(json === undefined ? {} : { "content-type": "application/json" }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) })
  })
  return { status: response.status, json: (await response.json()) as any }
}

// each test starts the CLI from source (tsx): slow on a loaded machine
describe("the stack-emulator CLI", { timeout: 120_000 }, () => {
  it("serves on the given port with the given key, keeps its database, and stops cleanly on SIGINT", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-emulator-"))
    const db = join(dir, "stack.db")
    const key = "sk_test_clitestclitestclitest"
    try {
      const first = await start(["--port", "0", "--db", db, "--api-key", key])
      expect(first.output()).not.toContain(key)
      const created = await fetch(`${first.base}/v1/agents/register`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "persisted-bot" })
      })
      expect(created.status).toBe(201)
      expect(await stop(first)).toBe(0)

      const second = await start(["--port", "0", "--db", db, "--api-key", key])
      const listed = await fetch(`${second.base}/v1/agents`, { headers: { authorization: `Bearer ${key}` } })
      const body = (await listed.json()) as { agents: Array<{ name: string }> }
      expect(body.agents.map((a) => a.name)).toEqual(["persisted-bot"])
      expect(await stop(second)).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("--no-controls: audit reads are 402 CONTROLS_REQUIRED; --governance none holds nothing", async () => {
    const key = "sk_test_nocontrolsnocontrols"
    const read = (running: Running) =>
      fetch(`${running.base}/v1/audit`, { headers: { authorization: `Bearer ${key}` } }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { error?: { code: string } }
      }))
    const without = await start(["--port", "0", "--api-key", key, "--no-controls"])
    try {
      expect(await read(without)).toMatchObject({ status: 402, body: { error: { code: "CONTROLS_REQUIRED" } } })
    } finally {
      await stop(without)
    }
    const withControls = await start(["--port", "0", "--api-key", key, "--governance", "none"])
    try {
      expect((await read(withControls)).status).toBe(200)
      // --governance none: unblocking is not held for an approval
      const registered = await fetch(`${withControls.base}/v1/agents/register`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "free-bot" })
      }).then((response) => response.json() as Promise<{ id: string }>)
      const unblocked = await fetch(`${withControls.base}/v1/agents/${registered.id}/unblock`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` }
      })
      expect(unblocked.status).toBe(200)
    } finally {
      await stop(withControls)
    }
  })

  it("generates and prints a key when none is given", async () => {
    const running = await start(["--port", "0"])
    const key = /API key:\s+(sk_test_[A-Za-z0-9]+)/.exec(running.output())?.[1]
    expect(key).toBeDefined()
    const listed = await fetch(`${running.base}/v1/agents`, { headers: { authorization: `Bearer ${key}` } })
    expect(listed.status).toBe(200)
    expect(await stop(running)).toBe(0)
  })

  it("operators create and repeated --api-key make operators that each see only their own agents", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-emulator-"))
    const db = join(dir, "stack.db")
    const newKey = "sk_test_thirdoperatorthirdoperator"
    try {
      const a = await createOperator(db, "team-a")
      const b = await createOperator(db, "team-b")
      expect(a.id).not.toBe(b.id)
      expect(a.key).not.toBe(b.key)

      // a stored key keeps its operator; a new one becomes an operator of its own; b's key, not given, still works
      const running = await start(["--port", "0", "--db", db, "--api-key", a.key, "--api-key", newKey])
      expect(running.output()).toMatch(/API keys:/)
      expect(running.output()).not.toContain(newKey)
      const registered: Record<string, { id: string; operator_id: string }> = {}
      for (const [who, key] of [["a", a.key], ["b", b.key], ["c", newKey]] as const) {
        const created = await http(running.base, key, "POST", "/v1/agents/register", { name: `${who}-bot` })
        expect(created.status, JSON.stringify(created.json)).toBe(201)
        registered[who] = created.json
      }
      expect(registered.a!.operator_id).toBe(a.id)
      expect(registered.b!.operator_id).toBe(b.id)
      expect([a.id, b.id]).not.toContain(registered.c!.operator_id)

      for (const [who, key] of [["a", a.key], ["b", b.key], ["c", newKey]] as const) {
        const listed = await http(running.base, key, "GET", "/v1/agents")
        expect(listed.status).toBe(200)
        expect(listed.json.agents.map((agent: { name: string }) => agent.name)).toEqual([`${who}-bot`])
        for (const other of ["a", "b", "c"].filter((name) => name !== who)) {
          const id = registered[other]!.id
          const read = await http(running.base, key, "GET", `/v1/agents/${id}`)
          expect(read.status).toBe(404)
          expect(read.json.error.code).toBe("NOT_FOUND")
          expect((await http(running.base, key, "DELETE", `/v1/agents/${id}`)).status).toBe(404)
        }
      }
      expect(await stop(running)).toBe(0)

      // the operator a new --api-key made is kept in the database, with its agents
      const again = await start(["--port", "0", "--db", db, "--api-key", b.key, "--api-key", newKey])
      const listed = await http(again.base, newKey, "GET", "/v1/agents")
      expect(listed.json.agents.map((agent: { operator_id: string }) => agent.operator_id)).toEqual([registered.c!.operator_id])
      expect((await http(again.base, a.key, "GET", `/v1/agents/${registered.a!.id}`)).status).toBe(200)
      expect(await stop(again)).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("refuses bad operators arguments with exit code 2 and an unusable database with exit code 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-emulator-"))
    try {
      const refused = [
        [["operators"], /missing command/],
        [["operators", "delete", "--db", join(dir, "x.db")], /unknown command delete/],
        [["operators", "create"], /--db is required/],
        [["operators", "create", "--db", join(dir, "x.db"), "--port", "1"], /--port/],
        [["operators", "create", "--db", join(dir, "x.db"), "--name", " "], /--name/]
      ] as const
      const [missingDir, badExtraKey, ...exits] = await Promise.all([
        exitOf(["operators", "create", "--db", join(dir, "missing", "x.db")]),
        exitOf(["--port", "0", "--api-key", "sk_test_clitestclitestclitest", "--api-key", "nope"]),
        ...refused.map(([args]) => exitOf(args))
      ])
      refused.forEach(([args, mention], i) => {
        expect(exits[i]!.code, args.join(" ")).toBe(2)
        expect(exits[i]!.output).toMatch(mention)
        expect(exits[i]!.output).toContain("Usage: stack-emulator operators create")
      })
      expect(missingDir!.code).toBe(1)
      expect(missingDir!.output).toMatch(/could not create an operator in .*directory does not exist/)
      expect(badExtraKey!.code).toBe(1)
      expect(badExtraKey!.output).toMatch(/sk_live_/)
      expect(existsSync(join(dir, "x.db"))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("refuses bad arguments with exit code 2 and a bad key with exit code 1", async () => {
    const badPort = await exitOf(["--port", "99999"])
    expect(badPort.code).toBe(2)
    expect(badPort.output).toMatch(/--port/)
    const unknown = await exitOf(["--bogus"])
    expect(unknown.code).toBe(2)
    expect(unknown.output).toContain("stack-emulator operators create --db")
    const badKey = await exitOf(["--port", "0", "--api-key", "not-a-key"])
    expect(badKey.code).toBe(1)
    expect(badKey.output).toMatch(/sk_live_/)
    const badGovernance = await exitOf(["--port", "0", "--governance", "agents.unblock,agents.delete"])
    expect(badGovernance.code).toBe(2)
    expect(badGovernance.output).toContain("agents.delete")
    const badProxyHost = await exitOf(["--port", "0", "--proxy-host", "slack:127.0.0.1"])
    expect(badProxyHost.code).toBe(2)
    expect(badProxyHost.output).toContain("--proxy-host takes SERVICE=HOST[:PORT]")
    const dir = mkdtempSync(join(tmpdir(), "stack-cli-vault-"))
    try {
      writeFileSync(join(dir, "key"), "not a key\n")
      const badVaultKey = await exitOf(["--port", "0", "--vault-key-file", join(dir, "key")])
      expect(badVaultKey.code).toBe(1)
      expect(badVaultKey.output).toContain("the vault key must be 32 bytes")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
