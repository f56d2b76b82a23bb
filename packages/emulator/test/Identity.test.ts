/**
 * Identity: the providers, verification sessions (pending until the provider
 * decides, expired after 15 minutes, completed into claims once approved),
 * the claims they leave (listed, revoked, expiring), and the passports that
 * bind the operator's active claims in `stk.identity_claims`; tenancy,
 * refusals, and audit entries without PII.
 */
import { describe, expect, it } from "@effect/vitest"
import { Agents, Identity, Passports, StackError } from "@getstack/effect"
import * as IdentityApi from "@getstack/effect/api/Identity"
import { revealToken } from "@getstack/effect/api/Passports"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { client, decodeJwt, enrolled, expectError, T0, withEmulator } from "./support/Client.js"

const RETURN_URL = "https://example.test/back?user=alice@example.test"

/** Starts a stack_test verification for both claim types; returns its session. */
const initiate = (requested: ReadonlyArray<string> = ["verified_human", "verified_identity"], auth?: string) =>
  Effect.flatMap(client, ({ post }) =>
    Effect.map(
      post("/v1/identity/verifications", { provider_key: "stack_test", requested_claims: requested, return_url: RETURN_URL }, auth === undefined ? {} : { auth }),
      (reply) => {
        if (reply.status !== 201) throw new Error(`initiate: ${reply.status} ${reply.text}`)
        return reply.json as { session_ref: string; url: string; expires_at: string }
      }
    ))

/** Initiates, approves as the provider would, and completes; returns the claims. */
const verified = (requested?: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { post } = yield* client
    const session = yield* initiate(requested)
    expect((yield* post(`${session.url}/approve`)).status).toBe(200)
    const completed = yield* post(`/v1/identity/providers/stack_test/verifications/${session.session_ref}/complete`)
    expect(completed.status, completed.text).toBe(200)
    return completed.json.claims as Array<any>
  })

const completePath = (ref: string, provider = "stack_test") => `/v1/identity/providers/${provider}/verifications/${ref}/complete`

