/**
 * What verifying an audit chain on the client costs over the same work done
 * by hand: `npx tsc -b packages/sdk && node packages/sdk/bench/audit-chain.mjs`.
 * The SDK is the built `dist` (`@getstack/effect/AuditChain` without the
 * source condition). Not part of `npm test`.
 *
 * A chain of STACK_BENCH_ENTRIES entries (default 1,000,000) is written as an
 * NDJSON export to a temporary file, a batch at a time. Then, interleaved in
 * rotating order for STACK_BENCH_ROUNDS rounds (default 5), each variant
 * reads and verifies the whole file:
 *
 * - sdk: `AuditChain.verify(AuditChain.fromNdjson(bytes))`, the bytes a
 *   `Stream` over `fs.createReadStream`;
 * - raw: `node:readline` over the same file, `JSON.parse` per line,
 *   `createHash("sha256").update(hashInput).digest("hex")`, the links, the
 *   order of the timestamps and the hashes compared by hand;
 * - with STACK_BENCH_ONE_SHOT=1 (info, adds a third of the time): raw with
 *   `crypto.hash`, the one-shot SHA-256 the SDK uses in Node ≥ 20.12, about
 *   3× `createHash` on short inputs: how much of the SDK's figure is that.
 *
 * Figures: entries per second of each (median, min–max over the rounds), the
 * per-round ratio sdk / raw (target ≥ 0.7×), and the peak RSS of one run of
 * sdk and of raw over the whole file, each in a child process of its own
 * (`process.resourceUsage().maxRSS`), beside the size of the file and the
 * SDK's peak over the 100,000-entry warm-up file: memory does not grow with
 * the chain.
 */
import { execFile } from "node:child_process"
import { createHash, hash as oneShotHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { formatRatio, intFromEnv, interleave, printTargets, ratios, summary } from "./support.mjs"

const sdkModule = process.env.STACK_BENCH_SDK ?? "@getstack/effect/AuditChain"
const AuditChain = await import(sdkModule)

const GENESIS_HASH = "0".repeat(64)

/** The string STACK hashes, written out (the contract's `hashInput`). */
const hashInput = (entry) =>
  JSON.stringify({
    entry_id: entry.entry_id,
    timestamp: entry.timestamp,
    operator_id: entry.operator_id,
    agent_id: entry.agent_id,
    layer: entry.layer,
    action: entry.action,
    outcome: entry.outcome,
    prev_entry_hash: entry.prev_entry_hash
  })

const createHashHex = (input) => createHash("sha256").update(input).digest("hex")
const oneShotHex = (input) => oneShotHash("sha256", input, "hex")

const fileBytes = (file) => Stream.fromAsyncIterable(fs.createReadStream(file), (error) => error)

const variants = {
  sdk: async (file) => {
    const verdict = await Effect.runPromise(AuditChain.verify(AuditChain.fromNdjson(fileBytes(file))))
    if (verdict._tag !== "Valid") throw new Error(`the SDK found a break: ${JSON.stringify(verdict)}`)
    return verdict.count
  },
  raw: (file) => rawVerify(file, createHashHex),
  ...(process.env.STACK_BENCH_ONE_SHOT === "1" ? { "raw, one-shot hash": (file) => rawVerify(file, oneShotHex) } : {})
}

/** The same verification by hand: readline, `JSON.parse`, the hash, the links. */
function rawVerify(file, sha256) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
    let prev = GENESIS_HASH
    let lastTimestamp = Number.NEGATIVE_INFINITY
    let count = 0
    lines.on("line", (line) => {
      if (line.length === 0) return
      const entry = JSON.parse(line)
      if (
        entry.timestamp < lastTimestamp || entry.prev_entry_hash !== prev || sha256(hashInput(entry)) !== entry.entry_hash
      ) {
        lines.close()
        reject(new Error(`raw: break at ${count}`))
        return
      }
      prev = entry.entry_hash
      lastTimestamp = entry.timestamp
      count++
    })
    lines.on("close", () => resolve(count))
    lines.on("error", reject)
  })
}

// --- child process: one run, its peak RSS -------------------------------------

if (process.argv[2] === "--rss") {
  const [, , , variant, file] = process.argv
  const count = await variants[variant](file)
  console.log(JSON.stringify({ count, maxRssKiB: process.resourceUsage().maxRSS }))
  process.exit(0)
}

// --- the export ---------------------------------------------------------------

const ENTRIES = intFromEnv("STACK_BENCH_ENTRIES", 1_000_000)
const ROUNDS = intFromEnv("STACK_BENCH_ROUNDS", 5)
const WARMUP_ENTRIES = Math.min(ENTRIES, 100_000)

const LAYERS = ["vault", "proxy", "dropoff", "skills", "system"]
const OUTCOMES = ["success", "success", "success", "failure", "pending", "blocked"]
const ACTIONS = ["proxy.request", "vault.read", "dropoff.deliver", "skills.invoke", "system.rotate", "proxy.request ✓ café"]

const PAYLOAD_HASHES = Array.from({ length: 1009 }, (_, i) => oneShotHex(`payload ${i}`))

