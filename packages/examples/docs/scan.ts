/**
 * Snippets of docs/scan.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Scan } from "@getstack/effect"
import * as Effect from "effect/Effect"
// ---

// --- before-reading
/** The email's body, or a refusal when STACK finds an injection in it. */
export const readEmail = (agentId: string, email: { readonly from: string; readonly body: string }) =>
  Effect.gen(function*() {
    const scan = yield* Scan.Scan
    const result = yield* scan.scan({ content: email.body, context: "email", source: email.from, agent_id: agentId })
    if (result.verdict === "critical") {
      return yield* Effect.fail(new Error(`Indirect injection caught: ${result.match?.pattern_id}`))
    }
    // a suspicious verdict raised a security event; the content is still the agent's to judge
    return { body: email.body, suspicious: result.verdict === "suspicious" }
  })
// ---

// --- fields
/** Which field of a tool's answer carries an injection, if any. */
export const injectedField = (answer: Record<string, unknown>) =>
  Effect.map(
    Effect.flatMap(Scan.Scan, (scan) => scan.scan({ content: answer, context: "tool_result" })),
    (result) => result.verdict === "clean" ? null : result.match?.field_path ?? null
  )
// ---

// --- usage
export const scansLeft = Effect.map(
  Effect.flatMap(Scan.Scan, (scan) => scan.usage()),
  (usage) => (usage.quota ?? Infinity) - (usage.used ?? 0)
)
// ---
