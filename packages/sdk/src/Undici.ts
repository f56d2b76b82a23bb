/**
 * A lean `HttpClient` for Node, straight over undici's `Dispatcher.dispatch`:
 * the cheapest transport for the SDK on Node.
 *
 * ```ts
 * import { Stack } from "@getstack/effect"
 * import * as Undici from "@getstack/effect/Undici"
 *
 * const StackLive = Stack.layer({ apiKey: "sk_live_..." }).pipe(Layer.provide(Undici.layer))
 * ```
 *
 * It needs `undici` (an optional peer dependency of the SDK); the SDK's main
 * entry does not import this module.
 *
 * For a request the platform does not trace (the SDK's, or any with the
 * tracer off) it makes no fiber, `Promise`, `AbortController` or stream of
 * its own: the answer's body is kept as the chunks undici reads until `text`,
 * `json`, `arrayBuffer` or `stream` takes them (past 64 KiB unread, the
 * socket waits for a reader). A request is aborted when the fiber that sends it or reads
 * its body is interrupted, when the `AbortController` of
 * `HttpClient.withScope` (the SDK's per-attempt timeout) aborts, and when its
 * response is dropped unread. Timeouts are left to Effect: undici's own
 * header and body timeouts are off.
 *
 * With the tracer on (and not turned off for the request by
 * `HttpClient.withTracerDisabledWhen`), each request gets the platform's
 * `http.client` span and its trace-context headers, as with every client of
 * `@effect/platform`; the SDK turns that span off for its own requests and
 * sends the trace context of its call's span instead.
 *
 * Failures: `RequestError` with reason `Transport` when no answer came
 * (connection refused, reset, aborted), `InvalidUrl` for a URL that does not
 * parse; `ResponseError` with reason `Decode` when the body fails after the
 * headers came. Request bodies: empty, bytes, raw (a string, a `Buffer`, a
 * Node `Readable`…), `FormData` and `Stream`s.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Layer from "effect/Layer"
import type { Dispatcher } from "undici"
import * as internal from "./internal/undici.js"

/**
 * An `HttpClient` over `dispatcher` (an undici `Agent`, `Pool`, `Client`,
 * `ProxyAgent`…), which the caller keeps and closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (dispatcher: Dispatcher) => HttpClient.HttpClient = internal.make

/**
 * The client over a `Dispatcher` of your own (a `Pool` with more
 * connections, a `ProxyAgent`…), which you close.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith: (dispatcher: Dispatcher) => Layer.Layer<HttpClient.HttpClient> = internal.layerWith

/**
 * The client over a new undici `Agent`, destroyed with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = internal.layer
