import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Emulator } from "@getstack/emulator"
import { verifyChain } from "@getstack/effect/api/Audit"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { expectError, type Reply, requester } from "./support/Client.js"
import { chunked, exchange, head, type RawReply } from "./support/Raw.js"

/** The emulator as the CLI serves it: `Emulator.layerServer` on a free port. */
const ServerLive = Emulator.layerServe.pipe(
  Layer.provideMerge(Emulator.layer()),
  Layer.provideMerge(Emulator.layerServer({ port: 0, host: "127.0.0.1" }))
)

const MB = 1024 * 1024

const setup = Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const emulator = yield* Emulator.Emulator
  if (server.address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  const port = server.address.port
  const key = Redacted.value(emulator.apiKey)
  const call = requester((request) => fetch(request), `http://127.0.0.1:${port}`, key)
  const send = (parts: Parameters<typeof exchange>[1], options?: Parameters<typeof exchange>[2]) =>
    Effect.promise(() => exchange(port, parts, options))
  const auth = `Bearer ${key}`
  /** The headers of a JSON request with the default key. */
  const json = (host: Record<string, string | number> = {}) => ({
    host: "emulator.test",
    authorization: auth,
    "content-type": "application/json",
    ...host
  })
  const agent = (name: string) =>
    Effect.map(call("POST", "/v1/agents/register", { json: { name, accountability_mode: "standard" } }), (reply) => {
      if (reply.status !== 201) throw new Error(`register ${name}: ${reply.status} ${reply.text}`)
      return reply.json.id as string
    })
  /** The server still answers, and its audit chain verifies. */
  const healthy = Effect.gen(function*() {
    expect((yield* call("GET", "/v1/agents?limit=1")).status).toBe(200)
    const chain = yield* emulator.auditChain(emulator.operatorId)
    expect(yield* verifyChain(chain)).toEqual({ valid: true })
  })
  return { port, key, call, send, json, agent, emulator, healthy }
})

