/**
 * Governance approvals: STACK holds some operations for a human. The first
 * request gets 403 `GOVERNANCE_APPROVAL_REQUIRED` with an approval (`gvr_…`)
 * and its URL; once a human approves it, the caller sends the identical
 * request again with `governance_approval_id`. An approval is bound to its
 * operation and payload, single-use, and expires 24 hours after it was asked
 * for; anything else is 403 `GOVERNANCE_APPROVAL_INVALID`.
 *
 * Which operations are held is the emulator's option (`Emulator.Options.governance`,
 * by default every one of `GOVERNED_OPERATIONS`); a test approves or rejects
 * through the emulator (`Emulator.Service.decideApproval`, or
 * `POST /_emulator/approvals/{id}/approve|reject` on a server).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { Actor } from "./Audit.js"
import { excerpt, StackFailure } from "./Failure.js"
import { canonical, sha256Hex } from "./Hash.js"
import { newId } from "./Ids.js"

/** The operations the emulator can hold for approval. */
export const GOVERNED_OPERATIONS = [
  "agents.unblock",
  "reviews.decide.block_future",
  "notifications.addDestination"
] as const

/** An operation the emulator can hold for approval. */
export type GovernedOperation = (typeof GOVERNED_OPERATIONS)[number]

/** The operations held for approval; all of them unless provided otherwise. */
export class Governed extends Context.Reference<Governed>()("@getstack/emulator/Governed", {
  defaultValue: (): ReadonlySet<GovernedOperation> => new Set(GOVERNED_OPERATIONS)
}) {}

/** How long an approval can be used after it was asked for. */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000

/** Where an approval is decided, relative to the emulator's base URL. */
export const approvalUrl = (id: string) => `/_emulator/approvals/${id}`

/** A row of `governance_approvals`. Times are epoch milliseconds. */
export interface ApprovalRow {
  readonly id: string
  readonly operator_id: string
  readonly operation: string
  readonly payload_hash: string
  readonly status: "pending" | "approved" | "rejected"
  readonly created_at: number
  readonly expires_at: number
  readonly decided_at: number | null
  readonly used_at: number | null
}

const hashOf = (operation: GovernedOperation, payload: unknown) => sha256Hex(canonical([operation, payload ?? null]))

const invalid = (message: string) => new StackFailure({ code: "GOVERNANCE_APPROVAL_INVALID", message })

const required = (row: Pick<ApprovalRow, "id" | "operation">, message: string) =>
  new StackFailure({
    code: "GOVERNANCE_APPROVAL_REQUIRED",
    message,
    details: { approval_id: row.id, approval_url: approvalUrl(row.id), operation: row.operation }
  })

/**
 * Holds `operation` for approval unless it is not governed. Without an
 * approval id, a new approval is asked for (stored in a transaction of its
 * own, so that it outlives the refusal) and the request refused with it.
 * With one, it must be approved, unused, unexpired and for this operation and
 * payload (`payload` without `governance_approval_id`). Call it before the
 * operation's transaction, then `consume` the approval inside it.
 */
export const check = (
  actor: Actor,
  operation: GovernedOperation,
  payload: unknown,
  approvalId: string | undefined
): Effect.Effect<string | undefined, StackFailure | SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const governed = yield* Governed
    if (!governed.has(operation)) return undefined
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const payloadHash = hashOf(operation, payload)
    if (approvalId === undefined) {
      const row: ApprovalRow = {
        id: newId("gvr"),
        operator_id: actor.operatorId,
        operation,
        payload_hash: payloadHash,
        status: "pending",
        created_at: now,
        expires_at: now + APPROVAL_TTL_MS,
        decided_at: null,
        used_at: null
      }
      yield* sql.withTransaction(sql`INSERT INTO governance_approvals ${sql.insert({ ...row })}`)
      return yield* required(row, `${operation} needs a human's approval: have ${row.id} approved, then send the same request with governance_approval_id`)
    }
    const [row] = yield* sql<ApprovalRow>`
      SELECT * FROM governance_approvals WHERE id = ${approvalId} AND operator_id = ${actor.operatorId}`
    if (row === undefined) return yield* invalid(`approval ${excerpt(approvalId)} not found`)
    if (row.operation !== operation || row.payload_hash !== payloadHash) {
      return yield* invalid(`approval ${row.id} was given for another request: send the request it was asked for, unchanged`)
    }
    if (row.used_at !== null) return yield* invalid(`approval ${row.id} was already used`)
    if (now >= row.expires_at) return yield* invalid(`approval ${row.id} expired`)
    if (row.status === "rejected") return yield* invalid(`approval ${row.id} was rejected`)
    if (row.status === "pending") return yield* required(row, `approval ${row.id} is still waiting for a human's decision`)
    return row.id
  })

/**
 * Uses an approval `check` accepted, inside the operation's transaction:
 * if the operation fails, the approval stays usable; if two requests race
 * with it, one of them is refused.
 */
export const consume = (approvalId: string | undefined) =>
  approvalId === undefined ? Effect.void : Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const used = yield* sql`
      UPDATE governance_approvals SET used_at = ${now} WHERE id = ${approvalId} AND used_at IS NULL RETURNING id`
    if (used.length === 0) return yield* invalid(`approval ${approvalId} was already used`)
  })

/** A human's decision on a pending approval (the emulator's stand-in for STACK's approval page). */
export const decide = (operatorId: string, approvalId: string, decision: "approved" | "rejected") =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const decided = yield* sql<ApprovalRow>`
      UPDATE governance_approvals SET status = ${decision}, decided_at = ${now}
      WHERE id = ${approvalId} AND operator_id = ${operatorId} AND status = 'pending' RETURNING *`
    if (decided.length > 0) return decided[0]!
    const [row] = yield* sql<ApprovalRow>`
      SELECT * FROM governance_approvals WHERE id = ${approvalId} AND operator_id = ${operatorId}`
    return yield* row === undefined
      ? new StackFailure({ code: "NOT_FOUND", message: `approval ${excerpt(approvalId)} not found` })
      : new StackFailure({ code: "CONFLICT", message: `approval ${row.id} was already ${row.status}` })
  })
