/**
 * The agents service: register, list, get, update, delete and unblock agents.
 *
 * Every endpoint of `AgentsEndpoints` is a method of the same name (path
 * parameters first, then one object of the wire fields); `listAll` streams
 * every page.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Agents.js"
import { streamOf } from "./internal/pagination.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.AgentsEndpoints

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /**
   * Every agent of the operator, newest first, fetched page by page as the
   * stream is read: by `next_cursor` when the pages give one, else by number.
   */
  readonly listAll: (options?: { readonly pageSize?: number | undefined }) => Stream.Stream<Api.Agent, ErrorsOf<E["list"]>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Agents extends Context.Tag("@getstack/effect/Agents")<Agents, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.gen(function*() {
  const calls = methods(yield* StackClient, Api.AgentsEndpoints)
  return {
    ...calls,
    listAll: (options = {}) => {
      const limit = options.pageSize ?? Api.AgentPageSize.max
      return streamOf((at) => calls.list({ ...at, limit }), (page) => page.agents, limit)
    }
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Agents, never, StackClient> = Layer.effect(Agents, make)
