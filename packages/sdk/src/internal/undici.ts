import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import type { ReadableStream as WebReadableStream } from "node:stream/web"
import { Agent, type Dispatcher } from "undici"
import { AttemptController } from "./abort.js"
import { decodeFailure, jsonOf, urlParamsOf } from "./response.js"

/** Past this many bytes read and not yet consumed, the socket is paused until a reader comes. */
const HIGH_WATER_MARK = 64 * 1024

/**
 * The controllers `HttpClient.withScope` registers for its requests (the
 * platform's own map, shared through `globalValue`): a request found there
 * lives as long as that controller, whose signal aborts it.
 */
const scopedRequests = globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController | AttemptController>()
)

/** Aborts the exchange of a response dropped unread (the platform does the same for its clients). */
const unreadResponses = globalValue(
  "@getstack/effect/Undici/unreadResponses",
  () =>
    typeof FinalizationRegistry === "function"
      ? new FinalizationRegistry<Exchange>((exchange) => exchange.abort(new Error("the response was dropped unread")))
      : undefined
)

const PENDING = 0
const HEADERS = 1
const ENDED = 2
const FAILED = 3

type Resume = (effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>) => void

/**
 * One request and its answer, as an undici dispatch handler: the answer's
 * body is kept as the chunks undici hands over (no stream in between) until
 * a reader takes them; past `HIGH_WATER_MARK` unread bytes the socket waits.
 */
class Exchange implements Dispatcher.DispatchHandler {
  state = PENDING
  status = 0
  rawHeaders: Array<Buffer> | undefined = undefined
  chunks: Array<Buffer> = []
  buffered = 0
  body: Buffer | undefined = undefined
  failure: Error | undefined = undefined
  /** A reader wants the whole body: never pause. */
  collecting = false
  /** A stream took chunks from the body: it cannot be read whole any more. */
  streamed = false
  /** Called on the next event after the headers (a chunk, the end, an error), then dropped. */
  private waiters: Array<() => void> | undefined = undefined
  private abortRequest: ((reason?: Error) => void) | undefined = undefined
  private abortReason: Error | undefined = undefined
  private resumeSocket: (() => void) | undefined = undefined
  private paused = false
  private resume: Resume | undefined
  private signal: AbortSignal | undefined = undefined
  private attempt: AttemptController | undefined = undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    resume: Resume,
    /** Whether an unread response is aborted when collected (it has no scope of its own). */
    readonly register: boolean
  ) {
    this.resume = resume
  }

  readonly onAbortSignal = () => {
    this.abort(this.signal?.reason instanceof Error ? this.signal.reason : new Error("This operation was aborted"))
  }

  /** Aborts the exchange when `controller` aborts. */
  listen(controller: Controller) {
    if (controller instanceof AttemptController) {
      if (controller.aborted) return this.onAbortSignal()
      this.attempt = controller
      controller.onabort = this.onAbortSignal
      return
    }
    const signal = controller.signal
    this.signal = signal
    if (signal.aborted) this.onAbortSignal()
    else signal.addEventListener("abort", this.onAbortSignal, { once: true })
  }

  /** Calls `waiter` on the next event; answers a function that drops it. */
  await(waiter: () => void): () => void {
    ;(this.waiters ??= []).push(waiter)
    return () => {
      const index = this.waiters?.indexOf(waiter) ?? -1
      if (index >= 0) this.waiters!.splice(index, 1)
    }
  }

  private wake() {
    const waiters = this.waiters
    if (waiters === undefined || waiters.length === 0) return
    this.waiters = undefined
    for (const waiter of waiters) waiter()
  }

  private settle() {
    if (this.attempt !== undefined) {
      this.attempt.onabort = undefined
      this.attempt = undefined
    }
    if (this.signal !== undefined) {
      this.signal.removeEventListener("abort", this.onAbortSignal)
      this.signal = undefined
    }
  }

  abort(reason: Error) {
    if (this.state >= ENDED) return
    if (this.abortRequest !== undefined) this.abortRequest(reason)
    else this.abortReason ??= reason
  }

  onConnect(abort: (reason?: Error) => void) {
    if (this.abortReason !== undefined) abort(this.abortReason)
    else this.abortRequest = abort
  }

  onHeaders(statusCode: number, rawHeaders: Array<Buffer>, resume: () => void): boolean {
    if (statusCode < 200) return true
    this.state = HEADERS
    this.status = statusCode
    this.rawHeaders = rawHeaders
    this.resumeSocket = resume
    const done = this.resume!
    this.resume = undefined
    const response = new UndiciResponse(this)
    done(this.register ? Effect.sync(() => response.track()) : Effect.succeed(response))
    return true
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    this.wake()
    if (!this.collecting && this.buffered >= HIGH_WATER_MARK) {
      this.paused = true
      return false
    }
    return true
  }

  onComplete() {
    this.state = ENDED
    this.settle()
    this.wake()
  }

  onError(error: Error) {
    if (this.state >= ENDED) return
    this.state = FAILED
    this.failure = error
    this.settle()
    const resume = this.resume
    if (resume !== undefined) {
      this.resume = undefined
      resume(Effect.fail(new HttpClientError.RequestError({ request: this.request, reason: "Transport", cause: error })))
    } else {
      this.wake()
    }
  }

  /** Lets the socket go on after a pause, once a reader took the chunks. */
  flow() {
    if (this.paused && (this.collecting || this.buffered < HIGH_WATER_MARK)) {
      this.paused = false
      this.resumeSocket?.()
    }
  }

  /** The chunks read so far, taken out of the exchange. */
  take(): Array<Buffer> {
    const chunks = this.chunks
    this.chunks = []
    this.buffered = 0
    return chunks
  }
}

