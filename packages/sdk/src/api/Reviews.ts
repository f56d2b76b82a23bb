/**
 * The reviews service of the contract: the checkouts STACK's review engine
 * flagged, and the operator's decision on each. `approved` clears the flag;
 * `blocked` stops every future passport of the agent at once (until
 * `agents.unblock`).
 *
 * STACK documents the list's query (`page`, `limit` default 20, `status`
 * default `flagged`), the decision's body (`checkout_id`, `decision`,
 * `notes`, `block_future`, `governance_approval_id`) and checkout ids
 * (`cout_…`); the paths and the answers are the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, NonEmpty, PageFields, PageQueryFields, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * Where a review stands: flagged by the engine and undecided, or decided.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReviewStatus = Schema.Literal("flagged", "approved", "blocked")

/**
 * @since 0.1.0
 * @category schemas
 */
export type ReviewStatus = typeof ReviewStatus.Type

/**
 * A decision on a flagged checkout.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReviewDecision = Schema.Literal("approved", "blocked")

/**
 * @since 0.1.0
 * @category schemas
 */
export type ReviewDecision = typeof ReviewDecision.Type

/**
 * The page sizes of `list` (STACK: 20 by default).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReviewPageSize = { default: 20, max: 100 } as const

/**
 * A reviewed checkout. `status` is decoded as any string, so a status STACK
 * adds later still decodes.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Review extends Schema.Class<Review>("Review")({
  checkout_id: Schema.String,
  status: Schema.String,
  agent_id: Schema.optional(Schema.String),
  passport_jti: Schema.optional(Schema.String),
  services_used: Schema.optional(Schema.Array(Schema.String)),
  summary: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.optional(Timestamp),
  decided_at: Schema.optional(Schema.NullOr(Timestamp)),
  notes: Schema.optional(Schema.NullOr(Schema.String)),
  block_future: Schema.optional(Schema.Boolean)
}) {}

/**
 * Query of `GET /v1/reviews`: flagged checkouts (the default), or the ones
 * decided `approved` or `blocked`, newest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListReviewsQuery = Schema.Struct({
  status: Schema.optional(ReviewStatus),
  ...PageQueryFields(ReviewPageSize.max)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListReviewsQuery = typeof ListReviewsQuery.Type

/**
 * One page of reviews, newest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ReviewPage extends Schema.Class<ReviewPage>("ReviewPage")({
  reviews: Schema.Array(Review),
  ...PageFields
}) {}

/**
 * Body of `POST /v1/reviews/decide`. `block_future` keeps the agent from new
 * passports even when the decision is `approved`; STACK may hold it (and a
 * `blocked` decision) for a human's approval (`governance_approval_id`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const DecideReviewRequest = Schema.Struct({
  checkout_id: NonEmpty,
  decision: ReviewDecision,
  notes: Schema.optional(BoundedString(2000)),
  block_future: Schema.optional(Schema.Boolean),
  governance_approval_id: Schema.optional(NonEmpty)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type DecideReviewRequest = typeof DecideReviewRequest.Type

/**
 * Answer of `decide`: the review as decided, and whether the agent is now
 * blocked from new passports.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ReviewDecided extends Schema.Class<ReviewDecided>("ReviewDecided")({
  review: Review,
  agent_blocked: Schema.Boolean
}) {}

/**
 * The reviews endpoints, by name.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const ReviewsEndpoints = {
  list: Endpoint.get("list", "/v1/reviews")
    .setUrlParams(ListReviewsQuery)
    .addSuccess(ReviewPage)
    .pipe(Endpoint.list),
  decide: Endpoint.post("decide", "/v1/reviews/decide")
    .setPayload(DecideReviewRequest)
    .addSuccess(ReviewDecided)
    .pipe(Endpoint.write)
}
