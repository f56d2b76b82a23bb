/**
 * What happens to an operator, as its notifications deliver it: an event
 * (`evt_…`) of one of the contract's `WebhookEventType`s, with a severity and
 * its data. Domain code `emit`s one inside the transaction of the action it
 * reports, so the event, and the deliveries the operator's rules route it to,
 * exist exactly when the action's effects do.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { Severity } from "@getstack/effect/api/Notifications"
import type { WebhookEventType } from "@getstack/effect/api/Webhooks"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Delivery from "../notifications/Delivery.js"
import type * as Store from "../notifications/Store.js"
import { newId } from "./Ids.js"

/** An event to emit. */
export interface EmitInput {
  readonly operatorId: string
  readonly type: WebhookEventType
  readonly severity: Severity
  /** The event's subject, delivered as the event's `data`: JSON-serializable. */
  readonly data: Record<string, unknown>
}

/** A row of `events` (kept with the notifications' rows, which read it). */
export type EventRow = Store.EventRow

/** What `emit` did: the event stored, and how many deliveries it made. */
export interface Emitted {
  readonly event: EventRow
  readonly deliveries: number
}

/**
 * Stores an event, delivering it nowhere (`emit` routes it; a destination's
 * verification code is sent to that destination alone).
 */
export const record = (input: EmitInput): Effect.Effect<EventRow, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const row: EventRow = {
      id: newId("evt"),
      operator_id: input.operatorId,
      type: input.type,
      severity: input.severity,
      data: JSON.stringify(input.data),
      created_at: yield* Clock.currentTimeMillis
    }
    yield* sql`INSERT INTO events ${sql.insert({ ...row })}`
    return row
  })

/**
 * Stores an event and routes it: for every rule of the operator that takes
 * its type at its severity (`min_severity` at or below it), one delivery to
 * each verified destination of the rule (one per destination, however many
 * rules name it). A webhook's delivery is pending until the delivery worker
 * sends it (woken here); an email's or SMS's goes to the outbox, delivered.
 * Call it inside the transaction of the action it reports.
 */
export const emit = (input: EmitInput): Effect.Effect<Emitted, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const event = yield* record(input)
    const deliveries = yield* Delivery.route(event)
    return { event, deliveries }
  })
