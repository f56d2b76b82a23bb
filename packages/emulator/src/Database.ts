/**
 * The emulator's SQLite database, migrated: the historical migrations of
 * `core/Migrations.ts`, then the core's and each service's own, run in the
 * order of their ids.
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AgentsMigrations from "./agents/Migrations.js"
import * as AuditMigrations from "./audit/Migrations.js"
import * as CoreMigrations from "./core/Migrations.js"
import * as IdentityMigrations from "./identity/Migrations.js"
import * as DropoffsMigrations from "./dropoffs/Migrations.js"
import * as Sqlite from "./core/Sqlite.js"
import * as MissionsMigrations from "./missions/Migrations.js"
import * as NotificationsMigrations from "./notifications/Migrations.js"
import * as PassportsMigrations from "./passports/Migrations.js"
import * as ProxyMigrations from "./proxy/Migrations.js"
import * as ScanMigrations from "./scan/Migrations.js"
import * as SecurityMigrations from "./security/Migrations.js"
import * as ServicesMigrations from "./services/Migrations.js"
import * as SkillsMigrations from "./skills/Migrations.js"

type Migrations = Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>

/** Merges migration records, refusing two migrations with the same number (the migrator orders by it). */
const merge = (...records: ReadonlyArray<Migrations>): Migrations => {
  const merged: Migrations = {}
  const numbers = new Map<number, string>()
  for (const record of records) {
    for (const [id, migration] of Object.entries(record)) {
      const number = Number(/^(\d+)_/.exec(id)?.[1])
      const previous = numbers.get(number)
      if (Number.isNaN(number) || previous !== undefined) {
        throw new Error(`migration ${id} ${previous === undefined ? "has no number" : `has the number of ${previous}`}`)
      }
      numbers.set(number, id)
      merged[id] = migration
    }
  }
  return merged
}

/**
 * Every migration of the emulator's schema, by id: the history, then each
 * service's. Never edit a migration that has shipped: add the next one.
 */
export const migrations: Migrations = merge(
  CoreMigrations.history,
  CoreMigrations.migrations,
  AgentsMigrations.migrations,
  DropoffsMigrations.migrations,
  PassportsMigrations.migrations,
  MissionsMigrations.migrations,
  AuditMigrations.migrations,
  SecurityMigrations.migrations,
  NotificationsMigrations.migrations,
  ScanMigrations.migrations,
  ServicesMigrations.migrations,
  ProxyMigrations.migrations,
  IdentityMigrations.migrations,
  SkillsMigrations.migrations
)

const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations) })

/**
 * SQLite storage, migrated. `filename` is a path, or `:memory:`.
 */
export const layer = (filename: string): Layer.Layer<SqlClient.SqlClient, unknown> =>
  Layer.effectDiscard(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`PRAGMA foreign_keys = ON`
      yield* migrate
    })
  ).pipe(Layer.provideMerge(Sqlite.layer(filename)))
