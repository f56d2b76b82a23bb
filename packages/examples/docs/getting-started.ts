/**
 * Snippets of docs/getting-started.md. Every block of that page is copied from
 * this file; nothing here runs on import.
 */
// --- imports
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Agents, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
// ---

// --- layer-api-key
export const StackLive = Stack.layer({ apiKey: "sk_live_..." }).pipe(
  Layer.provide(FetchHttpClient.layer)
)
// ---

// --- layer-config
export const StackFromEnvironment = Stack.layerConfig().pipe(
  Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer))
)
// ---

// --- layer-config-explicit
export const StackFromMyVariable = Stack.layerConfig({
  apiKey: Config.redacted("MY_STACK_KEY"),
  timeout: "10 seconds"
}).pipe(Layer.provide(Layer.merge(FetchHttpClient.layer, NodeFileSystem.layer)))
// ---

// --- layer-session-oauth
export const StackForDashboardUser = (sessionJwt: string) =>
  Stack.fromSession(sessionJwt).pipe(Layer.provide(FetchHttpClient.layer))

export const StackForOAuthClient = (refreshToken: string) =>
  Stack.fromOAuth({ clientId: "my-client", refreshToken }).pipe(Layer.provide(FetchHttpClient.layer))
// ---

// --- client-options
export const StackStaging = Stack.layer({
  apiKey: "sk_live_...",
  baseUrl: "https://stack.staging.example.com",
  timeout: "15 seconds",
  retry: { maxRetries: 4 }
}).pipe(Layer.provide(FetchHttpClient.layer))
// ---

// --- first-program
export const program = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const agent = yield* agents.register({ name: "invoice-bot", description: "Processes invoices" })
  yield* Console.log(`registered ${agent.name} as ${agent.id} (${agent.accountability_mode})`)
  const fetched = yield* agents.get(agent.id)
  return fetched
})
// ---

// --- run
export const main = program.pipe(Effect.provide(StackLive))

export const run = () => Effect.runPromise(main)
// ---

// --- stack-service
export const viaStack = Effect.gen(function*() {
  const stack = yield* Stack.Stack
  const page = yield* stack.agents.list({ limit: 10 })
  yield* Console.log(`${page.total ?? page.agents.length} agent(s) at ${stack.client.baseUrl}`)
  return page
})
// ---

// --- emulator
export const local = program.pipe(Effect.provide(Emulator.layerStack()))
// ---
