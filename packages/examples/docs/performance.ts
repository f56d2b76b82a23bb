/**
 * Snippets of docs/performance.md. Every block of that page is copied from
 * this file; nothing here runs on import.
 */
// --- imports
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Agents, Stack } from "@getstack/effect"
import * as Fetch from "@getstack/effect/Fetch"
import * as Undici from "@getstack/effect/Undici"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
// ---

// --- undici
export const StackOverUndici = Stack.layer({ apiKey: "sk_live_..." }).pipe(Layer.provide(Undici.layer))
// ---

// --- undici-platform
export const StackOverPlatformUndici = Stack.layer({ apiKey: "sk_live_..." }).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)
// ---

// --- fetch
export const StackOverFetch = Stack.layer({ apiKey: "sk_live_..." }).pipe(Layer.provide(Fetch.layer))
// ---

// --- tracing-off
// one effect
export const getUntraced = (id: string) =>
  Effect.flatMap(Agents.Agents, (agents) => agents.get(id)).pipe(Effect.withTracerEnabled(false))

// a whole runtime, as a layer
export const StackUntraced = Layer.merge(StackOverUndici, Layer.setTracerEnabled(false))
// ---
