/**
 * Snippets of docs/agents.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Agents, Api, StackClient, StackError } from "@getstack/effect"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
// ---

// --- register
export const register = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  return yield* agents.register({
    name: "invoice-bot",
    description: "Processes invoices",
    accountability_mode: "logged",
    on_warning: "notify",
    on_critical: "block",
    credential_access: "proxy_only",
    icon_url: "https://example.com/invoice-bot.png"
  })
})
// ---

// --- list
export const listAll = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const all = yield* Stream.runCollect(agents.listAll())
  const suspended = yield* agents.listAll({ pageSize: 20 }).pipe(
    Stream.filter((agent) => agent.status === "suspended"),
    Stream.map((agent) => agent.name),
    Stream.runCollect
  )
  yield* Console.log(`${Chunk.size(all)} agent(s); suspended: ${Chunk.join(suspended, ", ")}`)
})
// ---

// --- list-page
export const secondPage = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const page = yield* agents.list({ page: 2, limit: 20 })
  // STACK does not document the envelope's counts: each may be missing
  yield* Console.log(`page 2: ${page.agents.length} of ${page.total ?? "?"}, more: ${page.has_more ?? "?"}`)
  return page
})
// ---

// --- get-update
export const lifecycle = (id: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const agent = yield* agents.get(id)
    const renamed = yield* agents.update(agent.id, { name: "invoice-bot-v2", description: null })
    const suspended = yield* agents.update(renamed.id, { status: "suspended" })
    const active = yield* agents.update(suspended.id, { status: "active" })
    return active
  })
// ---

// --- delete-unblock
export const unblockThenDelete = (
  id: string,
  // asks a human to grant the approval, and succeeds once it is granted
  approve: (held: StackError.ApprovalRequiredError) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    const { agent, was_blocked } = yield* agents.unblock(id).pipe(
      Effect.catchTag("ApprovalRequiredError", (held) =>
        Effect.zipRight(approve(held), agents.unblock(id, { governance_approval_id: held.approvalId })))
    )
    // the agent comes back only where STACK sends it
    yield* Console.log(`${agent?.name ?? id}: was blocked ${was_blocked}, now blocked ${agent?.passport_blocked ?? false}`)
    const deleted = yield* agents.delete(id)
    return deleted.id ?? id
  })
// ---

// --- register-or-reuse
export const ensureAgent = (name: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.register({ name }).pipe(
      Effect.catchTag("ConflictError", () =>
        agents.listAll().pipe(
          Stream.filter((agent) => agent.name === name),
          Stream.runHead,
          Effect.flatMap(Option.match({
            onNone: () => Effect.dieMessage(`${name} was taken, then vanished`),
            onSome: Effect.succeed
          }))
        ))
    )
  })
// ---

// --- invalid-request
const decodeInvalidRequest = Schema.decodeUnknownOption(Api.Errors.InvalidRequestDetails)

export const registerChecked = (name: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.register({ name }).pipe(
      Effect.tapErrorTag("BadRequestError", (error) =>
        Option.match(decodeInvalidRequest(error.details), {
          onNone: () => Console.error(`${error.code}: ${error.message}`),
          onSome: ({ fields }) =>
            Effect.forEach(Object.entries(fields), ([field, problem]) => Console.error(`${field}: ${problem}`))
        }))
    )
  })
// ---

// --- call-options
export const quickLookup = (id: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.get(id).pipe(StackClient.withCallOptions({ timeout: "5 seconds", retry: false }))
  })
// ---
