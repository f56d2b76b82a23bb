/**
 * What the tests of the SDK's own clients (`Undici`, `Fetch`) and of its
 * transport share: a `node:http` server on a free port that records what it
 * was sent, a port nothing listens on, a tracer that keeps its spans, the
 * emulator served on a port, and the SDK's calls over a client checked
 * against all of them.
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as FakeHttp from "./FakeHttp.js"

/** A request as the server saw it. */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Promise<string>
  /** Resolves when the client closed the connection before the answer ended. */
  readonly aborted: Promise<void>
}

/** Answers a request; `index` counts the requests the server saw before it. */
export type Handler = (
  request: Http.IncomingMessage,
  response: Http.ServerResponse,
  body: Promise<string>,
  index: number
) => void

/** A `node:http` server on a free port, answering with `handler`; closed with the scope. */
export const server = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly seen: Array<Seen>; readonly server: Http.Server }>((resume) => {
      const seen: Array<Seen> = []
      const server = Http.createServer((request, response) => {
        const aborted = new Promise<void>((resolve) => {
          response.on("close", () => {
            if (!response.writableFinished) resolve()
          })
        })
        const body = new Promise<string>((resolve) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
        })
        seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body, aborted })
        handler(request, response, body, seen.length - 1)
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** Never answers. */
export const never: Handler = () => {}

/** Echoes the request: method, path, content type and body, as JSON. */
export const echo: Handler = (request, response, body) => {
  void body.then((text) => {
    response.writeHead(200, { "content-type": "application/json" })
    response.end(JSON.stringify({
      method: request.method,
      url: request.url,
      contentType: request.headers["content-type"] ?? null,
      body: text
    }))
  })
}

/** A port nothing listens on: one a server had, closed. */
export const closedPort = Effect.async<number>((resume) => {
  const probe = Http.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const port = (probe.address() as AddressInfo).port
    probe.close(() => resume(Effect.succeed(port)))
  })
})

/** Waits until the server has seen `count` requests. */
export const arrived = (seen: ReadonlyArray<Seen>, count = 1) =>
  Effect.gen(function*() {
    while (seen.length < count) yield* Effect.sleep("5 millis")
  })

/** The client of a layer, built in the test's scope. */
export const clientOf = <E>(layer: Layer.Layer<HttpClient.HttpClient, E>) =>
  Effect.map(Layer.build(layer), Context.get(HttpClient.HttpClient))

/** A span as the recording tracer keeps it. */
export interface Recorded extends Tracer.Span {
  readonly attributes: Map<string, unknown>
  readonly ended: boolean
}

let ids = 0
const hex = (length: number) => (++ids).toString(16).padStart(length, "0")

/** A tracer that keeps every span it makes (`layer` sets it for a runtime). */
export const recordingTracer = () => {
  const spans: Array<Recorded> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      const span: Recorded = {
        _tag: "Span",
        name,
        spanId: hex(16),
        traceId: parent._tag === "Some" ? parent.value.traceId : hex(32),
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links: [...links],
        sampled: true,
        kind,
        get ended() {
          return status._tag === "Ended"
        },
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
        },
        attribute: (key, value) => {
          attributes.set(key, value)
        },
        event: () => {},
        addLinks: () => {}
      }
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer, layer: Layer.setTracer(tracer) }
}

/** The emulator as the CLI serves it, on a free port. */
const EmulatorServed = Emulator.layerServe.pipe(
  Layer.provideMerge(Emulator.layer()),
  Layer.provideMerge(Emulator.layerServer({ port: 0, host: "127.0.0.1" }))
)

