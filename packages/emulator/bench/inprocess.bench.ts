/**
 * What the SDK's transport costs over the emulator's bare web handler, in the
 * same run: `npm run bench`. vitest prints each case relative to the fastest.
 */
import { Agents } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { afterAll, bench, describe } from "vitest"

const runtime = ManagedRuntime.make(Emulator.layerStack())
const { agent, emulator } = await runtime.runPromise(Effect.gen(function*() {
  const agents = yield* Agents.Agents
  return { agent: yield* agents.register({ name: "bench-bot" }), emulator: yield* Emulator.Emulator }
}))
const authorization = `Bearer ${Redacted.value(emulator.apiKey)}`
const getViaSdk = Effect.flatMap(Agents.Agents, (agents) => agents.get(agent.id))

afterAll(() => runtime.dispose())

describe("GET /v1/agents/{id}, in process", () => {
  bench("baseline: the emulator's web handler, raw Request", async () => {
    const response = await emulator.handler(
      new Request(`https://api.getstack.run/v1/agents/${agent.id}`, { headers: { authorization } })
    )
    await response.json()
  })

  bench("the SDK: Agents.get (transport, retries policy, decoding)", async () => {
    await runtime.runPromise(getViaSdk)
  })
})
