/**
 * Snippets of docs/dropoffs.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Dropoffs, StackError } from "@getstack/effect"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
// ---

// --- handoff
/** Hands an invoice summary from one agent to another: create, deposit, collect. */
export const handoff = (fromAgent: string, toAgent: string) =>
  Effect.gen(function*() {
    const dropoffs = yield* Dropoffs.Dropoffs
    const dropoff = yield* dropoffs.create({
      from_agent: fromAgent,
      to_agent: toAgent,
      schema: {
        type: "object",
        properties: { invoice_id: { type: "string" }, total_cents: { type: "integer", minimum: 0 } },
        required: ["invoice_id", "total_cents"]
      },
      ttl_seconds: 600
    })
    yield* dropoffs.deposit(dropoff.id, { payload: { invoice_id: "inv_42", total_cents: 12900 } })
    const collected = yield* dropoffs.collect(dropoff.id)
    return collected.payload
  })
// ---

// --- typed
/** The payload, as an Effect Schema: the JSON Schema STACK checks is derived from it. */
export const Summary = Schema.Struct({
  invoice_id: Schema.String,
  total_cents: Schema.Int.pipe(Schema.nonNegative()),
  due: Schema.Date
})

/** The same hand-off, typed: `due` travels as an ISO string and comes back a `Date`. */
export const typedHandoff = (fromAgent: string, toAgent: string) =>
  Effect.gen(function*() {
    const summaries = yield* Dropoffs.typed(Summary)
    const dropoff = yield* summaries.create({ from_agent: fromAgent, to_agents: [toAgent] })
    yield* summaries.deposit(dropoff.id, { invoice_id: "inv_43", total_cents: 4200, due: new Date("2026-03-01") })
    const { payload } = yield* summaries.collect(dropoff.id)
    return payload.due.toISOString()
  })
// ---

// --- refusals
/** A deposit that breaks the schema: the violations STACK found, at most 20. */
export const violations = (dropoffId: string, payload: unknown) =>
  Effect.flatMap(Dropoffs.Dropoffs, (dropoffs) => dropoffs.deposit(dropoffId, { payload })).pipe(
    Effect.as([] as ReadonlyArray<string>),
    Effect.catchIf(
      (error): error is StackError.BadRequestError =>
        error._tag === "BadRequestError" && error.code === "SCHEMA_VALIDATION_FAILED",
      (error) => {
        const details = error.details as { errors: ReadonlyArray<{ path: string; message: string }> }
        return Effect.succeed(details.errors.map((violation) => `${violation.path || "payload"} ${violation.message}`))
      }
    )
  )

/** Collects once: a second collector learns someone was first. */
export const collectOnce = (dropoffId: string) =>
  Effect.flatMap(Dropoffs.Dropoffs, (dropoffs) => dropoffs.collect(dropoffId)).pipe(
    Effect.map((collected) => ({ won: true as const, payload: collected.payload })),
    Effect.catchIf(
      (error): error is StackError.ConflictError =>
        error._tag === "ConflictError" && error.code === "DROPOFF_ALREADY_COLLECTED",
      () => Effect.succeed({ won: false as const })
    )
  )
// ---

// --- list
/** The drop-offs still waiting for a deposit, newest first, every page. */
export const waiting = Effect.flatMap(Dropoffs.Dropoffs, (dropoffs) =>
  Stream.runCollect(dropoffs.listAll({ status: "created" })).pipe(
    Effect.map((chunk) => Array.from(chunk, (dropoff) => `${dropoff.id} → ${dropoff.to_agents?.join(", ")}`))
  ))

/** Gives up on a drop-off now: its payload, if any, is erased. */
export const cancel = (dropoffId: string) => Effect.flatMap(Dropoffs.Dropoffs, (dropoffs) => dropoffs.expire(dropoffId))
// ---
