/**
 * Who acts, and what the audit chain records of it: every action takes an
 * `Actor`; mutating actions run `audited`, in one transaction with their
 * entries.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { AuditEntry, AuditLayer } from "@getstack/effect/api/Audit"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as AuditLog from "./AuditLog.js"
import { excerpt, MAX_MESSAGE, StackFailure } from "./Failure.js"

/** Who acts, and under which request: every domain action takes one. */
export interface Actor {
  readonly operatorId: string
  /**
   * The agent making the request with its enrolled key (an agent JWT), or
   * `null` when the operator's own credentials were sent. An agent acts for
   * its operator, limited to what belongs to it (see `Policy`).
   */
  readonly agentId: string | null
  readonly requestId: string
  /** SHA-256 hex of the request body, when there was one (null for public endpoints, which are not audited). */
  readonly payloadHash: string | null
  readonly startedAt: number
}

/** Runs an effect in one transaction. */
export const transact = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect))

/** One entry of the chain, as an action describes it. */
export interface EntrySpec {
  readonly action: string
  readonly layer?: AuditLayer | undefined
  readonly agentId: string | null
  readonly passportJti?: string | null | undefined
  readonly outcome?: "success" | "failure" | undefined
  /** The refusal a `failure` entry records. */
  readonly failure?: StackFailure | undefined
}

/**
 * Appends one entry for `actor`'s request to its operator's chain (trace id,
 * duration and payload hash come from the request). Call it inside the
 * transaction of the action it records; `audited` does.
 */
export const recordIn = (
  actor: Actor,
  entry: EntrySpec
): Effect.Effect<AuditEntry, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    return yield* AuditLog.append({
      operator_id: actor.operatorId,
      trace_id: actor.requestId,
      agent_id: entry.agentId,
      passport_jti: entry.passportJti ?? null,
      layer: entry.layer ?? "system",
      action: entry.action,
      outcome: entry.outcome ?? "success",
      duration_ms: Math.max(0, now - actor.startedAt),
      payload_hash: actor.payloadHash,
      error_code: entry.failure?.code ?? null,
      error_message: entry.failure === undefined ? null : excerpt(entry.failure.message, MAX_MESSAGE)
    })
  })

/** What the audit chain records of a mutating action. */
export interface AuditSpec<A> {
  readonly action: string
  readonly layer?: AuditLayer | undefined
  /** The agent the action concerned, read from its result (an agent caller is recorded instead). */
  readonly agentId: (result: A) => string | null
  /** The agent a refused action concerned, if known. */
  readonly agentIdOnFailure?: string | null | undefined
  readonly passportJti?: ((result: A) => string | null) | undefined
  /**
   * Further entries the action writes after its own, in the same transaction:
   * one per passport a revocation cascaded to, for instance.
   */
  readonly followUps?: ((result: A) => ReadonlyArray<EntrySpec>) | undefined
}

/**
 * Runs a mutating action and its audit entries in one transaction, so the
 * entries exist exactly when the action's effects do. A refusal rolls the
 * action back and is recorded as a `failure` entry with its code. Entries of
 * a request made by an agent name that agent.
 */
export const audited = <A, E, R>(
  actor: Actor,
  spec: AuditSpec<A>,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError.SqlError, R | SqlClient.SqlClient> =>
  refusalsAudited(
    actor,
    spec,
    transact(Effect.tap(body, (result) =>
      Effect.gen(function*() {
        yield* recordIn(actor, {
          action: spec.action,
          layer: spec.layer,
          agentId: actor.agentId ?? spec.agentId(result),
          passportJti: spec.passportJti?.(result) ?? null
        })
        for (const entry of spec.followUps?.(result) ?? []) yield* recordIn(actor, entry)
      })))
  )

/**
 * Records a refusal of `effect` as a `failure` entry of `spec`'s action, in a
 * transaction of its own: `audited` does it for the action's own refusals;
 * checks made before the action's transaction (a governance approval, which
 * must outlive the refusal) use it directly.
 */
export const refusalsAudited = <A, E, R>(
  actor: Actor,
  spec: Pick<AuditSpec<unknown>, "action" | "layer" | "agentIdOnFailure">,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError.SqlError, R | SqlClient.SqlClient> =>
  Effect.tapError(effect, (error) =>
    error instanceof StackFailure
      ? Effect.asVoid(transact(recordIn(actor, {
        action: spec.action,
        layer: spec.layer,
        outcome: "failure",
        // an agent that is not the caller's is not named in the caller's chain
        agentId: actor.agentId ?? (error.code === "NOT_FOUND" ? null : spec.agentIdOnFailure ?? null),
        passportJti: null,
        failure: error
      })))
      : Effect.void)
