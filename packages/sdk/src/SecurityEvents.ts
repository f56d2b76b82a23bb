/**
 * The security events service: what agents did that their operator should
 * look at, listed while unresolved.
 *
 * Every endpoint of `SecurityEventsEndpoints` is a method of the same name
 * (`list`, `resolve`); `listAll` streams every unresolved event.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Api from "./api/SecurityEvents.js"
import { streamOf } from "./internal/pagination.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.SecurityEventsEndpoints

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /** Every unresolved event (of one agent, or all), newest first, page by page as the stream is read. */
  readonly listAll: (
    options?: { readonly agent_id?: string | undefined; readonly pageSize?: number | undefined }
  ) => Stream.Stream<Api.SecurityEvent, ErrorsOf<E["list"]>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SecurityEvents extends Context.Tag("@getstack/effect/SecurityEvents")<SecurityEvents, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.gen(function*() {
  const calls = methods(yield* StackClient, Api.SecurityEventsEndpoints)
  return {
    ...calls,
    listAll: (options = {}) => {
      const limit = options.pageSize ?? Api.SecurityEventPageSize.max
      return streamOf((at) => calls.list({ ...at, limit, agent_id: options.agent_id }), (page) => page.events, limit)
    }
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SecurityEvents, never, StackClient> = Layer.effect(SecurityEvents, make)
