/**
 * The missions' migrations, after the history in `core/Migrations.ts`
 * (`0002_passports` created `missions`, with `missions_by_operator` on
 * `(operator_id, started_at)`). Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The missions' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0007_missions_by_operator_status": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // the order, count and keyset seek of the operator's list of one status
    yield* sql`CREATE INDEX missions_by_operator_status ON missions (operator_id, status, started_at)`
  }),
  "0017_mission_caps": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // caps: JSON {actions?, cents?, seconds?, bytes?} or null; usage: what the proxied calls used (time in ms)
    yield* sql`ALTER TABLE missions ADD COLUMN caps TEXT`
    yield* sql`ALTER TABLE missions ADD COLUMN cap_behavior TEXT`
    yield* sql`ALTER TABLE missions ADD COLUMN used_actions INTEGER NOT NULL DEFAULT 0`
    yield* sql`ALTER TABLE missions ADD COLUMN used_cents INTEGER NOT NULL DEFAULT 0`
    yield* sql`ALTER TABLE missions ADD COLUMN used_ms INTEGER NOT NULL DEFAULT 0`
    yield* sql`ALTER TABLE missions ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0`
    yield* sql`ALTER TABLE missions ADD COLUMN paused_at INTEGER`
    yield* sql`ALTER TABLE missions ADD COLUMN paused_cap TEXT`
  })
}
