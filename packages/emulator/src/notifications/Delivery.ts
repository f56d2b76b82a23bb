/**
 * Delivering events: a webhook's deliveries are sent by a background worker,
 * signed the Standard Webhooks way (`Webhooks.sign` of the SDK), retried with
 * backoff; an email's or SMS's are put in the outbox (the emulator sends
 * neither).
 *
 * The worker (`worker`, started with `start`) takes the pending deliveries
 * that are due, oldest due first, and POSTs each one's event with a 10-second
 * timeout. A 2xx delivers it; anything else (another status, a network
 * error, the timeout) is an attempt recorded (when, the status, an excerpt of
 * what went wrong, how long it took), and the delivery is tried again 1 s,
 * 5 s, 30 s, 2 min and 10 min after each failure: 6 attempts in all, then it
 * has `failed`. Each attempt is committed before the next is made, and the
 * `webhook-id` is the delivery's id on every attempt, so a receiver can tell a
 * retry. Between attempts the worker sleeps (on `Clock`, so `TestClock` drives
 * it) until the next one is due or until `emit` wakes it; it never polls.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import { RetrySchedule } from "@getstack/effect/api/Notifications"
import { WebhookEvent } from "@getstack/effect/api/Webhooks"
import * as Webhooks from "@getstack/effect/Webhooks"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { excerpt } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as Store from "./Store.js"

type Sql<A> = Effect.Effect<A, SqlError.SqlError, SqlClient.SqlClient>

/** How long a webhook has to answer an attempt. */
export const ATTEMPT_TIMEOUT = Duration.seconds(10)

/** How many attempts a delivery gets: the first, and one after each delay of `RetrySchedule`. */
export const MAX_ATTEMPTS = RetrySchedule.length + 1

/** The longest excerpt of what went wrong an attempt keeps. */
export const MAX_ERROR = 200

/** How many due deliveries the worker takes at once, and how many of them it sends at the same time. */
const BATCH = 32
const CONCURRENCY = 8

const encodeEvent = Schema.encodeSync(WebhookEvent)

/**
 * The body of every delivery of an event: the `WebhookEvent`, encoded, as
 * JSON (`id`, `type`, `created_at` in ISO-8601, `operator_id`, `data`). The
 * same bytes on every attempt.
 */
export const bodyOf = (event: Store.EventRow): string => {
  const encoded = encodeEvent(
    new WebhookEvent({
      id: event.id,
      type: event.type,
      created_at: DateTime.unsafeMake(event.created_at),
      operator_id: event.operator_id,
      data: JSON.parse(event.data) as Record<string, unknown>
    }, { disableValidation: true })
  )
  return JSON.stringify({
    id: encoded.id,
    type: encoded.type,
    created_at: encoded.created_at,
    operator_id: encoded.operator_id,
    data: encoded.data
  })
}

/** The wakers of the running workers, by the database they deliver from. */
const wakers = new WeakMap<SqlClient.SqlClient, () => void>()

/**
 * Wakes the worker delivering from this database, if one runs: it looks for
 * due deliveries at once. Waking it inside a transaction is safe: its reads
 * wait for the transaction to end.
 */
export const wake: Effect.Effect<void, never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) => wakers.get(sql)?.()
)

/**
 * Sends an event to one destination: a pending delivery for a webhook (due
 * now; `wake` the worker after), a delivered one and an outbox message for an
 * email or SMS. Whether the destination may receive it is the caller's to
 * judge. Returns the delivery's id.
 */
export const enqueue = (event: Store.EventRow, destination: Store.DestinationRow): Sql<string> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const webhook = destination.channel_type === "webhook"
    const delivery: Store.DeliveryRow = {
      id: newId("msg"),
      operator_id: event.operator_id,
      event_id: event.id,
      event_type: event.type,
      destination_id: destination.id,
      status: webhook ? "pending" : "delivered",
      attempts: JSON.stringify(
        webhook ? [] : [{ at: now, status_code: null, error: null, duration_ms: 0 } satisfies Store.AttemptRecord]
      ),
      next_attempt_at: webhook ? now : null,
      created_at: now
    }
    yield* Store.insertDelivery(delivery)
    if (!webhook) {
      yield* Store.insertOutbox({
        operator_id: event.operator_id,
        delivery_id: delivery.id,
        destination_id: destination.id,
        channel_type: destination.channel_type,
        destination: destination.destination,
        event_type: event.type,
        body: bodyOf(event),
        created_at: now
      })
    }
    return delivery.id
  })

/**
 * Routes an event to the verified destinations of the operator's rules that
 * take it (see `Events.emit`), and wakes the worker when a webhook is among
 * them. Returns how many deliveries it made.
 */
export const route = (event: Store.EventRow): Sql<number> =>
  Effect.gen(function*() {
    const destinations = yield* Store.routedDestinations(event.operator_id, event.type, event.severity)
    for (const destination of destinations) yield* enqueue(event, destination)
    if (destinations.some((destination) => destination.channel_type === "webhook")) yield* wake
    return destinations.length
  })

/** What an attempt came to: the status answered (null when none was) and what went wrong (null on a 2xx). */
interface Outcome {
  readonly status_code: number | null
  readonly error: string | null
}

const isOk = (status: number) => status >= 200 && status < 300

/** What went wrong with a request that got no answer. */
const failureOf = (error: unknown): string =>
  Cause.isTimeoutException(error)
    ? `no answer within ${Duration.format(ATTEMPT_TIMEOUT)}`
    : error instanceof Error
    ? error.message
    : String(error)

