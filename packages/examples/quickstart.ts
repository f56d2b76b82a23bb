/**
 * The quick start: register an agent, list, update, get and delete it, against
 * the emulator running in this process. `npm start` runs it.
 */
import { Agents } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

const program = Effect.gen(function*() {
  const agents = yield* Agents.Agents

  const agent = yield* agents.register({
    name: "invoice-bot",
    description: "Processes invoices",
    accountability_mode: "enforced",
    credential_access: "proxy_only"
  })
  yield* Console.log(`registered ${agent.name} (${agent.id}): ${agent.accountability_mode}, ${agent.status}`)

  const all = yield* Stream.runCollect(agents.listAll())
  yield* Console.log(`listed ${all.length} agent(s): ${Array.from(all, (a) => a.name).join(", ")}`)

  const suspended = yield* agents.update(agent.id, { status: "suspended", description: "On hold" })
  yield* Console.log(`updated ${suspended.name}: status ${suspended.status}, description "${suspended.description}"`)

  const fetched = yield* agents.get(agent.id)
  yield* Console.log(`got ${fetched.name}: status ${fetched.status}`)

  const deleted = yield* agents.delete(agent.id)
  yield* Console.log(`deleted ${deleted.id ?? agent.id}`)

  yield* agents.get(agent.id).pipe(
    Effect.catchTag("NotFoundError", (error) => Console.log(`get after delete: ${error._tag} ${error.code} (request ${error.requestId})`))
  )
})

program.pipe(
  Effect.provide(Emulator.layerStack()),
  Effect.runPromise
).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
