/**
 * The missions service: a unit of work whose passports cannot outlive it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Missions.js"
import { paginate } from "./internal/pagination.js"
import { type CallOptions, type ErrorsOf, StackClient } from "./StackClient.js"

type E = typeof Api.MissionsEndpoints

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Opens a mission for an agent and issues a passport bound to it. The same
   * request again returns the same mission and passport.
   */
  readonly start: (
    request: Api.StartMissionRequest,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.StartedMission, ErrorsOf<E["start"]>>
  /** Opens a mission without issuing a passport. */
  readonly open: (request: Api.OpenMissionRequest, callOptions?: CallOptions) => Effect.Effect<Api.Mission, ErrorsOf<E["open"]>>
  readonly get: (id: string, callOptions?: CallOptions) => Effect.Effect<Api.Mission, ErrorsOf<E["get"]>>
  /** Every mission (optionally of one status), newest first, page by page. */
  readonly list: (
    options?: { readonly status?: Api.MissionStatus | undefined; readonly pageSize?: number | undefined }
  ) => Stream.Stream<Api.Mission, ErrorsOf<E["list"]>>
  readonly listPage: (
    query?: Api.ListMissionsQuery,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.MissionPage, ErrorsOf<E["list"]>>
  /** A fresh passport for a live mission. */
  readonly renew: (id: string, callOptions?: CallOptions) => Effect.Effect<Api.StartedMission, ErrorsOf<E["renew"]>>
  /** Completes the mission; every passport bound to it is revoked. */
  readonly complete: (
    id: string,
    output?: unknown,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.MissionTransition, ErrorsOf<E["complete"]>>
  /** Revokes the mission; every passport bound to it is revoked. */
  readonly revoke: (
    id: string,
    request: Api.RevokeMissionRequest,
    callOptions?: CallOptions
  ) => Effect.Effect<Api.MissionTransition, ErrorsOf<E["revoke"]>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Missions extends Context.Tag("@getstack/effect/Missions")<Missions, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.gen(function*() {
  const client = yield* StackClient
  const endpoints = Api.MissionsEndpoints

  const listPage: Service["listPage"] = (query = {}, callOptions) =>
    client.call(endpoints.list, { urlParams: query }, callOptions)

  return {
    start: (request, callOptions) => client.call(endpoints.start, { payload: request }, callOptions),
    open: (request, callOptions) => client.call(endpoints.open, { payload: request }, callOptions),
    get: (id, callOptions) => client.call(endpoints.get, { path: { id } }, callOptions),
    list: (options = {}) =>
      paginate((page) =>
        Effect.map(
          listPage({ page, limit: options.pageSize ?? Api.MissionPageSize.max, status: options.status }),
          (result) => ({ items: result.missions, hasMore: result.has_more })
        )
      ),
    listPage,
    renew: (id, callOptions) => client.call(endpoints.renew, { path: { id } }, callOptions),
    complete: (id, output, callOptions) =>
      client.call(endpoints.complete, { path: { id }, payload: { output } }, callOptions),
    revoke: (id, request, callOptions) => client.call(endpoints.revoke, { path: { id }, payload: request }, callOptions)
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Missions, never, StackClient> = Layer.effect(Missions, make)
