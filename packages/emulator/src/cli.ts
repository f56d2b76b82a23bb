/**
 * `stack-emulator`: serves the emulator over HTTP.
 *
 *   npx @getstack/emulator --port 4010 --db ./stack.db --api-key sk_test_…
 *
 * @since 0.1.0
 */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createServer } from "node:http"
import { parseArgs } from "node:util"
import * as Emulator from "./Emulator.js"

const usage = `Usage: stack-emulator [--port 4010] [--host 127.0.0.1] [--db ./stack.db] [--api-key sk_test_…] [--check-declared]

  --port      port to listen on (0 picks a free one)          default 4010
  --host      address to listen on                           default 127.0.0.1
  --db        SQLite database file, kept between runs        default: in memory
  --api-key   the default operator's key (sk_live_… or sk_test_…); generated and printed when left out
  --check-declared
              answer 500 to a refusal whose status the endpoint's contract does not declare
              (also STACK_EMULATOR_CHECK_DECLARED=true)
  --help      this text`

const parse = (argv: ReadonlyArray<string>) => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string", default: "4010" },
      host: { type: "string", default: "127.0.0.1" },
      db: { type: "string" },
      "api-key": { type: "string" },
      "check-declared": { type: "boolean", default: false },
      help: { type: "boolean", default: false }
    },
    strict: true
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0 to 65535, not ${values.port}`)
  return {
    port,
    host: values.host,
    db: values.db,
    apiKey: values["api-key"],
    checkDeclared: values["check-declared"],
    help: values.help
  }
}

const main = (argv: ReadonlyArray<string>) => {
  let args: ReturnType<typeof parse>
  try {
    args = parse(argv)
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`)
    process.exitCode = 2
    return
  }
  if (args.help) {
    console.log(usage)
    return
  }
  const announce = Layer.effectDiscard(Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    const server = yield* HttpServer.HttpServer
    const address = server.address._tag === "TcpAddress" ? `http://${server.address.hostname}:${server.address.port}` : "a unix socket"
    const key = args.apiKey === undefined
      ? Redacted.value(emulator.apiKey)
      : `${args.apiKey.slice(0, 12)}… (from --api-key)`
    yield* Console.log(
      `STACK emulator listening on ${address}\n` +
        `  database:  ${args.db ?? "in memory"}\n` +
        `  API key:   ${key}\n` +
        `  OpenAPI:   ${address}/openapi.json\n` +
        `Set STACK_BASE_URL=${address} and STACK_API_KEY to point the SDK at it. Ctrl-C stops it.`
    )
  }))
  const serverLayer = Layer.mergeAll(Emulator.layerServe, announce).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { port: args.port, host: args.host })),
    Layer.provide(Emulator.layer({
      filename: args.db,
      apiKey: args.apiKey,
      checkDeclaredErrors: args.checkDeclared ? true : undefined
    }))
  )
  NodeRuntime.runMain(Layer.launch(serverLayer).pipe(
    Effect.catchTag("EmulatorStartError", (error) =>
      Console.error(`stack-emulator: ${error.message}`).pipe(Effect.zipRight(Effect.sync(() => { process.exitCode = 1 })))),
    Effect.catchTag("ServeError", (error) =>
      Console.error(`stack-emulator: cannot listen on ${args.host}:${args.port}: ${String(error.cause)}`).pipe(
        Effect.zipRight(Effect.sync(() => { process.exitCode = 1 }))
      ))
  ), { disablePrettyLogger: true })
}

main(process.argv.slice(2))
