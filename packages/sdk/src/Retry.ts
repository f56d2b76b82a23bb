/**
 * The retry policy of the transport, as an Effect `Schedule`.
 *
 * Rules: a read, or a write the contract marks `Idempotent`, is retried
 * after a transport error, a timeout, a 408, a 429 or a 5xx. Any other write
 * is retried only when it provably did not run: no connection was made, or
 * STACK answered 408 or 429. A 409 is a conflict of state and is not retried.
 * The server's `x-should-retry` (`true` or `false`) overrides these rules. The
 * delay is what `retry-after-ms`, then `retry-after` (seconds or an HTTP date)
 * asks, when that is at most 60 s; otherwise 0.5 s·2ⁿ, capped at 8 s, with up
 * to 25 % jitter.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"

/**
 * What a failed attempt tells the schedule.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryInput {
  /** Whether the rules allow a retry of this failure. */
  readonly retryable: boolean
  /** The delay the server asked for, in ms, if it asked. */
  readonly retryAfterMs: number | undefined
  /** Whether the request may have reached STACK (`false`: it provably did not). */
  readonly connected?: boolean | undefined
}

/**
 * Retry options, per client and per call.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  /** Retries after the first attempt. Default 2. */
  readonly maxRetries?: number | undefined
  /** First backoff delay. Default 0.5 s. */
  readonly initialDelay?: Duration.DurationInput | undefined
  /** Largest backoff delay. Default 8 s. */
  readonly maxDelay?: Duration.DurationInput | undefined
  /** Largest server-requested delay that is honoured. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** Replaces the whole schedule; retries stop when it stops. */
  readonly schedule?: Schedule.Schedule<unknown, RetryInput> | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  maxRetries: 2,
  initialDelay: Duration.millis(500),
  maxDelay: Duration.seconds(8),
  maxRetryAfter: Duration.seconds(60)
} as const

/**
 * The delay before retry number `retry` (0 for the first).
 *
 * @since 0.1.0
 * @category schedules
 */
export const delayFor = (
  input: RetryInput,
  retry: number,
  options: RetryOptions = {}
): Effect.Effect<Duration.Duration> => {
  const maxRetryAfter = Duration.toMillis(options.maxRetryAfter ?? defaults.maxRetryAfter)
  if (input.retryAfterMs !== undefined && input.retryAfterMs >= 0 && input.retryAfterMs <= maxRetryAfter) {
    return Effect.succeed(Duration.millis(input.retryAfterMs))
  }
  const initial = Duration.toMillis(options.initialDelay ?? defaults.initialDelay)
  const max = Duration.toMillis(options.maxDelay ?? defaults.maxDelay)
  const base = Math.min(initial * 2 ** retry, max)
  return Effect.map(Random.next, (r) => Duration.millis(Math.round(base * (1 - r * 0.25))))
}

/**
 * The schedule the transport retries with. The transport retries only
 * failures the rules allow, whatever the schedule.
 *
 * @since 0.1.0
 * @category schedules
 */
export const schedule = (options: RetryOptions = {}): Schedule.Schedule<unknown, RetryInput> =>
  options.schedule ??
    Schedule.identity<RetryInput>().pipe(
      Schedule.intersect(Schedule.recurs(options.maxRetries ?? defaults.maxRetries)),
      Schedule.modifyDelayEffect(([input, retry]) => delayFor(input, retry, options)),
      Schedule.asVoid
    )

/**
 * Reads `retry-after-ms`, then `retry-after` (delta seconds or an HTTP date).
 *
 * @since 0.1.0
 * @category headers
 */
export const retryAfterMs = (headers: Readonly<Record<string, string | undefined>>, now: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined && ms.trim() !== "") {
    const value = Number(ms)
    if (Number.isFinite(value)) return value
  }
  const after = headers["retry-after"]
  if (after === undefined || after.trim() === "") return undefined
  const seconds = Number(after)
  if (Number.isFinite(seconds)) return seconds * 1000
  const date = Date.parse(after)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Whether a status may be retried by the rules: 408 and 429 always (the
 * request was not performed), 5xx only for an idempotent endpoint.
 *
 * @since 0.1.0
 * @category rules
 */
export const isRetryableStatus = (status: number, idempotent: boolean): boolean =>
  status === 408 || status === 429 || (idempotent && status >= 500)