/** Writes a chain of `n` entries as NDJSON, 10,000 lines at a time. */
const writeExport = (file, n) => {
  const fd = fs.openSync(file, "w")
  let prev = GENESIS_HASH
  let batch = []
  for (let i = 0; i < n; i++) {
    const entry = {
      entry_id: `aud_${i.toString(36).padStart(10, "0")}`,
      timestamp: 1_700_000_000_000 + Math.floor(i / 3),
      trace_id: i % 4 === 0 ? null : `trc_${(i >> 2).toString(16).padStart(16, "0")}`,
      operator_id: "op_bench_0001",
      agent_id: i % 5 === 0 ? null : `agt_${(i % 97).toString().padStart(8, "0")}`,
      passport_jti: i % 5 === 0 ? null : `pp_${(i % 389).toString(16).padStart(12, "0")}`,
      layer: LAYERS[i % LAYERS.length],
      action: ACTIONS[i % ACTIONS.length],
      outcome: OUTCOMES[i % OUTCOMES.length],
      duration_ms: i % 7,
      payload_hash: i % 3 === 0 ? null : PAYLOAD_HASHES[i % PAYLOAD_HASHES.length],
      error_code: null,
      error_message: null,
      prev_entry_hash: prev
    }
    entry.entry_hash = oneShotHex(hashInput(entry))
    prev = entry.entry_hash
    batch.push(JSON.stringify(entry))
    if (batch.length === 10_000 || i === n - 1) {
      fs.writeSync(fd, batch.join("\n") + "\n")
      batch = []
    }
  }
  fs.closeSync(fd)
  return fs.statSync(file).size
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-chain-bench-"))
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
const file = path.join(dir, "export.ndjson")
const warmupFile = path.join(dir, "warmup.ndjson")

let started = performance.now()
const bytes = writeExport(file, ENTRIES)
writeExport(warmupFile, WARMUP_ENTRIES)
console.log(
  `export: ${ENTRIES.toLocaleString("en")} entries, ${(bytes / 2 ** 20).toFixed(0)} MiB of NDJSON, written in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s`
)

// --- peak RSS, each variant alone in a child process ---------------------------

const run = promisify(execFile)
const peakRss = async (variant, over = file, entries = ENTRIES) => {
  const { stdout } = await run(process.execPath, [fileURLToPath(import.meta.url), "--rss", variant, over], {
    env: { ...process.env, STACK_BENCH_SDK: sdkModule }
  })
  const result = JSON.parse(stdout.trim().split("\n").at(-1))
  if (result.count !== entries) throw new Error(`${variant} verified ${result.count} of ${entries} entries`)
  return result.maxRssKiB / 1024
}
const rss = {
  sdk: await peakRss("sdk"),
  sdkWarmup: await peakRss("sdk", warmupFile, WARMUP_ENTRIES),
  raw: await peakRss("raw")
}

// --- throughput, interleaved ---------------------------------------------------

for (const [name, verify] of Object.entries(variants)) {
  const count = await verify(warmupFile)
  if (count !== WARMUP_ENTRIES) throw new Error(`${name} verified ${count} of ${WARMUP_ENTRIES} entries`)
}
started = performance.now()
const throughput = await interleave(Object.keys(variants), ROUNDS, async (name) => {
  const start = performance.now()
  const count = await variants[name](file)
  const seconds = (performance.now() - start) / 1000
  if (count !== ENTRIES) throw new Error(`${name} verified ${count} of ${ENTRIES} entries`)
  return count / seconds
})
const elapsed = (performance.now() - started) / 1000

// --- report ----------------------------------------------------------------------

const perSecond = (values) => {
  const { max, median, min } = summary(values)
  const k = (value) => `${(value / 1000).toFixed(0)}k`
  return `${k(median)} entries/s (${k(min)}–${k(max)})`
}
console.log(`SDK: ${sdkModule}; ${ROUNDS} rounds over the whole file in ${elapsed.toFixed(0)} s, rotating order`)
console.log("\nThroughput (median, min–max over the rounds):")
for (const [name, values] of Object.entries(throughput)) console.log(`  ${name.padEnd(20)} ${perSecond(values)}`)
console.log(`\nPeak RSS of one run, each in a child process (the whole file: ${(bytes / 2 ** 20).toFixed(0)} MiB):`)
const rssRows = [
  [`sdk, ${ENTRIES.toLocaleString("en")} entries`, rss.sdk],
  [`sdk, ${WARMUP_ENTRIES.toLocaleString("en")} entries`, rss.sdkWarmup],
  [`raw, ${ENTRIES.toLocaleString("en")} entries`, rss.raw]
]
for (const [name, mib] of rssRows) console.log(`  ${name.padEnd(26)} ${mib.toFixed(0)} MiB`)

const sdkOverRaw = summary(ratios(throughput.sdk, throughput.raw))
printTargets("Targets (AuditChain.verify close to the same work by hand)", [
  {
    target: "throughput of AuditChain.verify(fromNdjson(file)) ≥ 0.7× readline + JSON.parse + createHash",
    measured: formatRatio(sdkOverRaw),
    met: sdkOverRaw.median >= 0.7
  },
  ...(throughput["raw, one-shot hash"] === undefined ? [] : [{
    target: "throughput of AuditChain.verify(fromNdjson(file)) / the same by hand with crypto.hash",
    measured: formatRatio(summary(ratios(throughput.sdk, throughput["raw, one-shot hash"])))
  }]),
  {
    target: `peak RSS of AuditChain.verify over the whole file (${(bytes / 2 ** 20).toFixed(0)} MiB) ≤ 256 MiB`,
    measured: `${rss.sdk.toFixed(0)} MiB (${WARMUP_ENTRIES.toLocaleString("en")} entries: ${
      rss.sdkWarmup.toFixed(0)
    } MiB; raw: ${rss.raw.toFixed(0)} MiB)`,
    met: rss.sdk <= 256
  }
])
