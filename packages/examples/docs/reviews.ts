/**
 * Snippets of docs/reviews.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Agents, Passports, Reviews, type StackError } from "@getstack/effect"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
// ---

// --- flagged
export const flaggedCheckout = (name: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const passports = yield* Passports.Passports
    // notify: the review decides what happens to the agent (with "block", the default, it is blocked at once)
    const agent = yield* agents.register({ name, accountability_mode: "enforced", on_critical: "notify" })
    const passport = yield* passports.issue({
      agent_id: agent.id,
      intent: { summary: "Send this month's invoices", services: ["stripe"] }
    })
    const checkout = yield* passports.checkout(passport.jti, {
      services_used: ["stripe", "gmail"],
      actions_count: 12,
      summary: "12 invoices sent"
    })
    // gmail was not declared: a critical credential_outside_scope signal, so the checkout is flagged
    for (const signal of checkout.signals ?? []) yield* Console.log(`${signal.severity} ${signal.type}: ${signal.detail}`)
    yield* Console.log(`${checkout.checkout_id}: ${checkout.review}`)
    return checkout.checkout_id
  })
// ---

// --- list
export const toReview = Effect.gen(function*() {
  const reviews = yield* Reviews.Reviews
  const page = yield* reviews.list({ limit: 10 })
  for (const review of page.reviews) {
    yield* Console.log(`${review.checkout_id} ${review.agent_id}: used ${review.services_used?.join(", ")} (${review.summary ?? "no summary"})`)
  }
  // every checkout decided blocked, newest first
  const blocked = yield* Stream.runCollect(reviews.listAll({ status: "blocked" }))
  return { flagged: page.reviews, blocked }
})
// ---

// --- decide
export const triage = (allowed: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const reviews = yield* Reviews.Reviews
    const flagged = yield* Stream.runCollect(reviews.listAll())
    return yield* Effect.forEach(flagged, (review) => {
      const extra = (review.services_used ?? []).filter((service) => !allowed.includes(service))
      return reviews.decide(
        extra.length === 0
          ? { checkout_id: review.checkout_id, decision: "approved", notes: "every service used is on the allow list" }
          : { checkout_id: review.checkout_id, decision: "blocked", notes: `used ${extra.join(", ")}` }
      )
    })
  })
// ---

// --- block-future
export const approveButStop = (
  checkoutId: string,
  // asks a human to grant the approval, and succeeds once it is granted
  approve: (held: StackError.ApprovalRequiredError) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const reviews = yield* Reviews.Reviews
    const request = {
      checkout_id: checkoutId,
      decision: "approved",
      notes: "the work was fine; the agent is retired",
      block_future: true
    } as const
    const decided = yield* reviews.decide(request).pipe(
      Effect.catchTag("ApprovalRequiredError", (held) =>
        Effect.zipRight(approve(held), reviews.decide({ ...request, governance_approval_id: held.approvalId })))
    )
    yield* Console.log(`${decided.review.status}; the agent is blocked: ${decided.agent_blocked}`)
    return decided
  })
// ---
