/**
 * The emulator server against a floor, side by side: `npm run bench:server`
 * (which builds first).
 *
 * Starts (a) the built emulator (`bin/stack-emulator.js`, from `dist`) and
 * (b) `floor.mjs`, the same four endpoints written with plain `node:http` +
 * `better-sqlite3` running the emulator's SQL on a copy of its schema in the
 * same journal mode, each in its own process. Then drives both with the same
 * requests over keep-alive connections (undici `Pool`), endpoint by endpoint,
 * alternating which server goes first, for several rounds, and prints each
 * one's requests/s, the ratio emulator/floor (median with min–max over
 * rounds), whether the target is met, and each server's CPU time per request
 * (from `/proc`, on Linux).
 *
 *   npm run bench:server -- [--db memory|file] [--rounds 5] [--seconds 2] [--warmup 1]
 *                           [--connections 32] [--keyed] [--endpoints get,register,issue,verify]
 *                           [--emulator path/to/bin/stack-emulator.js]
 *
 * `--db memory` (default) serves both from memory, as the CLI does without
 * `--db`; `--db file` from a file each, in WAL mode. `--keyed` sends an
 * `Idempotency-Key` with every write, as the SDK does. `--emulator` measures
 * another build (an older checkout's). The driver runs in this process and
 * shares the machine's cores with the server it measures: on few cores it
 * holds the floor back more than the emulator, so the ratios come out higher
 * than the CPU per request alone would give.
 */
import { spawn, spawnSync } from "node:child_process"
import { randomBytes, randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const here = Path.dirname(fileURLToPath(import.meta.url))

const { values: args } = parseArgs({
  options: {
    db: { type: "string", default: "memory" },
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "2" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "32" },
    keyed: { type: "boolean", default: false },
    endpoints: { type: "string", default: "get,register,issue,verify" },
    emulator: { type: "string", default: Path.join(here, "..", "bin", "stack-emulator.js") }
  }
})
if (args.db !== "memory" && args.db !== "file") throw new Error("--db is memory or file")
const rounds = Number(args.rounds)
const seconds = Number(args.seconds)
const warmup = Number(args.warmup)
const connections = Number(args.connections)

/** The endpoints measured, with the issue's targets (emulator requests/s over the floor's). */
const ENDPOINTS = [
  { name: "get", label: "agents.get", target: 0.35 },
  { name: "register", label: "agents.register", target: 0.35 },
  { name: "issue", label: "passports.issue", target: 0.35 },
  { name: "verify", label: "passports.verify", target: 0.6 }
].filter((endpoint) => args.endpoints.split(",").includes(endpoint.name))

let Pool
try {
  ;({ Pool } = await import("undici"))
} catch {
  Pool = undefined
}

// ---------------------------------------------------------------------------
// statistics

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = (sorted.length - 1) / 2
  return (sorted[Math.floor(middle)] + sorted[Math.ceil(middle)]) / 2
}
const summary = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) })

// ---------------------------------------------------------------------------
// the two servers

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "stack-bench-server-"))
const children = []

/** Starts a server in a child process; resolves with its URL once it prints `listening on URL`. */
const start = (name, argv) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"] })
    children.push(child)
    let output = ""
    child.on("error", reject)
    child.on("exit", (code) => reject(new Error(`${name} exited (${code}) before listening:\n${output}`)))
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/[^\s/]+)/.exec(output)
      if (match) {
        child.stdout.removeAllListeners("data")
        child.stdout.resume()
        child.removeAllListeners("exit")
        resolve({ url: match[1], pid: child.pid, banner: output.split("\n")[0] })
      }
    })
  })

const stopAll = () => {
  for (const child of children) if (child.exitCode === null) child.kill()
  Fs.rmSync(dir, { recursive: true, force: true })
}
process.on("exit", stopAll)
process.on("SIGINT", () => process.exit(130))

// a database migrated by the emulator, with one operator: the floor copies its schema and rows
const template = Path.join(dir, "template.db")
const created = spawnSync(process.execPath, [args.emulator, "operators", "create", "--db", template], { encoding: "utf8" })
const floorKey = /API key:\s+(sk_\S+)/.exec(created.stdout)?.[1]
if (created.status !== 0 || floorKey === undefined) {
  throw new Error(`could not create the floor's template database:\n${created.stdout}${created.stderr}`)
}
const emulatorKey = `sk_test_bench${randomBytes(16).toString("hex")}`

