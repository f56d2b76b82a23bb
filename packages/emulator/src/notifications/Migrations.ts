/**
 * The notifications' migrations: destinations, rules and deliveries (the
 * events they deliver are the core's, `events`). Never edit one that has
 * shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The notifications' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0011_notifications": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // times in epoch ms; the verification code is kept as its SHA-256, the webhook secret as sent (it signs)
    yield* sql`CREATE TABLE notification_destinations (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      channel_type TEXT NOT NULL,
      destination TEXT NOT NULL,
      verified INTEGER NOT NULL DEFAULT 0,
      verified_at INTEGER,
      webhook_secret TEXT,
      webhook_secret_hint TEXT,
      code_hash TEXT,
      code_expires_at INTEGER,
      code_attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX notification_destinations_by_operator ON notification_destinations (operator_id, created_at)`
    yield* sql`CREATE TABLE notification_rules (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL REFERENCES operators(id),
      events TEXT NOT NULL,
      min_severity TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX notification_rules_by_operator ON notification_rules (operator_id, created_at)`
    // a removed destination leaves every rule that named it; a deleted rule takes its links along
    yield* sql`CREATE TABLE notification_rule_destinations (
      rule_id TEXT NOT NULL REFERENCES notification_rules(id) ON DELETE CASCADE,
      destination_id TEXT NOT NULL REFERENCES notification_destinations(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      PRIMARY KEY (rule_id, destination_id)
    )`
    yield* sql`CREATE INDEX notification_rule_destinations_by_destination ON notification_rule_destinations (destination_id)`
    // a delivery outlives its destination (no foreign key to it): its record stays readable
    yield* sql`CREATE TABLE notification_deliveries (
      id TEXT PRIMARY KEY,
      operator_id TEXT NOT NULL,
      event_id TEXT NOT NULL REFERENCES events(id),
      event_type TEXT NOT NULL,
      destination_id TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts TEXT NOT NULL,
      next_attempt_at INTEGER,
      created_at INTEGER NOT NULL
    )`
    // listDeliveries: newest first, narrowed to a destination or a status, each a seek and an ordered read
    yield* sql`CREATE INDEX notification_deliveries_by_operator ON notification_deliveries (operator_id, created_at)`
    yield* sql`CREATE INDEX notification_deliveries_by_destination
      ON notification_deliveries (operator_id, destination_id, created_at)`
    yield* sql`CREATE INDEX notification_deliveries_by_status ON notification_deliveries (operator_id, status, created_at)`
    // the worker: the pending deliveries by when they are due, and nothing else
    yield* sql`CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE status = 'pending'`
    // removing a destination fails its pending deliveries
    yield* sql`CREATE INDEX notification_deliveries_pending_by_destination
      ON notification_deliveries (destination_id) WHERE status = 'pending'`
    // what would have gone out by email or SMS: the emulator sends neither
    yield* sql`CREATE TABLE notification_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      operator_id TEXT NOT NULL,
      delivery_id TEXT NOT NULL REFERENCES notification_deliveries(id),
      destination_id TEXT NOT NULL,
      channel_type TEXT NOT NULL,
      destination TEXT NOT NULL,
      event_type TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX notification_outbox_by_operator ON notification_outbox (operator_id, seq)`
  })
}
