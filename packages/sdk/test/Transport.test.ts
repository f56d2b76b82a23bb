/**
 * The transport on the live clock, over a real socket: per-attempt timeouts
 * abort their request (no fiber races it), interruption aborts it too, and
 * each call is one span named after its method.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Stack } from "@getstack/effect"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Http from "node:http"
import * as FakeHttp from "./support/FakeHttp.js"
import { never, recordingTracer, sdkOver, server } from "./support/HttpServer.js"

const API_KEY = "sk_test_SECRETSECRETSECRET123"

const answer = (response: Http.ServerResponse, body: unknown, requestId = "req_live_1") => {
  response.writeHead(200, { "content-type": "application/json", "x-request-id": requestId })
  response.end(JSON.stringify(body))
}

const agents = (url: string, options: Stack.ClientOptions = {}, client: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer) =>
  Stack.layer({ apiKey: API_KEY, baseUrl: url, ...options }).pipe(Layer.provide(client))

const elapsed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = Date.now()
    const result = yield* effect
    return { result, ms: Date.now() - start }
  })

describe("timeouts on the live clock", () => {
  it.live("an attempt that gets no answer fails with TimeoutError after the timeout, and its request is aborted", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(never)
      const { ms, result } = yield* elapsed(
        Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
          Effect.flip,
          Effect.provide(agents(url, { timeout: "300 millis", retry: false }))
        )
      )
      expect(result).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300, method: "GET", url: `${url}/v1/agents/agt_1` })
      expect(ms).toBeGreaterThanOrEqual(290)
      expect(ms).toBeLessThan(5_000)
      expect(seen).toHaveLength(1)
      yield* Effect.promise(() => seen[0]!.aborted)
    }).pipe(Effect.scoped))

  it.live("a read that timed out is retried, and succeeds when the next attempt is answered", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server((_, response, _body, index) => {
        if (index > 0) answer(response, FakeHttp.agentJson())
      })
      const agent = yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
        Effect.provide(agents(url, { timeout: "300 millis", retry: { initialDelay: "10 millis" } }))
      )
      expect(agent.id).toBe("agt_1")
      expect(seen).toHaveLength(2)
    }).pipe(Effect.scoped))

  it.live("a write that timed out keeps one Idempotency-Key and reports an unknown outcome", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(never)
      const error = yield* Effect.flatMap(Agents.Agents, (agents) => agents.register({ name: "alpha" })).pipe(
        Effect.flip,
        Effect.provide(agents(url, { timeout: "200 millis" }))
      )
      expect(error).toMatchObject({ _tag: "TimeoutError", outcome: "unknown", attempts: 1 })
      expect(seen).toHaveLength(1)
      expect(seen[0]!.headers["idempotency-key"]).toMatch(/^stk-/)
    }).pipe(Effect.scoped))

  it.live("the timeout holds over an HttpClient with middleware that replaces the request", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server(never)
      const withMiddleware = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, HttpClient.mapRequest(HttpClientRequest.setHeader("x-extra", "1")))
      ).pipe(Layer.provide(FetchHttpClient.layer))
      const error = yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
        Effect.flip,
        Effect.provide(agents(url, { timeout: "300 millis", retry: false }, withMiddleware))
      )
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
      expect(seen[0]!.headers["x-extra"]).toBe("1")
      yield* Effect.promise(() => seen[0]!.aborted)
    }).pipe(Effect.scoped))

  it.live("a call answered in time leaves no timer behind", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, response) => answer(response, FakeHttp.agentJson()))
      const before = process.getActiveResourcesInfo().filter((name) => name === "Timeout").length
      yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(Effect.provide(agents(url)))
      const after = process.getActiveResourcesInfo().filter((name) => name === "Timeout").length
      expect(after).toBeLessThanOrEqual(before)
    }).pipe(Effect.scoped))
})

describe("spans", () => {
  it.live("one span per call, named after the method, with the request id; no span per attempt from the platform", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server((_, response) => answer(response, FakeHttp.agentJson(), "req_trace_1"))
      const tracer = recordingTracer()
      yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
        Effect.withSpan("caller"),
        Effect.provide(agents(url)),
        Effect.provide(tracer.layer)
      )
      expect(tracer.spans.map((span) => span.name)).toEqual(["caller", "Agents.get"])
      const call = tracer.spans[1]!
      expect(call.kind).toBe("client")
      expect(call.ended).toBe(true)
      expect(call.attributes.get("stack.request_id")).toBe("req_trace_1")
      expect(call.attributes.get("http.response.status_code")).toBe(200)
      expect(call.attributes.get("http.request.method")).toBe("GET")
      expect(call.attributes.get("url.full")).toBe(`${url}/v1/agents/agt_1`)
      // the trace context travels with the request
      expect(seen[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
    }).pipe(Effect.scoped))

  it.live("retries stay in the call's one span", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server((_, response, _body, index) => {
        if (index === 0) {
          response.writeHead(503, { "content-type": "application/json", "retry-after-ms": "1" })
          response.end(JSON.stringify({ error: { code: "INTERNAL_ERROR", message: "down" } }))
        } else {
          answer(response, FakeHttp.agentJson(), "req_trace_2")
        }
      })
      const tracer = recordingTracer()
      yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
        Effect.provide(agents(url)),
        Effect.provide(tracer.layer)
      )
      expect(seen).toHaveLength(2)
      expect(tracer.spans.map((span) => span.name)).toEqual(["Agents.get"])
      expect(tracer.spans[0]!.attributes.get("stack.request_id")).toBe("req_trace_2")
    }).pipe(Effect.scoped))

  it.live("with tracing off no span is made and no trace context is sent", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* server((_, response) => answer(response, FakeHttp.agentJson()))
      const tracer = recordingTracer()
      yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
        Effect.withTracerEnabled(false),
        Effect.provide(agents(url)),
        Effect.provide(tracer.layer)
      )
      expect(tracer.spans).toEqual([])
      expect(seen[0]!.headers.traceparent).toBeUndefined()
    }).pipe(Effect.scoped))

  it.effect("each service's methods are spans of their own name", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) =>
        request.pathname.startsWith("/v1/missions/")
          ? FakeHttp.json(404, { error: { code: "NOT_FOUND", message: "no such mission" } })
          : FakeHttp.json(200, FakeHttp.pageJson([], { page: 1, limit: 10, total: 0, hasMore: false }))
      )
      const tracer = recordingTracer()
      yield* Effect.gen(function*() {
        const stack = yield* Stack.Stack
        yield* stack.agents.list({ limit: 10 })
        yield* Effect.flip(stack.missions.get("msn_1"))
      }).pipe(
        Effect.provide(Stack.layer({ apiKey: API_KEY }).pipe(Layer.provide(fake.layer))),
        Effect.provide(tracer.layer)
      )
      expect(tracer.spans.map((span) => span.name)).toEqual(["Agents.list", "Missions.get"])
      expect(tracer.spans.every((span) => span.ended)).toBe(true)
    }))
})

// the socket tests every client of the SDK passes (a stalled body and an interrupted call among them), over the platform's fetch client too
sdkOver("the platform's FetchHttpClient.layer", FetchHttpClient.layer)
