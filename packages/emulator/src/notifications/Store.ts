/**
 * Destinations, rules, deliveries and the outbox as stored: their rows, their
 * contract forms, and every SQL statement over them.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import {
  type ChannelType,
  Delivery,
  DeliveryAttempt,
  DeliveryPageSize,
  type DeliveryStatus,
  Destination,
  type ListDeliveriesQuery,
  NotificationRule,
  type Severity
} from "@getstack/effect/api/Notifications"
import type { WebhookEventType } from "@getstack/effect/api/Webhooks"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Paging from "../core/Paging.js"

type Sql<A> = Effect.Effect<A, SqlError.SqlError, SqlClient.SqlClient>

/** A row of `events`. Times are epoch milliseconds. */
export interface EventRow {
  readonly id: string
  readonly operator_id: string
  readonly type: WebhookEventType
  readonly severity: Severity
  /** JSON object. */
  readonly data: string
  readonly created_at: number
}

/** A row of `notification_destinations`. Times are epoch milliseconds. */
export interface DestinationRow {
  readonly id: string
  readonly operator_id: string
  readonly channel_type: ChannelType
  readonly destination: string
  readonly verified: 0 | 1
  readonly verified_at: number | null
  /** The secret deliveries are signed with (`whsec_…`); null for email and SMS. */
  readonly webhook_secret: string | null
  readonly webhook_secret_hint: string | null
  /** SHA-256 hex of the live verification code (see `Notifications.codeHash`); null once verified. */
  readonly code_hash: string | null
  readonly code_expires_at: number | null
  /** Wrong codes given for the live code. */
  readonly code_attempts: number
  readonly created_at: number
}

/** The destination as the contract returns it; `secret` only in the answer that creates it. */
export const toDestination = (row: DestinationRow, secret?: Redacted.Redacted<string> | null): Destination =>
  new Destination({
    id: row.id,
    operator_id: row.operator_id,
    channel_type: row.channel_type,
    destination: row.destination,
    verified: row.verified === 1,
    created_at: DateTime.unsafeMake(row.created_at),
    webhook_secret: secret ?? null,
    webhook_secret_hint: row.webhook_secret_hint
  }, { disableValidation: true })

const one = <A>(rows: ReadonlyArray<A>): A | undefined => rows[0]

/** Stores a new destination. */
export const insertDestination = (row: DestinationRow): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO notification_destinations ${sql.insert({ ...row })}`))

/** One of the operator's destinations (`undefined` when it has none of that id). */
export const destinationOf = (operatorId: string, id: string): Sql<DestinationRow | undefined> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<DestinationRow>`SELECT * FROM notification_destinations WHERE id = ${id} AND operator_id = ${operatorId}`,
      one
    ))

/** A destination by id, whoever's it is. */
export const destinationById = (id: string): Sql<DestinationRow | undefined> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<DestinationRow>`SELECT * FROM notification_destinations WHERE id = ${id}`, one))

/** Every destination of the operator, oldest first. */
export const destinations = (operatorId: string): Sql<ReadonlyArray<DestinationRow>> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<DestinationRow>`
      SELECT * FROM notification_destinations WHERE operator_id = ${operatorId} ORDER BY created_at, rowid`)

/** Replaces the verification code: a new hash and expiry, no wrong guesses yet. */
export const setCode = (id: string, codeHash: string, expiresAt: number): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`
      UPDATE notification_destinations SET code_hash = ${codeHash}, code_expires_at = ${expiresAt}, code_attempts = 0
      WHERE id = ${id}`))

/** Counts a wrong code; returns how many wrong codes the live code has had. */
export const countWrongCode = (id: string): Sql<number> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ code_attempts: number }>`
        UPDATE notification_destinations SET code_attempts = code_attempts + 1 WHERE id = ${id}
        RETURNING code_attempts`,
      (rows) => rows[0]?.code_attempts ?? 0
    ))

/**
 * Marks a destination verified, if its live code is still `codeHash` (not
 * replaced meanwhile); returns whether it did.
 */
export const markVerified = (id: string, codeHash: string, now: number): Sql<boolean> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ id: string }>`
        UPDATE notification_destinations
        SET verified = 1, verified_at = ${now}, code_hash = NULL, code_expires_at = NULL, code_attempts = 0
        WHERE id = ${id} AND code_hash = ${codeHash} RETURNING id`,
      (rows) => rows.length > 0
    ))

/** Deletes a destination; the rules that named it lose it (their links cascade). */
export const deleteDestination = (id: string): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`DELETE FROM notification_destinations WHERE id = ${id}`))

/** A row of `notification_rules`, with its destinations in the order given. */
export interface RuleRow {
  readonly id: string
  readonly operator_id: string
  /** JSON array of event types. */
  readonly events: string
  readonly min_severity: Severity
  readonly created_at: number
}

/** The rule as the contract returns it. */
export const toRule = (row: RuleRow, destinationIds: ReadonlyArray<string>): NotificationRule =>
  new NotificationRule({
    id: row.id,
    events: JSON.parse(row.events) as Array<string>,
    min_severity: row.min_severity,
    destination_ids: destinationIds,
    created_at: DateTime.unsafeMake(row.created_at)
  }, { disableValidation: true })

/** Stores a rule and its destinations, in order. */
export const insertRule = (row: RuleRow, destinationIds: ReadonlyArray<string>): Sql<void> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO notification_rules ${sql.insert({ ...row })}`
    if (destinationIds.length > 0) {
      yield* sql`INSERT INTO notification_rule_destinations ${
        sql.insert(destinationIds.map((destination_id, position) => ({ rule_id: row.id, destination_id, position })))
      }`
    }
  })

