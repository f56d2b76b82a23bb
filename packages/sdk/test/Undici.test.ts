/**
 * The SDK's undici client: a correct `HttpClient` over a real socket (bodies
 * both ways, headers, failures, aborts), and the SDK over it against the
 * emulator served on a port.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Undici from "@getstack/effect/Undici"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { clientConformance, clientOf, sdkOver, server } from "./support/HttpServer.js"

/** The client of `Undici.layer`, whose agent lives as long as the test's scope. */
const client = clientOf(Undici.layer)

const untraced = Effect.withTracerEnabled(false)

describe("Undici.layer, its own", () => {
  it.live("keeps the body once read: read again as text and as an ArrayBuffer", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(JSON.stringify({ id: "agt_1", name: "alpha" }))
      })
      const response = yield* (yield* client).get(url)
      expect(yield* response.json).toEqual({ id: "agt_1", name: "alpha" })
      expect(yield* response.text).toBe("{\"id\":\"agt_1\",\"name\":\"alpha\"}")
      expect(new TextDecoder().decode(yield* response.arrayBuffer)).toBe("{\"id\":\"agt_1\",\"name\":\"alpha\"}")
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

})

clientConformance("Undici.layer", Undici.layer)

sdkOver("Undici.layer", Undici.layer)
