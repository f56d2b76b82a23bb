import { describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
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

describe("the stack-emulator CLI", () => {
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

  it("generates and prints a key when none is given", async () => {
    const running = await start(["--port", "0"])
    const key = /API key:\s+(sk_test_[A-Za-z0-9]+)/.exec(running.output())?.[1]
    expect(key).toBeDefined()
    const listed = await fetch(`${running.base}/v1/agents`, { headers: { authorization: `Bearer ${key}` } })
    expect(listed.status).toBe(200)
    expect(await stop(running)).toBe(0)
  })

  it("refuses bad arguments with exit code 2 and a bad key with exit code 1", async () => {
    const badPort = await exitOf(["--port", "99999"])
    expect(badPort.code).toBe(2)
    expect(badPort.output).toMatch(/--port/)
    const unknown = await exitOf(["--bogus"])
    expect(unknown.code).toBe(2)
    const badKey = await exitOf(["--port", "0", "--api-key", "not-a-key"])
    expect(badKey.code).toBe(1)
    expect(badKey.output).toMatch(/sk_live_/)
  })
})
