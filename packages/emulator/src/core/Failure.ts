/**
 * Refusals, in STACK's terms. The HTTP layer gives each its status
 * (`http/Status`) and STACK's error body.
 */
import type { ErrorCode } from "@getstack/effect/api/Errors"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/**
 * A refusal, in STACK's terms: a code, a message and optional details. The
 * HTTP layer turns it into STACK's error body; the status comes from the code.
 */
export class StackFailure extends Data.TaggedError("StackFailure")<{
  readonly code: ErrorCode
  readonly message: string
  readonly details?: unknown
  /** Whether a client may usefully retry the same request (sent as `x-should-retry`). */
  readonly retryable?: boolean
}> {}

/** Fails with a refusal. */
export const refuse = (code: ErrorCode, message: string, details?: unknown): Effect.Effect<never, StackFailure> =>
  Effect.fail(new StackFailure({ code, message, details }))

/** The refusal for a resource that does not exist for this operator. */
export const notFound = (what: string, id: string): Effect.Effect<never, StackFailure> =>
  refuse("NOT_FOUND", `${what} ${id} not found`)
