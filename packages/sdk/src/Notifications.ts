/**
 * The notifications service: where STACK sends an operator's events
 * (destinations), which events go where (rules), and what became of each
 * delivery.
 *
 * Every endpoint of `NotificationsEndpoints` is a method of the same name
 * (path parameters first, then one object of the wire fields);
 * `listAllDeliveries` streams every delivery page by page. To receive the
 * deliveries of a webhook destination, keep the `webhook_secret` that
 * `addDestination` answers (once, `Redacted`) and check each delivery with
 * `Webhooks.parseEvent`.
 *
 * ```ts
 * const notifications = yield* Notifications.Notifications
 * const hook = yield* notifications.addDestination({ channel_type: "webhook", destination: "https://example.com/stack" })
 * // the code arrives at the URL, in a signed `destination.verification` event
 * yield* notifications.verifyDestination(hook.id, { code })
 * yield* notifications.createRule({ events: ["agent.blocked"], min_severity: "critical", destination_ids: [hook.id] })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Notifications.js"
import { streamOf } from "./internal/pagination.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.NotificationsEndpoints

/**
 * What `listAllDeliveries` narrows to, and how many it asks for at once.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeliveryFilter {
  readonly destination_id?: string | undefined
  readonly status?: Api.DeliveryStatus | undefined
  /** Deliveries asked for per request (1 to 100). Left out: 100. */
  readonly pageSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /** Every delivery matching, newest first, page by page (by `next_cursor`) as the stream is read. */
  readonly listAllDeliveries: (options?: DeliveryFilter) => Stream.Stream<Api.Delivery, ErrorsOf<E["listDeliveries"]>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Notifications extends Context.Tag("@getstack/effect/Notifications")<Notifications, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.gen(function*() {
  const client = yield* StackClient
  const calls = methods(client, Api.NotificationsEndpoints)
  return {
    ...calls,
    listAllDeliveries: (options = {}) => {
      const limit = options.pageSize ?? Api.DeliveryPageSize.max
      const { pageSize: _, ...filter } = options
      return streamOf((at) => calls.listDeliveries({ ...filter, limit, ...at }), (page) => page.deliveries, limit, {
        cursorOnly: true
      })
    }
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Notifications, never, StackClient> = Layer.effect(Notifications, make)
