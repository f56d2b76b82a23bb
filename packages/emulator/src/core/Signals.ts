/**
 * Security signals (the API's security events): what an agent did that its
 * operator should look at. Stored per operator; listed while unresolved and
 * resolved by `security/SecurityEvents.ts`. Raising one applies the agent's
 * reaction: an agent whose `on_critical` (or `on_warning`) is `block` is
 * blocked from new passports by a signal of that severity.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as AuditLog from "./AuditLog.js"
import * as Events from "./Events.js"
import { newId } from "./Ids.js"

/** How serious a signal is. */
export type Severity = "info" | "warning" | "critical"

/** A stored security signal. Times are epoch milliseconds. */
export interface SecuritySignal {
  readonly id: string
  readonly operator_id: string
  /** The agent it is about; `null` for content scanned with the operator's key for no agent. */
  readonly agent_id: string | null
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
  readonly agentId: string | null
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
    yield* Events.emit({
      operatorId: row.operator_id,
      type: "security_event.created",
      severity: row.severity,
      data: { id: row.id, type: row.type, agent_id: row.agent_id, passport_jti: row.passport_jti, detail: row.detail }
    })
    if (row.severity !== "info" && row.agent_id !== null) yield* react({ ...row, agent_id: row.agent_id })
    return row
  })

/**
 * The agent's reaction to a signal: `block` for its severity blocks it from
 * new passports (`PASSPORT_BLOCKED` until `agents.unblock`), recorded in the
 * chain as `agent.block`.
 */
const react = (signal: SecuritySignal & { readonly agent_id: string }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const reaction = signal.severity === "critical" ? sql`on_critical` : sql`on_warning`
    const blocked = yield* sql<{ id: string }>`
      UPDATE agents SET passport_blocked = 1, updated_at = ${signal.created_at}
      WHERE id = ${signal.agent_id} AND operator_id = ${signal.operator_id}
        AND ${reaction} = 'block' AND passport_blocked = 0
      RETURNING id`
    if (blocked.length === 0) return
    yield* AuditLog.append({
      operator_id: signal.operator_id,
      trace_id: null,
      agent_id: signal.agent_id,
      passport_jti: signal.passport_jti,
      layer: "system",
      action: "agent.block",
      outcome: "success"
    })
    yield* agentBlocked(signal.operator_id, signal.agent_id, `a ${signal.severity} ${signal.type} event`)
  })

/** The `agent.blocked` event: an agent is blocked from new passports, and why. */
export const agentBlocked = (operatorId: string, agentId: string, cause: string) =>
  Events.emit({ operatorId, type: "agent.blocked", severity: "critical", data: { agent_id: agentId, cause } })

/** A passport's signals, oldest first. */
export const ofPassport = (jti: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<SecuritySignal>`SELECT * FROM security_signals WHERE passport_jti = ${jti} ORDER BY created_at ASC, rowid ASC`)

/** An operator's signals, oldest first. */
export const ofOperator = (operatorId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<SecuritySignal>`
      SELECT * FROM security_signals WHERE operator_id = ${operatorId} ORDER BY created_at ASC, rowid ASC`)

/** A passport whose checkpoint is overdue. */
interface Silent {
  readonly jti: string
  readonly agent_id: string
  readonly accountability: "enforced" | "logged"
  readonly checkpoint_interval: number
  readonly since: number
}

/**
 * Raises `checkpoint_silence` for each open passport of the operator (or of
 * one agent) that checkpoints and let an interval pass since its last
 * checkpoint (or its issue) without one, once per silence. It is a warning:
 * an enforced passport has already died of it (its token ends with the
 * interval), and a logged one is only watched; an agent that blocks on
 * warnings is blocked by it.
 */
export const raiseSilences = (operatorId: string, agentId?: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    // the terms of `passports_checkpointing` (0018) are all here, so that it answers without reading every passport
    const silent = yield* sql<Silent>`
      SELECT jti, agent_id, accountability, checkpoint_interval, COALESCE(last_checkpoint_at, issued_at) AS since
      FROM passports
      WHERE operator_id = ${operatorId} AND checked_out_at IS NULL AND revoked_at IS NULL
        AND ${agentId === undefined ? sql`1 = 1` : sql`agent_id = ${agentId}`}
        AND accountability != 'standard' AND checkpoint_interval IS NOT NULL
        AND COALESCE(last_checkpoint_at, issued_at) + checkpoint_interval * 1000 <= ${now}
        AND (silence_signalled_at IS NULL OR silence_signalled_at <= COALESCE(last_checkpoint_at, issued_at))`
    for (const passport of silent) {
      yield* sql`UPDATE passports SET silence_signalled_at = ${now} WHERE jti = ${passport.jti}`
      yield* raise({
        operatorId,
        agentId: passport.agent_id,
        passportJti: passport.jti,
        type: "checkpoint_silence",
        severity: "warning",
        detail: `no checkpoint for ${Math.floor((now - passport.since) / 1000)} s; the interval is ${passport.checkpoint_interval} s`
      })
    }
  })

/**
 * Raises `revoked_passport_use` when passport `jti` is revoked and was
 * presented anyway: to be verified, or for a checkpoint or checkout. It is a
 * warning, not critical: a relying party re-checking a token it kept, or a
 * checkpoint already on its way when the revocation landed, present a
 * revoked passport without harm (an agent that blocks on warnings is blocked
 * by it). Run it in a transaction of its own, since the request that
 * presented the passport is refused and rolled back.
 */
export const raiseRevokedUse = (jti: string, how: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ operator_id: string; agent_id: string; revoked_at: number | null }>`
      SELECT operator_id, agent_id, revoked_at FROM passports WHERE jti = ${jti}`
    if (row === undefined || row.revoked_at === null) return
    // once per passport while unresolved: presenting a revoked token again adds nothing an operator must see twice
    const [open] = yield* sql`
      SELECT id FROM security_signals
      WHERE passport_jti = ${jti} AND type = 'revoked_passport_use' AND resolved_at IS NULL LIMIT 1`
    if (open !== undefined) return
    yield* raise({
      operatorId: row.operator_id,
      agentId: row.agent_id,
      passportJti: jti,
      type: "revoked_passport_use",
      severity: "warning",
      detail: `the revoked passport was presented ${how}`
    })
  })
