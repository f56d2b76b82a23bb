/**
 * A program that uses only `Agents` through the SDK: register, get, list.
 * `bench/footprint.mjs` bundles it (esbuild, minified, gzip) next to `hand-agents.ts`,
 * the same requests written by hand with `HttpClient` and `Schema`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Agents, Auth, StackClient } from "@getstack/effect"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const StackLive = Agents.layer.pipe(
  Layer.provide(StackClient.layer({ auth: Auth.apiKey(process.env.STACK_API_KEY ?? "") })),
  Layer.provide(FetchHttpClient.layer)
)

const program = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const agent = yield* agents.register({ name: "bundle-bot" })
  console.log(yield* agents.get(agent.id))
  console.log((yield* agents.list({ limit: 10 })).agents.length)
})

Effect.runPromise(Effect.provide(program, StackLive)).catch(console.error)