describe("identity", () => {
  it.effect("providers: the test provider and the documented ones, with layers, claim types and assurance", () =>
    withEmulator(Effect.gen(function*() {
      const { get } = yield* client
      const reply = yield* get("/v1/identity/providers")
      expect(reply.status).toBe(200)
      const keys = reply.json.providers.map((provider: any) => provider.provider_key)
      expect(keys).toEqual(["stack_test", "bankid_se", "stripe_identity", "login_gov", "id_me", "plaid", "persona"])
      for (const provider of reply.json.providers) {
        expect(provider.id).toMatch(/^idp_/)
        expect(provider.supported_layers).toEqual(["humanity", "identity"])
        expect(provider.claim_types).toEqual(["verified_human", "verified_identity"])
        expect(["substantial", "high"]).toContain(provider.assurance_level)
      }
      expect(reply.json.providers.find((p: any) => p.provider_key === "bankid_se")).toMatchObject({ assurance_level: "high", countries: ["SE"] })
    })))

  it.effect("the whole flow: initiate, the provider approves, complete, claims listed, bound into passports until revoked", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get, call, agent, issue, auditOf } = yield* client
      const bot = yield* agent("verified-bot")
      const { result: session, entries: started } = yield* auditOf(initiate())
      expect(session.session_ref).toMatch(/^ivs_[A-Za-z0-9]{24}$/)
      expect(session.url).toBe(`/_emulator/identity/sessions/${session.session_ref}`)
      expect(Date.parse(session.expires_at)).toBe(T0 + 15 * 60 * 1000)
      expect(started.map((e) => [e.action, e.layer, e.outcome, e.agent_id])).toEqual([["identity.verification_start", "system", "success", null]])

      const pending = yield* get(`/v1/identity/verifications/${session.session_ref}`)
      expect(pending.json).toEqual({
        session_ref: session.session_ref,
        status: "pending",
        requested_claims: ["verified_human", "verified_identity"],
        created_at: new Date(T0).toISOString(),
        expires_at: session.expires_at,
        completed_at: null,
        provider_key: "stack_test"
      })
      expect(pending.text).not.toContain("example.test")

      // not approved yet: 409, recorded as a refusal
      const { result: early, entries: refused } = yield* auditOf(post(completePath(session.session_ref)))
      expectError(early, 409, "CONFLICT")
      expect(refused.map((e) => [e.action, e.outcome, e.error_code])).toEqual([["identity.verification_complete", "failure", "CONFLICT"]])

      yield* TestClock.adjust("1 minute")
      const { result: approved, entries: approval } = yield* auditOf(post(`${session.url}/approve`))
      expect(approved.json.status).toBe("pending")
      expect(approval.map((e) => e.action)).toEqual(["identity.verification_approve"])
      expectError(yield* post(`${session.url}/approve`), 409, "CONFLICT")
      expectError(yield* post(`${session.url}/reject`), 409, "CONFLICT")

      yield* TestClock.adjust("1 minute")
      const { result: completed, entries: completion } = yield* auditOf(post(completePath(session.session_ref)))
      expect(completed.status).toBe(200)
      expect(completion.map((e) => [e.action, e.outcome])).toEqual([["identity.verification_complete", "success"]])
      const claims = completed.json.claims as Array<any>
      expect(completed.json).toMatchObject({ session_ref: session.session_ref, status: "completed" })
      expect(claims.map((c) => [c.provider, c.layer, c.claim_type, c.assurance_level, c.status])).toEqual([
        ["stack_test", "humanity", "verified_human", "substantial", "active"],
        ["stack_test", "identity", "verified_identity", "substantial", "active"]
      ])
      for (const claim of claims) {
        expect(claim.id).toMatch(/^clm_/)
        expect(claim.verified_at).toBe(new Date(T0 + 2 * 60 * 1000).toISOString())
        expect(Date.parse(claim.expires_at)).toBe(T0 + 2 * 60 * 1000 + 365 * 24 * 3600 * 1000)
      }
      // completing again answers the same claims
      expect((yield* post(completePath(session.session_ref))).json.claims.map((c: any) => c.id)).toEqual(claims.map((c) => c.id))
      const done = yield* get(`/v1/identity/verifications/${session.session_ref}`)
      expect(done.json).toMatchObject({ status: "completed", completed_at: new Date(T0 + 2 * 60 * 1000).toISOString() })
      expect((yield* get("/v1/identity/claims")).json.claims.map((c: any) => c.id)).toEqual(claims.map((c) => c.id))

      // omitted: every active claim; explicit: those named
      const withAll = yield* issue({ agent_id: bot })
      const all = decodeJwt(withAll.token).payload.stk.identity_claims
      expect(all).toEqual(claims.map((c) => ({
        claim_id: c.id,
        provider: "stack_test",
        layer: c.layer,
        claim_type: c.claim_type,
        assurance_level: "substantial",
        verified_at: Date.parse(c.verified_at) / 1000,
        expires_at: Date.parse(c.expires_at) / 1000
      })))
      const [human, identity] = claims
      const one = decodeJwt((yield* issue({ agent_id: bot, identity_claim_ids: [identity.id, identity.id] })).token).payload.stk
      expect(one.identity_claims.map((c: any) => c.claim_id)).toEqual([identity.id])
      expect(decodeJwt((yield* issue({ agent_id: bot, identity_claim_ids: [] })).token).payload.stk.identity_claims).toEqual([])

      // revoked: the passport carrying it revoked with it, no longer bound, refused when asked for
      const { result: revoked, entries: revocation } = yield* auditOf(call("DELETE", `/v1/identity/claims/${human.id}`))
      expect(revoked.json).toMatchObject({
        id: human.id,
        status: "revoked",
        revoked_at: new Date(T0 + 2 * 60 * 1000).toISOString(),
        revoked_passports: [withAll.jti]
      })
      expect(revocation.map((e) => [e.action, e.outcome, e.passport_jti])).toEqual([
        ["identity.claim_revoke", "success", null],
        ["passport.revoke", "success", withAll.jti]
      ])
      expect((yield* call("DELETE", `/v1/identity/claims/${human.id}`)).json).toEqual({ ...revoked.json, revoked_passports: [] })
      const rest = decodeJwt((yield* issue({ agent_id: bot })).token).payload.stk.identity_claims
      expect(rest.map((c: any) => c.claim_id)).toEqual([identity.id])
      const asked = yield* post("/v1/passports/issue", { agent_id: bot, identity_claim_ids: [identity.id, human.id] })
      expectError(asked, 400, "INVALID_REQUEST")
      expect(asked.json.error.details.fields).toEqual({ "identity_claim_ids.1": `identity claim ${human.id} is revoked` })
      expect((yield* get("/v1/identity/claims")).json.claims.map((c: any) => [c.id, c.status])).toEqual([
        [human.id, "revoked"],
        [identity.id, "active"]
      ])
    })))

  it.effect("revoking a claim revokes every passport carrying it, delegated ones included, in one audited transaction", () =>
    withEmulator(Effect.gen(function*() {
      const { call, agent, issue, delegate, verify, post, get, auditOf } = yield* client
      const [human, identity] = yield* verified()
      const alice = yield* agent("alice-bot")
      const bob = yield* agent("bob-bot")
      const first = yield* issue({ agent_id: alice, identity_claim_ids: [human.id] })
      const second = yield* issue({ agent_id: bob, identity_claim_ids: [human.id, identity.id] })
      const without = yield* issue({ agent_id: alice, identity_claim_ids: [identity.id] })
      const none = yield* issue({ agent_id: bob, identity_claim_ids: [] })
      // a child inherits its parent's claims
      const child = yield* delegate({ parent_token: first.token, child_agent_id: bob })
      expect(decodeJwt(child.token).payload.stk.identity_claims.map((c: any) => c.claim_id)).toEqual([human.id])
      const unrelatedChild = yield* delegate({ parent_token: without.token, child_agent_id: bob })
      for (const passport of [first, second, without, none, child, unrelatedChild]) expect((yield* verify(passport.token)).valid).toBe(true)

      yield* TestClock.adjust("1 minute")
      const { result, entries } = yield* auditOf(call("DELETE", `/v1/identity/claims/${human.id}`))
      expect(result.status, result.text).toBe(200)
      expect(result.json).toMatchObject({ id: human.id, status: "revoked", revoked_passports: [first.jti, second.jti, child.jti] })
      expect(entries.map((e) => [e.action, e.layer, e.outcome, e.agent_id, e.passport_jti])).toEqual([
        ["identity.claim_revoke", "system", "success", null, null],
        ["passport.revoke", "vault", "success", alice, first.jti],
        ["passport.revoke", "vault", "success", bob, second.jti],
        ["passport.revoke_cascade", "vault", "success", bob, child.jti]
      ])
      for (const passport of [first, second, child]) {
        expect(yield* verify(passport.token)).toEqual({ valid: false, reason: "revoked", message: "the passport was revoked" })
      }
      for (const passport of [without, none, unrelatedChild]) expect((yield* verify(passport.token)).valid).toBe(true)
      expectError(yield* post("/v1/passports/refresh", { token: first.token }), 401, "PASSPORT_REVOKED")
      const live = (yield* get("/v1/passports/active")).json.passports.map((p: any) => p.jti)
      expect(live.sort()).toEqual([without.jti, none.jti, unrelatedChild.jti].sort())

      // a repeat revokes nothing more, and records only itself
      const { result: again, entries: repeat } = yield* auditOf(call("DELETE", `/v1/identity/claims/${human.id}`))
      expect(again.json).toMatchObject({ id: human.id, status: "revoked", revoked_passports: [] })
      expect(repeat.map((e) => e.action)).toEqual(["identity.claim_revoke"])
    })))

  it.effect("a token signed again carries only the claims still active: refresh, delegation and a checkpoint drop an expired one", () =>
    withEmulator(Effect.gen(function*() {
      const { call, agent, issue, delegate, verify, post } = yield* client
      const [early] = yield* verified(["verified_human"])
      yield* TestClock.adjust("100 days")
      const [late] = yield* verified(["verified_identity"])
      const bot = yield* agent("renewing-bot")
      const helper = yield* agent("helper-bot")
      const careful = yield* agent("careful-bot", "enforced")
      // the early claim expires 365 days after T0; the passports are issued 30 minutes before
      yield* TestClock.adjust(`${265 * 24 * 60 - 30} minutes`)
      const both = [early.id, late.id]
      const passport = yield* issue({ agent_id: bot, identity_claim_ids: both, ttl_seconds: 3600 })
      const enforced = yield* issue({
        agent_id: careful,
        identity_claim_ids: both,
        intent: { summary: "file the quarterly report", services: ["github"] },
        checkpoint_interval_seconds: 3600,
        ttl_seconds: 3600
      })
      expect(decodeJwt(passport.token).payload.stk.identity_claims.map((c: any) => c.claim_id)).toEqual(both)

      yield* TestClock.adjust("40 minutes")
      const claimIds = (token: string) => decodeJwt(token).payload.stk.identity_claims.map((c: any) => c.claim_id)
      const refreshed = yield* post("/v1/passports/refresh", { token: passport.token })
      expect(refreshed.status, refreshed.text).toBe(200)
      expect(refreshed.json.jti).toBe(passport.jti)
      expect(claimIds(refreshed.json.token)).toEqual([late.id])
      const verdict = yield* verify(refreshed.json.token)
      expect(verdict.valid).toBe(true)
      expect(verdict.claims.stk.identity_claims.map((c: any) => c.claim_id)).toEqual([late.id])
      // as at issue, the claims do not shorten the passport: 900 seconds from now
      expect(Date.parse(refreshed.json.expires_at)).toBe(T0 + (365 * 24 * 60 + 10) * 60 * 1000 + 900 * 1000)
      const child = yield* delegate({ parent_token: refreshed.json.token, child_agent_id: helper })
      expect(claimIds(child.token)).toEqual([late.id])
      const childOfOld = yield* delegate({ parent_token: passport.token, child_agent_id: helper })
      expect(claimIds(childOfOld.token)).toEqual([late.id])
      const checkpoint = yield* post(`/v1/passports/${enforced.jti}/checkpoint`, { services_used: ["github"], actions_count: 1 })
      expect(checkpoint.status, checkpoint.text).toBe(200)
      expect(claimIds(checkpoint.json.token)).toEqual([late.id])

      // what the passports carry now decides what revoking a claim revokes
      const dropped = yield* call("DELETE", `/v1/identity/claims/${early.id}`)
      expect(dropped.json).toMatchObject({ status: "revoked", revoked_passports: [] })
      expect((yield* verify(refreshed.json.token)).valid).toBe(true)
      const carried = yield* call("DELETE", `/v1/identity/claims/${late.id}`)
      expect([...carried.json.revoked_passports].sort()).toEqual([passport.jti, enforced.jti, child.jti, childOfOld.jti].sort())
      expect((yield* verify(refreshed.json.token)).reason).toBe("revoked")
    })))

  it.effect("sessions expire after 15 minutes; claims expire with the provider's period and stop counting", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get, agent, issue } = yield* client
      const bot = yield* agent("expiry-bot")
      const late = yield* initiate(["verified_human"])
      yield* TestClock.adjust("14 minutes")
      expect((yield* get(`/v1/identity/verifications/${late.session_ref}`)).json.status).toBe("pending")
      yield* TestClock.adjust("1 minute")
      expect((yield* get(`/v1/identity/verifications/${late.session_ref}`)).json.status).toBe("expired")
      expectError(yield* post(`${late.url}/approve`), 409, "CONFLICT")
      expectError(yield* post(completePath(late.session_ref)), 409, "CONFLICT")

      // approved in time, completed too late
      const slow = yield* initiate(["verified_human"])
      yield* post(`${slow.url}/approve`)
      yield* TestClock.adjust("15 minutes")
      const expired = yield* post(completePath(slow.session_ref))
      expectError(expired, 409, "CONFLICT")
      expect(expired.json.error.message).toMatch(/expired/)
      expect((yield* get("/v1/identity/claims")).json.claims).toEqual([])

      const [claim] = yield* verified(["verified_human"])
      expect(decodeJwt((yield* issue({ agent_id: bot })).token).payload.stk.identity_claims).toHaveLength(1)
      yield* TestClock.adjust("365 days")
      expect((yield* get("/v1/identity/claims")).json.claims.map((c: any) => c.status)).toEqual(["expired"])
      expect(decodeJwt((yield* issue({ agent_id: bot })).token).payload.stk.identity_claims).toEqual([])
      const asked = yield* post("/v1/passports/issue", { agent_id: bot, identity_claim_ids: [claim.id] })
      expectError(asked, 400, "INVALID_REQUEST")
      expect(asked.json.error.details.fields["identity_claim_ids.0"]).toBe(`identity claim ${claim.id} is expired`)
    })))

  it.effect("a rejected session fails and cannot be completed", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get } = yield* client
      const session = yield* initiate()
      const rejected = yield* post(`${session.url}/reject`)
      expect(rejected.json.status).toBe("failed")
      expect((yield* get(`/v1/identity/verifications/${session.session_ref}`)).json.status).toBe("failed")
      const refused = yield* post(completePath(session.session_ref))
      expectError(refused, 409, "CONFLICT")
      expect(refused.json.error.message).toMatch(/rejected/)
      expectError(yield* post(`${session.url}/approve`), 409, "CONFLICT")
      expect((yield* get("/v1/identity/claims")).json.claims).toEqual([])
    })))

  it.effect("another operator's sessions and claims are 404, and its claims are never bound", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get, call, agent, emulator } = yield* client
      const session = yield* initiate(["verified_human"])
      const [claim] = yield* verified(["verified_human"])
      const other = yield* emulator.createOperator({ name: "other" })
      const auth = Redacted.value(other.apiKey)
      expectError(yield* get(`/v1/identity/verifications/${session.session_ref}`, { auth }), 404, "NOT_FOUND")
      expectError(yield* post(`${session.url}/approve`, {}, { auth }), 404, "NOT_FOUND")
      expectError(yield* post(completePath(session.session_ref), {}, { auth }), 404, "NOT_FOUND")
      expectError(yield* call("DELETE", `/v1/identity/claims/${claim.id}`, { auth }), 404, "NOT_FOUND")
      expect((yield* get("/v1/identity/claims", { auth })).json.claims).toEqual([])
      const theirBot = yield* agent("their-bot", "standard", auth)
      const bound = yield* post("/v1/passports/issue", { agent_id: theirBot }, { auth })
      expect(decodeJwt(bound.json.token).payload.stk.identity_claims).toEqual([])
      const asked = yield* post("/v1/passports/issue", { agent_id: theirBot, identity_claim_ids: [claim.id] }, { auth })
      expectError(asked, 400, "INVALID_REQUEST")
      expect(asked.json.error.details.fields["identity_claim_ids.0"]).toBe(`unknown identity claim ${claim.id}`)
      // still the owner's, untouched
      expect((yield* get("/v1/identity/claims")).json.claims.map((c: any) => c.status)).toEqual(["active"])
    })))

  it.effect("refusals: bad input is 400, unknown sessions and claims 404, agents may only read", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get, call } = yield* client
      const bad = [
        [{ provider_key: "myspace", requested_claims: ["verified_human"] }, "provider_key"],
        [{ provider_key: "stack_test", requested_claims: ["verified_wizard"] }, "requested_claims"],
        [{ provider_key: "stack_test", requested_claims: [] }, "requested_claims"],
        [{ provider_key: "stack_test" }, "requested_claims"],
        [{ requested_claims: ["verified_human"] }, "provider_key"],
        [{ provider_key: "stack_test", requested_claims: ["verified_human"], return_url: "x".repeat(3000) }, "return_url"]
      ] as const
      for (const [body, field] of bad) {
        const reply = yield* post("/v1/identity/verifications", body)
        expectError(reply, 400, "INVALID_REQUEST")
        expect(Object.keys(reply.json.error.details?.fields ?? {}).some((key) => key === field || key.startsWith(`${field}.`)), reply.text)
          .toBe(true)
      }
      expectError(yield* call("POST", "/v1/identity/verifications", { body: "{nope", headers: { "content-type": "application/json" } }), 400, "INVALID_REQUEST")
      expectError(yield* get("/v1/identity/verifications/ivs_nope"), 404, "NOT_FOUND")
      expectError(yield* post(completePath("ivs_nope")), 404, "NOT_FOUND")
      expectError(yield* post("/_emulator/identity/sessions/ivs_nope/approve"), 404, "NOT_FOUND")
      expectError(yield* call("DELETE", "/v1/identity/claims/clm_nope"), 404, "NOT_FOUND")
      const session = yield* initiate()
      // a session is completed with its own provider
      expectError(yield* post(completePath(session.session_ref, "persona")), 404, "NOT_FOUND")

      const bot = yield* enrolled("reader-bot")
      const auth = yield* bot.jwt()
      expect((yield* get("/v1/identity/providers", { auth })).status).toBe(200)
      expect((yield* get("/v1/identity/claims", { auth })).status).toBe(200)
      expect((yield* get(`/v1/identity/verifications/${session.session_ref}`, { auth })).json.status).toBe("pending")
      expectError(yield* post("/v1/identity/verifications", { provider_key: "stack_test", requested_claims: ["verified_human"] }, { auth }), 403, "FORBIDDEN")
      expectError(yield* post(`${session.url}/approve`, {}, { auth }), 403, "FORBIDDEN")
      expectError(yield* post(completePath(session.session_ref), {}, { auth }), 403, "FORBIDDEN")
      expectError(yield* call("DELETE", "/v1/identity/claims/clm_nope", { auth }), 403, "FORBIDDEN")
    })))

  it.effect("the audit chain records every identity action without the return URL or any PII", () =>
    withEmulator(Effect.gen(function*() {
      const { emulator } = yield* client
      yield* verified()
      const chain = yield* emulator.auditChain(emulator.operatorId)
      const identity = chain.filter((entry) => entry.action.startsWith("identity."))
      expect(identity.map((entry) => entry.action)).toEqual([
        "identity.verification_start",
        "identity.verification_approve",
        "identity.verification_complete"
      ])
      expect(JSON.stringify(chain)).not.toContain("example.test")
    })))
})

