/**
 * The reviews service: checkouts the review engine flagged, and the
 * operator's decision on each (`approved` clears the flag, `blocked` stops
 * the agent's future passports).
 *
 * Every endpoint of `ReviewsEndpoints` is a method of the same name (`list`,
 * `decide`); `listAll` streams every review of a status.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Reviews.js"
import { streamOf } from "./internal/pagination.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.ReviewsEndpoints

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /** Every review of a status (`flagged` by default), newest first, page by page as the stream is read. */
  readonly listAll: (
    options?: { readonly status?: Api.ReviewStatus | undefined; readonly pageSize?: number | undefined }
  ) => Stream.Stream<Api.Review, ErrorsOf<E["list"]>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Reviews extends Context.Tag("@getstack/effect/Reviews")<Reviews, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.gen(function*() {
  const calls = methods(yield* StackClient, Api.ReviewsEndpoints)
  return {
    ...calls,
    listAll: (options = {}) => {
      const limit = options.pageSize ?? Api.ReviewPageSize.max
      return streamOf((at) => calls.list({ ...at, limit, status: options.status }), (page) => page.reviews, limit)
    }
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Reviews, never, StackClient> = Layer.effect(Reviews, make)
