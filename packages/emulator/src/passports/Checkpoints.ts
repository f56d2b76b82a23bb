/**
 * Checkpoints and checkouts: what an agent reports while and after it works.
 * Undeclared services raise security signals; enforced passports live one
 * more interval per checkpoint; a checkout is reviewed clean or flagged.
 */
import {
  type CheckpointRequest,
  CheckpointResult,
  type CheckoutRequest,
  CheckoutResult,
  type Signal
} from "@getstack/effect/api/Passports"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { type Actor, audited, transact } from "../core/Audit.js"
import { refuse, StackFailure } from "../core/Failure.js"
import * as Events from "../core/Events.js"
import { newId } from "../core/Ids.js"
import * as Signals from "../core/Signals.js"
import { currentClaims, limitsOf, ownPassport, requireLive } from "./Passports.js"
import { resign, seconds } from "./Signing.js"
import * as Store from "./Store.js"

const SIGNAL_OUTSIDE_SCOPE = "credential_outside_scope"

/**
 * Records a signal for each service used but not declared in the passport's
 * intent: critical for enforced passports, a warning for logged ones, none
 * for standard ones.
 */
const outsideScope = (row: Store.PassportRow, used: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (row.accountability === "standard") return []
    const declared = JSON.parse(row.intent_services) as Array<string>
    const severity = row.accountability === "enforced" ? "critical" : "warning"
    const signals: Array<Signals.SecuritySignal> = []
    for (const service of new Set(used)) {
      if (declared.includes(service)) continue
      signals.push(
        yield* Signals.raise({
          operatorId: row.operator_id,
          agentId: row.agent_id,
          passportJti: row.jti,
          type: SIGNAL_OUTSIDE_SCOPE,
          severity,
          detail: `${service} was used but the passport's intent declares ${
            declared.length === 0 ? "no services" : declared.join(", ")
          }`
        })
      )
    }
    return signals
  })

const toSignal = (signal: Signals.SecuritySignal): typeof Signal.Type => ({
  type: signal.type,
  severity: signal.severity,
  detail: signal.detail
})

/**
 * A checkpoint or checkout refused because its passport is revoked is a use
 * after revocation: signalled, in a transaction of its own (the refused
 * request's is rolled back).
 */
const signalRevokedUse = (jti: string, how: string) => (error: unknown) =>
  error instanceof StackFailure && error.code === "PASSPORT_REVOKED"
    ? transact(Signals.raiseRevokedUse(jti, how))
    : Effect.void

/** Whether an agent is blocked from new passports (`passport_blocked`). */
const isBlocked = (agentId: string) =>
  Effect.map(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ passport_blocked: number }>`SELECT passport_blocked FROM agents WHERE id = ${agentId}`),
    (rows) => rows[0]?.passport_blocked === 1
  )

/** Refuses a checkpoint or checkout of a passport that is revoked, expired or checked out. */
const requireOpen = (row: Store.PassportRow, now: number) =>
  Effect.zipRight(
    requireLive(row, now),
    row.checked_out_at !== null ? refuse("CONFLICT", `passport ${row.jti} was already checked out`) : Effect.void
  )

/**
 * A checkpoint: what the agent did since the last one. Enforced passports
 * then live one more interval from now (never past their mission or
 * parent), so a re-signed token comes back; services used outside the
 * intent raise signals. Standard passports have no checkpoints.
 */
export const checkpoint = (actor: Actor, jti: string, request: CheckpointRequest) =>
  audited(
    actor,
    { action: "passport.checkpoint", layer: "vault", agentId: (r) => r.agentId, passportJti: () => jti },
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const row = yield* ownPassport(actor, jti)
      if (row.accountability === "standard") {
        return yield* refuse("CHECKPOINT_NOT_AVAILABLE", `passport ${jti} is standard: it has no checkpoints`)
      }
      yield* requireOpen(row, now)
      // a checkpoint that comes after its interval ended: the silence is signalled before it is accepted
      yield* Signals.raiseSilences(row.operator_id, row.agent_id)
      const signals = yield* outsideScope(row, request.services_used)
      let current = { token: Redacted.make(row.token), expiresAt: row.expires_at }
      // a blocked agent gets no passport, nor more life for the one it holds: it ends with its interval
      if (row.accountability === "enforced" && row.checkpoint_interval !== null && !(yield* isBlocked(row.agent_id))) {
        const exp = Math.min(seconds(now) + row.checkpoint_interval, yield* limitsOf(row, now))
        const resigned = yield* resign(row, exp, { stk: yield* currentClaims(row, now) })
        current = { token: resigned.passport.token, expiresAt: exp * 1000 }
      }
      yield* Store.markCheckpoint(jti, now)
      return {
        agentId: row.agent_id,
        result: new CheckpointResult({
          jti,
          accepted: true,
          token: current.token,
          expires_at: DateTime.unsafeMake(current.expiresAt),
          signals: signals.map(toSignal)
        }, { disableValidation: true })
      }
    })
  ).pipe(Effect.tapError(signalRevokedUse(jti, "for a checkpoint")), Effect.map((r) => r.result))

/**
 * The passport's terminal submission. Services used outside the intent raise
 * signals; the review is `flagged` when the passport carries a critical signal
 * (so only enforced passports are flagged), else `clean`. Later checkpoints
 * and checkouts are refused.
 */
export const checkout = (actor: Actor, jti: string, request: CheckoutRequest) =>
  audited(
    actor,
    { action: "passport.checkout", layer: "vault", agentId: (r) => r.agent_id, passportJti: (r) => r.jti },
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const row = yield* ownPassport(actor, jti)
      yield* requireOpen(row, now)
      yield* outsideScope(row, request.services_used)
      const signals = yield* Signals.ofPassport(jti)
      const review = signals.some((signal) => signal.severity === "critical") ? "flagged" : "clean"
      const checkoutId = newId("cout")
      if (review === "flagged") {
        yield* Events.emit({
          operatorId: row.operator_id,
          type: "passport.flagged",
          severity: "warning",
          data: { jti, agent_id: row.agent_id, checkout_id: checkoutId, signals: signals.map(toSignal) }
        })
      }
      yield* Store.checkOut({
        id: checkoutId,
        operator_id: row.operator_id,
        agent_id: row.agent_id,
        passport_jti: jti,
        review,
        services_used: JSON.stringify(request.services_used),
        actions_count: request.actions_count,
        delegated_to: JSON.stringify(request.delegated_to ?? []),
        summary: request.summary ?? null,
        created_at: now
      })
      return {
        agent_id: row.agent_id,
        jti,
        result: new CheckoutResult(
          { checkout_id: checkoutId, jti, review, signals: signals.map(toSignal) },
          { disableValidation: true }
        )
      }
    })
  ).pipe(Effect.tapError(signalRevokedUse(jti, "for a checkout")), Effect.map((r) => r.result))
