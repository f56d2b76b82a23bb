/**
 * The README's main command and the docs' runnable snippets, run as a user
 * runs them (a child process of tsx over the sources): the quick start's
 * whole flow, and every snippet docs/check.ts runs against the emulator.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const examples = fileURLToPath(new URL("../../examples/", import.meta.url))

const run = (script: string) =>
  new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--conditions=@getstack/source", script],
      { cwd: examples, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number | undefined) ?? 1, stdout, stderr })
    )
  })

describe("the examples", () => {
  it("the quick start registers, connects, runs a scoped mission with a credential and a proxied call, and ends revoked", async () => {
    const { code, stderr, stdout } = await run("quickstart.ts")
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const lines = stdout.trim().split("\n")
    expect(lines).toHaveLength(7)
    expect(lines[0]).toMatch(/^registered invoice-bot \(agt_\w+\): enforced$/)
    expect(lines[3]).toBe(`credentials.get("slack"): slack, <redacted>`)
    expect(lines[4]).toBe(`proxied POST chat.postMessage: 200 {"ok":true,"channel":"C0INVOICES","ts":"1767225600.000100"}`)
    expect(lines[5]).toBe("after the mission: valid false, revoked")
    expect(stdout).not.toContain("xoxb-quickstart-token")
  }, 180_000)

  it("every runnable snippet of the docs runs against the emulator", async () => {
    const { code, stderr, stdout } = await run("docs/check.ts")
    expect(stderr, stdout.slice(-2000)).not.toMatch(/Error|error:/)
    expect(code).toBe(0)
    expect(stdout).toContain("services.offboard: disconnected")
    expect(stdout).toContain("skills.summarize: {\"summary\":\"2 line(s): Consulting, 3 days\",\"total_cents\":12900}")
    expect(stdout).toContain("skills.emulatorWithHandlers: completed {\"words\":3}")
    // the run reached its last check: a run that ends quietly half-way (a fiber waiting for ever) fails here
    expect(stdout.trimEnd().split("\n").at(-1)).toMatch(/^proxy\.review: /)
  }, 180_000)
})
