import { type ErrorCode, statusOfCode } from "@getstack/effect/api/Errors"
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

/** The HTTP status of a refusal. */
export const statusOf = (failure: StackFailure): number =>
  (statusOfCode as Record<string, number>)[failure.code] ?? 400

/** The refusal for a resource that does not exist for this operator. */
export const notFound = (what: string, id: string): Effect.Effect<never, StackFailure> =>
  refuse("NOT_FOUND", `${what} ${id} not found`)

/**
 * Whether a client should retry the same request (the `x-should-retry`
 * header): conflicts of state are final unless the refusal says otherwise.
 */
export const shouldRetryOf = (failure: StackFailure): boolean | undefined =>
  failure.retryable ?? (statusOf(failure) === 409 ? false : undefined)
