/**
 * What the SDK's transport costs over a raw client of the same transport:
 * `npm run bench:sdk` (after `npm run build`). The SDK is the built `dist`
 * (`@getstack/effect` without the source condition); the server is the
 * emulator CLI on a free port, in a child process, so the CPU this process
 * spends is the client's alone.
 *
 * Every figure is a ratio of two variants run side by side in this process,
 * interleaved in rotating order for several rounds: the median ratio, with
 * its min and max over the rounds.
 *
 * - CPU per call without I/O: `agents.get` over an `HttpClient` whose fetch
 *   answers at once with a `Response` (the SDK's `Fetch.layer`, and the
 *   platform's `FetchHttpClient.layer`), against a Promise that reads the
 *   same `Response` (`JSON.parse(await response.text())`).
 * - p50 latency at 1 and 32 calls in flight against the emulator over a
 *   socket: `agents.get` over the SDK's own `Undici.layer` and over
 *   `NodeHttpClient.layerUndici` against undici's `Dispatcher.request`
 *   sending the same headers, and over `Fetch.layer` and
 *   `FetchHttpClient.layer` against `fetch`.
 *
 * Every variant is warmed up (JIT) before the rounds. Environment:
 * STACK_BENCH_ROUNDS (default 7), STACK_BENCH_CALLS (calls per variant and
 * round at 1 in flight, default 1000; 4× that at 32 in flight),
 * STACK_BENCH_CPU_CALLS (default 4000), STACK_BENCH_SDK (a module to import
 * instead of `@getstack/effect`, to compare two builds) and
 * STACK_BENCH_SDK_UNDICI and STACK_BENCH_SDK_FETCH (the same for
 * `@getstack/effect/Undici` and `@getstack/effect/Fetch`).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Runtime from "effect/Runtime"
import { formatRatio, intFromEnv, interleave, median, printTargets, ratios, startEmulator, summary } from "./support.mjs"

const sdkModule = process.env.STACK_BENCH_SDK ?? "@getstack/effect"
const { Agents, Auth, StackClient } = await import(sdkModule)
const SdkUndici = await import(process.env.STACK_BENCH_SDK_UNDICI ?? "@getstack/effect/Undici")
const SdkFetch = await import(process.env.STACK_BENCH_SDK_FETCH ?? "@getstack/effect/Fetch")

const ROUNDS = intFromEnv("STACK_BENCH_ROUNDS", 7)
const CALLS = intFromEnv("STACK_BENCH_CALLS", 1000)
const WARMUP = intFromEnv("STACK_BENCH_WARMUP", 3000)
const CPU_CALLS = intFromEnv("STACK_BENCH_CPU_CALLS", 4000)
const API_KEY = "sk_test_transport_bench_0001"

const emulator = await startEmulator(API_KEY)
const headers = {
  accept: "application/json",
  authorization: `Bearer ${API_KEY}`,
  "user-agent": StackClient.USER_AGENT
}

const registered = await fetch(`${emulator.url}/v1/agents/register`, {
  method: "POST",
  headers: { ...headers, "content-type": "application/json", "idempotency-key": `bench-${Date.now()}` },
  body: JSON.stringify({ name: "bench-bot" })
})
if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${await registered.text()}`)
const agent = await registered.json()
const path = `/v1/agents/${agent.id}`
const url = `${emulator.url}${path}`
const origin = new URL(emulator.url).origin

/** `agents.get` over the built SDK, one `runPromise` per call, over `httpLayer`. */
const sdkCall = async (httpLayer, { tracing = true } = {}) => {
  const managed = ManagedRuntime.make(
    Agents.layer.pipe(
      Layer.provide(StackClient.layer({ auth: Auth.apiKey(API_KEY), baseUrl: emulator.url })),
      Layer.provide(httpLayer)
    )
  )
  const agents = await managed.runPromise(Agents.Agents)
  const run = Runtime.runPromise(await managed.runtime())
  const call = tracing
    ? () => run(agents.get(agent.id))
    : () => run(Effect.withTracerEnabled(agents.get(agent.id), false))
  return { call, dispose: () => managed.dispose() }
}

/**
 * The same request written by hand with `HttpClient` over `httpLayer`:
 * execute, read the text, `JSON.parse` (no decoding, no retries, no timeout,
 * the platform's own span per request).
 */
