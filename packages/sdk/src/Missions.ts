/**
 * The missions service: a unit of work whose passports cannot outlive it.
 *
 * Every endpoint of `MissionsEndpoints` is a method of the same name (path
 * parameters first, then one object of the wire fields); `listAll` streams
 * every page, and `scoped` runs a mission for the length of a `Scope`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Missions.js"
import * as PassportsApi from "./api/Passports.js"
import * as MissionScope from "./internal/mission.js"
import { streamOf } from "./internal/pagination.js"
import * as Proxy from "./Proxy.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.MissionsEndpoints

/**
 * Options of `scoped`: `start`'s fields, the checkpoint interval (a preset,
 * `"5m"`, or a duration) and how long each closing step may take.
 *
 * @since 0.1.0
 * @category models
 */
export type ScopedMissionOptions = MissionScope.ScopedMissionOptions

/**
 * The handle of a scoped mission: its id, its passport (kept alive), `log`,
 * `checkpoint`, and `setOutput` for the output it is completed with.
 *
 * @since 0.1.0
 * @category models
 */
export type ScopedMissionHandle = MissionScope.ScopedMissionHandle

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /**
   * Every mission (optionally of one status), newest first, page by page as
   * the stream is read: by `next_cursor` when the pages give one, else by number.
   */
  readonly listAll: (
    options?: { readonly status?: Api.MissionStatus | undefined; readonly pageSize?: number | undefined }
  ) => Stream.Stream<Api.Mission, ErrorsOf<E["list"]>>
  /**
   * A STACK mission for the length of a `Scope`: started with its passport,
   * which is checkpointed (and refreshed when not enforced) while the scope
   * runs; when the scope closes the passport is checked out, and the mission
   * is completed with the output set by `setOutput` if the scope succeeded, or
   * revoked if it failed or was interrupted. Both revoke every passport bound
   * to the mission.
   */
  readonly scoped: (options: ScopedMissionOptions) => Effect.Effect<ScopedMissionHandle, ErrorsOf<E["start"]>, Scope.Scope>
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
  const calls = methods(client, Api.MissionsEndpoints)
  const passports = { ...methods(client, PassportsApi.PassportsEndpoints), proxy: Proxy.requester(client) }
  return {
    ...calls,
    listAll: (options = {}) => {
      const limit = options.pageSize ?? Api.MissionPageSize.max
      return streamOf((at) => calls.list({ ...at, limit, status: options.status }), (page) => page.missions, limit)
    },
    scoped: (options) => MissionScope.scopedMission(calls, passports, options)
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Missions, never, StackClient> = Layer.effect(Missions, make)
