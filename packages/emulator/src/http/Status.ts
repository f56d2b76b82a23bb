/**
 * What a refusal looks like on the wire besides its body: its HTTP status and
 * the `x-should-retry` header.
 */
import { statusOfCode } from "@getstack/effect/api/Errors"
import type { StackFailure } from "../core/Failure.js"

/** The HTTP status of a refusal: the one STACK sends its code with, else 400. */
export const statusOf = (failure: StackFailure): number =>
  (statusOfCode as Record<string, number>)[failure.code] ?? 400

/**
 * Whether a client should retry the same request (the `x-should-retry`
 * header): conflicts of state are final unless the refusal says otherwise.
 */
export const shouldRetryOf = (failure: StackFailure): boolean | undefined =>
  failure.retryable ?? (statusOf(failure) === 409 ? false : undefined)
