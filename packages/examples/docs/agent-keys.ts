/**
 * Snippets of docs/agent-keys.md. Every block of that page is copied from
 * this file; nothing here runs on import.
 */
// --- imports
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Agents, Auth, Passports, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
// ---

// --- as-agent
export const InvoiceBotLive = Stack.asAgent("agt_invoice_bot").pipe(
  Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer))
)
// ---

// --- as-agent-options
export const InvoiceBotOnServer = (operatorKey: Redacted.Redacted<string>) =>
  Stack.asAgent("agt_invoice_bot", {
    operator: Auth.apiKey(operatorKey),
    keyDirectory: "/var/lib/invoice-bot/stack-keys",
    timeout: "20 seconds"
  }).pipe(Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)))
// ---

// --- program
export const ownWork = (agentId: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const passports = yield* Passports.Passports
    const me = yield* agents.get(agentId)
    const passport = yield* passports.issue({
      agent_id: agentId,
      intent: { summary: "Triage my inbox", services: ["gmail"] }
    })
    const refused = yield* agents.register({ name: "helper-bot" }).pipe(Effect.flip)
    yield* Console.log(`${me.name} holds ${passport.jti}; registering another agent: ${refused._tag}`)
    return passport
  })
// ---

// --- errors
export const whoAmI = (agentId: string) =>
  Effect.flatMap(Agents.Agents, (agents) => agents.get(agentId)).pipe(
    Effect.map((agent) => `signed in as ${agent.name}`),
    Effect.catchTag("AuthenticationError", (error) => {
      switch (error.code) {
        case "AGENT_ENROLLMENT_FAILED":
          return Effect.succeed(`could not enroll a key: ${error.message}`)
        case "AGENT_KEY_UNAVAILABLE":
          return Effect.succeed(`the key file ${error.url} is unusable: ${error.message}`)
        default:
          return Effect.fail(error)
      }
    })
  )
// ---

// --- emulator
/** Acting as `agentId` against the emulator in context, with keys in a temporary directory. */
export const AsAgentOnEmulator = (agentId: string) =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const fs = yield* FileSystem.FileSystem
      // removed, keys and all, when the layer is released
      const keyDirectory = yield* fs.makeTempDirectoryScoped({ prefix: "stack-agent-keys-" })
      return Stack.asAgent(agentId, { operator: Auth.apiKey(emulator.apiKey), keyDirectory })
    })
  ).pipe(Layer.provide(Layer.merge(Emulator.layerHttpClient, NodeFileSystem.layer)))
// ---

// --- emulator-use
export const registerThenAct = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const agent = yield* agents.register({ name: "inbox-bot", accountability_mode: "logged" })
  return yield* ownWork(agent.id).pipe(Effect.provide(AsAgentOnEmulator(agent.id)))
}).pipe(Effect.provide(Emulator.layerStack()))
// ---

// --- memory-store
type KeyStore = Auth.AgentKeyStore
type StoredKey = Auth.StoredAgentKey

/** Keys kept in memory, for as long as the layer lives. */
export const memoryKeyStore: Effect.Effect<KeyStore> = Effect.map(
  Ref.make<ReadonlyMap<string, StoredKey>>(new Map()),
  (keys) => ({
    describe: (agentId) => `memory:${agentId}`,
    load: (agentId) => Effect.map(Ref.get(keys), (stored) => Option.fromNullable(stored.get(agentId))),
    save: (key) => Ref.update(keys, (stored) => new Map(stored).set(key.agent_id, key))
  })
)

export const AsAgentInMemory = (agentId: string, operator: Auth.Auth) =>
  Layer.unwrapEffect(
    Effect.map(memoryKeyStore, (store) => Stack.layerAuth(Auth.agentKey({ agentId, operator, store })))
  )
// ---
