/**
 * Runs the documentation's snippets that need no real STACK against the
 * in-process emulator, and prints what they return. From packages/examples:
 *
 *   npx tsx --conditions=@getstack/source docs/check.ts
 */
import { Emulator } from "@getstack/emulator"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as AgentsPage from "./agents.js"
import * as ErrorsPage from "./errors.js"
import * as EmulatorPage from "./emulator.js"
import * as GettingStarted from "./getting-started.js"
import * as RetriesPage from "./retries.js"

const check = Effect.gen(function*() {
  const started = yield* GettingStarted.local
  yield* Console.log(`getting-started: ${started.name} ${started.status}`)
  yield* GettingStarted.viaStack

  const registered = yield* AgentsPage.register
  yield* Console.log(`agents.register: ${registered.accountability_mode} ${registered.credential_access} ${registered.icon_url}`)
  yield* AgentsPage.listAll
  yield* AgentsPage.secondPage
  const active = yield* AgentsPage.lifecycle(registered.id)
  yield* Console.log(`agents.lifecycle: ${active.name} ${active.status} ${active.description}`)
  const ensured = yield* AgentsPage.ensureAgent("invoice-bot-v2")
  yield* Console.log(`agents.ensureAgent reused: ${ensured.id === registered.id}`)
  yield* AgentsPage.registerChecked("Invoice_Bot").pipe(Effect.flip, Effect.flatMap((e) => Console.log(`agents.registerChecked: ${e._tag}`)))
  yield* AgentsPage.quickLookup(registered.id)
  yield* Console.log(`agents.unblockThenDelete: ${yield* AgentsPage.unblockThenDelete(registered.id)}`)

  yield* Console.log(`errors.findAgent: ${(yield* ErrorsPage.findAgent(registered.id))._tag}`)
  yield* Console.log(`errors.registerOnce: ${yield* ErrorsPage.registerOnce("once-bot")} / ${yield* ErrorsPage.registerOnce("once-bot")} / ${yield* ErrorsPage.registerOnce("Once")}`)
  yield* ErrorsPage.logged(ErrorsPage.getWithKeyCheck("agt_missing")).pipe(
    Effect.flip,
    Effect.flatMap((e) => Console.log(`errors.describe: ${ErrorsPage.describe(e)}`))
  )

  const first = yield* RetriesPage.registerForBatch("42")
  const again = yield* RetriesPage.registerForBatch("42")
  yield* Console.log(`retries.registerForBatch replayed: ${first.id === again.id}`)
  yield* Console.log(`retries.delays: ${(yield* RetriesPage.delays).join(", ")}`)
}).pipe(Effect.provide(Emulator.layerStack()))

Effect.runPromise(check.pipe(
  Effect.zipRight(EmulatorPage.isolation),
  Effect.zipRight(EmulatorPage.audited)
)).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
