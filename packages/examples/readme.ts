// The README's usage code, verbatim, so `npm test`'s typecheck proves it compiles. Not run.
import { Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

const program = Effect.gen(function*() {
  const stack = yield* Stack.Stack

  // Register an agent
  const agent = yield* stack.agents.register({ name: "my-agent", accountability_mode: "enforced" })

  // Every agent, page after page, as a Stream
  yield* Stream.runForEach(stack.agents.listAll(), (a) => Effect.log(a.name))

  yield* stack.agents.update(agent.id, { status: "suspended" })
  yield* stack.agents.delete(agent.id)
}).pipe(
  // Errors are values: branch on their tag (and on STACK's `code`)
  Effect.catchTag("ConflictError", (e) => Effect.logWarning(`name taken: ${e.code}`))
)

// API key (or Stack.layerConfig() for ~/.stack/credentials.json, then STACK_API_KEY;
// Stack.fromSession("eyJ…"); Stack.fromOAuth({ clientId, clientSecret, accessToken, refreshToken }))
const StackLive = Stack.layer({ apiKey: process.env.STACK_API_KEY ?? "" }).pipe(
  Layer.provide(FetchHttpClient.layer)
)

Effect.runPromise(program.pipe(Effect.provide(StackLive)))


Effect.runPromise(program.pipe(Effect.provide(Emulator.layerStack())))
