/**
 * Serving the emulator's app on its own Node `http.Server` (`layerServer`'s)
 * with one fiber step per request where `@effect/platform-node`'s server
 * takes about seventy: its handler provides the request with
 * `Effect.provideService`, opens and closes a `Scope` per request, wraps the
 * app in its tracer and error handling, and waits for the socket to take the
 * answer before the fiber ends, which cost more than most endpoints' own
 * work. Here the request joins the runtime's context when its fiber is made,
 * and the answer is written when the fiber exits, as the platform writes it:
 * `writeHead` with the response's status and headers (cookies as
 * `set-cookie`), then the body in one `end`. A failure is answered as the
 * platform answers it (`HttpServerError.causeResponse`), a client that goes
 * away interrupts its request, and the app runs uninterruptible but where it
 * makes itself interruptible (the router, around each route), as there.
 *
 * Only the emulator's own app is served this way: it needs no `Scope`,
 * sets no pre-response handlers and installs no middleware. Any other
 * server or app goes through `HttpServer.serve`.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Headers from "@effect/platform/Headers"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Multipart from "@effect/platform/Multipart"
import type * as Path from "@effect/platform/Path"
import type * as Socket from "@effect/platform/Socket"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeMultipart from "@effect/platform-node/NodeMultipart"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as Http from "node:http"
import { Readable } from "node:stream"

/** The Node server under each `HttpServer` that `layerServer` made. */
const nodeServers = new WeakMap<HttpServer.HttpServer, Http.Server>()

/** Remembers the Node server under an `HttpServer`, so that `serve` can answer on it directly. */
export const register = (server: HttpServer.HttpServer, node: Http.Server): void => {
  nodeServers.set(server, node)
}

/** The Node server under an `HttpServer` made by `layerServer`, if it is one. */
export const nodeServerOf = (server: HttpServer.HttpServer): Http.Server | undefined => nodeServers.get(server)

/** The platform's request body limit for `text`, `json`… (the emulator reads bodies its own way, under its own cap). */
const MAX_BODY_SIZE = Option.some(FileSystem.Size(10 * 1024 * 1024))

/**
 * An `HttpServerRequest` over a Node request: what `@effect/platform-node`'s
 * own (internal) request is, read the same way.
 */
class NodeRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private textEffect: Effect.Effect<string, HttpServerError.RequestError> | undefined
  private multipartEffect:
    | Effect.Effect<Multipart.Persisted, Multipart.MultipartError, Scope.Scope | FileSystem.FileSystem | Path.Path>
    | undefined
  private cachedCookies: Record<string, string> | undefined

  constructor(
    readonly source: Http.IncomingMessage,
    readonly url: string = source.url ?? "/",
    private headersOverride?: Headers.Headers,
    private readonly remoteAddressOverride?: string
  ) {
    super()
  }

  private readonly onError = (cause: unknown) =>
    new HttpServerError.RequestError({ request: this, reason: "Decode", cause })

  get originalUrl(): string {
    return this.source.url ?? "/"
  }
  get method(): HttpMethod {
    return (this.source.method ?? "GET").toUpperCase() as HttpMethod
  }
  get headers(): Headers.Headers {
    this.headersOverride ??= this.source.headers as Headers.Headers
    return this.headersOverride
  }
  get cookies(): Record<string, string> {
    return this.cachedCookies ??= Cookies.parseHeader(this.headers["cookie"] ?? "")
  }
  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.remoteAddressOverride ?? this.source.socket.remoteAddress)
  }
  get text(): Effect.Effect<string, HttpServerError.RequestError> {
    return this.textEffect ??= Effect.runSync(Effect.cached(Effect.flatMap(
      HttpIncomingMessage.MaxBodySize,
      (maxBodySize) =>
        NodeStream.toString(() => this.source, { onFailure: this.onError, maxBytes: Option.getOrUndefined(maxBodySize) })
    )))
  }
  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.tryMap(this.text, { try: (text) => text === "" ? null : JSON.parse(text) as unknown, catch: this.onError })
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError.RequestError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: this.onError }))
  }
  get stream(): Stream.Stream<Uint8Array, HttpServerError.RequestError> {
    return NodeStream.fromReadable(() => this.source, this.onError)
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError.RequestError> {
    return Effect.flatMap(HttpIncomingMessage.MaxBodySize, (maxBodySize) =>
      NodeStream.toUint8Array(() => this.source, {
        onFailure: this.onError,
        maxBytes: Option.getOrUndefined(maxBodySize)
      }) as Effect.Effect<unknown, HttpServerError.RequestError> as Effect.Effect<ArrayBuffer, HttpServerError.RequestError>)
  }
  get multipart() {
    return this.multipartEffect ??= Effect.runSync(Effect.cached(NodeMultipart.persisted(this.source, this.source.headers)))
  }
  get multipartStream(): Stream.Stream<Multipart.Part, Multipart.MultipartError> {
    return NodeMultipart.stream(this.source, this.source.headers)
  }
  get upgrade(): Effect.Effect<Socket.Socket, HttpServerError.RequestError> {
    return Effect.fail(
      new HttpServerError.RequestError({ request: this, reason: "Decode", description: "not an upgradeable ServerRequest" })
    )
  }
  modify(options: { readonly url?: string; readonly headers?: Headers.Headers; readonly remoteAddress?: string }) {
    return new NodeRequest(
      this.source,
      options.url ?? this.url,
      options.headers ?? this.headersOverride,
      options.remoteAddress ?? this.remoteAddressOverride
    )
  }
  override toString(): string {
    return `ServerRequest(${this.method} ${this.url})`
  }
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpServerRequest",
      method: this.method,
      url: this.originalUrl
    })
  }
}