/** Checks a raw answer is STACK's error body with `status` and `code`, and a request id. */
const expectRawError = (reply: RawReply | undefined, status: number, code: string) => {
  expect(reply, "no answer").toBeDefined()
  expectError({ status: reply!.status, json: reply!.json, headers: new Headers(reply!.headers) }, status, code)
}

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`

describe("bad input over real HTTP: never a 5xx, a dropped connection or corrupt data", () => {
  it.layer(ServerLive)((it) => {
    it.effect("deep nesting → 400 INVALID_REQUEST before decoding, on public and authenticated endpoints", () =>
      Effect.gen(function*() {
        const { call, healthy } = yield* setup
        const headers = { "content-type": "application/json" }
        for (const depth of [100, 2_300, 5_000, 50_000]) {
          const verify = yield* call("POST", "/v1/passports/verify", {
            body: `{"token":${nested(depth)}}`,
            headers,
            auth: null
          })
          expectError(verify, 400, "INVALID_REQUEST")
          expect(verify.json.error.message).toContain("deeper than 64")
          const register = yield* call("POST", "/v1/agents/register", { body: `{"name":"deep-bot","description":${nested(depth)}}`, headers })
          expectError(register, 400, "INVALID_REQUEST")
        }
        // brackets inside strings are text, not nesting
        const text = yield* call("POST", "/v1/agents/register", {
          json: { name: "bracket-bot", accountability_mode: "standard", description: "[".repeat(200) + "\"{" }
        })
        expect(text.status).toBe(201)
        // a mission's output: up to 64 levels with the body object are stored; deeper is refused
        const open = () =>
          Effect.map(
            call("POST", "/v1/missions", { json: { intent_summary: "deep output", intent_services: ["scon_x"] } }),
            (reply) => reply.json.id as string
          )
        const deep = yield* call("POST", `/v1/missions/${yield* open()}/complete`, { body: `{"output":${nested(4_200)}}`, headers })
        expectError(deep, 400, "INVALID_REQUEST")
        const deepest = yield* call("POST", `/v1/missions/${yield* open()}/complete`, { body: `{"output":${nested(63)}}`, headers })
        expect(deepest.status, deepest.text).toBe(200)
        expectError(
          yield* call("POST", `/v1/missions/${yield* open()}/complete`, { body: `{"output":${nested(64)}}`, headers }),
          400,
          "INVALID_REQUEST"
        )
        yield* healthy
      }))

    it.effect("bodies near 1 MB: 413 for over 1 MB, chunked or not, on a connection that stays usable", () =>
      Effect.gen(function*() {
        const { call, send, json, healthy } = yield* setup
        const describe = (size: number) => {
          const prefix = "{\"name\":\"size-bot\",\"description\":\""
          return Buffer.from(`${prefix}${"d".repeat(size - prefix.length - 2)}"}`)
        }
        const next = head("GET /v1/agents?limit=1 HTTP/1.1", json())
        // chunked, 1 MB + 1: 413, and the next request on the same connection is answered
        const over = yield* send(
          [head("POST /v1/agents/register HTTP/1.1", json({ "transfer-encoding": "chunked" })), ...chunked(describe(MB + 1)), next],
          { replies: 2 }
        )
        expectRawError(over.replies[0], 413, "PAYLOAD_TOO_LARGE")
        expect(over.replies[1]?.status).toBe(200)
        // chunked, exactly 1 MB: read in full (then refused for its content, not its size)
        const at = yield* send([head("POST /v1/agents/register HTTP/1.1", json({ "transfer-encoding": "chunked" })), ...chunked(describe(MB))])
        expectRawError(at.replies[0], 400, "INVALID_REQUEST")
        expect(at.replies[0]!.json.error.details.fields.description).toBeDefined()
        // far over: 5 MB chunked still gets its 413 and no reset
        const far = yield* send([head("POST /v1/agents/register HTTP/1.1", json({ "transfer-encoding": "chunked" })), ...chunked(describe(5 * MB))])
        expectRawError(far.replies[0], 413, "PAYLOAD_TOO_LARGE")
        // with a Content-Length over 1 MB
        const declared = yield* call("POST", "/v1/agents/register", { body: describe(MB + 1).toString(), headers: { "content-type": "application/json" } })
        expectError(declared, 413, "PAYLOAD_TOO_LARGE")
        // Expect: 100-continue with a Content-Length over 1 MB: refused before the body is sent
        const early = yield* send(head("POST /v1/agents/register HTTP/1.1", json({ "content-length": 2 * MB, expect: "100-continue" })))
        expect(early.interim).toEqual([])
        expectRawError(early.replies[0], 413, "PAYLOAD_TOO_LARGE")
        // …and under it: 100 Continue, then the answer
        const body = JSON.stringify({ name: "continue-bot", accountability_mode: "standard" })
        const small = yield* send(
          [head("POST /v1/agents/register HTTP/1.1", json({ "content-length": body.length, expect: "100-continue" })), body]
        )
        expect(small.interim).toEqual([100])
        expect(small.replies[0]?.status).toBe(201)
        yield* healthy
      }))

    it.effect("invalid UTF-8 → 400 INVALID_REQUEST, even when decoding it would pass 1 MB", () =>
      Effect.gen(function*() {
        const { send, json, call, healthy } = yield* setup
        const invalid = (size: number) =>
          Buffer.concat([Buffer.from("{\"name\":\"utf-bot\",\"description\":\""), Buffer.alloc(size, 0xff), Buffer.from("\"}")])
        // a surrogate encoded as UTF-8 (ED A0 80) is not UTF-8 either
        const encodedSurrogate = Buffer.from([...Buffer.from("{\"name\":\"utf-bot\",\"description\":\""), 0xed, 0xa0, 0x80, 0x22, 0x7d])
        for (const body of [invalid(600 * 1024), invalid(1), encodedSurrogate]) {
          const reply = yield* send([head("POST /v1/agents/register HTTP/1.1", json({ "content-length": body.length })), body])
          expectRawError(reply.replies[0], 400, "INVALID_REQUEST")
          expect(reply.replies[0]!.json.error.message).toContain("UTF-8")
        }
        // chunked, split inside a multi-byte character: still valid
        const snowman = Buffer.from(JSON.stringify({ name: "snow-bot", accountability_mode: "standard", description: "☃".repeat(200) }))
        const split = yield* send([head("POST /v1/agents/register HTTP/1.1", json({ "transfer-encoding": "chunked" })), ...chunked(snowman, 7)])
        expect(split.replies[0]?.status).toBe(201)
        expect(split.replies[0]?.json.description).toBe("☃".repeat(200))
        expect((yield* call("GET", `/v1/agents/${split.replies[0]!.json.id}`)).json.description).toBe("☃".repeat(200))
        yield* healthy
      }))

    it.effect("lone surrogates → 400 INVALID_REQUEST naming the field; pairs are kept as sent", () =>
      Effect.gen(function*() {
        const { call, agent, emulator, healthy } = yield* setup
        const headers = { "content-type": "application/json" }
        const lone = yield* call("POST", "/v1/agents/register", { body: "{\"name\":\"lone-bot\",\"description\":\"x\\ud800y\"}", headers })
        expectError(lone, 400, "INVALID_REQUEST")
        expect(Object.keys(lone.json.error.details.fields)).toEqual(["description"])
        expect(lone.text).not.toContain("\\ud800")
        const low = yield* call("POST", "/v1/agents/register", { body: "{\"name\":\"lone-bot\",\"description\":\"\\udc00\"}", headers })
        expectError(low, 400, "INVALID_REQUEST")
        // the failure entry of a refused issue would record the agent id in the hashed chain
        const before = (yield* emulator.auditChain(emulator.operatorId)).length
        const issue = yield* call("POST", "/v1/passports/issue", { body: "{\"agent_id\":\"agt_\\ud800\"}", headers })
        expectError(issue, 400, "INVALID_REQUEST")
        expect(issue.json.error.details.fields).toHaveProperty("agent_id")
        // a refused delegation records the child agent in its failure entry: stored as U+FFFD, its hash would never verify
        const delegate = yield* call("POST", "/v1/passports/delegate", {
          body: "{\"parent_token\":\"garbage\",\"child_agent_id\":\"agt_\\ud800\"}",
          headers
        })
        expectError(delegate, 400, "INVALID_REQUEST")
        expect(Object.keys(delegate.json.error.details.fields)).toEqual(["child_agent_id"])
        expect((yield* emulator.auditChain(emulator.operatorId)).length).toBe(before)
        // nested, and in a key
        const mission = yield* call("POST", "/v1/missions", { json: { intent_summary: "s", intent_services: ["scon_x"] } })
        const complete = (body: string) => call("POST", `/v1/missions/${mission.json.id}/complete`, { body, headers })
        const inArray = yield* complete("{\"output\":{\"steps\":[\"ok\",\"\\ud83d\"]}}")
        expectError(inArray, 400, "INVALID_REQUEST")
        expect(Object.keys(inArray.json.error.details.fields)).toEqual(["output.steps.1"])
        expectError(yield* complete("{\"output\":{\"\\udfff\":1}}"), 400, "INVALID_REQUEST")
        // a well-formed pair is stored and read back as sent
        const id = yield* agent("pair-bot")
        const emoji = yield* call("PATCH", `/v1/agents/${id}`, { body: "{\"description\":\"\\ud83d\\ude00 ok\"}", headers })
        expect(emoji.status).toBe(200)
        expect((yield* call("GET", `/v1/agents/${id}`)).json.description).toBe("😀 ok")
        yield* healthy
      }))

    it.effect("answers of Node's HTTP parser carry STACK's error body", () =>
      Effect.gen(function*() {
        const { send, json, healthy } = yield* setup
        const post = "POST /v1/agents/register HTTP/1.1"
        const cases: ReadonlyArray<readonly [string, string | ReadonlyArray<string>, number, string, boolean?]> = [
          ["Expect: bogus", head(post, json({ "content-length": 2, expect: "bogus" })) + "{}", 417, "INVALID_REQUEST"],
          ["a header over 16 KB", head("GET /v1/agents HTTP/1.1", json({ "x-big": "a".repeat(17_000) })), 431, "INVALID_REQUEST"],
          ["an id over 16 KB", head(`GET /v1/agents/agt_${"a".repeat(17_000)} HTTP/1.1`, json()), 431, "INVALID_REQUEST"],
          ["a Content-Length that is not a number", head(post, json({ "content-length": "abc" })) + "{}", 400, "INVALID_REQUEST"],
          ["two Content-Lengths", head(post, json({ "content-length": 2 })).replace("\r\n\r\n", "\r\ncontent-length: 3\r\n\r\n") + "{}", 400, "INVALID_REQUEST"],
          ["Content-Length with Transfer-Encoding", head(post, json({ "content-length": 2, "transfer-encoding": "chunked" })) + "2\r\n{}\r\n0\r\n\r\n", 400, "INVALID_REQUEST"],
          ["a bad chunk size", head(post, json({ "transfer-encoding": "chunked" })) + "zz\r\n{}\r\n0\r\n\r\n", 400, "INVALID_REQUEST"],
          ["a chunk longer than its size", head(post, json({ "transfer-encoding": "chunked" })) + "1\r\n{}\r\n0\r\n\r\n", 400, "INVALID_REQUEST"],
          ["an unknown method", head("BREW /v1/agents HTTP/1.1", json()), 400, "INVALID_REQUEST"],
          ["not HTTP at all", "hello\r\n\r\n", 400, "INVALID_REQUEST"],
          ["a body shorter than its Content-Length", head(post, json({ "content-length": 100 })) + "{}", 400, "INVALID_REQUEST", true],
          ["CONNECT", head("CONNECT example.com:443 HTTP/1.1", { host: "example.com:443" }), 405, "METHOD_NOT_ALLOWED"]
        ]
        for (const [name, request, status, code, halfClose] of cases) {
          const { replies } = yield* send(request, { halfClose: halfClose ?? false })
          expect(replies, name).toHaveLength(1)
          expectRawError(replies[0], status, code)
        }
        // a body longer than its Content-Length: the request is answered, and the rest refused as the next one
        const longer = yield* send(head(post, json({ "content-length": 2 })) + "{}garbage\r\n\r\n", { replies: 2 })
        expectRawError(longer.replies[0], 400, "INVALID_REQUEST")
        expect(longer.replies[0]!.json.error.details.fields.name).toBeDefined()
        expectRawError(longer.replies[1], 400, "INVALID_REQUEST")
        yield* healthy
      }))

    it.effect("ids and lists are excerpted in messages and audit entries", () =>
      Effect.gen(function*() {
        const { call, agent, emulator, healthy } = yield* setup
        const long = `agt_${"x".repeat(100_000)}`
        const before = (yield* emulator.auditChain(emulator.operatorId)).length
        const missing = yield* call("POST", "/v1/passports/issue", { json: { agent_id: long } })
        expectError(missing, 404, "NOT_FOUND")
        expect(missing.text.length).toBeLessThan(300)
        expect(missing.json.error.message).toContain("agt_xxxx")
        const entries = (yield* emulator.auditChain(emulator.operatorId)).slice(before)
        expect(entries.map((e) => [e.action, e.outcome, e.error_code])).toEqual([["passport.issue", "failure", "NOT_FOUND"]])
        expect(entries[0]!.error_message!.length).toBeLessThan(200)
        // SCOPE_ESCALATION names the first few extra scopes, then how many more
        const parentAgent = yield* agent("echo-parent")
        const childAgent = yield* agent("echo-child")
        const slack = (yield* call("POST", "/v1/services/connect", {
          json: { service_id: "slack", scopes: ["read"], oauth_token: "xoxb-echo" }
        })).json.id as string
        yield* call("POST", `/v1/services/connected/${slack}/grants`, { json: { agent_id: parentAgent, scopes: ["read"] } })
        const parent = yield* call("POST", "/v1/passports/issue", {
          json: { agent_id: parentAgent, scopes: [{ service_connection_id: slack, scopes: ["read"] }] }
        })
        const scopes = Array.from({ length: 50_000 }, (_, i) => `scope-${i}`)
        const escalate = yield* call("POST", "/v1/passports/delegate", {
          json: {
            parent_token: parent.json.token,
            child_agent_id: childAgent,
            scopes: [{ service_connection_id: slack, scopes }]
          }
        })
        expectError(escalate, 400, "SCOPE_ESCALATION")
        expect(escalate.text.length).toBeLessThan(500)
        expect(escalate.json.error.message).toContain("scope-0, scope-1")
        expect(escalate.json.error.message).toContain("and 49990 more")
        const last = (yield* emulator.auditChain(emulator.operatorId)).at(-1)!
        expect(last.error_code).toBe("SCOPE_ESCALATION")
        expect(last.error_message!.length).toBeLessThan(500)
        const noGrant = yield* call("POST", "/v1/passports/delegate", {
          json: { parent_token: parent.json.token, child_agent_id: childAgent, scopes: [{ service_connection_id: `scon_${"y".repeat(100_000)}`, scopes: [] }] }
        })
        expectError(noGrant, 400, "SCOPE_ESCALATION")
        expect(noGrant.text.length).toBeLessThan(300)
        // a hundred thousand bad fields: the first 20 are named
        const fields = yield* call("POST", "/v1/passports/issue", {
          json: { agent_id: parentAgent, identity_claim_ids: Array.from({ length: 100_000 }, () => 1) }
        })
        expectError(fields, 400, "INVALID_REQUEST")
        expect(Object.keys(fields.json.error.details.fields)).toHaveLength(20)
        expect(Number(/and (\d+) more$/.exec(fields.json.error.message)?.[1])).toBeGreaterThanOrEqual(99_980)
        expect(fields.text.length).toBeLessThan(2_000)
        // unknown identity claims: the first ten
        const claims = yield* call("POST", "/v1/passports/issue", {
          json: { agent_id: parentAgent, identity_claim_ids: Array.from({ length: 1_000 }, (_, i) => `idc_${"z".repeat(500)}${i}`) }
        })
        expectError(claims, 400, "INVALID_REQUEST")
        expect(claims.text.length).toBeLessThan(2_000)
        // an unknown route repeats only the start of its URL
        const route: Reply = yield* call("GET", `/v1/nowhere/${"w".repeat(10_000)}`)
        expectError(route, 404, "NOT_FOUND")
        expect(route.text.length).toBeLessThan(200)
        yield* healthy
      }))
  })
})

describe("a request that never finishes arriving", () => {
  // `layerServe` is one value: fresh, so that this server is served too (layers of a file share a memo map)
  const SlowLive = Layer.fresh(Emulator.layerServe).pipe(
    Layer.provideMerge(Emulator.layer()),
    Layer.provideMerge(NodeHttpServer.layer(
      () => Emulator.createServer({ requestTimeout: 500, headersTimeout: 500, connectionsCheckingInterval: 100 }),
      { port: 0, host: "127.0.0.1" }
    ))
  )
  it.layer(SlowLive)((it) => {
    it.effect("gets 408 with STACK's body when the server's request timeout passes", () =>
      Effect.gen(function*() {
        const { send, json, call } = yield* setup
        const body = yield* send(head("POST /v1/agents/register HTTP/1.1", json({ "content-length": 100 })) + "{\"na")
        expectRawError(body.replies[0], 408, "REQUEST_TIMEOUT")
        const headers = yield* send("GET /v1/agents HTTP/1.1\r\nhost: x\r\n")
        expectRawError(headers.replies[0], 408, "REQUEST_TIMEOUT")
        expect((yield* call("GET", "/v1/agents")).status).toBe(200)
      }))
  })
})
