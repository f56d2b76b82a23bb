/**
 * Snippets of docs/governance.md. Every block of that page is copied from
 * this file; nothing here runs on import.
 */
// --- imports
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Agents, Reviews, StackError } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { createServer } from "node:http"
// ---

// --- catch-resend
export const blockForGood = (
  checkoutId: string,
  // asks a human to grant the approval, and succeeds once it is granted
  approve: (held: StackError.ApprovalRequiredError) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const reviews = yield* Reviews.Reviews
    const decision = {
      checkout_id: checkoutId,
      decision: "blocked",
      notes: "used github outside its intent",
      block_future: true
    } as const
    const decided = yield* reviews.decide(decision).pipe(
      Effect.catchTag("ApprovalRequiredError", (held) =>
        // the same request, with the approval: STACK checks that nothing else changed
        Effect.zipRight(approve(held), reviews.decide({ ...decision, governance_approval_id: held.approvalId })))
    )
    return decided.agent_blocked
  })
// ---

// --- wait-for-human
const isHeld = (error: unknown): error is StackError.ApprovalRequiredError =>
  error instanceof StackError.ApprovalRequiredError

/**
 * Sends a request STACK may hold for a human. When it is held, `tell` shows a human where to
 * decide; then the same request is sent again with the approval, every `every`, until a human
 * has decided: approved, it goes through; rejected, it fails with GOVERNANCE_APPROVAL_INVALID.
 */
export const withApproval = <A, E, R>(
  send: (approval: { readonly governance_approval_id?: string }) => Effect.Effect<A, E | StackError.ApprovalRequiredError, R>,
  tell: (held: StackError.ApprovalRequiredError) => Effect.Effect<void>,
  every: Duration.DurationInput = "30 seconds"
) =>
  send({}).pipe(
    Effect.catchIf(isHeld, (held) =>
      Effect.zipRight(
        tell(held),
        // while no human has decided, each answer is the same ApprovalRequiredError
        Effect.retry(send({ governance_approval_id: held.approvalId }), { while: isHeld, schedule: Schedule.spaced(every) })
      ))
  )

export const unblockOnceApproved = (agentId: string, tell: (held: StackError.ApprovalRequiredError) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const { was_blocked } = yield* withApproval((approval) => agents.unblock(agentId, approval), tell)
    return was_blocked
  })

export const tellOnConsole = (held: StackError.ApprovalRequiredError) =>
  Console.log(`held for a human (${held.approvalId}): decide at ${held.approvalUrl ?? "STACK's dashboard"}`)
// ---

// --- invalid
/** Sends an unblock with an approval asked for earlier; says why it did not go through. */
export const unblockWith = (agentId: string, approvalId: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.unblock(agentId, { governance_approval_id: approvalId }).pipe(
      Effect.as("unblocked"),
      Effect.catchTags({
        // no human has decided yet
        ApprovalRequiredError: (held) => Effect.succeed(`still waiting for ${held.approvalId}`),
        // unknown, for another request, used, expired or rejected: send the request without it for a new one
        ForbiddenError: (error) =>
          error.code === "GOVERNANCE_APPROVAL_INVALID" ? Effect.succeed(`unusable: ${error.message}`) : Effect.fail(error)
      })
    )
  })
// ---

// --- test-in-process
/** Blocks an agent and asks to unblock it: the approval the unblock is held for. */
const heldUnblock = (agentId: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const emulator = yield* Emulator.Emulator
    yield* emulator.blockPassports(agentId)
    const held = yield* Effect.flip(agents.unblock(agentId))
    if (!(held instanceof StackError.ApprovalRequiredError)) return yield* Effect.dieMessage(`not held: ${held._tag}`)
    return held.approvalId
  })

const codeOf = (error: StackError.StackError) => StackError.isHttpStatusError(error) ? error.code : error._tag

/** Approved, the unblock goes through, once: { unblocked: true, again: "GOVERNANCE_APPROVAL_INVALID" }. */
export const approvedOnce = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const emulator = yield* Emulator.Emulator
  const agent = yield* agents.register({ name: "approved-bot" })
  const approvalId = yield* heldUnblock(agent.id)
  // the emulator stands in for the human
  yield* Effect.orDie(emulator.decideApproval(emulator.operatorId, approvalId, "approved"))
  const unblocked = yield* agents.unblock(agent.id, { governance_approval_id: approvalId })
  const again = yield* Effect.flip(agents.unblock(agent.id, { governance_approval_id: approvalId }))
  return { unblocked: unblocked.was_blocked, again: codeOf(again) }
})

/** Rejected, or approved a day ago: { rejected: "GOVERNANCE_APPROVAL_INVALID", late: "GOVERNANCE_APPROVAL_INVALID" }. */
export const rejectedOrLate = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const emulator = yield* Emulator.Emulator
  const agent = yield* agents.register({ name: "refused-bot" })
  const rejected = yield* heldUnblock(agent.id)
  yield* Effect.orDie(emulator.decideApproval(emulator.operatorId, rejected, "rejected"))
  const refused = yield* Effect.flip(agents.unblock(agent.id, { governance_approval_id: rejected }))
  const late = yield* heldUnblock(agent.id)
  yield* Effect.orDie(emulator.decideApproval(emulator.operatorId, late, "approved"))
  // on the TestClock of it.effect: an approval lasts 24 hours from when it was asked for
  yield* TestClock.adjust("24 hours")
  const expired = yield* Effect.flip(agents.unblock(agent.id, { governance_approval_id: late }))
  return { rejected: codeOf(refused), late: codeOf(expired) }
})

// in a test file (see testing.md):
//   it.effect("an approval is single-use", () =>
//     Effect.gen(function*() {
//       expect(yield* approvedOnce).toEqual({ unblocked: true, again: "GOVERNANCE_APPROVAL_INVALID" })
//     }).pipe(Effect.provide(Emulator.layerStack())))
// ---

// --- test-served
/** Approves or rejects an approval on a served emulator, as the operator: { id, operation, status }. */
export const decideOnServer = (baseUrl: string, apiKey: string, approvalId: string, decision: "approve" | "reject") =>
  Effect.gen(function*() {
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
    const request = HttpClientRequest.post(`${baseUrl}/_emulator/approvals/${approvalId}/${decision}`).pipe(
      HttpClientRequest.bearerToken(apiKey)
    )
    const response = yield* client.execute(request)
    return (yield* response.json) as { readonly id: string; readonly operation: string; readonly status: string }
  })
// ---

// --- option
/** For tests that are not about approvals: nothing is held. */
export const NothingHeld = Emulator.layerStack({ governance: [] })

/** Only adding notification destinations is held. */
export const DestinationsHeld = Emulator.layerStack({ governance: ["notifications.addDestination"] })

/** A server holding nothing (the CLI always holds all three). */
export const ServerHoldingNothing = Emulator.layerServe.pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port: 4010 })),
  Layer.provide(Emulator.layer({ governance: [] }))
)
// ---
