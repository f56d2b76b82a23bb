/**
 * The passports' migrations, after the history in `core/Migrations.ts`
 * (`0002_passports` created `passports`, `checkouts`, `signing_keys` and
 * `security_signals`). Never edit one that has shipped: add the next.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The passports' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0018_passports_checkpointing": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // the open passports that checkpoint, of an operator or of one agent: what `Signals.raiseSilences` reads before
    // every issue, which `passports_by_agent` answered by reading every passport the agent ever held
    yield* sql`CREATE INDEX passports_checkpointing ON passports (operator_id, agent_id)
      WHERE checked_out_at IS NULL AND revoked_at IS NULL AND accountability != 'standard'
        AND checkpoint_interval IS NOT NULL`
  }),
  "0022_passport_identity_claims": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // which passports carry which identity claim in their latest token, so that revoking a claim finds its passports
    // without reading every passport's claims; keyed by the claim first, which is how it is read
    yield* sql`CREATE TABLE passport_identity_claims (
      claim_id TEXT NOT NULL REFERENCES identity_claims(id),
      passport_jti TEXT NOT NULL REFERENCES passports(jti),
      PRIMARY KEY (claim_id, passport_jti)
    ) WITHOUT ROWID`
    // the passports issued before it
    yield* sql`INSERT OR IGNORE INTO passport_identity_claims (claim_id, passport_jti)
      SELECT json_extract(carried.value, '$.claim_id'), passports.jti
      FROM passports, json_each(passports.claims, '$.identity_claims') AS carried
      WHERE json_extract(carried.value, '$.claim_id') IN (SELECT id FROM identity_claims)`
  })
}
