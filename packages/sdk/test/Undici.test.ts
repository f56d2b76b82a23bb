/**
 * The SDK's undici client: a correct `HttpClient` over a real socket (bodies
 * both ways, headers, failures, aborts), and the SDK over it against the
 * emulator served on a port.
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Undici from "@getstack/effect/Undici"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { closedPort, echo, never, recordingTracer, sdkOver, server } from "./support/HttpServer.js"

/** The client of `Undici.layer`, whose agent lives as long as the test's scope. */
const client = Effect.map(Layer.build(Undici.layer), Context.get(HttpClient.HttpClient))

const untraced = Effect.withTracerEnabled(false)

describe("Undici.layer as an HttpClient", () => {
  it.live("answers the status, headers, cookies, text and JSON of a response", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, response) => {
        response.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/"])
        response.writeHead(201, { "Content-Type": "application/json", "X-Request-Id": "req_1", "X-Many": ["1", "2"] })
        response.end(JSON.stringify({ id: "agt_1", name: "alpha" }))
      })
      const http = yield* client
      const response = yield* http.get(`${url}/v1/things?x=1`)
      expect(response.status).toBe(201)
      expect(response.headers["x-request-id"]).toBe("req_1")
      expect(response.headers["content-type"]).toBe("application/json")
      expect(response.headers["x-many"]).toBe("1, 2")
      expect(response.cookies.cookies.a?.value).toBe("1")
      expect(response.cookies.cookies.b?.value).toBe("2")
      expect(yield* response.json).toEqual({ id: "agt_1", name: "alpha" })
      // the body is kept: read again, in any form
      expect(yield* response.text).toBe("{\"id\":\"agt_1\",\"name\":\"alpha\"}")
      expect(new TextDecoder().decode(yield* response.arrayBuffer)).toBe("{\"id\":\"agt_1\",\"name\":\"alpha\"}")
    }).pipe(untraced, Effect.scoped))

  it.live("sends the method, path, query, headers and each kind of request body", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(echo)
      const http = yield* client
      const read = (request: HttpClientRequest.HttpClientRequest) => Effect.flatMap(http.execute(request), (r) => r.json)

      expect(yield* read(HttpClientRequest.post(`${url}/json`).pipe(HttpClientRequest.bodyUnsafeJson({ name: "alpha" }))))
        .toEqual({ method: "POST", url: "/json", contentType: "application/json", body: "{\"name\":\"alpha\"}" })
      expect(
        yield* read(
          HttpClientRequest.put(`${url}/bytes`).pipe(
            HttpClientRequest.bodyUint8Array(new TextEncoder().encode("bytes!"), "application/octet-stream")
          )
        )
      ).toEqual({ method: "PUT", url: "/bytes", contentType: "application/octet-stream", body: "bytes!" })
      expect(yield* read(HttpClientRequest.patch(`${url}/raw`).pipe(HttpClientRequest.setBody(HttpBody.raw("raw text")))))
        .toMatchObject({ method: "PATCH", body: "raw text" })
      expect(
        yield* read(
          HttpClientRequest.post(`${url}/stream`).pipe(
            HttpClientRequest.bodyStream(Stream.make("one ", "two ", "three").pipe(Stream.encodeText))
          )
        )
      ).toMatchObject({ method: "POST", body: "one two three" })
      expect(
        yield* read(
          HttpClientRequest.get(`${url}/query`, { urlParams: { a: "1", b: "x y" }, headers: { "x-extra": "yes" } })
        )
      ).toMatchObject({ method: "GET", url: "/query?a=1&b=x+y", body: "" })
      expect(seen.at(-1)!.headers["x-extra"]).toBe("yes")
    }).pipe(untraced, Effect.scoped))

  it.live("streams a large body in chunks, pausing the socket until it is read", () =>
    Effect.gen(function*() {
      const chunk = "x".repeat(16 * 1024)
      const { url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "text/plain" })
        let left = 32
        const write = () => {
          while (left > 0) {
            left--
            if (!response.write(chunk)) return response.once("drain", write)
          }
          response.end()
        }
        write()
      })
      const http = yield* client
      const response = yield* http.get(url)
      // past the high-water mark the socket waits for a reader
      yield* Effect.sleep("50 millis")
      // inspecting the response does not read (nor abort) a body that has not ended
      expect(response.toJSON()).toMatchObject({ status: 200, headers: { "content-type": "text/plain" } })
      const chunks = yield* Stream.runCollect(response.stream)
      const bytes = Chunk.reduce(chunks, 0, (n, c) => n + c.length)
      expect(bytes).toBe(32 * chunk.length)
      expect(Chunk.size(chunks)).toBeGreaterThan(1)
      // read whole, the same answer
      const again = yield* Effect.flatMap(http.get(url), (r) => r.text)
      expect(again.length).toBe(32 * chunk.length)
    }).pipe(untraced, Effect.scoped))

  it.live("a port nobody listens on is a RequestError with reason Transport", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const http = yield* client
      const error = yield* Effect.flip(http.get(`http://127.0.0.1:${port}/v1/agents`))
      expect(error).toBeInstanceOf(HttpClientError.RequestError)
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      expect(JSON.stringify((error as HttpClientError.RequestError).cause)).toContain("ECONNREFUSED")
    }).pipe(untraced, Effect.scoped))

  it.live("a URL that does not parse is a RequestError with reason InvalidUrl", () =>
    Effect.gen(function*() {
      const http = yield* client
      const error = yield* Effect.flip(http.get("not a url"))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "InvalidUrl" })
    }).pipe(untraced, Effect.scoped))

  it.live("a body that breaks off after the headers is a ResponseError with reason Decode", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "application/json", "content-length": "100" })
        response.write("{\"id\":", () => response.socket?.destroy())
      })
      const http = yield* client
      const response = yield* http.get(url)
      expect(response.status).toBe(200)
      const error = yield* Effect.flip(response.text)
      expect(error).toBeInstanceOf(HttpClientError.ResponseError)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
    }).pipe(untraced, Effect.scoped))

  it.live("interrupting a request waiting for its answer aborts it on the server", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(never)
      const http = yield* client
      const fiber = yield* Effect.fork(http.get(url))
      while (seen.length === 0) yield* Effect.sleep("5 millis")
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => seen[0]!.aborted)
    }).pipe(untraced, Effect.scoped))

  it.live("interrupting the read of a body that stalls aborts the request", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.write("{\"id\":")
      })
      const http = yield* client
      const response = yield* http.get(url)
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
      yield* Effect.scoped(Effect.flatMap(http.get(url), (response) => Effect.succeed(response.status)))
      yield* Effect.promise(() => seen[0]!.aborted)
    }).pipe(untraced, Effect.scoped))

  it.live("with the tracer on: the platform's span of the request, and its trace context in the headers", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(echo)
      const { spans, tracer } = recordingTracer()
      const http = yield* client
      yield* Effect.flatMap(http.get(url), (r) => r.text).pipe(Effect.withTracer(tracer))
      expect(spans.map((span) => span.name)).toEqual(["http.client GET"])
      expect(spans[0]!.attributes.get("http.response.status_code")).toBe(200)
      expect(seen[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      expect(seen[0]!.headers.b3).toBeDefined()
    }).pipe(Effect.scoped))
})

sdkOver("Undici.layer", Undici.layer)
