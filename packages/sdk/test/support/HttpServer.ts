/**
 * What the tests of the SDK's own clients (`Undici`, `Fetch`) and of its
 * transport share: a `node:http` server on a free port that records what it
 * was sent, a port nothing listens on, a tracer that keeps its spans, the
 * emulator served on a port, and the SDK's calls over a client checked
 * against all of them.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServer from "@effect/platform/HttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
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

export type Handler = (request: Http.IncomingMessage, response: Http.ServerResponse, body: Promise<string>) => void

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
        handler(request, response, body)
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
