import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Emulator } from "@getstack/emulator"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Serve from "../src/http/Serve.js"

const KEY = "sk_test_serveparity0123456789"

/** The emulator served on `layerServer` (answered directly by `http/Serve`) or on any other server (by the platform). */
const served = (server: Layer.Layer<HttpServer.HttpServer, unknown>) =>
  Layer.fresh(Emulator.layerServe).pipe(
    Layer.provideMerge(Emulator.layer({ apiKey: KEY, checkDeclaredErrors: true })),
    Layer.provideMerge(server)
  )

const direct = served(Emulator.layerServer({ port: 0, host: "127.0.0.1" }))
const platform = served(NodeHttpServer.layer(() => Emulator.createServer(), { port: 0, host: "127.0.0.1" }))

interface Step {
  readonly method: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
}

/** What a server answered, with what differs between two emulators (ids, times, tokens) masked. */
interface Answer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

const mask = (text: string) =>
  text
    .replace(/\b([a-z]+)_[A-Za-z0-9]{24}\b/g, "$1_*")
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, "<jwt>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(/"(iat|nbf|exp)":\d+/g, "\"$1\":0")
    .replace(/"(x|kid)":"[A-Za-z0-9_-]{43}"/g, "\"$1\":\"*\"")

/** The same requests, in order, against the emulator served on `layer`: each answer. */
const script = (layer: Layer.Layer<HttpServer.HttpServer | Emulator.Emulator, unknown>) =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(layer)
    const server = Context.get(context, HttpServer.HttpServer)
    if (server.address._tag !== "TcpAddress") throw new Error("expected a TCP address")
    const base = `http://127.0.0.1:${server.address.port}`
    const auth = { authorization: `Bearer ${KEY}` }
    const json = { ...auth, "content-type": "application/json" }
    const answers: Array<Answer> = []
    const send = (step: Step) =>
      Effect.promise(async () => {
        const response = await fetch(`${base}${step.path}`, {
          method: step.method,
          headers: step.headers ?? {},
          ...(step.body === undefined ? {} : { body: step.body })
        })
        const body = await response.text()
        const headers: Record<string, string> = {}
        response.headers.forEach((value, name) => {
          if (name !== "date" && name !== "keep-alive" && name !== "connection") headers[name] = mask(value)
        })
        answers.push({ status: response.status, headers, body: mask(body) })
        return body
      })
    const registered = JSON.parse(
      yield* send({ method: "POST", path: "/v1/agents/register", headers: json, body: "{\"name\":\"parity\",\"accountability_mode\":\"standard\"}" })
    )
    const agent = `/v1/agents/${registered.id}`
    yield* send({ method: "GET", path: agent, headers: auth })
    yield* send({ method: "HEAD", path: agent, headers: auth })
    yield* send({ method: "GET", path: `${agent}?x=1&x=2`, headers: auth })
    yield* send({ method: "GET", path: agent })
    yield* send({ method: "GET", path: agent, headers: { authorization: "Bearer sk_test_notakeyofthisserver" } })
    yield* send({ method: "GET", path: "/v1/agents/agt_nobody", headers: auth })
    yield* send({ method: "GET", path: "/v1/agents/%ED%A0%80", headers: auth })
    yield* send({ method: "GET", path: "/nowhere?q=1", headers: auth })
    yield* send({ method: "GET", path: "/v1/agents?limit=1", headers: auth })
    yield* send({ method: "GET", path: "/v1/agents?limit=nope", headers: auth })
    yield* send({ method: "POST", path: "/v1/agents/register", headers: json, body: "{\"name\":" })
    yield* send({ method: "POST", path: "/v1/agents/register", headers: { ...auth, "content-type": "text/plain" }, body: "x" })
    yield* send({ method: "POST", path: "/v1/agents/register", headers: json, body: "{\"name\":\"parity\"}" })
    const keyed = { ...json, "idempotency-key": "parity-1" }
    yield* send({ method: "POST", path: "/v1/agents/register", headers: keyed, body: "{\"name\":\"keyed\"}" })
    yield* send({ method: "POST", path: "/v1/agents/register", headers: keyed, body: "{\"name\":\"keyed\"}" })
    yield* send({ method: "POST", path: "/v1/agents/register", headers: keyed, body: "{\"name\":\"other\"}" })
    const issued = JSON.parse(
      yield* send({ method: "POST", path: "/v1/passports/issue", headers: json, body: JSON.stringify({ agent_id: registered.id }) })
    )
    const verify = (token: string) =>
      send({ method: "POST", path: "/v1/passports/verify", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) })
    yield* verify(issued.token)
    yield* verify("a.b.c")
    yield* send({ method: "GET", path: "/v1/.well-known/jwks.json" })
    yield* send({ method: "GET", path: "/openapi.json" })
    yield* send({ method: "POST", path: "/_emulator/approvals/gvr_nope/approve", headers: auth })
    yield* send({ method: "DELETE", path: agent, headers: auth })
    yield* send({ method: "GET", path: agent, headers: auth })
    return { answers, direct: Serve.nodeServerOf(server) !== undefined }
  }))

describe("the emulator served directly on its own server", () => {
  it.live("answers every request as the platform's server does: status, headers and body", () =>
    Effect.gen(function*() {
      const onOwn = yield* script(direct)
      const onPlatform = yield* script(platform)
      expect(onOwn.direct).toBe(true)
      expect(onPlatform.direct).toBe(false)
      expect(onOwn.answers.length).toBe(onPlatform.answers.length)
      for (const [i, answer] of onOwn.answers.entries()) {
        expect(answer, `answer ${i}`).toEqual(onPlatform.answers[i])
        expect(answer.headers["x-request-id"], `answer ${i}`).toMatch(/^req_\*$/)
      }
      expect(onOwn.answers.map((answer) => answer.status)).toEqual([
        201, 200, 200, 200, 401, 401, 404, 404, 404, 200, 400, 400, 415, 409, 201, 201, 409, 201, 200, 200, 200, 200, 404, 200, 404
      ])
    }))
})
