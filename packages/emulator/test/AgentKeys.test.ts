import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { generateKeyPairSync } from "node:crypto"
import { agentJwt, agentKeyPair, client, enrolled, expectError, signChallenge, signJwt, T0, withEmulator } from "./support/Client.js"


describe("agent keys", () => {
  it.effect("enroll: a challenge, a real Ed25519 key and its signature of the challenge; then agent JWTs authenticate", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, get, auditOf } = yield* client
      const agentId = yield* agent("keyed-bot")
      const keys = agentKeyPair()
      const { result, entries } = yield* auditOf(Effect.gen(function*() {
        const challenge = yield* post(`/v1/agents/${agentId}/enrollment-challenge`)
        const enroll = yield* post(`/v1/agents/${agentId}/enroll`, {
          public_key: keys.jwk,
          challenge_id: challenge.json.challenge_id,
          signed_challenge: signChallenge(keys.privateKey, challenge.json.challenge)
        })
        return { challenge, enroll }
      }))
      expect(result.challenge.status).toBe(201)
      expect(result.challenge.json.challenge_id).toMatch(/^chl_/)
      expect(Buffer.from(result.challenge.json.challenge, "base64url")).toHaveLength(32)
      expect(result.challenge.json.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(result.challenge.json.expires_at).toBe(new Date(T0 + 5 * 60 * 1000).toISOString())
      expect(result.enroll.status).toBe(201)
      expect(result.enroll.json).toEqual({
        agent_id: agentId,
        key_id: expect.stringMatching(/^key_/),
        enrolled_at: new Date(T0).toISOString()
      })
      expect(entries.map((e) => [e.action, e.agent_id, e.outcome])).toEqual([
        ["agent.enrollment_challenge", agentId, "success"],
        ["agent.enroll", agentId, "success"]
      ])

      const token = agentJwt(keys.privateKey, agentId, T0)
      const self = yield* get(`/v1/agents/${agentId}`, { auth: token })
      expect(self.status).toBe(200)
      expect(self.json.id).toBe(agentId)
    })))

  it.effect("an agent acts for its operator on what is its own: itself, its passports, its missions", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, get, issue, call, emulator } = yield* client
      const { agentId, jwt } = yield* enrolled("self-bot", "logged")
      const sibling = yield* agent("sibling-bot", "logged")
      const auth = yield* jwt()
      const as = { auth }

      // itself, yes; another agent is not found
      expect((yield* get(`/v1/agents/${agentId}`, as)).status).toBe(200)
      expectError(yield* get(`/v1/agents/${sibling}`, as), 404, "NOT_FOUND")

      // its own passports
      const before = (yield* emulator.auditChain(emulator.operatorId)).length
      const own = yield* issue({ agent_id: agentId, intent: { summary: "work", services: ["gmail"] } }, as)
      const entry = (yield* emulator.auditChain(emulator.operatorId))[before]!
      expect(entry).toMatchObject({ action: "passport.issue", agent_id: agentId, passport_jti: own.jti, operator_id: emulator.operatorId })
      expectError(
        yield* post("/v1/passports/issue", { agent_id: sibling, intent: { summary: "x", services: [] } }, as),
        403,
        "FORBIDDEN"
      )
      const theirs = yield* issue({ agent_id: sibling, intent: { summary: "theirs", services: [] } })
      expectError(yield* post("/v1/passports/revoke", { jti: theirs.jti }, as), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/passports/${theirs.jti}/checkpoint`, { services_used: [], actions_count: 0 }, as), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/passports/${theirs.jti}/checkout`, { services_used: [], actions_count: 0 }, as), 404, "NOT_FOUND")
      expectError(yield* post("/v1/passports/refresh", { token: theirs.token }, as), 403, "FORBIDDEN")
      expectError(yield* post("/v1/passports/delegate", { parent_token: theirs.token, child_agent_id: agentId }, as), 403, "FORBIDDEN")
      expectError(yield* get(`/v1/passports/active?agent_id=${sibling}`, as), 403, "FORBIDDEN")
      const active = yield* get("/v1/passports/active", as)
      expect(active.json.passports.map((p: any) => p.jti)).toEqual([own.jti])

      // delegating its own passport to another agent is fine, and the checkpoint, refresh and checkout too
      const child = yield* post("/v1/passports/delegate", { parent_token: own.token, child_agent_id: sibling }, as)
      expect(child.status).toBe(201)
      expect((yield* post(`/v1/passports/${own.jti}/checkpoint`, { services_used: ["gmail"], actions_count: 1 }, as)).status).toBe(200)
      expect((yield* post("/v1/passports/refresh", { token: own.token }, as)).status).toBe(200)
      expect((yield* post(`/v1/passports/${own.jti}/checkout`, { services_used: ["gmail"], actions_count: 1 }, as)).status).toBe(200)
      const revoked = yield* post("/v1/passports/revoke", { jti: own.jti }, as)
      expect(revoked.json.cascaded).toEqual([child.json.jti])

      // the operator's business is refused
      const refusals: Array<[string, string, unknown]> = [
        ["POST", "/v1/agents/register", { name: "sneaky-bot" }],
        ["GET", "/v1/agents", undefined],
        ["PATCH", `/v1/agents/${agentId}`, { description: "me" }],
        ["DELETE", `/v1/agents/${sibling}`, undefined],
        ["POST", `/v1/agents/${agentId}/unblock`, {}],
        ["POST", `/v1/agents/${agentId}/enrollment-challenge`, {}],
        ["POST", `/v1/agents/${agentId}/enroll`, { public_key: agentKeyPair().jwk, challenge_id: "chl_x", signed_challenge: "x" }],
        ["POST", "/v1/passports/revoke-agent", { agent_id: agentId }],
        ["POST", "/v1/passports/revoke-all", {}],
        ["GET", "/v1/missions", undefined]
      ]
      for (const [method, path, json] of refusals) {
        const reply = yield* call(method, path, { auth, ...(json === undefined ? {} : { json }) })
        expect(reply.status, `${method} ${path}`).toBe(403)
        expect(reply.json.error.code).toBe("FORBIDDEN")
      }
      const refusedEntries = (yield* emulator.auditChain(emulator.operatorId)).filter((e) => e.error_code === "FORBIDDEN")
      expect(refusedEntries.length).toBeGreaterThan(0)
      expect(refusedEntries.every((e) => e.agent_id === agentId)).toBe(true)
      expect((yield* get(`/v1/agents/${sibling}`)).status).toBe(200)
    })))

  it.effect("an agent starts, opens, reads, renews and completes only missions assigned to it; revoke is the operator's", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, get } = yield* client
      const { agentId, jwt } = yield* enrolled("mission-bot")
      const sibling = yield* agent("sibling-bot")
      const auth = yield* jwt()
      const as = { auth }
      const started = yield* post("/v1/missions/start", { agent_id: agentId, intent_summary: "my job" }, as)
      expect(started.status).toBe(201)
      expect(started.json.mission.agent_id).toBe(agentId)
      expectError(yield* post("/v1/missions/start", { agent_id: sibling, intent_summary: "their job" }, as), 403, "FORBIDDEN")
      const opened = yield* post("/v1/missions", { intent_summary: "assigned to me" }, as)
      expect(opened.json.agent_id).toBe(agentId)
      expectError(yield* post("/v1/missions", { agent_id: sibling, intent_summary: "x" }, as), 403, "FORBIDDEN")
      const theirs = yield* post("/v1/missions", { agent_id: sibling, intent_summary: "theirs" })
      const unassigned = yield* post("/v1/missions", { intent_summary: "nobody's" })
      for (const id of [theirs.json.id, unassigned.json.id]) {
        expectError(yield* get(`/v1/missions/${id}`, as), 404, "NOT_FOUND")
        expectError(yield* post(`/v1/missions/${id}/renew`, {}, as), 404, "NOT_FOUND")
        expectError(yield* post(`/v1/missions/${id}/complete`, {}, as), 404, "NOT_FOUND")
      }
      const id = started.json.mission_id as string
      expect((yield* get(`/v1/missions/${id}`, as)).json.id).toBe(id)
      expect((yield* post(`/v1/missions/${id}/renew`, {}, as)).status).toBe(200)
      expectError(yield* post(`/v1/missions/${id}/revoke`, { reason: "adversarial" }, as), 403, "FORBIDDEN")
      const completed = yield* post(`/v1/missions/${id}/complete`, { output: "done" }, as)
      expect(completed.json.transitioned).toBe(true)
      // an agent may bind its passports to an unassigned mission
      const bound = yield* post("/v1/passports/issue", { agent_id: agentId, mission_ids: [unassigned.json.id] }, as)
      expect(bound.status).toBe(201)
    })))

  it.effect("agent JWTs that do not verify are 401 UNAUTHORIZED", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, get, post, call } = yield* client
      const { agentId, keys, jwt } = yield* enrolled("strict-bot")
      const path = `/v1/agents/${agentId}`
      const refused = (auth: string) => Effect.map(get(path, { auth }), (reply) => expectError(reply, 401, "UNAUTHORIZED"))

      const good = yield* jwt()
      expect((yield* get(path, { auth: good })).status).toBe(200)
      const [h, p, s] = good.split(".") as [string, string, string]
      const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"))
      yield* refused(`${h}.${Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 1 })).toString("base64url")}.${s}`)
      yield* refused(`${h}.${p}.${s.slice(0, -6)}AAAAAA`)
      // a JWT with a jti is good for one request
      const once = yield* jwt({ jti: "jti-once-1" })
      expect((yield* get(path, { auth: once })).status).toBe(200)
      yield* refused(once)
      expect((yield* get(path, { auth: yield* jwt({ jti: "jti-once-2" }) })).status).toBe(200)
      yield* refused(yield* jwt({ jti: 42 }))
      yield* refused(yield* jwt({ aud: "stack:operator" }))
      yield* refused(yield* jwt({ aud: undefined }))
      yield* refused(yield* jwt({ iss: "someone" }))
      yield* refused(yield* jwt({ exp: Math.floor(T0 / 1000) + 61 })) // lives longer than 60 s
      yield* refused(yield* jwt({ iat: "now" }))
      yield* refused(agentJwt(keys.privateKey, "agt_doesnotexist", T0))
      yield* refused(agentJwt(generateKeyPairSync("ed25519").privateKey, agentId, T0))
      yield* refused(signJwt(keys.privateKey, { alg: "none" }, payload))
      yield* refused(`${Buffer.from("{\"alg\":\"none\"}").toString("base64url")}.${p}.`)
      yield* refused("a.b.c")

      // expired: 60 s of lifetime plus 5 s of skew
      const old = yield* jwt()
      yield* TestClock.adjust("64 seconds")
      expect((yield* get(path, { auth: old })).status).toBe(200)
      yield* TestClock.adjust("2 seconds")
      yield* refused(old)
      // from the future: 5 s of skew allowed
      const now = yield* Clock.currentTimeMillis
      expect((yield* get(path, { auth: agentJwt(keys.privateKey, agentId, now + 4000) })).status).toBe(200)
      yield* refused(agentJwt(keys.privateKey, agentId, now + 10_000))

      // an agent that was never enrolled, a suspended one, a deleted one
      const unenrolled = yield* agent("unenrolled-bot")
      yield* refused(agentJwt(keys.privateKey, unenrolled, now))
      yield* call("PATCH", path, { json: { status: "suspended" } })
      yield* refused(yield* jwt())
      yield* call("PATCH", path, { json: { status: "active" } })
      expect((yield* get(path, { auth: yield* jwt() })).status).toBe(200)
      yield* call("DELETE", path)
      yield* refused(yield* jwt())
      // an API key that is not a JWT keeps its own answer
      expectError(yield* post("/v1/agents/register", { name: "x-y" }, { auth: "sk_test_unknownunknown" }), 401, "INVALID_API_KEY")
    })))

  it.effect("enrollment refusals: a reused, expired, foreign or unknown challenge and a wrong signature are ENROLLMENT_FAILED", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, get, emulator } = yield* client
      const agentId = yield* agent("enroll-bot")
      const otherAgent = yield* agent("other-bot")
      const keys = agentKeyPair()
      const challenge = () => Effect.map(post(`/v1/agents/${agentId}/enrollment-challenge`), (reply) => reply.json)
      const enroll = (body: Record<string, unknown>, id = agentId) => post(`/v1/agents/${id}/enroll`, body)
      const answer = (c: any, privateKey = keys.privateKey) => ({
        public_key: keys.jwk,
        challenge_id: c.challenge_id,
        signed_challenge: signChallenge(privateKey, c.challenge)
      })

      // a wrong signature burns the challenge: a right one afterwards is refused too
      const first = yield* challenge()
      expectError(yield* enroll(answer(first, generateKeyPairSync("ed25519").privateKey)), 400, "ENROLLMENT_FAILED")
      expectError(yield* enroll({ ...answer(first), signed_challenge: "not base64url!" }), 400, "ENROLLMENT_FAILED")
      expectError(yield* enroll(answer(first)), 400, "ENROLLMENT_FAILED")

      // used once: a replay is refused
      const second = yield* challenge()
      expect((yield* enroll(answer(second))).status).toBe(201)
      const replay = yield* enroll(answer(second))
      expectError(replay, 400, "ENROLLMENT_FAILED")
      expect(replay.json.error.message).toMatch(/already used/)

      // expired after five minutes
      const third = yield* challenge()
      yield* TestClock.adjust("5 minutes")
      expectError(yield* enroll(answer(third)), 400, "ENROLLMENT_FAILED")

      // another agent's challenge, an unknown one, an unknown agent
      const foreign = yield* challenge()
      expectError(yield* enroll(answer(foreign), otherAgent), 400, "ENROLLMENT_FAILED")
      expectError(yield* enroll({ ...answer(foreign), challenge_id: "chl_unknown" }), 400, "ENROLLMENT_FAILED")
      expectError(yield* post("/v1/agents/agt_nobody/enrollment-challenge"), 404, "NOT_FOUND")
      expectError(yield* enroll(answer(foreign), "agt_nobody"), 404, "NOT_FOUND")

      // a key that is not an Ed25519 public key
      const bad = yield* enroll({ ...answer(foreign), public_key: { kty: "OKP", crv: "Ed25519", x: "short" } })
      expectError(bad, 400, "INVALID_REQUEST")
      expect(bad.json.error.details.fields["public_key.x"]).toBeDefined()
      expectError(yield* enroll({ ...answer(foreign), public_key: { kty: "RSA", n: "x", e: "AQAB" } }), 400, "INVALID_REQUEST")
      expectError(yield* enroll({}), 400, "INVALID_REQUEST")

      // the key enrolled with the second challenge works
      const now = yield* Clock.currentTimeMillis
      expect((yield* get(`/v1/agents/${agentId}`, { auth: agentJwt(keys.privateKey, agentId, now) })).status).toBe(200)
      const failures = (yield* emulator.auditChain(emulator.operatorId)).filter((e) => e.action === "agent.enroll" && e.outcome === "failure")
      expect(failures.length).toBeGreaterThan(0)
      expect(failures.every((e) => e.error_code === "ENROLLMENT_FAILED" || e.error_code === "NOT_FOUND")).toBe(true)
    })))

  it.effect("enrolling again replaces the key: the old one no longer authenticates", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get } = yield* client
      const { agentId, keys, enrollment } = yield* enrolled("rotating-bot")
      const next = agentKeyPair()
      const challenge = (yield* post(`/v1/agents/${agentId}/enrollment-challenge`)).json
      const rotated = yield* post(`/v1/agents/${agentId}/enroll`, {
        public_key: next.jwk,
        challenge_id: challenge.challenge_id,
        signed_challenge: signChallenge(next.privateKey, challenge.challenge)
      })
      expect(rotated.status).toBe(201)
      expect(rotated.json.key_id).not.toBe(enrollment.key_id)
      const now = yield* Clock.currentTimeMillis
      expectError(yield* get(`/v1/agents/${agentId}`, { auth: agentJwt(keys.privateKey, agentId, now) }), 401, "UNAUTHORIZED")
      expect((yield* get(`/v1/agents/${agentId}`, { auth: agentJwt(next.privateKey, agentId, now) })).status).toBe(200)
    })))

  it.effect("an agent cannot replay its operator's idempotent answer under the same key, nor the operator the agent's", () =>
    withEmulator(Effect.gen(function*() {
      const { post } = yield* client
      const { agentId, jwt } = yield* enrolled("replay-guard")
      const body = { agent_id: agentId }
      const headers = { "idempotency-key": "shared-key-1" }

      const byOperator = yield* post("/v1/passports/issue", body, { headers })
      expect(byOperator.status).toBe(201)
      const operatorAgain = yield* post("/v1/passports/issue", body, { headers })
      expect(operatorAgain.headers.get("idempotent-replayed")).toBe("true")
      expect(operatorAgain.json.jti).toBe(byOperator.json.jti)

      // the same key and body from the agent: its own request, not the operator's answer
      const byAgent = yield* post("/v1/passports/issue", body, { headers, auth: yield* jwt() })
      expect(byAgent.headers.get("idempotent-replayed")).toBeNull()
      expect(byAgent.status).toBe(409)
      expect(byAgent.json.error.code).toBe("IDEMPOTENCY_KEY_REUSED")
      expect(JSON.stringify(byAgent.json)).not.toContain(byOperator.json.token)

      // a key the agent used first is the agent's: the operator does not get its answer either
      const agentKey = { "idempotency-key": "agent-key-1" }
      const agentFirst = yield* post("/v1/passports/issue", body, { headers: agentKey, auth: yield* jwt() })
      expect(agentFirst.status).toBe(201)
      const operatorSecond = yield* post("/v1/passports/issue", body, { headers: agentKey })
      expect(operatorSecond.headers.get("idempotent-replayed")).toBeNull()
      expect(JSON.stringify(operatorSecond.json)).not.toContain(agentFirst.json.token)
      const agentAgain = yield* post("/v1/passports/issue", body, { headers: agentKey, auth: yield* jwt() })
      expect(agentAgain.headers.get("idempotent-replayed")).toBe("true")
      expect(agentAgain.json.jti).toBe(agentFirst.json.jti)
    })))
})