const emulatorUrl = Effect.map(HttpServer.HttpServer, (server) => {
  if (server.address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  return `http://127.0.0.1:${server.address.port}`
})

/**
 * The SDK over the client of `http` (named `name` in the tests' titles):
 * against the emulator served on a port; its per-attempt timeout, an
 * interruption and a refused connection end the request; one span per call.
 */
export const sdkOver = (name: string, http: Layer.Layer<HttpClient.HttpClient>) =>
  describe(`the SDK over ${name}`, () => {
    it.layer(EmulatorServed)((it) => {
      it.scoped("registers and reads an agent from the emulator over a socket; a missing one is NotFoundError", () =>
        Effect.gen(function*() {
          const emulator = yield* Emulator.Emulator
          const baseUrl = yield* emulatorUrl
          yield* Effect.gen(function*() {
            const agents = yield* Agents.Agents
            const registered = yield* agents.register({ name: "socket-bot" })
            const agent = yield* agents.get(registered.id)
            expect(agent.id).toBe(registered.id)
            expect(agent.name).toBe("socket-bot")
            const missing = yield* Effect.flip(agents.get("agt_doesnotexist"))
            expect(missing).toMatchObject({ _tag: "NotFoundError", status: 404 })
            expect(missing._tag === "NotFoundError" && missing.requestId).toMatch(/\S/)
          }).pipe(
            Effect.provide(Stack.layer({ apiKey: Redacted.value(emulator.apiKey), baseUrl }).pipe(Layer.provide(http)))
          )
        }))
    })

    const agentsOver = (url: string, options: Stack.ClientOptions = {}) =>
      Stack.layer({ apiKey: "sk_test_SECRETSECRETSECRET123", baseUrl: url, ...options }).pipe(Layer.provide(http))

    it.live("the per-attempt timeout aborts the request, waiting for headers or for the body", () =>
      Effect.gen(function*() {
        const silent = yield* server(never)
        const stalled = yield* server((_, response) => {
          response.writeHead(200, { "content-type": "application/json" })
          response.write("{\"id\":")
        })
        for (const { seen, url } of [silent, stalled]) {
          const error = yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
            Effect.flip,
            Effect.provide(agentsOver(url, { timeout: "300 millis", retry: false }))
          )
          expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
          yield* Effect.promise(() => seen[0]!.aborted)
        }
      }).pipe(Effect.scoped))

    it.live("interrupting a call aborts its request", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server(never)
        const fiber = yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
          Effect.provide(agentsOver(url)),
          Effect.fork
        )
        yield* arrived(seen)
        yield* Fiber.interrupt(fiber)
        yield* Effect.promise(() => seen[0]!.aborted)
      }).pipe(Effect.scoped))

    it.live("a refused connection is a ConnectionError", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const error = yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
          Effect.flip,
          Effect.provide(agentsOver(`http://127.0.0.1:${port}`, { retry: false }))
        )
        expect(error).toMatchObject({ _tag: "ConnectionError" })
        expect(error.message).toContain("ECONNREFUSED")
      }))

    it.live("one span per call and the trace context in the headers, no span of the platform's", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server((_, response) => {
          response.writeHead(200, { "content-type": "application/json", "x-request-id": "req_socket_1" })
          response.end(JSON.stringify(FakeHttp.agentJson()))
        })
        const { spans, tracer } = recordingTracer()
        yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
          Effect.provide(agentsOver(url)),
          Effect.withTracer(tracer)
        )
        expect(spans.map((span) => span.name)).toEqual(["Agents.get"])
        expect(spans[0]!.attributes.get("stack.request_id")).toBe("req_socket_1")
        expect(seen[0]!.headers.traceparent).toContain(spans[0]!.spanId)
      }).pipe(Effect.scoped))
  })

const untraced = Effect.withTracerEnabled(false)

/** The error codes in a chain of causes (`fetch failed` ← `connect ECONNREFUSED`). */
const codesOf = (cause: unknown): Array<string> => {
  const codes: Array<string> = []
  for (let current = cause, depth = 0; typeof current === "object" && current !== null && depth < 10; depth++) {
    if ("code" in current && typeof current.code === "string") codes.push(current.code)
    current = "cause" in current ? current.cause : undefined
  }
  return codes
}

/**
 * What every `HttpClient` of the SDK does as the platform's clients do, over
 * a real socket: a response's status, headers, cookies and body; each kind of
 * request body; refused connections, bad URLs and broken bodies as the
 * platform's errors; interruption and a closed `withScope` abort the request;
 * the platform's span and trace context with the tracer on, none with it off.
 */
