import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { AuditLayer } from "@getstack/effect/api/Audit"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as AuditLog from "./AuditLog.js"
import { StackFailure } from "./Failure.js"

/** Who acts, and under which request: every domain action takes one. */
export interface Actor {
  readonly operatorId: string
  readonly requestId: string
  /** SHA-256 hex of the request body, when there was one. */
  readonly payloadHash: string | null
  readonly startedAt: number
}

/** Runs an effect in one transaction. */
export const transact = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect))

/** What the audit chain records of a mutating action. */
export interface AuditSpec<A> {
  readonly action: string
  readonly layer?: AuditLayer | undefined
  /** The agent the action concerned, read from its result. */
  readonly agentId: (result: A) => string | null
  /** The agent a refused action concerned, if known. */
  readonly agentIdOnFailure?: string | null | undefined
  readonly passportJti?: ((result: A) => string | null) | undefined
}

const record = (actor: Actor, spec: AuditSpec<never>, entry: {
  readonly outcome: "success" | "failure"
  readonly agentId: string | null
  readonly passportJti: string | null
  readonly failure?: StackFailure | undefined
}) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    yield* AuditLog.append({
      operator_id: actor.operatorId,
      trace_id: actor.requestId,
      agent_id: entry.agentId,
      passport_jti: entry.passportJti,
      layer: spec.layer ?? "system",
      action: spec.action,
      outcome: entry.outcome,
      duration_ms: Math.max(0, now - actor.startedAt),
      payload_hash: actor.payloadHash,
      error_code: entry.failure?.code ?? null,
      error_message: entry.failure?.message ?? null
    })
  })

/**
 * Runs a mutating action and its audit entry in one transaction, so the entry
 * exists exactly when the action's effects do. A refusal rolls the action back
 * and is recorded as a `failure` entry with its code.
 */
export const audited = <A, E, R>(
  actor: Actor,
  spec: AuditSpec<A>,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError.SqlError, R | SqlClient.SqlClient> =>
  transact(Effect.tap(body, (result) =>
    record(actor, spec as AuditSpec<never>, {
      outcome: "success",
      agentId: spec.agentId(result),
      passportJti: spec.passportJti?.(result) ?? null
    }))).pipe(
      Effect.tapError((error) =>
        error instanceof StackFailure
          ? transact(record(actor, spec as AuditSpec<never>, {
            outcome: "failure",
            // an agent that is not the caller's is not named in the caller's chain
            agentId: error.code === "NOT_FOUND" ? null : spec.agentIdOnFailure ?? null,
            passportJti: null,
            failure: error
          }))
          : Effect.void
      )
    )
