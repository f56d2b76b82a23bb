/**
 * `stack-emulator`: serves the emulator over HTTP, or creates operators in its
 * database.
 *
 *   npx @getstack/emulator --port 4010 --db ./stack.db --api-key sk_test_…
 *   npx @getstack/emulator operators create --db ./stack.db --name team-b
 *
 * @since 0.1.0
 */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { parseArgs } from "node:util"
import * as Governance from "./core/Governance.js"
import * as Operators from "./core/Operators.js"
import * as Database from "./Database.js"
import * as Emulator from "./Emulator.js"

const usage = `Usage: stack-emulator [--port 4010] [--host 127.0.0.1] [--db ./stack.db] [--api-key sk_test_…]… [--check-declared] [--no-controls] [--governance none|OP,…]
                      [--vault-key-file FILE] [--proxy-host SERVICE=HOST[:PORT]]…
       stack-emulator operators create --db ./stack.db [--name NAME]

  --port      port to listen on (0 picks a free one)          default 4010
  --host      address to listen on                           default 127.0.0.1
  --db        SQLite database file, kept between runs        default: in memory
  --api-key   an API key (sk_live_… or sk_test_…); repeat it for more operators. The first is the
              default operator's (generated and printed when left out); each further key not yet in
              the database becomes a new operator's own, and a key already stored keeps its operator
  --check-declared
              answer 500 to a refusal whose status the endpoint's contract does not declare
              (also STACK_EMULATOR_CHECK_DECLARED=true)
  --no-controls
              serve a plan without STACK's controls: the audit reads and the mission listing answer
              402 CONTROLS_REQUIRED
  --governance
              the operations held for a human's approval: none, or a comma-separated list of
              ${Governance.GOVERNED_OPERATIONS.join(", ")}     default: all of them
  --vault-key-file
              the file holding the vault's key (64 hex characters), which seals the services'
              secrets; keep it apart from the database. Created with a new key when missing
              default: <db>.vault-key beside --db; a new key per run in memory
  --proxy-host
              a host a service's proxied calls may also go to, over http or https (besides the
              catalog's, https only), e.g. slack=127.0.0.1:4567; repeat it for more
  --help      this text

  operators create   creates an operator with a new API key in the --db file and prints both
                     (stack-emulator operators create --help)`

const operatorsUsage = `Usage: stack-emulator operators create --db ./stack.db [--name NAME]

  Creates an operator with a new API key in the database file (created if missing) and prints the
  operator's id and its key. Serve the same file to use the key; every operator sees only its own
  agents, passports and missions.

  --db        SQLite database file (required)
  --name      the operator's name                            default: operator
  --help      this text`

