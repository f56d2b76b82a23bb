/**
 * Security signals: what a passport's holder did that its accountability
 * mode says someone should look at. Stored per operator; listing and
 * resolving them over the API comes with the security events endpoints.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { newId } from "./Ids.js"

/** How serious a signal is. */
export type Severity = "info" | "warning" | "critical"

/** A stored security signal. Times are epoch milliseconds. */
export interface SecuritySignal {
  readonly id: string
  readonly operator_id: string
  readonly agent_id: string
  readonly passport_jti: string | null
  readonly type: string
  readonly severity: Severity
  readonly detail: string
  readonly created_at: number
  readonly resolved_at: number | null
}

/** Records a signal. */
export const raise = (signal: {
  readonly operatorId: string
  readonly agentId: string
  readonly passportJti: string | null
  readonly type: string
  readonly severity: Severity
  readonly detail: string
}): Effect.Effect<SecuritySignal, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const row: SecuritySignal = {
      id: newId("sig"),
      operator_id: signal.operatorId,
      agent_id: signal.agentId,
      passport_jti: signal.passportJti,
      type: signal.type,
      severity: signal.severity,
      detail: signal.detail,
      created_at: yield* Clock.currentTimeMillis,
      resolved_at: null
    }
    yield* sql`INSERT INTO security_signals ${sql.insert({ ...row })}`
    return row
  })

/** A passport's signals, oldest first. */
export const ofPassport = (jti: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<SecuritySignal>`SELECT * FROM security_signals WHERE passport_jti = ${jti} ORDER BY created_at ASC, rowid ASC`)

/** An operator's signals, oldest first. */
export const ofOperator = (operatorId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<SecuritySignal>`
      SELECT * FROM security_signals WHERE operator_id = ${operatorId} ORDER BY created_at ASC, rowid ASC`)