/** The destinations of rules, by rule id, each in the order given. */
const destinationIdsOf = (ruleIds: ReadonlyArray<string>): Sql<Map<string, Array<string>>> =>
  Effect.gen(function*() {
    const byRule = new Map<string, Array<string>>(ruleIds.map((id) => [id, []]))
    if (ruleIds.length === 0) return byRule
    const sql = yield* SqlClient.SqlClient
    const links = yield* sql<{ rule_id: string; destination_id: string }>`
      SELECT rule_id, destination_id FROM notification_rule_destinations WHERE ${sql.in("rule_id", ruleIds)}
      ORDER BY rule_id, position`
    for (const link of links) byRule.get(link.rule_id)?.push(link.destination_id)
    return byRule
  })

/** Every rule of the operator, oldest first, as the contract returns them. */
export const rules = (operatorId: string): Sql<ReadonlyArray<NotificationRule>> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<RuleRow>`
      SELECT * FROM notification_rules WHERE operator_id = ${operatorId} ORDER BY created_at, rowid`
    const links = yield* destinationIdsOf(rows.map((row) => row.id))
    return rows.map((row) => toRule(row, links.get(row.id) ?? []))
  })

/** One of the operator's rules (`undefined` when it has none of that id). */
export const ruleOf = (operatorId: string, id: string): Sql<RuleRow | undefined> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<RuleRow>`SELECT * FROM notification_rules WHERE id = ${id} AND operator_id = ${operatorId}`, one))

/** Deletes a rule (its links cascade). */
export const deleteRule = (id: string): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`DELETE FROM notification_rules WHERE id = ${id}`))

/**
 * The verified destinations of the operator's rules that take events of
 * `type` at `severity`: each once, however many rules name it.
 */
export const routedDestinations = (operatorId: string, type: string, severity: Severity): Sql<ReadonlyArray<DestinationRow>> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<DestinationRow>`
      SELECT * FROM notification_destinations WHERE verified = 1 AND id IN (
        SELECT l.destination_id FROM notification_rules r
        JOIN notification_rule_destinations l ON l.rule_id = r.id
        WHERE r.operator_id = ${operatorId}
          AND EXISTS (SELECT 1 FROM json_each(r.events) WHERE json_each.value = ${type})
          AND (CASE r.min_severity WHEN 'info' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END) <= ${severityRank(severity)})
      ORDER BY created_at, rowid`)

const severityRank = (severity: Severity): number => severity === "info" ? 0 : severity === "warning" ? 1 : 2

/** One attempt of a delivery, as stored in its `attempts` JSON. Times are epoch milliseconds. */
export interface AttemptRecord {
  readonly at: number
  readonly status_code: number | null
  readonly error: string | null
  readonly duration_ms: number
}

/** A row of `notification_deliveries`. */
export interface DeliveryRow {
  readonly id: string
  readonly operator_id: string
  readonly event_id: string
  readonly event_type: string
  readonly destination_id: string
  readonly status: DeliveryStatus
  /** JSON array of `AttemptRecord`, oldest first. */
  readonly attempts: string
  readonly next_attempt_at: number | null
  readonly created_at: number
}

/** The attempts of a delivery, oldest first. */
export const attemptsOf = (row: DeliveryRow): Array<AttemptRecord> => JSON.parse(row.attempts) as Array<AttemptRecord>

