/**
 * The passports' migrations, after the history in `core/Migrations.ts`
 * (`0002_passports` created `passports`, `checkouts`, `signing_keys` and
 * `security_signals`). None yet: the next one goes here.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as Effect from "effect/Effect"

/** The passports' migrations, by id. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {}
