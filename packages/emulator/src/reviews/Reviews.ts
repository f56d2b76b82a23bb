/**
 * Reviews: the checkouts the review engine flagged (a checkout whose passport
 * carries a critical signal, see `passports/Checkpoints.ts`), and the
 * operator's decision on each, audited. `approved` clears the flag;
 * `blocked`, or `block_future`, blocks the agent from new passports until
 * `agents.unblock`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import {
  type DecideReviewRequest,
  type ListReviewsQuery,
  Review,
  ReviewDecided,
  ReviewPage,
  ReviewPageSize
} from "@getstack/effect/api/Reviews"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { type Actor, audited, refusalsAudited } from "../core/Audit.js"
import { excerpt, refuse } from "../core/Failure.js"
import * as Governance from "../core/Governance.js"
import * as Paging from "../core/Paging.js"
import * as Policy from "../core/Policy.js"
import type * as PassportStore from "../passports/Store.js"
import * as Signals from "../core/Signals.js"

/** A row of `checkouts`, with its decision (`0012_oversight`). Times are epoch milliseconds. */
export interface ReviewRow extends PassportStore.CheckoutRow {
  readonly decided_at: number | null
  readonly notes: string | null
  readonly block_future: number
}

const toReview = (row: ReviewRow): Review =>
  new Review({
    checkout_id: row.id,
    status: row.review,
    agent_id: row.agent_id,
    passport_jti: row.passport_jti,
    services_used: JSON.parse(row.services_used) as Array<string>,
    summary: row.summary,
    created_at: DateTime.unsafeMake(row.created_at),
    decided_at: row.decided_at === null ? null : DateTime.unsafeMake(row.decided_at),
    notes: row.notes,
    block_future: row.block_future === 1
  }, { disableValidation: true })

/** A page of the operator's flagged (or blocked) checkouts, newest first. */
export const list = (actor: Actor, query: ListReviewsQuery) =>
  Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "list reviews")
    const status = query.status ?? "flagged"
    const { items, ...page } = yield* Paging.select<ReviewRow>(query, ReviewPageSize.default, (sql) => ({
      scope: ["reviews", actor.operatorId, status],
      table: "checkouts",
      where: sql`operator_id = ${actor.operatorId} AND review = ${status}`,
      sortBy: "created_at"
    }))
    return new ReviewPage({ reviews: items.map(toReview), ...page }, { disableValidation: true })
  })

/**
 * Decides a flagged checkout. A checkout that is not the operator's is
 * `NOT_FOUND`; one that was clean or is already decided is a `CONFLICT`.
 */
export const decide = (actor: Actor, request: DecideReviewRequest) => {
  const { governance_approval_id, ...payload } = request
  return Effect.flatMap(
    refusalsAudited(
      actor,
      decideSpec,
      Effect.gen(function*() {
        yield* Policy.operatorOnly(actor, "decide reviews")
        yield* undecided(actor, request.checkout_id)
        // blocking future passports is held for a human's approval (before the transaction: it outlives the refusal)
        return request.block_future === true
          ? yield* Governance.check(actor, "reviews.decide.block_future", payload, governance_approval_id)
          : undefined
      })
    ),
    (approval) => decideApproved(actor, request, approval)
  )
}

/** The operator's flagged, undecided checkout: `NOT_FOUND` if it is not the operator's, a `CONFLICT` if not flagged. */
const undecided = (actor: Actor, checkoutId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<ReviewRow>`
      SELECT * FROM checkouts WHERE id = ${checkoutId} AND operator_id = ${actor.operatorId}`
    if (row === undefined) return yield* refuse("NOT_FOUND", `checkout ${excerpt(checkoutId)} not found`)
    if (row.review !== "flagged") {
      return yield* refuse(
        "CONFLICT",
        row.review === "clean"
          ? `checkout ${row.id} was not flagged: there is nothing to decide`
          : `checkout ${row.id} was already decided: ${row.review}`
      )
    }
    return row
  })

const decideSpec = {
  action: "review.decide",
  agentId: (result: ReviewDecided) => result.review.agent_id ?? null,
  passportJti: (result: ReviewDecided) => result.review.passport_jti ?? null
}

const decideApproved = (actor: Actor, request: DecideReviewRequest, approval: string | undefined) =>
  audited(
    actor,
    decideSpec,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* Governance.consume(approval)
      const row = yield* undecided(actor, request.checkout_id)
      const now = yield* Clock.currentTimeMillis
      const blockFuture = request.block_future === true
      const decided: ReviewRow = {
        ...row,
        review: request.decision,
        decided_at: now,
        notes: request.notes ?? null,
        block_future: blockFuture ? 1 : 0
      }
      yield* sql`
        UPDATE checkouts SET review = ${decided.review}, decided_at = ${now}, notes = ${decided.notes},
          block_future = ${decided.block_future}
        WHERE id = ${row.id}`
      const blocks = request.decision === "blocked" || blockFuture
      if (blocks) {
        const blocked = yield* sql`
          UPDATE agents SET passport_blocked = 1, updated_at = ${now} WHERE id = ${row.agent_id} AND passport_blocked = 0
          RETURNING id`
        if (blocked.length > 0) yield* Signals.agentBlocked(row.operator_id, row.agent_id, `review of checkout ${row.id}`)
      }
      const [agent] = yield* sql<{ passport_blocked: number }>`SELECT passport_blocked FROM agents WHERE id = ${row.agent_id}`
      return new ReviewDecided({ review: toReview(decided), agent_blocked: agent?.passport_blocked === 1 }, {
        disableValidation: true
      })
    })
  )