const [emulatorServer, floorServer] = await Promise.all([
  start("the emulator", [
    args.emulator,
    "--port",
    "0",
    "--api-key",
    emulatorKey,
    ...(args.db === "file" ? ["--db", Path.join(dir, "emulator.db")] : [])
  ]),
  start("the floor", [
    Path.join(here, "floor.mjs"),
    "--template",
    template,
    "--db",
    args.db === "file" ? Path.join(dir, "floor.db") : "memory"
  ])
])

// ---------------------------------------------------------------------------
// the client: keep-alive connections, undici's Pool when it can be imported

const Http = Pool === undefined ? await import("node:http") : undefined

const makeClient = (url) => {
  if (Pool !== undefined) {
    const pool = new Pool(url, { connections, pipelining: 1 })
    return {
      kind: "undici Pool",
      request: async ({ method, path, headers, body }) => {
        const response = await pool.request({ method, path, headers, body })
        return { status: response.statusCode, read: () => response.body.text(), discard: () => response.body.dump() }
      },
      close: () => pool.close()
    }
  }
  const agent = new Http.Agent({ keepAlive: true, maxSockets: connections })
  const { hostname, port } = new URL(url)
  return {
    kind: "http.Agent (keepAlive)",
    request: ({ method, path, headers, body }) =>
      new Promise((resolve, reject) => {
        const request = Http.request({ agent, hostname, port, method, path, headers }, (response) => {
          const chunks = []
          response.on("data", (chunk) => chunks.push(chunk))
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8")
            resolve({ status: response.statusCode, read: async () => text, discard: async () => {} })
          })
          response.on("error", reject)
        })
        request.on("error", reject)
        request.end(body)
      }),
    close: async () => agent.destroy()
  }
}

/**
 * CPU time a process has used so far, in microseconds (Linux: user + system
 * ticks of `/proc/PID/stat`, at 100 per second), or `undefined` elsewhere.
 */
