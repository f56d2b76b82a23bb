/**
 * What `@getstack/effect` costs a program before its first call:
 * `npm run bench:sdk` (after `npm run build`).
 *
 * - Import time: a fresh `node` process imports `@getstack/effect` (built
 *   `dist`), against one that imports `effect`, `effect/Schema` and
 *   `@effect/platform/HttpClient` alone; each child times its own imports.
 *   The two run in rotating order, several rounds.
 * - Bundle size: `bundle/sdk-agents.ts` (a program that uses only `Agents`)
 *   against `bundle/hand-agents.ts` (the same requests written by hand with
 *   `HttpClient` and `Schema`), bundled by esbuild (`--bundle --minify
 *   --format=esm --platform=node`), gzip -9. The bundle is deterministic: one
 *   build each. It also reports how much of the difference is
 *   `@effect/platform`'s router and server modules, which `HttpApiEndpoint`
 *   reaches through `HttpRouter` (the figure with `HttpRouter` replaced by
 *   the one function `HttpApiEndpoint` calls). The same program is bundled
 *   again importing each SDK module from its own path
 *   (`@getstack/effect/Agents`, …), as `hand-agents.ts` imports Effect's: a
 *   bundler keeps only what is used of such a module, where it keeps the
 *   root entry's namespaces (`import { Auth } from "@getstack/effect"`) whole.
 *
 * Environment: STACK_BENCH_IMPORT_ROUNDS (default 9).
 */
import * as esbuild from "esbuild"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { formatRatio, intFromEnv, interleave, median, printTargets, ratios, root, summary } from "./support.mjs"

const ROUNDS = intFromEnv("STACK_BENCH_IMPORT_ROUNDS", 9)

// --- import time -------------------------------------------------------------

const importing = {
  "@getstack/effect": ["@getstack/effect"],
  "effect + Schema + HttpClient": ["effect", "effect/Schema", "@effect/platform/HttpClient"]
}

/** Milliseconds a fresh process spends importing `specifiers`, timed by the process itself. */
const importMs = (specifiers) =>
  Number(
    execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const start = performance.now()\n${
          specifiers.map((specifier) => `await import(${JSON.stringify(specifier)})`).join("\n")
        }\nprocess.stdout.write(String(performance.now() - start))`
      ],
      { cwd: root, encoding: "utf8" }
    )
  )

for (const specifiers of Object.values(importing)) importMs(specifiers)
const imports = await interleave(Object.keys(importing), ROUNDS, async (name) => importMs(importing[name]))

// --- bundle size -------------------------------------------------------------

const bundleDir = fileURLToPath(new URL("./bundle/", import.meta.url))

const bundle = async (build) => {
  const result = await esbuild.build({
    ...build,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    write: false,
    metafile: true,
    logLevel: "error"
  })
  const code = result.outputFiles[0].contents
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, metafile: result.metafile }
}

const gzipped = (file) => bundle({ entryPoints: [`${bundleDir}${file}`] })

/** `sdk-agents.ts` importing each SDK module from its own path (`@getstack/effect/Agents`, …). */
const rootImport = `import { Agents, Auth, StackClient } from "@getstack/effect"`
const sdkAgents = readFileSync(`${bundleDir}sdk-agents.ts`, "utf8")
if (!sdkAgents.includes(rootImport)) throw new Error(`sdk-agents.ts no longer reads: ${rootImport}`)
const subpathsProgram = sdkAgents.replace(
  rootImport,
  ["Agents", "Auth", "StackClient"].map((name) => `import * as ${name} from "@getstack/effect/${name}"`).join("\n")
)

const sdk = await gzipped("sdk-agents.ts")
const sdkSubpaths = await bundle({
  stdin: { contents: subpathsProgram, loader: "ts", resolveDir: bundleDir, sourcefile: "sdk-agents-subpaths.ts" }
})
const hand = await gzipped("hand-agents.ts")

/** Minified bytes in the SDK's bundle from inputs whose path matches `pattern`. */
const bytesFrom = (metafile, pattern) =>
  Object.values(metafile.outputs).flatMap((output) => Object.entries(output.inputs))
    .filter(([path]) => pattern.test(path))
    .reduce((sum, [, input]) => sum + input.bytesInOutput, 0)

// --- report ------------------------------------------------------------------

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
const importRatio = summary(ratios(imports["@getstack/effect"], imports["effect + Schema + HttpClient"]))
const delta = sdk.gzip - hand.gzip
const deltaSubpaths = sdkSubpaths.gzip - hand.gzip

console.log(`Import time, ${ROUNDS} rounds (median ms): ${
  Object.entries(imports).map(([name, values]) => `${name} ${median(values).toFixed(0)} ms`).join("; ")
}`)
console.log(
  `Bundles (esbuild --minify, gzip -9): SDK, Agents only: ${kb(sdk.minified)} min, ${kb(sdk.gzip)} gzip; ` +
    `by hand with HttpClient + Schema: ${kb(hand.minified)} min, ${kb(hand.gzip)} gzip`
)
console.log(
  `  more than by hand: ${delta} bytes gzip importing from @getstack/effect, ` +
    `${deltaSubpaths} importing each module from its own path (@getstack/effect/Agents, …)`
)
console.log(
  `  in the SDK's bundle: the SDK's own modules ${kb(bytesFrom(sdk.metafile, /packages\/sdk\/dist\//))} min; ` +
    `@effect/platform's router and server modules ${
      kb(bytesFrom(sdk.metafile, /HttpRouter|httpRouter|HttpServer|httpServer|Multipart|multipasta|find-my-way|internal\/path\.js|HttpMultiplex|HttpMiddleware|httpMiddleware|HttpApp\.js|httpApp/))
    } min`
)

printTargets("Targets (issue 7: import time and bundle size)", [
  {
    target: "importing @getstack/effect ≤ 1.2× importing effect, Schema and HttpClient alone",
    measured: formatRatio(importRatio),
    met: importRatio.median <= 1.2
  },
  {
    target: "a program using only Agents bundles ≤ 12 KB (gzip) more than the same requests by hand",
    measured: `+${kb(delta)}`,
    met: delta <= 12 * 1024
  },
  {
    target: "the same, importing each module from its own path",
    measured: `+${kb(deltaSubpaths)}`,
    met: deltaSubpaths <= 12 * 1024
  }
])