describe("identity through the SDK", () => {
  it.effect("initiate, the provider approves (Emulator.decideVerification), complete, bind, revoke; refusals are typed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const identity = yield* Identity.Identity
      const passports = yield* Passports.Passports
      const agents = yield* Agents.Agents
      const emulator = yield* Emulator.Emulator
      const { providers } = yield* identity.listProviders()
      expect(providers.map((provider) => provider.provider_key)).toContain("stack_test")
      const session = yield* identity.initiateVerification({ provider_key: "stack_test", requested_claims: ["verified_human"] })
      const early = yield* Effect.flip(identity.completeVerification("stack_test", session.session_ref))
      expect(early).toBeInstanceOf(StackError.ConflictError)
      yield* emulator.decideVerification(emulator.operatorId, session.session_ref, "approved")
      const again = yield* Effect.flip(emulator.decideVerification(emulator.operatorId, session.session_ref, "approved"))
      expect(again).toMatchObject({ _tag: "VerificationDecisionError", reason: "not_pending" })
      const missing = yield* Effect.flip(emulator.decideVerification(emulator.operatorId, "ivs_nope", "rejected"))
      expect(missing.reason).toBe("not_found")
      const { claims } = yield* identity.completeVerification("stack_test", session.session_ref)
      const claim = claims[0]!
      expect(claim).toMatchObject({ layer: "humanity", claim_type: "verified_human", status: "active" })
      const status = yield* identity.getVerification(session.session_ref)
      expect(status.status).toBe("completed")
      expect(status.completed_at?.epochMillis).toBe(T0)

      const listed = yield* identity.listClaims()
      expect(listed.claims.map((c) => c.id)).toEqual([claim.id])
      const bot = yield* agents.register({ name: "sdk-verified-bot", accountability_mode: "standard" })
      const issued = yield* passports.issue({ agent_id: bot.id, identity_claim_ids: [claim.id] })
      const stk = decodeJwt(revealToken(issued.token)).payload.stk
      expect(stk.identity_claims.map((c: any) => c.claim_id)).toEqual([claim.id])
      const revoked = yield* identity.revokeClaim(claim.id)
      expect(revoked).toBeInstanceOf(IdentityApi.RevokedClaim)
      expect(revoked.revoked_passports).toEqual([issued.jti])
      expect(yield* passports.verify({ token: issued.token })).toMatchObject({ valid: false, reason: "revoked" })
      expect((yield* identity.listClaims()).claims[0]!.status).toBe("revoked")
      const refused = yield* Effect.flip(passports.issue({ agent_id: bot.id, identity_claim_ids: [claim.id] }))
      expect(refused).toBeInstanceOf(StackError.BadRequestError)
      expect(refused.message).toMatch(/revoked/)
      const unknown = yield* Effect.flip(identity.getVerification("ivs_nope"))
      expect(unknown).toBeInstanceOf(StackError.NotFoundError)
      const bad = yield* Effect.flip(identity.initiateVerification({ provider_key: "myspace", requested_claims: ["verified_human"] }))
      expect(bad).toBeInstanceOf(StackError.BadRequestError)
    }).pipe(Effect.provide(Emulator.layerStack())))
})
