/**
 * The skills service: see `api/Skills.ts`.
 *
 * Every endpoint of `SkillsEndpoints` is a method of the same name;
 * `browseAll` streams every page of the marketplace, and `poll` waits for an
 * invocation to finish.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Skills.js"
import { streamOf } from "./internal/pagination.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.SkillsEndpoints

/**
 * `poll` gave up: the invocation had not finished (`completed` or `failed`)
 * within the timeout. `status` is the last one seen, `waitedMillis` how long
 * `poll` waited (on the `Clock`).
 *
 * @since 0.1.0
 * @category errors
 */
export class SkillPollTimeout extends Schema.TaggedError<SkillPollTimeout>()("SkillPollTimeout", {
  message: Schema.String,
  invocationId: Schema.String,
  status: Schema.String,
  waitedMillis: Schema.Number
}) {}

/**
 * Options of `poll`: how long between two reads (1 second unless given) and
 * how long in all before `SkillPollTimeout` (60 seconds unless given).
 *
 * @since 0.1.0
 * @category models
 */
export interface PollOptions {
  readonly interval?: Duration.DurationInput | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Whether an invocation has finished: `completed` or `failed`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isFinished = (invocation: Api.Invocation): boolean =>
  invocation.status === "completed" || invocation.status === "failed"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /**
   * Every active skill of the marketplace the filters keep, newest first,
   * page by page (by `next_cursor`) as the stream is read.
   */
  readonly browseAll: (
    options?: Omit<Api.BrowseSkillsQuery, "cursor" | "limit"> & { readonly pageSize?: number | undefined }
  ) => Stream.Stream<Api.Skill, ErrorsOf<E["browse"]>>
  /**
   * Reads an invocation until it has finished and answers it: `completed`
   * or `failed` (a failed invocation is an answer, not an error: read its
   * `error`). Reads every `interval` on the `Clock`; past `timeout`, fails
   * with `SkillPollTimeout`.
   */
  readonly poll: (
    invocationId: string,
    options?: PollOptions
  ) => Effect.Effect<Api.Invocation, ErrorsOf<E["getInvocation"]> | SkillPollTimeout>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Skills extends Context.Tag("@getstack/effect/Skills")<Skills, Service>() {}

const pollWith = (calls: Methods<E>) => (invocationId: string, options: PollOptions = {}) =>
  Effect.gen(function*() {
    const interval = Duration.toMillis(Duration.decode(options.interval ?? Duration.seconds(1)))
    const timeout = Duration.toMillis(Duration.decode(options.timeout ?? Duration.seconds(60)))
    const started = yield* Clock.currentTimeMillis
    while (true) {
      const invocation = yield* calls.getInvocation(invocationId)
      if (isFinished(invocation)) return invocation
      const waited = (yield* Clock.currentTimeMillis) - started
      if (waited >= timeout) {
        return yield* new SkillPollTimeout({
          message: `invocation ${invocationId} had not finished after ${waited} ms (last status: ${invocation.status})`,
          invocationId,
          status: invocation.status,
          waitedMillis: waited
        })
      }
      yield* Effect.sleep(Duration.millis(Math.max(1, Math.min(interval, timeout - waited))))
    }
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.map(StackClient, (client) => {
  const calls = methods(client, Api.SkillsEndpoints)
  return {
    ...calls,
    browseAll: (options = {}) => {
      const { pageSize, ...filters } = options
      const limit = pageSize ?? Api.SkillPageSize.max
      return streamOf((at) => calls.browse({ ...filters, ...at, limit }), (page) => page.skills, limit, { cursorOnly: true })
    },
    poll: pollWith(calls)
  }
})

/**
 * Waits for an invocation to finish, with the `Skills` service in context
 * (see `Service.poll`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const poll = (
  invocationId: string,
  options?: PollOptions
): Effect.Effect<Api.Invocation, ErrorsOf<E["getInvocation"]> | SkillPollTimeout, Skills> =>
  Effect.flatMap(Skills, (service) => service.poll(invocationId, options))

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Skills, never, StackClient> = Layer.effect(Skills, make)