/** The delivery as the contract returns it. */
export const toDelivery = (row: DeliveryRow): Delivery =>
  new Delivery({
    id: row.id,
    status: row.status,
    event_id: row.event_id,
    event_type: row.event_type,
    destination_id: row.destination_id,
    attempts: attemptsOf(row).map((attempt) =>
      new DeliveryAttempt({ ...attempt, at: DateTime.unsafeMake(attempt.at) }, { disableValidation: true })
    ),
    next_attempt_at: row.next_attempt_at === null ? null : DateTime.unsafeMake(row.next_attempt_at),
    created_at: DateTime.unsafeMake(row.created_at)
  }, { disableValidation: true })

/** Stores a new delivery. */
export const insertDelivery = (row: DeliveryRow): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO notification_deliveries ${sql.insert({ ...row })}`))

/** A delivery by id. */
export const deliveryById = (id: string): Sql<DeliveryRow | undefined> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<DeliveryRow>`SELECT * FROM notification_deliveries WHERE id = ${id}`, one))

/** Sets what became of a delivery: its status, attempts and next attempt. */
export const updateDelivery = (
  id: string,
  changes: { readonly status: DeliveryStatus; readonly attempts: ReadonlyArray<AttemptRecord>; readonly next_attempt_at: number | null }
): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`
      UPDATE notification_deliveries
      SET status = ${changes.status}, attempts = ${JSON.stringify(changes.attempts)}, next_attempt_at = ${changes.next_attempt_at}
      WHERE id = ${id}`))

/** Fails, with no further attempt, the pending deliveries to a destination. */
export const failPendingTo = (destinationId: string): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.asVoid(sql`
      UPDATE notification_deliveries SET status = 'failed', next_attempt_at = NULL
      WHERE destination_id = ${destinationId} AND status = 'pending'`))

/** Up to `limit` pending deliveries due at `now`, the longest due first. */
export const dueDeliveries = (now: number, limit: number): Sql<ReadonlyArray<DeliveryRow>> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<DeliveryRow>`
      SELECT * FROM notification_deliveries WHERE status = 'pending' AND next_attempt_at <= ${now}
      ORDER BY next_attempt_at LIMIT ${limit}`)

/** When the next pending delivery is due, if one is. */
export const nextDueAt = (): Sql<number | undefined> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ next_attempt_at: number | null }>`
        SELECT MIN(next_attempt_at) AS next_attempt_at FROM notification_deliveries WHERE status = 'pending'`,
      (rows) => rows[0]?.next_attempt_at ?? undefined
    ))

/** A page of the operator's deliveries, newest first, narrowed as the query asks. */
export const deliveries = (operatorId: string, query: ListDeliveriesQuery) =>
  Paging.select<DeliveryRow>(
    { limit: query.limit, cursor: query.cursor },
    DeliveryPageSize.default,
    (sql) => ({
      scope: ["notification_deliveries", operatorId, query.destination_id, query.status],
      table: "notification_deliveries",
      where: sql.and([
        sql`operator_id = ${operatorId}`,
        ...(query.destination_id === undefined ? [] : [sql`destination_id = ${query.destination_id}`]),
        ...(query.status === undefined ? [] : [sql`status = ${query.status}`])
      ]),
      sortBy: "created_at"
    }),
    { count: false }
  )

/** An event by id. */
export const eventById = (id: string): Sql<EventRow | undefined> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(sql<EventRow>`SELECT * FROM events WHERE id = ${id}`, one))

/** What would have gone out by email or SMS. */
export interface OutboxMessage {
  readonly operator_id: string
  readonly delivery_id: string
  readonly destination_id: string
  readonly channel_type: ChannelType
  readonly destination: string
  readonly event_type: string
  /** The event, as a webhook would have received it (JSON). */
  readonly body: string
  readonly created_at: number
}

/** Puts a message in the outbox. */
export const insertOutbox = (message: OutboxMessage): Sql<void> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.asVoid(sql`INSERT INTO notification_outbox ${sql.insert({ ...message })}`))

/** The operator's outbox, oldest first. */
export const outbox = (operatorId: string): Sql<ReadonlyArray<OutboxMessage>> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<OutboxMessage>`
      SELECT operator_id, delivery_id, destination_id, channel_type, destination, event_type, body, created_at
      FROM notification_outbox WHERE operator_id = ${operatorId} ORDER BY seq`)