/** POSTs a signed body to `url`: what came of it. Never fails. */
const post = (http: HttpClient.HttpClient, url: string, headers: Webhooks.SignedHeaders, body: string) =>
  http.execute(
    HttpClientRequest.post(url).pipe(
      HttpClientRequest.setHeaders(headers),
      HttpClientRequest.bodyText(body, "application/json")
    )
  ).pipe(
    Effect.flatMap((response) =>
      Effect.map(
        Effect.orElseSucceed(response.text, () => ""),
        (text): Outcome =>
          isOk(response.status)
            ? { status_code: response.status, error: null }
            : {
              status_code: response.status,
              error: excerpt(`HTTP ${response.status}${text.trim() === "" ? "" : `: ${text.trim()}`}`, MAX_ERROR)
            }
      )
    ),
    Effect.timeout(ATTEMPT_TIMEOUT),
    Effect.catchAll((error) => Effect.succeed<Outcome>({ status_code: null, error: excerpt(failureOf(error), MAX_ERROR) }))
  )

/** Ends a delivery that cannot be attempted (its destination or event is gone), with no attempt. */
const abandon = (delivery: Store.DeliveryRow) =>
  Store.updateDelivery(delivery.id, { status: "failed", attempts: Store.attemptsOf(delivery), next_attempt_at: null })

/**
 * One attempt of a due delivery: sign, POST, then record the attempt and what
 * follows (delivered, the next attempt, or failed) in one transaction. Only a
 * verified destination receives anything but its verification code.
 */
const attempt = (http: HttpClient.HttpClient, delivery: Store.DeliveryRow) =>
  Effect.gen(function*() {
    const destination = yield* Store.destinationById(delivery.destination_id)
    const event = yield* Store.eventById(delivery.event_id)
    if (
      destination === undefined || event === undefined || destination.webhook_secret === null ||
      (destination.verified !== 1 && event.type !== "destination.verification")
    ) {
      return yield* abandon(delivery)
    }
    const body = bodyOf(event)
    const headers = yield* Webhooks.sign({ secret: destination.webhook_secret, id: delivery.id, body })
    const at = yield* Clock.currentTimeMillis
    const outcome = yield* post(http, destination.destination, headers, body)
    const now = yield* Clock.currentTimeMillis
    yield* SqlClient.SqlClient.pipe(Effect.flatMap((sql) =>
      sql.withTransaction(Effect.gen(function*() {
        const current = yield* Store.deliveryById(delivery.id)
        if (current === undefined) return
        const attempts = [...Store.attemptsOf(current), { at, ...outcome, duration_ms: Math.max(0, now - at) }]
        // a delivery failed meanwhile (its destination removed) keeps its status
        const status = current.status !== "pending"
          ? current.status
          : outcome.error === null
          ? "delivered"
          : attempts.length >= MAX_ATTEMPTS
          ? "failed"
          : "pending"
        const next = status === "pending" ? now + RetrySchedule[attempts.length - 1]! : null
        yield* Store.updateDelivery(delivery.id, { status, attempts, next_attempt_at: next })
      }))
    ))
  })

/**
 * The delivery worker, for as long as it runs: attempts the due deliveries,
 * then sleeps until the next is due or `wake` is called. A failure of its own
 * (the database) is logged, and the worker goes on a second later.
 */
export const worker: Effect.Effect<never, never, SqlClient.SqlClient | HttpClient.HttpClient> = Effect.scoped(
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const http = HttpClient.withTracerPropagation(yield* HttpClient.HttpClient, false)
    const signal = yield* Queue.sliding<void>(1)
    yield* Effect.acquireRelease(
      Effect.sync(() => wakers.set(sql, () => Queue.unsafeOffer(signal, undefined))),
      () => Effect.sync(() => wakers.delete(sql))
    )
    const untilWoken = Queue.take(signal)
    const step = Effect.gen(function*() {
      const due = yield* Store.dueDeliveries(yield* Clock.currentTimeMillis, BATCH)
      if (due.length > 0) {
        return yield* Effect.forEach(due, (delivery) => attempt(http, delivery), { concurrency: CONCURRENCY, discard: true })
      }
      const next = yield* Store.nextDueAt()
      // the delay is taken from the clock right before sleeping, so a clock moved meanwhile is not slept past
      yield* next === undefined
        ? untilWoken
        : Effect.raceFirst(
          Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sleep(Math.max(0, next - now))),
          untilWoken
        )
    })
    return yield* Effect.forever(
      step.pipe(
        Effect.catchAllCause((cause) =>
          Effect.zipRight(Effect.logError("the notification delivery worker failed; retrying in 1 s", cause), Effect.sleep("1 second"))
        )
      )
    )
  })
)

/**
 * Starts the delivery worker in the background, for the life of the scope.
 *
 * ```ts
 * yield* Delivery.start.pipe(Effect.provide(database), Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const start: Effect.Effect<void, never, Scope.Scope | SqlClient.SqlClient | HttpClient.HttpClient> = Effect.asVoid(
  Effect.forkScoped(worker)
)

/** A message of the outbox: what would have gone out by email or SMS. */
export type OutboxMessage = Store.OutboxMessage

/** The operator's outbox (what went to its email and SMS destinations), oldest first. */
export const outbox = (operatorId: string): Sql<ReadonlyArray<OutboxMessage>> => Store.outbox(operatorId)
