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

/** How much of a caller's id a message repeats. */
export const MAX_ID_EXCERPT = 64

/** How many items of a caller's list a message names. */
export const MAX_LIST_EXCERPT = 10

/** The longest message a refusal sends or the audit chain keeps. */
export const MAX_MESSAGE = 1024

/**
 * At most `max` characters of `text`, cut with `…` when longer (never inside
 * a surrogate pair): how a message repeats what a caller sent, so that an
 * answer or an audit entry never grows with the input.
 */
export const excerpt = (text: string, max: number = MAX_ID_EXCERPT): string => {
  if (text.length <= max) return text
  const last = text.charCodeAt(max - 1)
  const cut = last >= 0xd800 && last <= 0xdbff ? max - 1 : max
  return `${text.slice(0, cut)}…`
}

/** The first `max` items of a list, each an `excerpt`, then "and K more": `a, b and 3 more`. */
export const listExcerpt = (items: ReadonlyArray<string>, max: number = MAX_LIST_EXCERPT): string => {
  const named = items.slice(0, max).map((item) => excerpt(item))
  const rest = items.length - named.length
  return rest > 0 ? `${named.join(", ")} and ${rest} more` : named.join(", ")
}

/** The refusal for a resource that does not exist for this operator. */
export const notFound = (what: string, id: string): Effect.Effect<never, StackFailure> =>
  refuse("NOT_FOUND", `${what} ${excerpt(id)} not found`)