const handWritten = async (httpLayer, { tracing = true } = {}) => {
  const managed = ManagedRuntime.make(httpLayer)
  const client = await managed.runPromise(HttpClient.HttpClient)
  const run = Runtime.runPromise(await managed.runtime())
  const request = HttpClientRequest.get(url, { headers })
  const get = Effect.flatMap(client.execute(request), (response) => Effect.map(response.text, (text) => JSON.parse(text)))
  const call = tracing ? get : Effect.withTracerEnabled(get, false)
  return { call: () => run(call), dispose: () => managed.dispose() }
}

const cpuMicros = (usage) => usage.user + usage.system

/** Calls `call` `n` times, `concurrency` at a time: p50 latency (ms) and client CPU per call (µs). */
const run = async (call, n, concurrency) => {
  const latencies = new Float64Array(n)
  let next = 0
  const cpu = process.cpuUsage()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) {
      const start = performance.now()
      await call()
      latencies[i] = performance.now() - start
    }
  }))
  return { p50: median(latencies), cpu: cpuMicros(process.cpuUsage(cpu)) / n }
}

const check = async (call, name) => {
  const body = await call()
  const id = body?.id
  if (id !== agent.id) throw new Error(`${name} did not answer the agent: ${JSON.stringify(body)}`)
}

// --- CPU per call, no I/O ----------------------------------------------------

const answer = JSON.stringify(agent)
const answerInit = { status: 200, headers: { "content-type": "application/json", "x-request-id": "req_bench" } }
const answeringFetch = (_input, _init) => Promise.resolve(new Response(answer, answerInit))
const answeringLayer = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, answeringFetch)))
const answeringSdkFetch = SdkFetch.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, answeringFetch)))

const promiseRead = async () => {
  const response = await answeringFetch(url, { headers })
  return JSON.parse(await response.text())
}

/**
 * An undici `Dispatcher` that answers every request at once (on the next
 * microtask) with the agent: `Undici.layer`'s path without a socket.
 */
const answerBytes = Buffer.from(answer)
const answerHeaders = ["content-type", "application/json", "x-request-id", "req_bench"].map((text) => Buffer.from(text))
const answeringDispatcher = {
  dispatch: (_options, handler) => {
    queueMicrotask(() => {
      handler.onConnect?.(() => {})
      handler.onHeaders(200, answerHeaders, () => {}, "OK")
      handler.onData(answerBytes)
      handler.onComplete([])
    })
    return true
  }
}
const dispatcherRead = () =>
  new Promise((resolve) => {
    let bytes
    answeringDispatcher.dispatch({}, {
      onHeaders: () => true,
      onData: (chunk) => {
        bytes = chunk
        return true
      },
      onComplete: () => resolve(JSON.parse(bytes.toString("utf8")))
    })
  })
const answeringUndici = SdkUndici.layerWith(answeringDispatcher)

const noIo = {
  promise: { call: promiseRead, dispose: async () => {} },
  "HttpClient by hand": await handWritten(answeringLayer),
  sdk: await sdkCall(answeringLayer),
  "sdk, tracing off": await sdkCall(answeringLayer, { tracing: false }),
  "sdk over Fetch.layer": await sdkCall(answeringSdkFetch),
  "sdk over Fetch.layer, tracing off": await sdkCall(answeringSdkFetch, { tracing: false }),
  "dispatcher, promise": { call: dispatcherRead, dispose: async () => {} },
  "dispatcher, by hand untraced": await handWritten(answeringUndici, { tracing: false }),
  "dispatcher, sdk untraced": await sdkCall(answeringUndici, { tracing: false }),
  "dispatcher, sdk": await sdkCall(answeringUndici)
}
for (const [name, variant] of Object.entries(noIo)) {
  await check(variant.call, name)
  await run(variant.call, WARMUP, 1)
}
const cpu = await interleave(Object.keys(noIo), ROUNDS, async (name) => (await run(noIo[name].call, CPU_CALLS, 1)).cpu)
for (const variant of Object.values(noIo)) await variant.dispose()

// --- latency against the emulator over a socket ------------------------------

