/**
 * What the SDK's bench scripts share: statistics, rounds in rotating order,
 * the emulator CLI as a child process, and the report of targets.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The repository's root. */
export const root = fileURLToPath(new URL("../../../", import.meta.url))

/** A positive integer from the environment, else `fallback`. */
export const intFromEnv = (name, fallback) => {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

export const median = (values) => percentile(values, 0.5)

export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const index = (sorted.length - 1) * p
  const low = Math.floor(index)
  const high = Math.ceil(index)
  return sorted[low] + (sorted[high] - sorted[low]) * (index - low)
}

/** Median with min and max: `1.12× (1.05–1.20)`. */
export const summary = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) })

export const formatRatio = ({ median, min, max }) => `${median.toFixed(2)}× (${min.toFixed(2)}–${max.toFixed(2)})`

/**
 * Runs `rounds` rounds of every variant, in an order that rotates each round
 * (A B C, B C A, C A B, …), so that no variant always runs first or last.
 * `measure(variant)` returns that round's figure for it; the result holds
 * every variant's figures, round by round.
 */
export const interleave = async (variants, rounds, measure) => {
  const results = Object.fromEntries(variants.map((variant) => [variant, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(round + i) % variants.length]
      results[variant].push(await measure(variant, round))
    }
  }
  return results
}

/** Per-round ratios `a[i] / b[i]`. */
export const ratios = (a, b) => a.map((value, i) => value / b[i])

/**
 * Starts the emulator CLI (built, `packages/emulator/bin/stack-emulator.js`)
 * on a free port in a child process, so that its CPU is not the bench's.
 */
export const startEmulator = (apiKey) =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`${root}packages/emulator/bin/stack-emulator.js`, "--port", "0", "--api-key", apiKey],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let output = ""
    child.on("error", reject)
    child.on("exit", (code) => reject(new Error(`the emulator exited (${code}) before listening:\n${output}`)))
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        child.stdout.removeAllListeners("data")
        child.stdout.resume()
        child.removeAllListeners("exit")
        resolve({ url: match[1], stop: () => child.kill() })
      }
    })
  })

/** One line per target: its measured value and whether it is met. */
export const printTargets = (title, rows) => {
  console.log(`\n${title}\n`)
  console.log("| target | measured: median (min–max) | met |")
  console.log("| --- | --- | --- |")
  for (const row of rows) {
    const met = row.met === undefined ? "info" : row.met ? "yes" : "**no**"
    console.log(`| ${row.target} | ${row.measured} | ${met} |`)
  }
}
