/**
 * The SDK's fetch client: an `HttpClient` sending as the platform's
 * `FetchHttpClient` does (the same `Fetch` and `RequestInit` tags, bodies,
 * errors, span and abort), whose responses read a body once through the
 * `Response`'s promise; and the SDK over it against the emulator served on a
 * port.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Fetch from "@getstack/effect/Fetch"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import { clientConformance, clientOf, echo, type Handler, sdkOver, server } from "./support/HttpServer.js"

/** Answers `status`, `headers` and `body` to every request. */
const answer = (status: number, headers: Http.OutgoingHttpHeaders, body = ""): Handler => (_, response) => {
  response.writeHead(status, headers)
  response.end(body)
}

/** The client of `Fetch.layer`. */
const client = clientOf(Fetch.layer)

/** The client of `Fetch.layer` over `fetch` (provided as `FetchHttpClient.Fetch`). */
const overFetch = (fetch: typeof globalThis.fetch) =>
  clientOf(Fetch.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch))))

const untraced = Effect.withTracerEnabled(false)

const text = (bytes: ArrayBuffer | Uint8Array) => new TextDecoder().decode(bytes)

describe("Fetch.layer: responses", () => {
  it.live("the JSON of an empty body is null; a body that is not JSON is a ResponseError with reason Decode", () =>
    Effect.gen(function*() {
      const empty = yield* server(answer(200, { "content-type": "application/json" }))
      const broken = yield* server(answer(200, { "content-type": "application/json" }, "{not json"))
      const http = yield* client
      expect(yield* Effect.flatMap(http.get(empty.url), (r) => r.json)).toBeNull()
      const response = yield* http.get(broken.url)
      const error = yield* Effect.flip(response.json)
      expect(error).toBeInstanceOf(HttpClientError.ResponseError)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(error.cause).toBeInstanceOf(SyntaxError)
      expect(error.response.status).toBe(200)
      // the text is still there
      expect(yield* response.text).toBe("{not json")
    }).pipe(untraced, Effect.scoped))

  it.live("reading text twice answers the same text, from one answer of the server", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(answer(200, { "content-type": "text/plain" }, "once and for all"))
      const http = yield* client
      const response = yield* http.get(url)
      const first = yield* response.text
      const second = yield* response.text
      expect(first).toBe("once and for all")
      expect(second).toBe(first)
      // json and urlParamsBody read through the same kept text
      expect(yield* Effect.flip(response.json)).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(yield* response.urlParamsBody).toEqual([["once and for all", ""]])
      // the same Effect run twice reads once too
      const read = response.text
      expect(yield* Effect.all([read, read], { concurrency: 2 })).toEqual([first, first])
      expect(seen.length).toBe(1)
    }).pipe(untraced, Effect.scoped))

  it.live("reading the body in another form after text is a ResponseError: a Response is read once", () =>
    Effect.gen(function*() {
      const { url } = yield* server(answer(200, { "content-type": "text/plain" }, "read me"))
      const http = yield* client
      const response = yield* http.get(url)
      expect(yield* response.text).toBe("read me")
      const error = yield* Effect.flip(response.arrayBuffer)
      expect(error).toBeInstanceOf(HttpClientError.ResponseError)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(error.cause).toBeInstanceOf(TypeError)
      // and as the platform's client does
      const platform = yield* clientOf(FetchHttpClient.layer)
      const theirs = yield* platform.get(url)
      expect(yield* theirs.text).toBe("read me")
      expect(yield* Effect.flip(theirs.arrayBuffer)).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
    }).pipe(untraced, Effect.scoped))

  it.live("answers the body as an ArrayBuffer, twice from one read", () =>
    Effect.gen(function*() {
      const bytes = Uint8Array.from([0, 1, 2, 253, 254, 255])
      const { url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "application/octet-stream" })
        response.end(Buffer.from(bytes))
      })
      const http = yield* client
      const response = yield* http.get(url)
      const buffer = yield* response.arrayBuffer
      expect(buffer).toBeInstanceOf(ArrayBuffer)
      expect(new Uint8Array(buffer)).toEqual(bytes)
      expect(new Uint8Array(yield* response.arrayBuffer)).toEqual(bytes)
    }).pipe(untraced, Effect.scoped))

  it.live("answers a urlencoded body as URL parameters and as FormData", () =>
    Effect.gen(function*() {
      const { url } = yield* server(
        answer(200, { "content-type": "application/x-www-form-urlencoded" }, "a=1&b=x+y&a=2")
      )
      const http = yield* client
      expect(yield* Effect.flatMap(http.get(url), (r) => r.urlParamsBody)).toEqual([["a", "1"], ["b", "x y"], ["a", "2"]])
      const form = yield* Effect.flatMap(http.get(url), (r) => r.formData)
      expect(form.getAll("a")).toEqual(["1", "2"])
      expect(form.get("b")).toBe("x y")
    }).pipe(untraced, Effect.scoped))

  it.live("answers a multipart body as FormData", () =>
    Effect.gen(function*() {
      const boundary = "----stack-boundary-42"
      const body = [
        `--${boundary}`,
        "Content-Disposition: form-data; name=\"name\"",
        "",
        "alpha",
        `--${boundary}`,
        "Content-Disposition: form-data; name=\"file\"; filename=\"hello.txt\"",
        "Content-Type: text/plain",
        "",
        "hello, file",
        `--${boundary}--`,
        ""
      ].join("\r\n")
      const { url } = yield* server(answer(200, { "content-type": `multipart/form-data; boundary=${boundary}` }, body))
      const http = yield* client
      const response = yield* http.get(url)
      const form = yield* response.formData
      expect(form.get("name")).toBe("alpha")
      const file = form.get("file")
      expect(file).toBeInstanceOf(Blob)
      expect(file instanceof File && file.name).toBe("hello.txt")
      expect(yield* Effect.promise(() => (file as Blob).text())).toBe("hello, file")
      // kept: read again
      expect((yield* response.formData).get("name")).toBe("alpha")
    }).pipe(untraced, Effect.scoped))

  it.live("streams the body in chunks", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "text/plain" })
        response.write("one ")
        // the next parts once the first has gone out
        setTimeout(() => {
          response.write("two ")
          response.end("three")
        }, 10)
      })
      const http = yield* client
      const chunks = yield* Stream.runCollect(Stream.unwrap(Effect.map(http.get(url), (r) => r.stream)))
      expect(Chunk.size(chunks)).toBeGreaterThan(0)
      expect(Chunk.every(chunks, (chunk) => chunk instanceof Uint8Array)).toBe(true)
      expect(Chunk.toReadonlyArray(chunks).map(text).join("")).toBe("one two three")
    }).pipe(untraced, Effect.scoped))

  it.live("the stream of an empty (204) body is a ResponseError with reason EmptyBody", () =>
    Effect.gen(function*() {
      const { url } = yield* server(answer(204, {}))
      const http = yield* client
      const response = yield* http.get(url)
      expect(response.status).toBe(204)
      const error = yield* Effect.flip(Stream.runCollect(response.stream))
      expect(error).toBeInstanceOf(HttpClientError.ResponseError)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "EmptyBody" })
      // read whole (before its stream ends, and aborts, the request), an empty body is "" and its JSON null
      const fresh = yield* http.get(url)
      expect(yield* fresh.text).toBe("")
      expect(yield* fresh.json).toBeNull()
    }).pipe(untraced, Effect.scoped))

  it.live("toJSON describes the response, and the body it began to read is still read whole after", () =>
    Effect.gen(function*() {
      const { url } = yield* server(answer(200, { "content-type": "text/plain" }, "still here"))
      const http = yield* client
      const response = yield* http.get(url)
      expect(response.toJSON()).toMatchObject({
        _id: "@effect/platform/HttpClientResponse",
        status: 200,
        headers: { "content-type": "text/plain" }
      })
      expect(yield* response.text).toBe("still here")
    }).pipe(untraced, Effect.scoped))
})