/** The response's headers, with its cookies as `set-cookie` (as the platform sends them). */
const headersOf = (response: HttpServerResponse.HttpServerResponse): Http.OutgoingHttpHeaders => {
  if (Cookies.isEmpty(response.cookies)) return response.headers
  const headers: Http.OutgoingHttpHeaders = { ...response.headers }
  const toSet = Cookies.toSetCookieHeaders(response.cookies)
  if (headers["set-cookie"] !== undefined) toSet.push(String(headers["set-cookie"]))
  headers["set-cookie"] = toSet
  return headers
}

/**
 * Writes a response to Node, as `@effect/platform-node` does: the head
 * alone for `HEAD`; a body in memory in one `end`; a Node stream piped; a
 * streamed or form body (the emulator answers neither) through the web
 * `Response` the platform makes of it.
 */
const write = (
  nodeResponse: Http.ServerResponse,
  method: string,
  response: HttpServerResponse.HttpServerResponse,
  runtime: Runtime.Runtime<never>
): void => {
  if (nodeResponse.writableEnded) return
  const body = response.body
  if (method === "HEAD" || body._tag === "Empty") {
    nodeResponse.writeHead(response.status, headersOf(response))
    return void nodeResponse.end()
  }
  if (body._tag === "Uint8Array" || body._tag === "Raw") {
    nodeResponse.writeHead(response.status, headersOf(response))
    const raw = body.body as { readonly pipe?: unknown }
    if (body._tag === "Raw" && typeof raw === "object" && raw !== null && typeof raw.pipe === "function") {
      return void (raw as Readable).on("error", () => nodeResponse.destroy()).pipe(nodeResponse)
    }
    return void nodeResponse.end(body.body as string | Uint8Array)
  }
  const web = HttpServerResponse.toWeb(response, { runtime })
  const headers: Http.OutgoingHttpHeaders = Object.fromEntries(web.headers)
  const cookies = web.headers.getSetCookie()
  if (cookies.length > 0) headers["set-cookie"] = cookies
  nodeResponse.writeHead(web.status, headers)
  if (web.body === null) return void nodeResponse.end()
  Readable.fromWeb(web.body as import("node:stream/web").ReadableStream).on("error", () => nodeResponse.destroy())
    .pipe(nodeResponse)
}

/** The answer of a request whose fiber ended: its response, or the platform's answer to its failure. */
const answer = <R>(
  app: HttpApp.Default<never, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest> =>
  Effect.uninterruptible(
    Effect.catchAllCause(app, (cause) => Effect.map(HttpServerError.causeResponse(cause), ([response]) => response))
  )

/**
 * Answers every request of `node` with `app`, until the scope closes. The
 * app runs with the context of the effect that calls this, plus the request.
 */
export const serve = <R>(
  node: Http.Server,
  app: HttpApp.Default<never, R>
): Effect.Effect<void, never, Scope.Scope | Exclude<R, HttpServerRequest.HttpServerRequest>> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<Exclude<R, HttpServerRequest.HttpServerRequest>>()
    const context = Context.add(runtime.context, HttpIncomingMessage.MaxBodySize, MAX_BODY_SIZE)
    // R is the request plus the rest, which the runtime's context provides (TypeScript cannot split R itself)
    const answered = answer(app) as Effect.Effect<
      HttpServerResponse.HttpServerResponse,
      never,
      Exclude<R, HttpServerRequest.HttpServerRequest> | HttpServerRequest.HttpServerRequest
    >
    const handler = (nodeRequest: Http.IncomingMessage, nodeResponse: Http.ServerResponse) => {
      const request = new NodeRequest(nodeRequest)
      const fiber = Runtime.runFork(
        Runtime.make({
          context: Context.add(context, HttpServerRequest.HttpServerRequest, request),
          fiberRefs: runtime.fiberRefs,
          runtimeFlags: runtime.runtimeFlags
        })
      )(answered)
      fiber.addObserver((exit: Exit.Exit<HttpServerResponse.HttpServerResponse>) => {
        try {
          // a failure is only an interruption (the app's failures are answered): 499 or 503, as the platform answers it
          const response = exit._tag === "Success"
            ? exit.value
            : Effect.runSync(HttpServerError.causeResponse(exit.cause))[0]
          write(nodeResponse, request.method, response, runtime as Runtime.Runtime<never>)
        } catch {
          // a response Node refuses to write (a header it will not send): as the platform answers a defect
          if (!nodeResponse.headersSent) nodeResponse.writeHead(500)
          if (!nodeResponse.writableEnded) nodeResponse.end()
        }
      })
      nodeResponse.on("close", () => {
        if (!nodeResponse.writableEnded) fiber.unsafeInterruptAsFork(HttpServerError.clientAbortFiberId)
      })
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => node.on("request", handler)),
      () => Effect.sync(() => node.off("request", handler))
    )
  })