export const clientConformance = (name: string, http: Layer.Layer<HttpClient.HttpClient>) =>
  describe(`${name} as an HttpClient`, () => {
    const client = clientOf(http)

    it.live("answers the status, headers (lower-cased), cookies, JSON and text of a response", () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) => {
          response.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/; HttpOnly"])
          response.writeHead(201, { "Content-Type": "application/json", "X-Request-Id": "req_1", "X-Many": ["1", "2"] })
          response.end(JSON.stringify({ id: "agt_1", name: "alpha" }))
        })
        const response = yield* (yield* client).get(`${url}/v1/things?x=1`)
        expect(response.status).toBe(201)
        expect(response.headers["x-request-id"]).toBe("req_1")
        expect(response.headers["content-type"]).toBe("application/json")
        expect(response.headers["x-many"]).toBe("1, 2")
        expect(Object.keys(response.headers).length).toBeGreaterThan(0)
        for (const key of Object.keys(response.headers)) expect(key).toBe(key.toLowerCase())
        expect(response.cookies.cookies.a?.value).toBe("1")
        expect(response.cookies.cookies.b?.value).toBe("2")
        expect(response.cookies.cookies.b?.options?.httpOnly).toBe(true)
        expect(yield* response.json).toEqual({ id: "agt_1", name: "alpha" })
        // the text read for the JSON is kept
        expect(yield* response.text).toBe("{\"id\":\"agt_1\",\"name\":\"alpha\"}")
      }).pipe(untraced, Effect.scoped))

    it.live("sends the method, path, query, headers and each kind of request body", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server(echo)
        const http = yield* client
        const read = (request: HttpClientRequest.HttpClientRequest) => Effect.flatMap(http.execute(request), (r) => r.json)
        expect(yield* read(HttpClientRequest.post(`${url}/json`).pipe(HttpClientRequest.bodyUnsafeJson({ name: "alpha" }))))
          .toEqual({ method: "POST", url: "/json", contentType: "application/json", body: "{\"name\":\"alpha\"}" })
        expect(yield* read(HttpClientRequest.put(`${url}/text`).pipe(HttpClientRequest.bodyText("plain words"))))
          .toEqual({ method: "PUT", url: "/text", contentType: "text/plain", body: "plain words" })
        expect(
          yield* read(
            HttpClientRequest.patch(`${url}/bytes`).pipe(
              HttpClientRequest.bodyUint8Array(new TextEncoder().encode("bytes!"), "application/octet-stream")
            )
          )
        ).toEqual({ method: "PATCH", url: "/bytes", contentType: "application/octet-stream", body: "bytes!" })
        expect(yield* read(HttpClientRequest.patch(`${url}/raw`).pipe(HttpClientRequest.setBody(HttpBody.raw("raw text")))))
          .toMatchObject({ method: "PATCH", url: "/raw", body: "raw text" })
        expect(
          yield* read(
            HttpClientRequest.post(`${url}/stream`).pipe(
              HttpClientRequest.bodyStream(Stream.make("one ", "two ", "three").pipe(Stream.encodeText), {
                contentType: "text/plain"
              })
            )
          )
        ).toEqual({ method: "POST", url: "/stream", contentType: "text/plain", body: "one two three" })
        const form = new FormData()
        form.append("name", "alpha")
        form.append("file", new Blob(["file contents"], { type: "text/plain" }), "notes.txt")
        const multipart = yield* read(HttpClientRequest.post(`${url}/form`).pipe(HttpClientRequest.bodyFormData(form)))
        expect(multipart).toMatchObject({ method: "POST", contentType: expect.stringMatching(/^multipart\/form-data; boundary=\S+$/) })
        expect(multipart).toMatchObject({ body: expect.stringContaining("name=\"name\"\r\n\r\nalpha\r\n") })
        expect(multipart).toMatchObject({ body: expect.stringContaining("filename=\"notes.txt\"") })
        expect(
          yield* read(
            HttpClientRequest.get(`${url}/query`, { urlParams: { a: "1", b: "x y" }, headers: { "x-extra": "yes" } })
          )
        ).toMatchObject({ method: "GET", url: "/query?a=1&b=x+y", body: "" })
        expect(seen.at(-1)!.headers["x-extra"]).toBe("yes")
      }).pipe(untraced, Effect.scoped))

    it.live("a port nobody listens on is a RequestError with reason Transport, ECONNREFUSED in its causes", () =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const error = yield* Effect.flip((yield* client).get(`http://127.0.0.1:${port}/v1/agents`))
        expect(error).toBeInstanceOf(HttpClientError.RequestError)
        expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
        expect(codesOf(error.cause)).toContain("ECONNREFUSED")
      }).pipe(untraced, Effect.scoped))

    it.live("a URL that does not parse is a RequestError with reason InvalidUrl", () =>
      Effect.gen(function*() {
        const http = yield* client
        for (const bad of ["http://[::1", "not a url"]) {
          const error = yield* Effect.flip(http.get(bad))
          expect(error).toBeInstanceOf(HttpClientError.RequestError)
          expect(error).toMatchObject({ _tag: "RequestError", reason: "InvalidUrl" })
        }
      }).pipe(untraced, Effect.scoped))

    it.live("a body that breaks off after the headers is a ResponseError with reason Decode", () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) => {
          response.writeHead(200, { "content-type": "application/json", "content-length": "100" })
          response.write("{\"id\":", () => response.socket?.destroy())
        })
        const response = yield* (yield* client).get(url)
        expect(response.status).toBe(200)
        const error = yield* Effect.flip(response.text)
        expect(error).toBeInstanceOf(HttpClientError.ResponseError)
        expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      }).pipe(untraced, Effect.scoped))

    it.live("interrupting a request waiting for its answer aborts it on the server", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server(never)
        const fiber = yield* Effect.fork((yield* client).get(url))
        yield* arrived(seen)
        yield* Fiber.interrupt(fiber)
        yield* Effect.promise(() => seen[0]!.aborted)
      }).pipe(untraced, Effect.scoped))

    it.live("interrupting the read of a body that stalls aborts the request", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server((_, response) => {
          response.writeHead(200, { "content-type": "application/json" })
          response.write("{\"id\":")
        })
        const response = yield* (yield* client).get(url)
        const fiber = yield* Effect.fork(response.text)
        yield* Effect.sleep("20 millis")
        yield* Fiber.interrupt(fiber)
        yield* Effect.promise(() => seen[0]!.aborted)
      }).pipe(untraced, Effect.scoped))

    it.live("closing the scope of HttpClient.withScope aborts the request", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server((_, response) => {
          response.writeHead(200, { "content-type": "text/plain" })
          response.write("partial")
        })
        const http = HttpClient.withScope(yield* client)
        expect(yield* Effect.scoped(Effect.map(http.get(url), (response) => response.status))).toBe(200)
        yield* Effect.promise(() => seen[0]!.aborted)
      }).pipe(untraced, Effect.scoped))

    it.live("with the tracer on: the platform's http.client span and its trace context; with it off, neither", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server(echo)
        const http = yield* client
        const { spans, tracer } = recordingTracer()
        yield* Effect.flatMap(http.get(`${url}/traced`), (r) => r.text).pipe(Effect.withTracer(tracer))
        expect(spans.map((span) => span.name)).toEqual(["http.client GET"])
        expect(spans[0]!.kind).toBe("client")
        expect(spans[0]!.attributes.get("http.response.status_code")).toBe(200)
        expect(spans[0]!.ended).toBe(true)
        expect(seen[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
        expect(seen[0]!.headers.traceparent).toContain(spans[0]!.spanId)
        expect(seen[0]!.headers.b3).toBeDefined()
        yield* Effect.flatMap(http.get(`${url}/untraced`), (r) => r.text).pipe(untraced, Effect.withTracer(tracer))
        expect(spans.length).toBe(1)
        expect(seen[1]!.headers.traceparent).toBeUndefined()
        expect(seen[1]!.headers.b3).toBeUndefined()
      }).pipe(Effect.scoped))
  })