describe("Fetch.layer: requests", () => {
  it.live("a content-length set by the caller is not forwarded: the server gets the body's own", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(echo)
      const http = yield* client
      const echoed = yield* Effect.flatMap(
        http.execute(
          HttpClientRequest.post(url).pipe(
            HttpClientRequest.bodyText("eleven char"),
            HttpClientRequest.setHeader("content-length", "3")
          )
        ),
        (r) => r.json
      )
      expect(echoed).toMatchObject({ body: "eleven char" })
      expect(seen[0]!.headers["content-length"]).toBe("11")
    }).pipe(untraced, Effect.scoped))

  it.live("a URL that does not parse is a RequestError with reason InvalidUrl, and nothing is fetched", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const recording: typeof globalThis.fetch = (input) => {
        calls.push(String(input))
        return Promise.resolve(new Response(""))
      }
      const http = yield* overFetch(recording)
      for (const bad of ["http://[::1", "not a url"]) {
        const error = yield* Effect.flip(http.get(bad))
        expect(error).toBeInstanceOf(HttpClientError.RequestError)
        expect(error).toMatchObject({ _tag: "RequestError", reason: "InvalidUrl" })
      }
      expect(calls).toEqual([])
    }).pipe(untraced, Effect.scoped))
})

describe("Fetch.layer: the context tags of FetchHttpClient", () => {
  it.live("a FetchHttpClient.Fetch provided to the layer is the fetch called", () =>
    Effect.gen(function*() {
      const calls: Array<{ readonly url: string; readonly init: RequestInit | undefined }> = []
      const myFetch: typeof globalThis.fetch = (input, init) => {
        calls.push({ url: String(input), init })
        return Promise.resolve(
          new Response("from my fetch", { status: 202, headers: { "x-mine": "yes", "set-cookie": "c=3" } })
        )
      }
      const http = yield* overFetch(myFetch)
      const response = yield* http.execute(
        HttpClientRequest.post("http://stack.invalid/v1/things", { urlParams: { q: "1" } }).pipe(
          HttpClientRequest.bodyText("hi")
        )
      )
      expect(response.status).toBe(202)
      expect(response.headers["x-mine"]).toBe("yes")
      expect(response.cookies.cookies.c?.value).toBe("3")
      expect(yield* response.text).toBe("from my fetch")
      expect(calls.map((call) => call.url)).toEqual(["http://stack.invalid/v1/things?q=1"])
      const init = calls[0]!.init
      expect(init?.method).toBe("POST")
      expect(init?.body).toBeInstanceOf(Uint8Array)
      expect(text(init?.body as Uint8Array)).toBe("hi")
      expect(init?.signal).toBeInstanceOf(AbortSignal)
    }).pipe(untraced, Effect.scoped))

  it.live("a FetchHttpClient.Fetch in the request's context is the fetch called too", () =>
    Effect.gen(function*() {
      const urls: Array<string> = []
      const myFetch: typeof globalThis.fetch = (input) => {
        urls.push(String(input))
        return Promise.resolve(new Response("mine"))
      }
      const body = yield* Effect.flatMap(Fetch.client.get("http://stack.invalid/direct"), (r) => r.text).pipe(
        Effect.provideService(FetchHttpClient.Fetch, myFetch)
      )
      expect(body).toBe("mine")
      expect(urls).toEqual(["http://stack.invalid/direct"])
    }).pipe(untraced))

  it.live("FetchHttpClient.RequestInit: its headers are merged under the request's own, its options kept", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(echo)
      const init: RequestInit = {
        headers: { "x-from-init": "init", "x-clash": "init", "Content-Type": "text/init" },
        redirect: "manual"
      }
      const http = yield* clientOf(Fetch.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, init))))
      yield* Effect.flatMap(
        http.execute(
          HttpClientRequest.post(url, { headers: { "x-clash": "request" } }).pipe(
            HttpClientRequest.bodyUnsafeJson({ a: 1 })
          )
        ),
        (r) => r.text
      )
      expect(seen[0]!.headers["x-from-init"]).toBe("init")
      expect(seen[0]!.headers["x-clash"]).toBe("request")
      expect(seen[0]!.headers["content-type"]).toBe("application/json")
      expect(yield* Effect.promise(() => seen[0]!.body)).toBe("{\"a\":1}")

      // the rest of the RequestInit is passed on: redirect "manual" answers the redirect itself
      const redirecting = yield* server(answer(302, { location: "/elsewhere" }))
      const response = yield* http.get(redirecting.url)
      expect(response.status).toBe(302)
      expect(redirecting.seen.map((s) => s.url)).toEqual(["/"])
    }).pipe(untraced, Effect.scoped))

  it.live("FetchHttpClient.RequestInit headers given as a Headers object are merged too", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(echo)
      const init: RequestInit = { headers: new globalThis.Headers([["x-from-init", "init"], ["x-clash", "init"]]) }
      const http = yield* clientOf(Fetch.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, init))))
      yield* Effect.flatMap(http.get(url, { headers: { "X-Clash": "request" } }), (r) => r.text)
      expect(seen[0]!.headers["x-from-init"]).toBe("init")
      expect(seen[0]!.headers["x-clash"]).toBe("request")
    }).pipe(untraced, Effect.scoped))
})