const dispatcher = new Undici.Agent()
const rawUndici = async () => {
  const response = await dispatcher.request({ origin, path, method: "GET", headers })
  const text = await response.body.text()
  if (response.statusCode !== 200) throw new Error(`raw undici: ${response.statusCode} ${text}`)
  return JSON.parse(text)
}
const rawFetch = async () => {
  const response = await fetch(url, { headers })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`raw fetch: ${response.status} ${text}`)
  return JSON.parse(text)
}
/** Raw undici run as one `Effect.promise` per call: what Effect's runtime alone adds. */
const inEffect = Effect.promise(rawUndici)
const overSocket = {
  "raw undici": { call: rawUndici, dispose: () => dispatcher.close() },
  "raw undici in Effect.promise": { call: () => Effect.runPromise(inEffect), dispose: async () => {} },
  "HttpClient by hand over undici": await handWritten(NodeHttpClient.layerUndici),
  "sdk over undici": await sdkCall(NodeHttpClient.layerUndici),
  "sdk over undici, tracing off": await sdkCall(NodeHttpClient.layerUndici, { tracing: false }),
  "HttpClient by hand over Undici.layer": await handWritten(SdkUndici.layer),
  "by hand over Undici.layer, untraced": await handWritten(SdkUndici.layer, { tracing: false }),
  "sdk over Undici.layer": await sdkCall(SdkUndici.layer),
  "sdk over Undici.layer, tracing off": await sdkCall(SdkUndici.layer, { tracing: false }),
  "raw fetch": { call: rawFetch, dispose: async () => {} },
  "sdk over fetch": await sdkCall(FetchHttpClient.layer),
  "sdk over Fetch.layer": await sdkCall(SdkFetch.layer)
}
for (const [name, variant] of Object.entries(overSocket)) {
  await check(variant.call, name)
  await run(variant.call, WARMUP, 1)
  await run(variant.call, WARMUP, 32)
}
const socket = {}
for (const concurrency of [1, 32]) {
  socket[concurrency] = await interleave(
    Object.keys(overSocket),
    ROUNDS,
    (name) => run(overSocket[name].call, concurrency === 1 ? CALLS : CALLS * 4, concurrency)
  )
}
for (const variant of Object.values(overSocket)) await variant.dispose()
emulator.stop()

// --- report ------------------------------------------------------------------

const pick = (results, key) => Object.fromEntries(Object.entries(results).map(([name, rounds]) => [name, rounds.map((r) => r[key])]))
const us = (values) => `${median(values).toFixed(1)} µs`
const ms = (values) => `${(median(values) * 1000).toFixed(0)} µs`
const row = (target, a, b, limit) => {
  const s = summary(ratios(a, b))
  return { target, measured: formatRatio(s), met: limit === undefined ? undefined : s.median <= limit }
}

console.log(`SDK: ${sdkModule}; ${ROUNDS} rounds; ${CPU_CALLS} calls a round without I/O, ${CALLS} (1 in flight) and ${CALLS * 4} (32 in flight) over the socket`)
console.log("\nPer variant (median over rounds):")
for (const name of Object.keys(noIo)) console.log(`  no I/O          ${name.padEnd(36)} CPU ${us(cpu[name])}/call`)
for (const concurrency of [1, 32]) {
  const p50 = pick(socket[concurrency], "p50")
  const cpuPerCall = pick(socket[concurrency], "cpu")
  for (const name of Object.keys(overSocket)) {
    console.log(`  ${String(concurrency).padStart(2)} in flight    ${name.padEnd(36)} p50 ${ms(p50[name])}, client CPU ${us(cpuPerCall[name])}/call`)
  }
}

