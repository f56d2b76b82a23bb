import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { expectError, requester } from "./support/Client.js"

const ServerLive = Emulator.layerServe.pipe(
  Layer.provideMerge(Emulator.layer()),
  Layer.provideMerge(NodeHttpServer.layerTest)
)

/** Base URL and key of the emulator under test, and a fetch helper. */
const setup = Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const emulator = yield* Emulator.Emulator
  if (server.address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  const base = `http://127.0.0.1:${server.address.port}`
  const key = Redacted.value(emulator.apiKey)
  const call = requester((request) => fetch(request), base, key)
  return { base, key, call, emulator }
})


describe("the emulator over real HTTP (port 0)", () => {
  it.layer(ServerLive)((it) => {
    it.effect("register, list, get, update, unblock, delete with fetch", () =>
      Effect.gen(function*() {
        const { call } = yield* setup
        const created = yield* call("POST", "/v1/agents/register", { json: { name: "http-bot", description: "over HTTP" } })
        expect(created.status).toBe(201)
        expect(created.headers.get("x-request-id")).toMatch(/^req_/)
        expect(created.json).toMatchObject({ name: "http-bot", description: "over HTTP", status: "active" })
        expect(created.json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        const id = created.json.id as string
        const list = yield* call("GET", "/v1/agents?limit=10")
        expect(list.status).toBe(200)
        expect(list.json.agents.map((a: any) => a.id)).toContain(id)
        expect((yield* call("GET", `/v1/agents/${id}`)).json.name).toBe("http-bot")
        const patched = yield* call("PATCH", `/v1/agents/${id}`, { json: { status: "suspended" } })
        expect(patched.status).toBe(200)
        expect(patched.json.status).toBe("suspended")
        // held for a human: approved through the emulator's approval endpoint, then sent again
        const held = yield* call("POST", `/v1/agents/${id}/unblock`)
        expectError(held, 403, "GOVERNANCE_APPROVAL_REQUIRED")
        const approvalId = held.json.error.details.approval_id as string
        expect(held.json.error.details.approval_url).toBe(`/_emulator/approvals/${approvalId}`)
        const approved = yield* call("POST", `/_emulator/approvals/${approvalId}/approve`)
        expect(approved.json).toEqual({ id: approvalId, operation: "agents.unblock", status: "approved" })
        expectError(yield* call("POST", `/_emulator/approvals/${approvalId}/reject`), 409, "CONFLICT")
        expectError(yield* call("POST", `/_emulator/approvals/${approvalId}/approve`, { auth: null }), 401, "UNAUTHORIZED")
        const unblocked = yield* call("POST", `/v1/agents/${id}/unblock`, { json: { governance_approval_id: approvalId } })
        expect(unblocked.status).toBe(200)
        expect(unblocked.json.was_blocked).toBe(false)
        const deleted = yield* call("DELETE", `/v1/agents/${id}`)
        expect(deleted.json).toEqual({ id, deleted: true })
        expectError(yield* call("GET", `/v1/agents/${id}`), 404, "NOT_FOUND")
      }))

    it.effect("answers carry their exact byte length, not a chunked body, also for text outside ASCII", () =>
      Effect.gen(function*() {
        const { call } = yield* setup
        const created = yield* call("POST", "/v1/agents/register", { json: { name: "length-bot", description: "naïve 🤖 ünïcödé" } })
        const refused = yield* call("GET", "/v1/agents/agt_nöpe🤖")
        expectError(refused, 404, "NOT_FOUND")
        for (const reply of [created, refused]) {
          expect(reply.headers.get("transfer-encoding")).toBeNull()
          expect(Number(reply.headers.get("content-length"))).toBe(Buffer.byteLength(reply.text))
          expect(Buffer.byteLength(reply.text)).toBeGreaterThan(reply.text.length)
        }
        expect(created.json.description).toBe("naïve 🤖 ünïcödé")
      }))

    it.effect("no key → 401 UNAUTHORIZED; a malformed or unknown key → 401 INVALID_API_KEY", () =>
      Effect.gen(function*() {
        const { call } = yield* setup
        expectError(yield* call("GET", "/v1/agents", { auth: null }), 401, "UNAUTHORIZED")
        expectError(yield* call("GET", "/v1/agents", { auth: "eyJnotakey" }), 401, "INVALID_API_KEY")
        expectError(yield* call("GET", "/v1/agents", { auth: "sk_live_unknownunknown" }), 401, "INVALID_API_KEY")
        expectError(
          yield* call("POST", "/v1/agents/register", { auth: null, json: { name: "x-y" } }),
          401,
          "UNAUTHORIZED"
        )
      }))

    it.effect("malformed JSON, a non-object body and wrong types → 400 INVALID_REQUEST with details", () =>
      Effect.gen(function*() {
        const { call } = yield* setup
        const json = { "content-type": "application/json" }
        const broken = yield* call("POST", "/v1/agents/register", { body: "{\"name\":", headers: json })
        expectError(broken, 400, "INVALID_REQUEST")
        expect(broken.json.error.details.fields.body).toBeDefined()
        expectError(yield* call("POST", "/v1/agents/register", { body: "[1,2]", headers: json }), 400, "INVALID_REQUEST")
        expectError(yield* call("POST", "/v1/agents/register", { body: "null", headers: json }), 400, "INVALID_REQUEST")
        const types = yield* call("POST", "/v1/agents/register", {
          json: { name: 42, accountability_mode: "sometimes", on_warning: null, description: ["a"] }
        })
        expectError(types, 400, "INVALID_REQUEST")
        expect(Object.keys(types.json.error.details.fields).sort()).toEqual([
          "accountability_mode",
          "description",
          "name",
          "on_warning"
        ])
        const long = yield* call("POST", "/v1/agents/register", {
          json: { name: "long-bot", icon_url: "y".repeat(100_001), description: 7 }
        })
        expectError(long, 400, "INVALID_REQUEST")
        expect(long.json.error.details.fields).toEqual({
          icon_url: "must be at most 100000 characters",
          description: "must be string or null"
        })
        expect(long.text.length).toBeLessThan(500)
        const missing = yield* call("POST", "/v1/agents/register", { json: {} })
        expectError(missing, 400, "INVALID_REQUEST")
        expect(missing.json.error.details.fields.name).toBeDefined()
        const query = yield* call("GET", "/v1/agents?limit=abc&page=0")
        expectError(query, 400, "INVALID_REQUEST")
        expect(Object.keys(query.json.error.details.fields).sort()).toEqual(["limit", "page"])
        expectError(
          yield* call("POST", "/v1/agents/register", { body: "name=x", headers: { "content-type": "text/plain" } }),
          415,
          "UNSUPPORTED_MEDIA_TYPE"
        )
      }))

    it.effect("a body over 1 MB → 413, never a 5xx", () =>
      Effect.gen(function*() {
        const { call } = yield* setup
        const big = yield* call("POST", "/v1/agents/register", {
          json: { name: "big-bot", description: "x".repeat(1024 * 1024 + 10) }
        })
        expectError(big, 413, "PAYLOAD_TOO_LARGE")
        const listed = yield* call("GET", "/v1/agents?limit=100")
        expect(listed.json.agents.map((a: any) => a.name)).not.toContain("big-bot")
      }))

    it.effect("a replayed Idempotency-Key acts once and returns the first answer; a different request → 409", () =>
      Effect.gen(function*() {
        const { call, emulator } = yield* setup
        const headers = { "idempotency-key": "replay-key-1" }
        const auditBefore = (yield* emulator.auditChain(emulator.operatorId)).length
        const first = yield* call("POST", "/v1/agents/register", { json: { name: "once-bot" }, headers })
        const second = yield* call("POST", "/v1/agents/register", { json: { name: "once-bot" }, headers })
        expect(first.status).toBe(201)
        expect(second.status).toBe(201)
        expect(second.text).toBe(first.text)
        expect(second.headers.get("idempotent-replayed")).toBe("true")
        expect(first.headers.get("idempotent-replayed")).toBeNull()
        const listed = yield* call("GET", "/v1/agents?limit=100")
        expect(listed.json.agents.filter((a: any) => a.name === "once-bot")).toHaveLength(1)
        expect((yield* emulator.auditChain(emulator.operatorId)).length).toBe(auditBefore + 1)
        const other = yield* call("POST", "/v1/agents/register", { json: { name: "other-bot" }, headers })
        expectError(other, 409, "IDEMPOTENCY_KEY_REUSED")
        expect(other.headers.get("x-should-retry")).toBe("false")
        // a 4xx answer is remembered too: the same request gets the same refusal, without acting
        const dupHeaders = { "idempotency-key": "replay-key-2" }
        const conflict = yield* call("POST", "/v1/agents/register", { json: { name: "once-bot" }, headers: dupHeaders })
        expectError(conflict, 409, "CONFLICT")
        expect(conflict.headers.get("x-should-retry")).toBe("false")
        const again = yield* call("POST", "/v1/agents/register", { json: { name: "once-bot" }, headers: dupHeaders })
        expect(again.text).toBe(conflict.text)
        expect(again.headers.get("x-should-retry")).toBe("false")
      }))

    it.effect("idempotency keys are per operator", () =>
      Effect.gen(function*() {
        const { call, emulator } = yield* setup
        const other = yield* emulator.createOperator()
        const headers = { "idempotency-key": "shared-key" }
        const mine = yield* call("POST", "/v1/agents/register", { json: { name: "key-bot" }, headers })
        const theirs = yield* call("POST", "/v1/agents/register", {
          json: { name: "key-bot" },
          headers,
          auth: Redacted.value(other.apiKey)
        })
        expect(mine.status).toBe(201)
        expect(theirs.status).toBe(201)
        expect(theirs.json.id).not.toBe(mine.json.id)
      }))

    it.effect("passports over HTTP: issued with the key; verify and the JWKS need no credentials", () =>
      Effect.gen(function*() {
        const { call } = yield* setup
        const agent = yield* call("POST", "/v1/agents/register", { json: { name: "wire-bot", accountability_mode: "standard" } })
        const issued = yield* call("POST", "/v1/passports/issue", { json: { agent_id: agent.json.id, ttl_seconds: 60 } })
        expect(issued.status).toBe(201)
        expect(issued.json.token.split(".")).toHaveLength(3)
        expectError(yield* call("POST", "/v1/passports/issue", { json: { agent_id: agent.json.id }, auth: null }), 401, "UNAUTHORIZED")
        const verified = yield* call("POST", "/v1/passports/verify", { json: { token: issued.json.token }, auth: null })
        expect(verified.status).toBe(200)
        expect(verified.json).toMatchObject({ valid: true, jti: issued.json.jti, agent_id: agent.json.id })
        const garbage = yield* call("POST", "/v1/passports/verify", { json: { token: "garbage" }, auth: null })
        expect(garbage.status).toBe(200)
        expect(garbage.json).toMatchObject({ valid: false, reason: "malformed" })
        const jwks = yield* call("GET", "/v1/.well-known/jwks.json", { auth: null })
        expect(jwks.status).toBe(200)
        expect(jwks.json.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519" })
        // a JWT that is no enrolled agent's is refused as such, not as an API key
        expectError(yield* call("GET", "/v1/agents", { auth: issued.json.token }), 401, "UNAUTHORIZED")
      }))

    it.effect("unknown routes answer STACK's 404 body; /openapi.json describes the contract", () =>
      Effect.gen(function*() {
        const { call } = yield* setup
        expectError(yield* call("GET", "/v1/nope"), 404, "NOT_FOUND")
        const doc = yield* call("GET", "/openapi.json", { auth: null })
        expect(doc.status).toBe(200)
        expect(doc.json.openapi).toMatch(/^3\./)
        expect(Object.keys(doc.json.paths)).toEqual(
          expect.arrayContaining(["/v1/agents/register", "/v1/agents", "/v1/agents/{id}", "/v1/agents/{id}/unblock"])
        )
        expect(doc.json.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" })
        expect(doc.json.paths["/v1/agents"].get.security).toEqual([{ bearer: [] }])
        // every error status of every operation shows STACK's error body; authenticated ones declare 401
        const operations = Object.entries(doc.json.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
          Object.entries(item).map(([method, operation]) => ({ name: `${method} ${path}`, operation }))
        )
        expect(operations.length).toBeGreaterThanOrEqual(26)
        for (const { name, operation } of operations) {
          const errors = Object.entries(operation.responses as Record<string, any>).filter(([status]) => Number(status) >= 400)
          expect(errors.length, name).toBeGreaterThan(0)
          for (const [status, response] of errors) {
            expect(response.content["application/json"].schema, `${name} ${status}`).toEqual({ $ref: `#/components/schemas/StackError${status}` })
          }
          const isPublic = name.endsWith("/v1/passports/verify") || name.endsWith("/jwks.json")
          expect(Object.keys(operation.responses).includes("401"), name).toBe(!isPublic)
          expect(operation.security === undefined || operation.security.length === 0, name).toBe(isPublic)
        }
        expect(doc.json.components.schemas.HttpApiDecodeError).toBeUndefined()
        expect(doc.json.components.schemas.StackError400.properties.error).toBeDefined()
      }))
  })
})