describe("Fetch.layer and FetchHttpClient.layer answer alike", () => {
  /** What a response shows: status, headers (without `date`), body. */
  const shown = (response: HttpClientResponse.HttpClientResponse) =>
    Effect.map(response.text, (body) => {
      const { date: _date, ...headers } = response.headers
      return { status: response.status, headers, body, cookies: response.cookies.cookies }
    })

  it.live("a POST with a JSON body, and a GET answered 404 with headers", () =>
    Effect.gen(function*() {
      const echoing = yield* server(echo)
      const missing = yield* server((_, response) => {
        response.setHeader("set-cookie", ["session=gone; Path=/; Max-Age=0"])
        response.writeHead(404, {
          "content-type": "application/json",
          "x-request-id": "req_404",
          "x-many": ["1", "2"]
        })
        response.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "no such thing" } }))
      })
      const ours = yield* client
      const theirs = yield* clientOf(FetchHttpClient.layer)
      const post = HttpClientRequest.post(`${echoing.url}/v1/agents`).pipe(
        HttpClientRequest.bodyUnsafeJson({ name: "alpha", tags: ["a", "b"] })
      )
      const get = HttpClientRequest.get(`${missing.url}/v1/agents/agt_missing`, { headers: { accept: "application/json" } })
      for (const request of [post, get]) {
        const a = yield* Effect.flatMap(ours.execute(request), shown)
        const b = yield* Effect.flatMap(theirs.execute(request), shown)
        expect(a).toEqual(b)
      }
      const notFound = yield* Effect.flatMap(ours.execute(get), shown)
      expect(notFound).toMatchObject({ status: 404, headers: { "x-request-id": "req_404", "x-many": "1, 2" } })
      expect(notFound.body).toContain("NOT_FOUND")
      // the server saw the same requests from both
      const length = String(JSON.stringify({ name: "alpha", tags: ["a", "b"] }).length)
      expect(echoing.seen.map((s) => [s.method, s.url, s.headers["content-type"], s.headers["content-length"]])).toEqual([
        ["POST", "/v1/agents", "application/json", length],
        ["POST", "/v1/agents", "application/json", length]
      ])
      const [mine, platform] = yield* Effect.promise(() => Promise.all(echoing.seen.map((s) => s.body)))
      expect(mine).toBe(platform)
    }).pipe(untraced, Effect.scoped))
})

clientConformance("Fetch.layer", Fetch.layer)

// the same expectations hold of the platform's own fetch client
clientConformance("FetchHttpClient.layer", FetchHttpClient.layer)

sdkOver("Fetch.layer", Fetch.layer)
