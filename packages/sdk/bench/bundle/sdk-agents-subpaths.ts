/**
 * `sdk-agents.ts` importing each SDK module from its own path
 * (`@getstack/effect/Agents`, …), as `hand-agents.ts` imports Effect's: a
 * bundler then keeps only what the program uses of each module, where the
 * root entry's namespaces (`import { Auth } from "@getstack/effect"`) are
 * kept whole.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Agents from "@getstack/effect/Agents"
import * as Auth from "@getstack/effect/Auth"
import * as StackClient from "@getstack/effect/StackClient"
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
