/**
 * The agents service: register, list, get, update, delete and unblock agents.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Agents.js"
import { paginate } from "./internal/pagination.js"
import { StackClient, type CallOptions, type ErrorsOf } from "./StackClient.js"

type E = typeof Api.AgentsEndpoints

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Registers an agent under the operator. A name already taken fails with `ConflictError`. */
  readonly register: (
    name: string,
    options?: Api.RegisterAgentOptions,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.Agent, ErrorsOf<E["register"]>>
  /** Every agent of the operator, newest first, fetched page by page as the stream is read. */
  readonly list: (options?: { readonly pageSize?: number | undefined }) => Stream.Stream<Api.Agent, ErrorsOf<E["list"]>>
  /** One page of agents. */
  readonly listPage: (
    query?: Api.ListAgentsQuery,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.AgentPage, ErrorsOf<E["list"]>>
  readonly get: (id: string, callOptions?: CallOptions) => Effect.Effect<Api.Agent, ErrorsOf<E["get"]>>
  /** Changes some fields; `{ status: "suspended" }` suspends the agent. */
  readonly update: (
    id: string,
    changes: Api.UpdateAgentRequest,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.Agent, ErrorsOf<E["update"]>>
  readonly delete: (id: string, callOptions?: CallOptions) => Effect.Effect<Api.DeletedAgent, ErrorsOf<E["delete"]>>
  /** Clears `passport_blocked` after a review or a critical security event blocked the agent. */
  readonly unblock: (id: string, callOptions?: CallOptions) => Effect.Effect<Api.UnblockedAgent, ErrorsOf<E["unblock"]>>
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
  const client = yield* StackClient
  const endpoints = Api.AgentsEndpoints

  const listPage: Service["listPage"] = (query = {}, callOptions) =>
    client.call(endpoints.list, { urlParams: query }, callOptions)

  return {
    register: (name, options = {}, callOptions) =>
      client.call(endpoints.register, { payload: { ...options, name } }, callOptions),
    list: (options = {}) =>
      paginate((page) =>
        Effect.map(
          listPage({ page, limit: options.pageSize ?? Api.AgentPageSize.max }),
          (result) => ({ items: result.agents, hasMore: result.has_more })
        )
      ),
    listPage,
    get: (id, callOptions) => client.call(endpoints.get, { path: { id } }, callOptions),
    update: (id, changes, callOptions) => client.call(endpoints.update, { path: { id }, payload: changes }, callOptions),
    delete: (id, callOptions) => client.call(endpoints.delete, { path: { id } }, callOptions),
    unblock: (id, callOptions) => client.call(endpoints.unblock, { path: { id } }, callOptions)
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Agents, never, StackClient> = Layer.effect(Agents, make)