const utf8 = (bytes: Buffer): string => {
  const text = bytes.toString("utf8")
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly request: HttpClientRequest.HttpClientRequest
  readonly status: number
  private cachedHeaders: Headers.Headers | undefined = undefined
  private setCookie: Array<string> | undefined = undefined
  private cachedCookies: Cookies.Cookies | undefined = undefined

  constructor(readonly exchange: Exchange) {
    super()
    this.request = exchange.request
    this.status = exchange.status
  }

  /** Registers the response to abort its exchange if it is dropped before its body ended. */
  track(): this {
    if (this.exchange.state === HEADERS) unreadResponses?.register(this, this.exchange, this)
    return this
  }

  private untrack() {
    if (this.exchange.register) unreadResponses?.unregister(this)
  }

  get headers(): Headers.Headers {
    if (this.cachedHeaders !== undefined) return this.cachedHeaders
    const raw = this.exchange.rawHeaders!
    const out: Record<string, string> = {}
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i]!.toString("latin1").toLowerCase()
      const value = raw[i + 1]!.toString("latin1")
      if (key === "set-cookie") (this.setCookie ??= []).push(value)
      const previous = out[key]
      out[key] = previous === undefined ? value : `${previous}, ${value}`
    }
    return this.cachedHeaders = Headers.unsafeFromRecord(out)
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    void this.headers
    return this.cachedCookies = this.setCookie === undefined ? Cookies.empty : Cookies.fromSetCookie(this.setCookie)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  /** The whole body, once it ended. */
  get bytes(): Effect.Effect<Buffer, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const exchange = this.exchange
      if (exchange.body !== undefined) return Effect.succeed(exchange.body)
      if (exchange.streamed) {
        return Effect.fail(decodeFailure(this, undefined, "the body was already read as a stream"))
      }
      this.untrack()
      const whole = (): Effect.Effect<Buffer, HttpClientError.ResponseError> => {
        if (exchange.state === FAILED) return Effect.fail(decodeFailure(this, exchange.failure))
        const chunks = exchange.take()
        return Effect.succeed(exchange.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
      }
      if (exchange.state >= ENDED) return whole()
      exchange.collecting = true
      exchange.flow()
      return Effect.async<Buffer, HttpClientError.ResponseError>((resume) => {
        let drop: () => void
        const wait = () => {
          if (exchange.state < ENDED) drop = exchange.await(wait)
          else resume(exchange.body !== undefined ? Effect.succeed(exchange.body) : whole())
        }
        drop = exchange.await(wait)
        return Effect.sync(() => {
          drop()
          exchange.abort(new Error("the read of the body was interrupted"))
        })
      })
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.bytes, utf8)
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return jsonOf(this)
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(
      this.bytes,
      (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return urlParamsOf(this)
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.bytes, (bytes) =>
      Effect.tryPromise({
        try: () => new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": this.headers["content-type"] ?? "" } }).formData(),
        catch: (cause) => decodeFailure(this, cause)
      }))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.suspend(() => {
      const exchange = this.exchange
      if (exchange.body !== undefined) return Stream.succeed(exchange.body as Uint8Array)
      if (exchange.streamed || exchange.collecting) {
        return Stream.fail(decodeFailure(this, undefined, "the body was already read"))
      }
      exchange.streamed = true
      this.untrack()
      const next: Effect.Effect<Uint8Array, Option.Option<HttpClientError.ResponseError>> = Effect.suspend(() => {
        if (exchange.chunks.length > 0) {
          const chunk = exchange.chunks.shift()!
          exchange.buffered -= chunk.length
          exchange.flow()
          return Effect.succeed(chunk)
        }
        if (exchange.state === ENDED) return Effect.fail(Option.none())
        if (exchange.state === FAILED) return Effect.fail(Option.some(decodeFailure(this, exchange.failure)))
        return Effect.zipRight(
          Effect.async<void>((resume) => {
            const drop = exchange.await(() => resume(Effect.void))
            return Effect.sync(drop)
          }),
          next
        )
      })
      return Stream.ensuring(
        Stream.repeatEffectOption(next),
        Effect.sync(() => exchange.abort(new Error("the stream of the body ended early")))
      )
    })
  }

  toJSON(): unknown {
    const that = { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status }
    const exchange = this.exchange
    // the body only once it ended: reading it here must not wait, nor abort the exchange
    return exchange.body !== undefined || (exchange.state === ENDED && !exchange.streamed)
      ? HttpIncomingMessage.inspect(this, that)
      : { ...that, headers: Inspectable.redact(this.headers), remoteAddress: this.remoteAddress.toJSON() }
  }
}