const parse = (argv: ReadonlyArray<string>) => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string", default: "4010" },
      host: { type: "string", default: "127.0.0.1" },
      db: { type: "string" },
      "api-key": { type: "string", multiple: true },
      "check-declared": { type: "boolean", default: false },
      "no-controls": { type: "boolean", default: false },
      governance: { type: "string" },
      "vault-key-file": { type: "string" },
      "proxy-host": { type: "string", multiple: true },
      help: { type: "boolean", default: false }
    },
    strict: true
  })
  const proxyHosts: Record<string, Array<string>> = {}
  for (const entry of values["proxy-host"] ?? []) {
    const match = /^([a-z0-9_-]+)=([A-Za-z0-9.*-]+(?::\d{1,5})?)$/.exec(entry)
    if (match === null) throw new Error(`--proxy-host takes SERVICE=HOST[:PORT], not ${entry}`)
    ;(proxyHosts[match[1]!] ??= []).push(match[2]!)
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0 to 65535, not ${values.port}`)
  const governance = values.governance === undefined ? undefined : values.governance === "none"
    ? []
    : values.governance.split(",").map((operation) => operation.trim())
  const unknown = governance?.find((operation) => !(Governance.GOVERNED_OPERATIONS as ReadonlyArray<string>).includes(operation))
  if (unknown !== undefined) {
    throw new Error(`--governance takes none or some of ${Governance.GOVERNED_OPERATIONS.join(", ")}, not ${unknown}`)
  }
  return {
    port,
    governance: governance as ReadonlyArray<Governance.GovernedOperation> | undefined,
    host: values.host,
    db: values.db,
    apiKeys: [...new Set(values["api-key"] ?? [])],
    checkDeclared: values["check-declared"],
    controls: !values["no-controls"],
    vaultKeyFile: values["vault-key-file"],
    proxyHosts,
    help: values.help
  }
}

const parseOperators = (argv: ReadonlyArray<string>) => {
  const [command, ...rest] = argv
  if (command === "--help") return { help: true } as const
  if (command !== "create") {
    throw new Error(command === undefined ? "operators: missing command (create)" : `operators: unknown command ${command}`)
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      db: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", default: false }
    },
    strict: true
  })
  if (values.help) return { help: true } as const
  if (values.db === undefined || values.db === "") throw new Error("operators create: --db is required")
  if (values.name !== undefined && (values.name.trim() === "" || values.name.length > 200)) {
    throw new Error("operators create: --name must be 1 to 200 characters")
  }
  return { help: false, db: values.db, name: values.name } as const
}

/** `stack-emulator operators create`: an operator with a new key, stored in the database file. */
const operators = (argv: ReadonlyArray<string>) => {
  let args: ReturnType<typeof parseOperators>
  try {
    args = parseOperators(argv)
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${operatorsUsage}`)
    process.exitCode = 2
    return
  }
  if (args.help) {
    console.log(operatorsUsage)
    return
  }
  const { db, name } = args
  NodeRuntime.runMain(
    Operators.create({ name }).pipe(
      Effect.flatMap(({ apiKey, operator }) =>
        Console.log(
          `operator:  ${operator.id}\n` +
            `name:      ${operator.name}\n` +
            `API key:   ${Redacted.value(apiKey)}\n` +
            `database:  ${db}`
        )
      ),
      Effect.provide(Database.layer(db)),
      Effect.catchAllCause((cause) => {
        const error = Cause.squash(cause)
        const reason = error instanceof Error
          ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}`
          : String(error)
        return Console.error(`stack-emulator: could not create an operator in ${db}: ${reason}`).pipe(
          Effect.zipRight(Effect.sync(() => { process.exitCode = 1 }))
        )
      })
    ),
    { disablePrettyLogger: true }
  )
}

const main = (argv: ReadonlyArray<string>) => {
  if (argv[0] === "operators") return operators(argv.slice(1))
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
    const key = args.apiKeys.length === 0
      ? Redacted.value(emulator.apiKey)
      : `${args.apiKeys.map((key) => `${key.slice(0, 12)}…`).join(", ")} (from --api-key)`
    yield* Console.log(
      `STACK emulator listening on ${address}\n` +
        `  database:  ${args.db ?? "in memory"}\n` +
        `  ${args.apiKeys.length > 1 ? "API keys:  " : "API key:   "}${key}\n` +
        `  OpenAPI:   ${address}/openapi.json\n` +
        `Set STACK_BASE_URL=${address} and STACK_API_KEY to point the SDK at it. Ctrl-C stops it.`
    )
  }))
  const serverLayer = Layer.mergeAll(Emulator.layerServe, announce).pipe(
    Layer.provide(Emulator.layerServer({ port: args.port, host: args.host })),
    Layer.provide(Emulator.layer({
      filename: args.db,
      apiKey: args.apiKeys[0],
      extraApiKeys: args.apiKeys.slice(1),
      checkDeclaredErrors: args.checkDeclared ? true : undefined,
      controls: args.controls,
      governance: args.governance,
      vaultKeyFile: args.vaultKeyFile,
      proxyHosts: args.proxyHosts
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
