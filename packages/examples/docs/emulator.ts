/**
 * Snippets of docs/emulator.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Agents, Api, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
// ---

// --- layer-stack
export const InMemory = Emulator.layerStack()

export const OnDisk = Emulator.layerStack({
  filename: "./stack.db",
  apiKey: "sk_test_local_development_key",
  timeout: "5 seconds"
})
// ---

// --- layer-in-process
export const ByHand = Layer.unwrapEffect(
  Effect.map(Emulator.Emulator, (emulator) => Stack.layer({ apiKey: emulator.apiKey }))
).pipe(Layer.provideMerge(Emulator.layerInProcess()))
// ---

// --- two-operators
export const isolation = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const emulator = yield* Emulator.Emulator
  const mine = yield* agents.register({ name: "invoice-bot" })

  const other = yield* emulator.createOperator({ name: "someone-else" })
  const OtherStack = Stack.layer({ apiKey: other.apiKey }).pipe(Layer.provide(Emulator.layerHttpClient))
  const theirs = yield* Effect.gen(function*() {
    const agents = yield* Agents.Agents
    yield* agents.register({ name: "invoice-bot" })
    return yield* agents.get(mine.id).pipe(Effect.flip)
  }).pipe(Effect.provide(OtherStack))

  yield* Console.log(`another operator sees ${mine.id} as ${theirs._tag}`)
}).pipe(Effect.provide(Emulator.layerStack()))
// ---

// --- audit-chain
export const audited = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const emulator = yield* Emulator.Emulator
  const agent = yield* agents.register({ name: "invoice-bot" })
  yield* agents.update(agent.id, { status: "suspended" })
  yield* agents.delete(agent.id)

  const chain = yield* emulator.auditChain(emulator.operatorId)
  yield* Console.log(chain.map((entry) => entry.action).join(" → "))
  const verdict = yield* Api.Audit.verifyChain(chain)
  yield* Console.log(verdict.valid ? "chain intact" : `broken at ${verdict.first_break.entry_id}`)
}).pipe(Effect.provide(Emulator.layerStack()))
// ---

// --- serve
export const ServerLive = Emulator.layerServe.pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port: 4010 })),
  Layer.provide(Emulator.layer({ filename: "./stack.db" }))
)

export const serveForever = Layer.launch(ServerLive)
// ---

// --- against-server
export const AgainstLocalServer = Stack.layer({
  apiKey: "sk_test_local_development_key",
  baseUrl: "http://127.0.0.1:4010"
}).pipe(Layer.provide(FetchHttpClient.layer))
// ---
