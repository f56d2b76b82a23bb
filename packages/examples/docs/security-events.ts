/**
 * Snippets of docs/security-events.md. Every block of that page is copied
 * from this file; nothing here runs on import.
 */
// --- imports
import { Passports, SecurityEvents } from "@getstack/effect"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
// ---

// --- list
export const openEvents = Effect.gen(function*() {
  const events = yield* SecurityEvents.SecurityEvents
  const page = yield* events.list({ limit: 20 })
  for (const event of page.events) {
    yield* Console.log(`${event.severity} ${event.type} (${event.agent_id ?? "?"}): ${event.detail ?? ""}`)
  }
  // every unresolved critical event, newest first, page after page
  const critical = yield* events.listAll().pipe(
    Stream.filter((event) => event.severity === "critical"),
    Stream.runCollect
  )
  return Chunk.toReadonlyArray(critical)
})
// ---

// --- resolve
export const resolveAgentEvents = (agentId: string) =>
  Effect.gen(function*() {
    const events = yield* SecurityEvents.SecurityEvents
    // read them all first: each one resolved leaves the listing
    const open = yield* Stream.runCollect(events.listAll({ agent_id: agentId }))
    const answers = yield* Effect.forEach(open, (event) => events.resolve(event.id))
    // a repeat is not an error: `resolved` is false when the event was already resolved
    return answers.filter((answer) => answer.resolved).length
  })
// ---

// --- blocked
export const issueOrExplain = (agentId: string) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    const events = yield* SecurityEvents.SecurityEvents
    return yield* passports.issue({ agent_id: agentId, intent: { summary: "Send the invoices", services: ["stripe"] } }).pipe(
      Effect.map(Option.some),
      Effect.catchTag("ForbiddenError", (error) =>
        error.code !== "PASSPORT_BLOCKED"
          ? Effect.fail(error)
          : Effect.gen(function*() {
            const { events: recent } = yield* events.list({ agent_id: agentId, limit: 5 })
            for (const event of recent) yield* Console.log(`blocked after ${event.severity} ${event.type}: ${event.detail ?? ""}`)
            return Option.none()
          }))
    )
  })
// ---
