/**
 * The agents' migrations, after the history in `core/Migrations.ts` (which
 * created `agents`, `enrollment_challenges`, `agent_keys` and
 * `agent_jwt_uses`). Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The agents' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0004_agent_profile": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // the registration profile and key mode, as given (or as the profile presets); null for earlier agents
    yield* sql`ALTER TABLE agents ADD COLUMN profile TEXT`
    yield* sql`ALTER TABLE agents ADD COLUMN key_mode TEXT`
  }),
  "0006_agents_by_operator": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // the order, count and keyset seek of the operator's list (newest first, ties by rowid)
    yield* sql`CREATE INDEX agents_by_operator ON agents (operator_id, created_at)`
  })
}
