/**
 * Security events: the operator's unresolved signals, newest first, and their
 * resolution (audited). Listing first raises the signals of missed
 * checkpoints that are due, so that a silence shows whether or not anything
 * else touched the passport.
 */
import { ResolvedSecurityEvent, SecurityEvent, SecurityEventPage, SecurityEventPageSize, type ListSecurityEventsQuery } from "@getstack/effect/api/SecurityEvents"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { type Actor, audited } from "../core/Audit.js"
import { excerpt, refuse } from "../core/Failure.js"
import * as Paging from "../core/Paging.js"
import * as Policy from "../core/Policy.js"
import * as Signals from "../core/Signals.js"

/** A stored signal on the wire. */
export const toEvent = (row: Signals.SecuritySignal): SecurityEvent =>
  new SecurityEvent({
    id: row.id,
    type: row.type,
    severity: row.severity,
    agent_id: row.agent_id,
    passport_jti: row.passport_jti,
    detail: row.detail,
    created_at: DateTime.unsafeMake(row.created_at),
    resolved_at: row.resolved_at === null ? null : DateTime.unsafeMake(row.resolved_at)
  }, { disableValidation: true })

/** A page of the operator's unresolved events, newest first. */
export const list = (actor: Actor, query: ListSecurityEventsQuery) =>
  Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "list security events")
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(Signals.raiseSilences(actor.operatorId, query.agent_id))
    const { items, ...page } = yield* Paging.select<Signals.SecuritySignal>(
      query,
      SecurityEventPageSize.default,
      (sql) => ({
        scope: ["security-events", actor.operatorId, query.agent_id],
        table: "security_signals",
        where: query.agent_id === undefined
          ? sql`operator_id = ${actor.operatorId} AND resolved_at IS NULL`
          : sql`operator_id = ${actor.operatorId} AND agent_id = ${query.agent_id} AND resolved_at IS NULL`,
        sortBy: "created_at"
      })
    )
    return new SecurityEventPage({ events: items.map(toEvent), ...page }, { disableValidation: true })
  })

/** Resolves one of the operator's events; a repeat answers `resolved: false`. */
export const resolve = (actor: Actor, id: string) =>
  audited(
    actor,
    { action: "security_event.resolve", agentId: (result) => result.event.agent_id ?? null },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "resolve security events")
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<Signals.SecuritySignal>`
        SELECT * FROM security_signals WHERE id = ${id} AND operator_id = ${actor.operatorId}`
      if (row === undefined) return yield* refuse("NOT_FOUND", `security event ${excerpt(id)} not found`)
      if (row.resolved_at !== null) return new ResolvedSecurityEvent({ event: toEvent(row), resolved: false })
      const now = yield* Clock.currentTimeMillis
      yield* sql`UPDATE security_signals SET resolved_at = ${now} WHERE id = ${id}`
      return new ResolvedSecurityEvent({ event: toEvent({ ...row, resolved_at: now }), resolved: true })
    })
  )
