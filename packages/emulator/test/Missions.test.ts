import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { client, decodeJwt, expectError, T0, withEmulator } from "./support/Client.js"

const seconds = (iso: string) => Date.parse(iso) / 1000


describe("missions", () => {
  it.effect("start opens a mission with a bound passport; the same request again returns the same mission and token", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, get, verify, auditOf, emulator } = yield* client
      const agentId = yield* agent("fleet-bot", "enforced")
      const request = {
        agent_id: agentId,
        intent_summary: "update the support ticket",
        intent_services: ["zendesk"],
        passport_ttl_seconds: 600,
        checkpoint_interval_seconds: 900
      }
      const { result, entries } = yield* auditOf(Effect.gen(function*() {
        const first = yield* post("/v1/missions/start", request)
        // the same request, keys in another order
        const second = yield* post("/v1/missions/start", Object.fromEntries(Object.entries(request).reverse()))
        return { first, second }
      }))
      const { first, second } = result
      expect(first.status).toBe(201)
      expect(first.json.mission_id).toMatch(/^ms_/)
      expect(first.json.mission).toMatchObject({
        id: first.json.mission_id,
        operator_id: emulator.operatorId,
        agent_id: agentId,
        status: "active",
        intent_summary: "update the support ticket",
        intent_services: ["zendesk"],
        completed_at: null,
        revoked_at: null,
        terminal_state: null,
        revoke_reason: null,
        notes: null
      })
      expect(Date.parse(first.json.mission.expires_at) - Date.parse(first.json.mission.started_at)).toBe(24 * 3600 * 1000)
      expect(second.status).toBe(201)
      expect(second.json.mission_id).toBe(first.json.mission_id)
      expect(second.json.passport).toEqual(first.json.passport)
      expect(entries.map((e) => [e.action, e.layer, e.agent_id, e.passport_jti])).toEqual([
        ["mission.start", "system", agentId, first.json.passport.jti],
        ["passport.issue", "vault", agentId, first.json.passport.jti]
      ])
      const claims = decodeJwt(first.json.passport.token).payload
      expect(claims.exp - claims.iat).toBe(600)
      expect(claims.stk).toMatchObject({
        mission_id: first.json.mission_id,
        intent_summary: "update the support ticket",
        intent_services: ["zendesk"],
        checkpoint_interval: 900,
        accountability: "enforced"
      })
      expect((yield* verify(first.json.passport.token)).valid).toBe(true)
      expect((yield* get(`/v1/missions/${first.json.mission_id}`)).json.id).toBe(first.json.mission_id)

      // another request is another mission
      const other = yield* post("/v1/missions/start", { ...request, intent_summary: "something else" })
      expect(other.json.mission_id).not.toBe(first.json.mission_id)

      // once the passport is no longer live, the same request issues a new one for the same mission
      yield* post("/v1/passports/revoke", { jti: first.json.passport.jti })
      const third = yield* post("/v1/missions/start", request)
      expect(third.json.mission_id).toBe(first.json.mission_id)
      expect(third.json.passport.jti).not.toBe(first.json.passport.jti)
      const fourth = yield* post("/v1/missions/start", request)
      expect(fourth.json.passport).toEqual(third.json.passport)
      yield* TestClock.adjust("11 minutes")
      const fifth = yield* post("/v1/missions/start", request)
      expect(fifth.json.mission_id).toBe(first.json.mission_id)
      expect(fifth.json.passport.jti).not.toBe(third.json.passport.jti)
      // a checked-out passport's work is over: the next start issues another
      yield* post(`/v1/passports/${fifth.json.passport.jti}/checkout`, { services_used: ["zendesk"], actions_count: 1 })
      const sixth = yield* post("/v1/missions/start", request)
      expect(sixth.json.mission_id).toBe(first.json.mission_id)
      expect(sixth.json.passport.jti).not.toBe(fifth.json.passport.jti)
      const issues = (yield* emulator.auditChain(emulator.operatorId)).filter((e) => e.action === "passport.issue")
      expect(issues).toHaveLength(5)
    })))

  it.effect("complete revokes every passport bound to the mission (and their children); a repeat is transitioned: false", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, get, issue, delegate, verify, auditOf } = yield* client
      const agentId = yield* agent("worker-bot")
      const helper = yield* agent("helper-bot")
      const started = yield* post("/v1/missions/start", { agent_id: agentId, intent_summary: "compile the report" })
      const missionId = started.json.mission_id as string
      const extra = yield* issue({ agent_id: agentId, mission_ids: [missionId] })
      const child = yield* delegate({ parent_token: extra.token, child_agent_id: helper })
      expect(decodeJwt(child.token).payload.stk.mission_id).toBe(missionId)
      const unrelated = yield* issue({ agent_id: agentId })

      yield* TestClock.adjust("5 minutes")
      const { result: done, entries } = yield* auditOf(
        post(`/v1/missions/${missionId}/complete`, { output: { pages: 3, ok: true } })
      )
      expect(done.status).toBe(200)
      expect(done.json.transitioned).toBe(true)
      expect(done.json.mission).toMatchObject({
        status: "completed",
        terminal_state: "completed",
        completed_at: new Date(T0 + 5 * 60 * 1000).toISOString(),
        output: { pages: 3, ok: true }
      })
      expect(done.json.revoked_passports).toEqual([started.json.passport.jti, extra.jti, child.jti])
      expect(entries.map((e) => [e.action, e.passport_jti])).toEqual([
        ["mission.complete", null],
        ["passport.revoke", started.json.passport.jti],
        ["passport.revoke", extra.jti],
        ["passport.revoke_cascade", child.jti]
      ])
      for (const token of [started.json.passport.token, extra.token, child.token]) {
        expect((yield* verify(token)).reason).toBe("revoked")
      }
      expect((yield* verify(unrelated.token)).valid).toBe(true)

      const again = yield* post(`/v1/missions/${missionId}/complete`, { output: "other" })
      expect(again.status).toBe(200)
      expect(again.json).toEqual({ ...done.json, transitioned: false, revoked_passports: [] })
      const revokeAfter = yield* post(`/v1/missions/${missionId}/revoke`, { reason: "adversarial" })
      expect(revokeAfter.json.transitioned).toBe(false)
      expect(revokeAfter.json.mission.status).toBe("completed")
      expect((yield* get(`/v1/missions/${missionId}`)).json.output).toEqual({ pages: 3, ok: true })

      expectError(yield* post(`/v1/missions/${missionId}/renew`), 409, "MISSION_NOT_ACTIVE")
      expectError(yield* post("/v1/passports/issue", { agent_id: agentId, mission_ids: [missionId] }), 409, "MISSION_NOT_ACTIVE")
    })))

  it.effect("revoke takes a reason and notes, revokes the passports, and repeats as transitioned: false", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, verify } = yield* client
      const agentId = yield* agent("risky-bot")
      const started = yield* post("/v1/missions/start", { agent_id: agentId, intent_summary: "move money" })
      const missionId = started.json.mission_id as string
      expectError(yield* post(`/v1/missions/${missionId}/revoke`, { reason: "because" }), 400, "INVALID_REQUEST")
      const revoked = yield* post(`/v1/missions/${missionId}/revoke`, { reason: "adversarial", notes: "prompt injection" })
      expect(revoked.status).toBe(200)
      expect(revoked.json).toMatchObject({
        transitioned: true,
        revoked_passports: [started.json.passport.jti],
        mission: { status: "revoked", terminal_state: "revoked", revoke_reason: "adversarial", notes: "prompt injection" }
      })
      expect(revoked.json.mission.revoked_at).toBe(new Date(T0).toISOString())
      expect((yield* verify(started.json.passport.token)).reason).toBe("revoked")
      const again = yield* post(`/v1/missions/${missionId}/revoke`, { reason: "operator_initiated_clean" })
      expect(again.json).toEqual({ ...revoked.json, transitioned: false, revoked_passports: [] })
      const completeAfter = yield* post(`/v1/missions/${missionId}/complete`, {})
      expect(completeAfter.json.transitioned).toBe(false)
      expect(completeAfter.json.mission.status).toBe("revoked")
      // a new start with the same request opens a new mission
      const restarted = yield* post("/v1/missions/start", { agent_id: agentId, intent_summary: "move money" })
      expect(restarted.json.mission_id).not.toBe(missionId)
    })))

  it.effect("no passport outlives its mission; a mission passport must be for its agent or an unassigned mission", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, issue } = yield* client
      const agentId = yield* agent("bound-bot", "enforced")
      const otherAgent = yield* agent("other-bot")
      const mission = yield* post("/v1/missions", { agent_id: agentId, intent_summary: "a short job", intent_services: ["slack"], ttl_seconds: 120 })
      expect(mission.status).toBe(201)
      expect(mission.json.id).toMatch(/^ms_/)
      const expiresAt = Date.parse(mission.json.expires_at)
      expect(expiresAt).toBe(T0 + 120_000)
      // the mission's intent stands in for a missing one, and the TTL is clipped to the mission
      const passport = yield* issue({ agent_id: agentId, mission_ids: [mission.json.id], ttl_seconds: 900, checkpoint_interval_seconds: 3600 })
      expect(seconds(passport.expires_at)).toBe(expiresAt / 1000)
      const claims = decodeJwt(passport.token).payload
      expect(claims.exp).toBe(expiresAt / 1000)
      expect(claims.stk).toMatchObject({ mission_id: mission.json.id, intent_summary: "a short job", intent_services: ["slack"] })
      // a checkpoint never extends past the mission
      yield* TestClock.adjust("60 seconds")
      const checkpoint = yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: ["slack"], actions_count: 1 })
      expect(seconds(checkpoint.json.expires_at)).toBe(expiresAt / 1000)
      const refreshed = yield* post("/v1/passports/refresh", { token: passport.token, ttl_seconds: 3600 })
      expect(seconds(refreshed.json.expires_at)).toBe(expiresAt / 1000)

      expectError(yield* post("/v1/passports/issue", { agent_id: otherAgent, mission_ids: [mission.json.id] }), 403, "FORBIDDEN")
      const unassigned = yield* post("/v1/missions", { intent_summary: "anyone's job" })
      expect(unassigned.json.agent_id).toBeNull()
      const bound = yield* issue({ agent_id: otherAgent, mission_ids: [unassigned.json.id] })
      expect(decodeJwt(bound.token).payload.stk.mission_id).toBe(unassigned.json.id)
      expectError(yield* post("/v1/passports/issue", { agent_id: otherAgent, mission_ids: ["ms_unknown"] }), 404, "NOT_FOUND")
      const twoMissions = yield* post("/v1/passports/issue", { agent_id: otherAgent, mission_ids: [mission.json.id, unassigned.json.id] })
      expectError(twoMissions, 400, "INVALID_REQUEST")
      expect(twoMissions.json.error.details.fields.mission_ids).toBe("must name exactly one mission")
      expectError(yield* post("/v1/missions", { agent_id: "agt_nobody", intent_summary: "x" }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/missions", { intent_summary: "x", ttl_seconds: 59 }), 400, "INVALID_REQUEST")

      yield* TestClock.adjust("61 seconds") // the mission has expired
      expectError(yield* post("/v1/passports/issue", { agent_id: agentId, mission_ids: [mission.json.id] }), 409, "MISSION_NOT_ACTIVE")
      expectError(yield* post(`/v1/missions/${mission.json.id}/renew`), 409, "MISSION_NOT_ACTIVE")
      expectError(yield* post("/v1/passports/refresh", { token: passport.token }), 409, "MISSION_NOT_ACTIVE")
    })))

  it.effect("renew issues a fresh passport for a live mission, which start then returns", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, auditOf } = yield* client
      const agentId = yield* agent("renew-bot")
      const request = { agent_id: agentId, intent_summary: "long haul", passport_ttl_seconds: 120 }
      const started = yield* post("/v1/missions/start", request)
      yield* TestClock.adjust("100 seconds")
      const { result: renewed, entries } = yield* auditOf(post(`/v1/missions/${started.json.mission_id}/renew`))
      expect(renewed.status).toBe(200)
      expect(renewed.json.mission_id).toBe(started.json.mission_id)
      expect(renewed.json.passport.jti).not.toBe(started.json.passport.jti)
      expect(seconds(renewed.json.passport.expires_at)).toBe(T0 / 1000 + 100 + 120)
      expect(entries.map((e) => e.action)).toEqual(["mission.renew", "passport.issue"])
      const again = yield* post("/v1/missions/start", request)
      expect(again.json.passport).toEqual(renewed.json.passport)

      const unassigned = yield* post("/v1/missions", { intent_summary: "nobody's" })
      expectError(yield* post(`/v1/missions/${unassigned.json.id}/renew`), 409, "CONFLICT")
      expectError(yield* post("/v1/missions/ms_unknown/renew"), 404, "NOT_FOUND")
    })))

  it.effect("list filters by status and pages newest first by started_at", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get } = yield* client
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        ids.push((yield* post("/v1/missions", { intent_summary: `job ${i}` })).json.id)
        yield* TestClock.adjust("1 second")
      }
      yield* post(`/v1/missions/${ids[1]}/complete`, {})
      yield* post(`/v1/missions/${ids[3]}/revoke`, { reason: "operator_initiated_clean" })
      const all = yield* get("/v1/missions")
      expect(all.json).toMatchObject({ page: 1, limit: 50, total: 5, has_more: false })
      expect(all.json.missions.map((m: any) => m.id)).toEqual([...ids].reverse())
      const page2 = yield* get("/v1/missions?page=2&limit=2")
      expect(page2.json).toMatchObject({ page: 2, limit: 2, total: 5, has_more: true })
      expect(page2.json.missions.map((m: any) => m.id)).toEqual([ids[2], ids[1]])
      expect((yield* get("/v1/missions?status=active")).json.missions.map((m: any) => m.id)).toEqual([ids[4], ids[2], ids[0]])
      expect((yield* get("/v1/missions?status=completed")).json.missions.map((m: any) => m.id)).toEqual([ids[1]])
      const revoked = yield* get("/v1/missions?status=revoked")
      expect(revoked.json).toMatchObject({ total: 1, has_more: false })
      expect((yield* get("/v1/missions?status=paused")).json.missions).toEqual([])
      expectError(yield* get("/v1/missions?limit=201"), 400, "INVALID_REQUEST")
      expectError(yield* get("/v1/missions?status=done&page=0"), 400, "INVALID_REQUEST")
    })))

  it.effect("another operator's missions are invisible", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, post, get, emulator } = yield* client
      const agentId = yield* agent("private-bot")
      const started = yield* post("/v1/missions/start", { agent_id: agentId, intent_summary: "mine" })
      const other = yield* emulator.createOperator()
      const auth = Redacted.value(other.apiKey)
      const id = started.json.mission_id as string
      expectError(yield* get(`/v1/missions/${id}`, { auth }), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/missions/${id}/complete`, {}, { auth }), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/missions/${id}/revoke`, { reason: "adversarial" }, { auth }), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/missions/${id}/renew`, {}, { auth }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/missions/start", { agent_id: agentId, intent_summary: "mine" }, { auth }), 404, "NOT_FOUND")
      expect((yield* get("/v1/missions", { auth })).json.total).toBe(0)
      const theirAgent = yield* post("/v1/agents/register", { name: "their-bot", accountability_mode: "standard" }, { auth })
      expectError(
        yield* post("/v1/passports/issue", { agent_id: theirAgent.json.id, mission_ids: [id] }, { auth }),
        404,
        "NOT_FOUND"
      )
      expect((yield* get(`/v1/missions/${id}`)).json.status).toBe("active")
    })))
})