const cpuMicros = (pid) => {
  try {
    const fields = Fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}

/** What each endpoint sends to a server, and the status it must answer. */
const makeTarget = async (name, { url, pid }, apiKey) => {
  const client = makeClient(url)
  const authorization = `Bearer ${apiKey}`
  const json = { "content-type": "application/json" }
  const keyed = () => args.keyed ? { "idempotency-key": `bench-${randomUUID()}` } : {}
  const call = async (request, status) => {
    const response = await client.request(request)
    const text = await response.read()
    if (response.status !== status) throw new Error(`${name}: ${request.method} ${request.path} answered ${response.status}: ${text}`)
    return JSON.parse(text)
  }
  const subject = await call({
    method: "POST",
    path: "/v1/agents/register",
    headers: { authorization, ...json },
    body: JSON.stringify({ name: "bench-subject", accountability_mode: "standard" })
  }, 201)
  // no scopes: the passport claims every active grant of the agent (it holds none; both servers look them up)
  const issuePath = "/v1/passports/issue"
  const passport = await call({
    method: "POST",
    path: issuePath,
    headers: { authorization, ...json },
    body: JSON.stringify({ agent_id: subject.id })
  }, 201)
  let registered = 0
  const requests = {
    get: () => ({ method: "GET", path: `/v1/agents/${subject.id}`, headers: { authorization } }),
    register: () => ({
      method: "POST",
      path: "/v1/agents/register",
      headers: { authorization, ...json, ...keyed() },
      body: JSON.stringify({ name: `bench-${++registered}`, accountability_mode: "standard" })
    }),
    issue: () => ({
      method: "POST",
      path: issuePath,
      headers: { authorization, ...json, ...keyed() },
      body: JSON.stringify({ agent_id: subject.id })
    }),
    verify: () => ({ method: "POST", path: "/v1/passports/verify", headers: json, body: JSON.stringify({ token: passport.token }) })
  }
  const statuses = { get: 200, register: 201, issue: 201, verify: 200 }
  const verified = await call(requests.verify(), 200)
  if (verified.valid !== true) throw new Error(`${name}: the bench passport does not verify: ${JSON.stringify(verified)}`)
  const agent = await call(requests.get(), 200)
  return { name, pid, client, requests, statuses, shapes: { agent, passport, verified } }
}

const servers = {
  emulator: await makeTarget("emulator", emulatorServer, emulatorKey),
  floor: await makeTarget("floor", floorServer, floorKey)
}

// both answer the same shapes (the floor is not allowed to skip work by answering less)
for (const [shape, value] of Object.entries(servers.emulator.shapes)) {
  const keys = (object) => Object.keys(object).sort().join(",")
  if (keys(value) !== keys(servers.floor.shapes[shape])) {
    throw new Error(`the floor's ${shape} differs from the emulator's: ${keys(servers.floor.shapes[shape])} / ${keys(value)}`)
  }
}

/**
 * Requests/s of one server on one endpoint, `connections` requests always in
 * flight for `duration` seconds, and the server's CPU time per request (µs).
 */
const measure = async (server, endpoint, duration) => {
  const expected = server.statuses[endpoint]
  let completed = 0
  const cpuBefore = cpuMicros(server.pid)
  const started = performance.now()
  const deadline = started + duration * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      const response = await server.client.request(server.requests[endpoint]())
      if (response.status !== expected) {
        throw new Error(`${server.name} ${endpoint} answered ${response.status}: ${await response.read()}`)
      }
      await response.discard()
      completed++
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const elapsed = (performance.now() - started) / 1000
  const cpuAfter = cpuMicros(server.pid)
  return {
    rate: completed / elapsed,
    cpu: cpuBefore === undefined || cpuAfter === undefined ? NaN : (cpuAfter - cpuBefore) / completed
  }
}

// ---------------------------------------------------------------------------
// the run

console.log(
  `Emulator server vs floor (node:http + better-sqlite3, same SQL), ${connections} connections (${
    servers.emulator.client.kind
  }), ${args.db === "memory" ? "in memory" : "database files in WAL mode"}${
    args.keyed ? ", Idempotency-Key on writes" : ""
  }\n  ${rounds} rounds × ${seconds} s per server and endpoint, alternating order; Node ${process.version}, ${
    Os.cpus().length
  } CPUs (${Os.cpus()[0]?.model.trim()})\n  emulator: ${emulatorServer.banner.trim()}\n  ${floorServer.banner.trim()}\n`
)

for (const endpoint of ENDPOINTS) {
  for (const server of Object.values(servers)) await measure(server, endpoint.name, warmup)
}

const results = Object.fromEntries(ENDPOINTS.map((endpoint) => [endpoint.name, { emulator: [], floor: [] }]))
for (let round = 0; round < rounds; round++) {
  for (const [i, endpoint] of ENDPOINTS.entries()) {
    const order = (round + i) % 2 === 0 ? ["emulator", "floor"] : ["floor", "emulator"]
    for (const name of order) results[endpoint.name][name].push(await measure(servers[name], endpoint.name, seconds))
  }
  console.log(`round ${round + 1}/${rounds} done`)
}

const pad = (text, width) => String(text).padEnd(width)
const rate = (value) => Math.round(value).toLocaleString("en-US")
const micros = (values) => values.some(Number.isNaN) ? "–" : Math.round(median(values)).toLocaleString("en-US")
const rows = ENDPOINTS.map((endpoint) => {
  const { emulator, floor } = results[endpoint.name]
  const ratio = summary(emulator.map((value, i) => value.rate / floor[i].rate))
  return [
    endpoint.label,
    rate(median(emulator.map((value) => value.rate))),
    rate(median(floor.map((value) => value.rate))),
    `${ratio.median.toFixed(2)}× (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`,
    `≥ ${endpoint.target.toFixed(2)}×`,
    ratio.median >= endpoint.target ? "yes" : "NO",
    `${micros(emulator.map((value) => value.cpu))} / ${micros(floor.map((value) => value.cpu))}`
  ]
})
const header = ["endpoint", "emulator req/s", "floor req/s", "ratio median (min–max)", "target", "met", "CPU µs/req emulator / floor"]
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)) + 2)
console.log(header.map((title, i) => pad(title, widths[i])).join("").trimEnd())
for (const row of rows) console.log(row.map((cell, i) => pad(cell, widths[i])).join("").trimEnd())
console.log("\n(req/s and CPU are medians over rounds; the ratio is taken per round, emulator/floor.)")

await Promise.all(Object.values(servers).map((server) => server.client.close()))
process.exit(0)
