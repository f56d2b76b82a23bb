/**
 * Snippets of docs/retries.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Agents, Retry, Stack, StackClient } from "@getstack/effect"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
// ---

// --- client-options
export const PatientStack = Stack.layer({
  apiKey: "sk_live_...",
  timeout: "20 seconds",
  retry: {
    maxRetries: 4,
    initialDelay: "250 millis",
    maxDelay: "5 seconds",
    maxRetryAfter: "30 seconds"
  }
}).pipe(Layer.provide(FetchHttpClient.layer))
// ---

// --- call-options
export const registerForBatch = (batchId: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const agent = yield* agents.register({ name: `worker-${batchId}`, accountability_mode: "logged" }).pipe(
      StackClient.withCallOptions({
        idempotencyKey: `register-worker-${batchId}`,
        timeout: "10 seconds",
        retry: { maxRetries: 5 }
      })
    )
    const fresh = yield* agents.get(agent.id).pipe(StackClient.withCallOptions({ retry: false }))
    return fresh
  })
// ---

// --- deadline
export const getWithin = (id: string, deadline: Duration.DurationInput) =>
  Effect.flatMap(Agents.Agents, (agents) => agents.get(id)).pipe(Effect.timeout(deadline))
// ---

// --- custom-schedule
const everySecondFiveTimes: Schedule.Schedule<unknown, Retry.RetryInput> = Schedule.spaced("1 second").pipe(
  Schedule.intersect(Schedule.recurs(5))
)

export const SteadyStack = Stack.layer({
  apiKey: "sk_live_...",
  retry: { schedule: everySecondFiveTimes }
}).pipe(Layer.provide(FetchHttpClient.layer))
// ---

// --- helpers
export const delays = Effect.gen(function*() {
  const asked = Retry.retryAfterMs({ "retry-after": "3" }, Date.now())
  const first = yield* Retry.delayFor({ retryable: true, retryAfterMs: asked }, 0)
  const backoff = yield* Retry.delayFor({ retryable: true, retryAfterMs: undefined }, 3)
  // a 503 is retried on a read or an idempotent write only; a 409, never
  const retried = [Retry.isRetryableStatus(503, true), Retry.isRetryableStatus(503, false), Retry.isRetryableStatus(409, true)]
  return [Duration.format(first), Duration.format(backoff), ...retried] as const
})
// ---
