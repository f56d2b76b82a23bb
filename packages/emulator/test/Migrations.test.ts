/**
 * Migrations that move data: a database made before them is migrated as a
 * new one would be built.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as AuditLog from "../src/core/AuditLog.js"
import * as Operators from "../src/core/Operators.js"
import * as PassportsStore from "../src/passports/Store.js"
import { migrations } from "../src/Database.js"
import * as Sqlite from "../src/core/Sqlite.js"

/** The migrations numbered below `number`. */
const before = (number: number) =>
  Object.fromEntries(Object.entries(migrations).filter(([id]) => Number(/^(\d+)_/.exec(id)![1]) < number))

const migrateWith = (record: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>) =>
  Migrator.make({})({ loader: Migrator.fromRecord(record) })

describe("0008_audit_heads", () => {
  it.effect("fills each operator's head from the chains already stored", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* migrateWith(before(8))
      const first = yield* Operators.create({ name: "first" })
      const second = yield* Operators.create({ name: "second" })
      const record = (operatorId: string, action: string) =>
        sql`INSERT INTO audit_entries ${sql.insert({
          entry_id: `aud_${action}_${operatorId}`,
          operator_id: operatorId,
          timestamp: 1_700_000_000_000 + action.length,
          layer: "system",
          action,
          outcome: "success",
          prev_entry_hash: "0".repeat(64),
          entry_hash: `${action}-hash`.padEnd(64, "0")
        })}`
      yield* record(first.operator.id, "a")
      yield* record(second.operator.id, "bb")
      yield* record(first.operator.id, "ccc")
      yield* migrateWith(migrations)
      const heads = yield* sql<{ operator_id: string; entry_hash: string; timestamp: number; count: number }>`
        SELECT operator_id, entry_hash, timestamp, count FROM audit_heads ORDER BY count DESC`
      expect(heads).toEqual([
        { operator_id: first.operator.id, entry_hash: "ccc-hash".padEnd(64, "0"), timestamp: 1_700_000_000_003, count: 2 },
        { operator_id: second.operator.id, entry_hash: "bb-hash".padEnd(64, "0"), timestamp: 1_700_000_000_002, count: 1 }
      ])
      // the next entry links to the migrated head
      const next = yield* AuditLog.append({
        operator_id: first.operator.id,
        trace_id: null,
        agent_id: null,
        layer: "system",
        action: "after",
        outcome: "success"
      })
      expect(next.prev_entry_hash).toBe("ccc-hash".padEnd(64, "0"))
    }).pipe(Effect.provide(Sqlite.layer(":memory:"))))
})

describe("0014_scan", () => {
  it.effect("rebuilds security_signals keeping every row, and lets a signal name no agent", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* migrateWith(before(14))
      const operator = yield* Operators.create({ name: "kept" })
      const row = {
        id: "sig_kept",
        operator_id: operator.operator.id,
        agent_id: "agt_kept",
        passport_jti: "pp_kept",
        type: "credential_outside_scope",
        severity: "critical",
        detail: "github",
        created_at: 1_700_000_000_000,
        resolved_at: null
      }
      yield* sql`INSERT INTO security_signals ${sql.insert(row)}`
      yield* migrateWith(migrations)
      expect(yield* sql`SELECT * FROM security_signals`).toEqual([row])
      yield* sql`INSERT INTO security_signals ${sql.insert({ ...row, id: "sig_none", agent_id: null })}`
      const indexes = yield* sql<{ name: string }>`
        SELECT name FROM sqlite_master
        WHERE type = 'index' AND tbl_name = 'security_signals' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`
      expect(indexes.map((index) => index.name)).toEqual([
        "security_signals_by_operator",
        "security_signals_by_passport",
        "security_signals_open",
        "security_signals_open_by_agent"
      ])
    }).pipe(Effect.provide(Sqlite.layer(":memory:"))))
})

describe("0022_passport_identity_claims", () => {
  it.effect("links the passports already stored to the identity claims their tokens carry", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* migrateWith(before(22))
      const { operator } = yield* Operators.create({ name: "carrier" })
      yield* sql`INSERT INTO identity_sessions ${sql.insert({
        session_ref: "ivs_old",
        operator_id: operator.id,
        provider_key: "stack_test",
        requested_claims: "[\"verified_human\"]",
        return_url: null,
        status: "completed",
        created_at: 1_700_000_000_000,
        expires_at: 1_700_000_900_000,
        decided_at: 1_700_000_000_000,
        completed_at: 1_700_000_000_000
      })}`
      for (const id of ["clm_kept", "clm_other"]) {
        yield* sql`INSERT INTO identity_claims ${sql.insert({
          id,
          operator_id: operator.id,
          session_ref: "ivs_old",
          provider_key: "stack_test",
          layer: "humanity",
          claim_type: "verified_human",
          assurance_level: "substantial",
          verified_at: 1_700_000_000_000,
          expires_at: null,
          revoked_at: null
        })}`
      }
      const passport = (jti: string, claimIds: ReadonlyArray<string>) =>
        sql`INSERT INTO passports ${sql.insert({
          jti,
          operator_id: operator.id,
          agent_id: "agt_old",
          parent_jti: null,
          session_id: "ses_old",
          mission_id: null,
          delegation_depth: 0,
          accountability: "standard",
          intent_services: "[]",
          checkpoint_interval: null,
          claims: JSON.stringify({ identity_claims: claimIds.map((claim_id) => ({ claim_id })) }),
          token: "x.y.z",
          issued_at: 1_700_000_000_000 + jti.length,
          expires_at: 1_700_000_900_000,
          refreshed_at: null,
          last_checkpoint_at: null,
          checked_out_at: null,
          revoked_at: null,
          revoke_reason: null
        })}`
      yield* passport("pp_both", ["clm_kept", "clm_other"])
      yield* passport("pp_kept", ["clm_kept", "clm_gone"])
      yield* passport("pp_none_", [])
      yield* migrateWith(migrations)
      expect(yield* sql`SELECT claim_id, passport_jti FROM passport_identity_claims ORDER BY claim_id, passport_jti`).toEqual([
        { claim_id: "clm_kept", passport_jti: "pp_both" },
        { claim_id: "clm_kept", passport_jti: "pp_kept" },
        { claim_id: "clm_other", passport_jti: "pp_both" }
      ])
      expect((yield* PassportsStore.unrevokedCarrying(operator.id, "clm_kept")).map((p) => p.jti)).toEqual(["pp_both", "pp_kept"])
      expect(yield* PassportsStore.unrevokedCarrying("op_someone_else", "clm_kept")).toEqual([])
    }).pipe(Effect.provide(Sqlite.layer(":memory:"))))
})