const p50 = (concurrency) => pick(socket[concurrency], "p50")
const clientCpu = pick(socket[1], "cpu")
const traced = cpu.sdk
const untraced = cpu["sdk, tracing off"]
printTargets("Targets (issue 7: the SDK close to a raw client)", [
  row("SDK CPU per call, no I/O ≤ 6× a Promise reading the same Response (SDK over Fetch.layer)", cpu["sdk over Fetch.layer"], cpu.promise, 6),
  row("SDK CPU per call, no I/O, over the platform's FetchHttpClient.layer / the Promise", cpu.sdk, cpu.promise),
  row("SDK CPU per call, no I/O, over Fetch.layer / over FetchHttpClient.layer", cpu["sdk over Fetch.layer"], cpu.sdk),
  row("SDK CPU per call, no I/O, over Fetch.layer with tracing off / the Promise", cpu["sdk over Fetch.layer, tracing off"], cpu.promise),
  row("p50 at 1 in flight ≤ 1.3× raw undici (SDK over Undici.layer)", p50(1)["sdk over Undici.layer"], p50(1)["raw undici"], 1.3),
  row("p50 at 32 in flight ≤ 1.3× raw undici (SDK over Undici.layer)", p50(32)["sdk over Undici.layer"], p50(32)["raw undici"], 1.3),
  row("p50 at 1 in flight ≤ 1.3× raw undici (SDK over layerUndici)", p50(1)["sdk over undici"], p50(1)["raw undici"], 1.3),
  row("p50 at 32 in flight ≤ 1.3× raw undici (SDK over layerUndici)", p50(32)["sdk over undici"], p50(32)["raw undici"], 1.3),
  row("p50 at 1 in flight, SDK over Undici.layer with tracing off / raw undici", p50(1)["sdk over Undici.layer, tracing off"], p50(1)["raw undici"]),
  row("client CPU per call over the socket, SDK over Undici.layer / raw undici", clientCpu["sdk over Undici.layer"], clientCpu["raw undici"]),
  row("client CPU per call over the socket, SDK over Undici.layer / SDK over layerUndici", clientCpu["sdk over Undici.layer"], clientCpu["sdk over undici"]),
  row("p50 at 1 in flight, HttpClient by hand over Undici.layer / raw undici", p50(1)["HttpClient by hand over Undici.layer"], p50(1)["raw undici"]),
  row("client CPU per call over the socket, HttpClient by hand over Undici.layer / raw undici", clientCpu["HttpClient by hand over Undici.layer"], clientCpu["raw undici"]),
  row("p50 at 1 in flight, SDK over Fetch.layer / raw fetch", p50(1)["sdk over Fetch.layer"], p50(1)["raw fetch"]),
  row("p50 at 32 in flight, SDK over Fetch.layer / raw fetch", p50(32)["sdk over Fetch.layer"], p50(32)["raw fetch"]),
  row("client CPU per call over the socket, SDK over Fetch.layer / SDK over FetchHttpClient.layer", clientCpu["sdk over Fetch.layer"], clientCpu["sdk over fetch"]),
  row("p50 at 1 in flight, SDK over fetch / raw fetch", p50(1)["sdk over fetch"], p50(1)["raw fetch"]),
  row("p50 at 32 in flight, SDK over fetch / raw fetch", p50(32)["sdk over fetch"], p50(32)["raw fetch"]),
  row("p50 at 1 in flight, SDK over layerUndici with tracing off / raw undici", p50(1)["sdk over undici, tracing off"], p50(1)["raw undici"]),
  row("client CPU per call over the socket, SDK / raw undici", clientCpu["sdk over undici"], clientCpu["raw undici"]),
  row("client CPU per call over the socket, SDK with tracing off / raw undici", clientCpu["sdk over undici, tracing off"], clientCpu["raw undici"]),
  row("client CPU per call over the socket, SDK / raw fetch", clientCpu["sdk over fetch"], clientCpu["raw fetch"]),
  row("client CPU per call, raw fetch / raw undici", clientCpu["raw fetch"], clientCpu["raw undici"]),
  row("client CPU per call, SDK over fetch / SDK over undici", clientCpu["sdk over fetch"], clientCpu["sdk over undici"]),
  row("SDK CPU per call without I/O, tracing off / on", untraced, traced),
  row("SDK CPU per call without I/O / the same request by hand with HttpClient", traced, cpu["HttpClient by hand"]),
  row("HttpClient by hand, CPU per call without I/O / a Promise", cpu["HttpClient by hand"], cpu.promise),
  row("p50 at 1 in flight, HttpClient by hand over layerUndici / raw undici", p50(1)["HttpClient by hand over undici"], p50(1)["raw undici"]),
  row("p50 at 32 in flight, HttpClient by hand over layerUndici / raw undici", p50(32)["HttpClient by hand over undici"], p50(32)["raw undici"]),
  row("client CPU per call over the socket, HttpClient by hand over layerUndici / raw undici", clientCpu["HttpClient by hand over undici"], clientCpu["raw undici"]),
  row("SDK CPU per call without I/O, tracing off / a Promise", untraced, cpu.promise),
  row("client CPU per call, raw undici in Effect.promise / raw undici", clientCpu["raw undici in Effect.promise"], clientCpu["raw undici"]),
  row(
    "client CPU per call, HttpClient by hand over Undici.layer untraced / raw undici",
    clientCpu["by hand over Undici.layer, untraced"],
    clientCpu["raw undici"]
  ),
  row("Undici.layer without I/O, CPU per call: HttpClient by hand untraced / the dispatcher read by a Promise", cpu["dispatcher, by hand untraced"], cpu["dispatcher, promise"]),
  row("Undici.layer without I/O, CPU per call: SDK untraced / HttpClient by hand untraced", cpu["dispatcher, sdk untraced"], cpu["dispatcher, by hand untraced"]),
  row("Undici.layer without I/O, CPU per call: SDK / SDK untraced", cpu["dispatcher, sdk"], cpu["dispatcher, sdk untraced"]),
  row(
    "client CPU per call, SDK over Undici.layer untraced / HttpClient by hand over it untraced",
    clientCpu["sdk over Undici.layer, tracing off"],
    clientCpu["by hand over Undici.layer, untraced"]
  )
])