/** What aborts a request: an `AbortController`, the SDK's attempt controller, or (from `HttpClient.make`) a signal. */
type Controller = AbortController | AttemptController | { readonly signal: AbortSignal }

type UndiciBody = Exclude<Dispatcher.DispatchOptions["body"], undefined>

/** What undici is sent: the body, and the headers when the body sets its own content type. */
interface Outgoing {
  readonly body: UndiciBody
  readonly headers?: Headers.Headers | undefined
}

const NO_BODY: Outgoing = { body: null }

/** What undici is sent for a body it takes as it is: every kind but a `Stream`. */
const outgoingOf = (
  request: HttpClientRequest.HttpClientRequest,
  body: Exclude<HttpClientRequest.HttpClientRequest["body"], { readonly _tag: "Stream" }>
): Outgoing => {
  switch (body._tag) {
    case "Empty":
      return NO_BODY
    case "Uint8Array":
      return { body: body.body }
    case "Raw":
      return { body: body.body as UndiciBody }
    case "FormData": {
      // undici's dispatcher takes no FormData: encoded as multipart by a web Response, as fetch sends it
      const encoded = new Response(body.formData)
      const type = encoded.headers.get("content-type")
      return {
        body: encoded.body === null ? null : Readable.fromWeb(encoded.body as WebReadableStream),
        headers: type === null ? request.headers : Headers.set(request.headers, "content-type", type)
      }
    }
  }
}

/** Sends one request over `dispatcher`; `signal`, when given, aborts it. */
const send = (
  dispatcher: Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  { body, headers = request.headers }: Outgoing,
  controller: Controller | undefined,
  register: boolean
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError> =>
  Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
    const exchange = new Exchange(request, resume, register)
    if (controller !== undefined) exchange.listen(controller)
    try {
      dispatcher.dispatch({
        origin: url.origin,
        path: url.pathname + url.search,
        method: request.method,
        headers,
        body,
        // timeouts are left to Effect (`Effect.timeout`, the SDK's per-attempt timeout)
        headersTimeout: 0,
        bodyTimeout: 0
      }, exchange)
    } catch (cause) {
      exchange.onError(cause instanceof Error ? cause : new Error(String(cause)))
    }
    return Effect.sync(() => exchange.abort(new Error("the request was interrupted")))
  })

const sendWithBody = (
  dispatcher: Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  controller: Controller | undefined,
  register: boolean
) => {
  const body = request.body
  if (body._tag !== "Stream") return send(dispatcher, request, url, outgoingOf(request, body), controller, register)
  return Effect.flatMap(Effect.runtime<never>(), (runtime) => {
    const stream = Readable.from(Stream.toAsyncIterableRuntime(runtime)(body.stream), { objectMode: false })
    return send(dispatcher, request, url, { body: stream }, controller, register)
  })
}

const invalidUrl = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause })

/** @internal */
export const make = (dispatcher: Dispatcher): HttpClient.HttpClient => {
  /** With a span per request, as `HttpClient.make` makes them. */
  const traced = HttpClient.make((request, url, signal) => sendWithBody(dispatcher, request, url, { signal }, false))
  const execute = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) => {
      if (
        fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
        !fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)
      ) {
        return traced.execute(request)
      }
      const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
      if (url._tag === "Left") return Effect.fail(invalidUrl(request, url.left))
      const scoped = scopedRequests.get(request)
      return sendWithBody(dispatcher, request, url.right, scoped, scoped === undefined)
    })
  return HttpClient.makeWith(
    (request) => Effect.flatMap(request, execute),
    Effect.succeed as HttpClient.HttpClient.Preprocess<never, never>
  )
}

/** @internal */
export const layerWith = (dispatcher: Dispatcher): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, make(dispatcher))

/** @internal */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new Agent()),
      (agent) => Effect.promise(() => agent.destroy())
    ),
    make
  )
)
