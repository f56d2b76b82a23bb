/**
 * A lean `HttpClient` over `fetch`: the cheapest transport for the SDK where
 * there is no undici (Bun, Deno, browsers, edge workers, or Node without the
 * `undici` package).
 *
 * ```ts
 * import { Stack } from "@getstack/effect"
 * import * as Fetch from "@getstack/effect/Fetch"
 *
 * const StackLive = Stack.layer({ apiKey: "sk_live_..." }).pipe(Layer.provide(Fetch.layer))
 * ```
 *
 * It sends requests as `FetchHttpClient.layer` of `@effect/platform` does:
 * the same `fetch` (the one in `FetchHttpClient.Fetch` when the context has
 * it, else the global one), the same `RequestInit` (`FetchHttpClient.RequestInit`),
 * bodies, errors (`RequestError` with reason `Transport` when `fetch`
 * rejects, `InvalidUrl` for a URL that does not parse), span and
 * trace-context headers (through `HttpClient.make`), and the same abort on
 * interruption. Its responses differ only in cost: a body is read through the
 * `Promise` of the `Response` (kept, so that reading `text` twice reads it
 * once), where the platform builds and runs a cached `Effect` per body, and
 * the headers are converted once. Reading a body in two forms (`text`, then
 * `arrayBuffer`) fails as it does with the platform's client: a `Response`
 * is read once.
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { decodeFailure, jsonOf, urlParamsOf } from "./internal/response.js"

class FetchResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private cachedHeaders: Headers.Headers | undefined = undefined
  private cachedCookies: Cookies.Cookies | undefined = undefined
  private textBody: Promise<string> | undefined = undefined
  private bytesBody: Promise<ArrayBuffer> | undefined = undefined
  private formDataBody: Promise<FormData> | undefined = undefined

  constructor(readonly request: HttpClientRequest.HttpClientRequest, private readonly source: globalThis.Response) {
    super()
  }

  get status(): number {
    return this.source.status
  }

  get headers(): Headers.Headers {
    return this.cachedHeaders ??= Headers.fromInput(this.source.headers)
  }

  get cookies(): Cookies.Cookies {
    return this.cachedCookies ??= Cookies.fromSetCookie(this.source.headers.getSetCookie())
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  /** One read of the body, its `Promise` made on the first run and kept. */
  private read<A>(body: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.tryPromise({ try: body, catch: (cause) => decodeFailure(this, cause) })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.read(() => this.textBody ??= this.source.text())
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return jsonOf(this)
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read(() => this.bytesBody ??= this.source.arrayBuffer())
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read(() => this.formDataBody ??= this.source.formData())
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return urlParamsOf(this)
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    const body = this.source.body
    return body === null
      ? Stream.fail(
        new HttpClientError.ResponseError({
          request: this.request,
          response: this,
          reason: "EmptyBody",
          description: "can not create stream from empty body"
        })
      )
      : Stream.fromReadableStream(() => body, (cause) => decodeFailure(this, cause))
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * The client: requests through `HttpClient.make` (URL, span, trace context,
 * abort on interruption), sent with `fetch`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const client: HttpClient.HttpClient = HttpClient.make((request, url, signal, fiber) => {
  const context = fiber.getFiberRef(FiberRef.currentContext)
  const fetch = Context.getOrElse(context, FetchHttpClient.Fetch, () => globalThis.fetch)
  const options = Context.getOrElse(context, FetchHttpClient.RequestInit, () => ({}) as globalThis.RequestInit)
  let headers = options.headers === undefined
    ? request.headers
    : Headers.merge(Headers.fromInput(options.headers as Headers.Input), request.headers)
  if (headers["content-length"] !== undefined) headers = Headers.remove(headers, "content-length")
  const send = (body: BodyInit | undefined) =>
    Effect.map(
      Effect.tryPromise({
        try: () =>
          fetch(url, {
            ...options,
            method: request.method,
            headers,
            body,
            duplex: request.body._tag === "Stream" ? "half" : undefined,
            signal
          } as globalThis.RequestInit),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
      }),
      (response): HttpClientResponse.HttpClientResponse => new FetchResponse(request, response)
    )
  switch (request.body._tag) {
    case "Raw":
    case "Uint8Array":
      return send(request.body.body as BodyInit)
    case "FormData":
      return send(request.body.formData)
    case "Stream":
      return Effect.flatMap(Stream.toReadableStreamEffect(request.body.stream), send)
  }
  return send(undefined)
})

/**
 * The client as a layer; a `FetchHttpClient.Fetch` or
 * `FetchHttpClient.RequestInit` provided to the layer is used by its
 * requests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = HttpClient.layerMergedContext(Effect.succeed(client))
