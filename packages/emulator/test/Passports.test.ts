import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { createHash, createPublicKey, generateKeyPairSync, verify as verifySignature } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { client, decodeJwt, expectError, signJwt, T0, withEmulator } from "./support/Client.js"

const seconds = (iso: string) => Date.parse(iso) / 1000


const intent = (services: Array<string>) => ({ summary: "triage the inbox", services })

describe("passports", () => {
  it.effect("issue signs an EdDSA JWT that verifies independently against the JWKS, with STACK's claims", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, connect, get, issue, verify, emulator } = yield* client
      const agentId = yield* agent("mail-bot", "logged")
      const gmail = yield* connect("google", ["gmail.readonly", "gmail.send", "drive.file"], { agents: [agentId] })
      const passport = yield* issue({
        agent_id: agentId,
        scopes: [{ service_connection_id: gmail, scopes: ["gmail.readonly", "gmail.send"] }],
        intent: { summary: "answer support mail", services: ["google", "notion"], will_delegate: false },
        checkpoint_interval_seconds: 600
      })
      expect(passport.jti).toMatch(/^pp_[A-Za-z0-9]{24}$/)

      const jwks = yield* get("/v1/.well-known/jwks.json", { auth: null })
      expect(jwks.status).toBe(200)
      expect(jwks.json.keys).toHaveLength(1)
      const jwk = jwks.json.keys[0]
      expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" })
      // RFC 7638: SHA-256 of the required members in lexicographic order
      const thumbprint = createHash("sha256")
        .update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`)
        .digest("base64url")
      expect(jwk.kid).toBe(thumbprint)

      const jwt = decodeJwt(passport.token)
      expect(jwt.header).toEqual({ alg: "EdDSA", typ: "JWT", kid: jwk.kid })
      const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" })
      expect(verifySignature(null, Buffer.from(jwt.signingInput), publicKey, jwt.signature)).toBe(true)
      const tampered = Buffer.from(jwt.signingInput.replace(/.$/, (c) => (c === "A" ? "B" : "A")))
      expect(verifySignature(null, tampered, publicKey, jwt.signature)).toBe(false)

      const iat = T0 / 1000
      expect(jwt.payload).toEqual({
        iss: "https://api.getstack.run",
        sub: agentId,
        jti: passport.jti,
        iat,
        nbf: iat,
        exp: iat + 900,
        stk: {
          operator_id: emulator.operatorId,
          agent_id: agentId,
          agent_name: "mail-bot",
          services: [{
            service_id: "google",
            service_name: "Google Workspace",
            scopes: ["gmail.readonly", "gmail.send"],
            credential_ref: gmail
          }],
          identity_claims: [],
          delegation_depth: 0,
          session_id: jwt.payload.stk.session_id,
          accountability: "logged",
          intent_summary: "answer support mail",
          intent_services: ["google", "notion"],
          checkpoint_interval: 600,
          mission_id: null,
          parent_jti: null
        }
      })
      expect(jwt.payload.stk.session_id).toMatch(/^ses_/)
      expect(seconds(passport.expires_at)).toBe(iat + 900)

      const verified = yield* verify(passport.token)
      expect(verified).toMatchObject({
        valid: true,
        jti: passport.jti,
        agent_id: agentId,
        agent_name: "mail-bot",
        operator_id: emulator.operatorId,
        scopes: [{ service_id: "google", credential_ref: gmail, scopes: ["gmail.readonly", "gmail.send"] }],
        intent_services: ["google", "notion"],
        expires_at: passport.expires_at
      })
      expect(verified.claims).toEqual(jwt.payload)
      // a service the passport claims a connection of, and one only its intent names
      expect((yield* verify(passport.token, "google")).valid).toBe(true)
      expect((yield* verify(passport.token, "notion")).valid).toBe(true)
      expect(yield* verify(passport.token, "slack")).toMatchObject({ valid: false, reason: "service_not_in_scope" })
    })))

  it.effect("standard passports: TTL default 900 or as asked, no checkpoint interval, a new session per issue", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue } = yield* client
      const agentId = yield* agent("plain-bot")
      const a = decodeJwt((yield* issue({ agent_id: agentId, ttl_seconds: 60 })).token).payload
      const b = decodeJwt((yield* issue({ agent_id: agentId, checkpoint_interval_seconds: 120 })).token).payload
      expect(a.exp - a.iat).toBe(60)
      expect(b.exp - b.iat).toBe(900)
      expect(a.stk).toMatchObject({ accountability: "standard", checkpoint_interval: null, intent_summary: null, intent_services: [], services: [] })
      expect(b.stk.checkpoint_interval).toBeNull()
      expect(a.stk.session_id).not.toBe(b.stk.session_id)
    })))

  it.effect("the signing key and its kid survive a restart on the same database file; old tokens still verify", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "stack-emulator-keys-"))
      const filename = join(dir, "stack.db")
      try {
        const first = yield* withEmulator(Effect.gen(function*() {
          const { agent, get, issue } = yield* client
          const jwks = (yield* get("/v1/.well-known/jwks.json", { auth: null })).json
          const passport = yield* issue({ agent_id: yield* agent("durable-bot") })
          return { jwks, passport }
        }), { filename })
        const second = yield* withEmulator(Effect.gen(function*() {
          const { get, verify } = yield* client
          return {
            jwks: (yield* get("/v1/.well-known/jwks.json", { auth: null })).json,
            verified: yield* verify(first.passport.token)
          }
        }), { filename })
        expect(second.jwks).toEqual(first.jwks)
        expect(second.verified).toMatchObject({ valid: true, jti: first.passport.jti })
        // a fresh database has a key of its own
        const other = yield* withEmulator(Effect.gen(function*() {
          const { get, verify } = yield* client
          return {
            jwks: (yield* get("/v1/.well-known/jwks.json", { auth: null })).json,
            verified: yield* verify(first.passport.token)
          }
        }))
        expect(other.jwks.keys[0].kid).not.toBe(first.jwks.keys[0].kid)
        expect(other.verified).toMatchObject({ valid: false, reason: "unknown_key" })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.effect("verify answers 200 with the reason a token is not valid, and 400 only for a malformed body", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, verify, post } = yield* client
      const agentId = yield* agent("verify-bot")
      const passport = yield* issue({ agent_id: agentId, ttl_seconds: 60 })
      const [h, p, s] = passport.token.split(".") as [string, string, string]
      const claims = decodeJwt(passport.token).payload
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: "agt_someoneelse" })).toString("base64url")
      expect(yield* verify(`${h}.${forged}.${s}`)).toMatchObject({ valid: false, reason: "invalid_signature" })
      expect(yield* verify(`${h}.${p}.${s.slice(0, -4)}AAAA`)).toMatchObject({ valid: false, reason: "invalid_signature" })
      for (const garbage of ["abc", "a.b.c", "eyJ.eyJ.sig", `${h}.${p}`, "x".repeat(5000)]) {
        expect(yield* verify(garbage), garbage.slice(0, 20)).toMatchObject({ valid: false, reason: "malformed" })
      }
      const { privateKey } = generateKeyPairSync("ed25519")
      expect(yield* verify(signJwt(privateKey, { alg: "EdDSA", typ: "JWT", kid: "someone-else" }, claims)))
        .toMatchObject({ valid: false, reason: "unknown_key" })
      expect(yield* verify(signJwt(privateKey, { alg: "EdDSA", typ: "JWT" }, claims)))
        .toMatchObject({ valid: false, reason: "invalid_signature" })
      expect(yield* verify(signJwt(privateKey, { alg: "none" }, claims)))
        .toMatchObject({ valid: false, reason: "invalid_signature" })

      yield* TestClock.adjust("61 seconds")
      const expired = yield* verify(passport.token)
      expect(expired).toMatchObject({ valid: false, reason: "expired" })
      expect(typeof expired.message).toBe("string")

      const bad = yield* post("/v1/passports/verify", { token: 42 }, { auth: null })
      expectError(bad, 400, "INVALID_REQUEST")
      expect(bad.json.error.details.fields.token).toBeDefined()
      expectError(yield* post("/v1/passports/verify", {}, { auth: null }), 400, "INVALID_REQUEST")
      expectError(
        yield* post("/v1/passports/verify", undefined, { auth: null, body: "{", headers: { "content-type": "application/json" } }),
        400,
        "INVALID_REQUEST"
      )
    })))

  it.effect("revoking the root of a three-level delegation tree revokes every descendant, and the audit shows each", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, connect, issue, delegate, post, get, verify, auditOf } = yield* client
      const rootAgent = yield* agent("root-bot")
      const childAgents = [yield* agent("child-a"), yield* agent("child-b")]
      const grandAgents = [yield* agent("grand-a"), yield* agent("grand-b")]
      const bystander = yield* issue({ agent_id: rootAgent, scopes: [] })
      const drive = yield* connect("google", ["*"], { agents: [rootAgent] })
      const root = yield* issue({ agent_id: rootAgent, scopes: [{ service_connection_id: drive, scopes: ["*"] }] })
      const children = [
        yield* delegate({ parent_token: root.token, child_agent_id: childAgents[0] }),
        yield* delegate({ parent_token: root.token, child_agent_id: childAgents[1] })
      ]
      const grandchildren = [
        yield* delegate({ parent_token: children[0]!.token, child_agent_id: grandAgents[0] }),
        yield* delegate({ parent_token: children[0]!.token, child_agent_id: grandAgents[1] }),
        yield* delegate({ parent_token: children[1]!.token, child_agent_id: grandAgents[0] })
      ]
      const descendants = [...children, ...grandchildren]
      const agentOf = new Map([
        [children[0]!.jti, childAgents[0]],
        [children[1]!.jti, childAgents[1]],
        [grandchildren[0]!.jti, grandAgents[0]],
        [grandchildren[1]!.jti, grandAgents[1]],
        [grandchildren[2]!.jti, grandAgents[0]]
      ])
      const active = yield* get("/v1/passports/active")
      expect(active.json.passports.map((p: any) => p.jti)).toEqual(
        expect.arrayContaining([root.jti, ...descendants.map((d) => d.jti)])
      )
      const grandClaims = decodeJwt(grandchildren[0]!.token).payload
      expect(grandClaims.stk).toMatchObject({ delegation_depth: 2, parent_jti: children[0]!.jti })

      const { result: revoked, entries } = yield* auditOf(post("/v1/passports/revoke", { jti: root.jti, reason: "done" }))
      expect(revoked.status).toBe(200)
      expect(revoked.json.jti).toBe(root.jti)
      expect(revoked.json.revoked).toBe(true)
      // breadth first: children before grandchildren
      expect(revoked.json.cascaded).toEqual(descendants.map((d) => d.jti))

      const stillActive = (yield* get("/v1/passports/active")).json.passports.map((p: any) => p.jti)
      expect(stillActive).toEqual([bystander.jti])
      for (const passport of [root, ...descendants]) {
        expect(yield* verify(passport.token)).toMatchObject({ valid: false, reason: "revoked" })
      }
      expect(entries.map((e) => [e.action, e.passport_jti, e.agent_id, e.layer, e.outcome])).toEqual([
        ["passport.revoke", root.jti, rootAgent, "vault", "success"],
        ...descendants.map((d) => ["passport.revoke_cascade", d.jti, agentOf.get(d.jti), "vault", "success"])
      ])
      expect(new Set(entries.map((e) => e.trace_id)).size).toBe(1)

      const again = yield* post("/v1/passports/revoke", { jti: root.jti })
      expect(again.json).toEqual({ jti: root.jti, revoked: false, cascaded: [] })
      // a revoked passport cannot be delegated from
      expectError(yield* post("/v1/passports/delegate", { parent_token: root.token, child_agent_id: childAgents[0] }), 401, "PASSPORT_REVOKED")
      expectError(yield* post("/v1/passports/revoke", { jti: "pp_doesnotexist" }), 404, "NOT_FOUND")
    })))

  it.effect("delegation is only narrower: SCOPE_ESCALATION, and a parent's * allows any scope", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, connect, issue, delegate, post } = yield* client
      const parentAgent = yield* agent("scoped-parent")
      const childAgent = yield* agent("scoped-child")
      const slack = yield* connect("slack", ["read", "write"], { agents: [parentAgent] })
      const drive = yield* connect("google", ["*"], { agents: [parentAgent] })
      const github = yield* connect("github", ["repo"])
      const parent = yield* issue({
        agent_id: parentAgent,
        scopes: [
          { service_connection_id: slack, scopes: ["read", "write"] },
          { service_connection_id: drive, scopes: ["*"] }
        ]
      })
      const escalate = (scopes: unknown) =>
        post("/v1/passports/delegate", { parent_token: parent.token, child_agent_id: childAgent, scopes })
      expectError(yield* escalate([{ service_connection_id: github, scopes: [] }]), 400, "SCOPE_ESCALATION")
      expectError(yield* escalate([{ service_connection_id: slack, scopes: ["read", "admin"] }]), 400, "SCOPE_ESCALATION")
      const narrower = yield* delegate({
        parent_token: parent.token,
        child_agent_id: childAgent,
        scopes: [
          { service_connection_id: slack, scopes: ["read"] },
          { service_connection_id: drive, scopes: ["anything", "at-all"] }
        ]
      })
      expect(decodeJwt(narrower.token).payload.stk.services.map((s: any) => [s.service_id, s.credential_ref, s.scopes])).toEqual([
        ["slack", slack, ["read"]],
        ["google", drive, ["anything", "at-all"]]
      ])
      // the child cannot widen back what it was narrowed to
      expectError(
        yield* post("/v1/passports/delegate", {
          parent_token: narrower.token,
          child_agent_id: parentAgent,
          scopes: [{ service_connection_id: slack, scopes: ["write"] }]
        }),
        400,
        "SCOPE_ESCALATION"
      )
      // without scopes the child has the parent's grants
      const same = yield* delegate({ parent_token: parent.token, child_agent_id: childAgent })
      expect(decodeJwt(same.token).payload.stk.services).toEqual(decodeJwt(parent.token).payload.stk.services)
    })))

  it.effect("delegation: depth 4 is the deepest, depth 5 is DELEGATION_DEPTH_EXCEEDED", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, post } = yield* client
      const agentId = yield* agent("deep-bot")
      let current = yield* issue({ agent_id: agentId })
      for (let depth = 1; depth <= 4; depth++) {
        current = yield* delegate({ parent_token: current.token, child_agent_id: agentId })
        expect(decodeJwt(current.token).payload.stk.delegation_depth).toBe(depth)
      }
      expectError(
        yield* post("/v1/passports/delegate", { parent_token: current.token, child_agent_id: agentId }),
        400,
        "DELEGATION_DEPTH_EXCEEDED"
      )
    })))

  it.effect("delegation never lowers the accountability mode; the child keeps session, intent and mission", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, post } = yield* client
      const enforced = yield* agent("enforced-parent", "enforced")
      const enforcedChild = yield* agent("enforced-child", "enforced")
      const logged = yield* agent("logged-child", "logged")
      const standard = yield* agent("standard-child", "standard")
      const parent = yield* issue({ agent_id: enforced, intent: intent(["gmail"]) })
      for (const child of [logged, standard]) {
        expectError(
          yield* post("/v1/passports/delegate", { parent_token: parent.token, child_agent_id: child }),
          400,
          "DELEGATION_ACCOUNTABILITY_VIOLATION"
        )
      }
      const loggedParent = yield* issue({ agent_id: logged, intent: intent(["gmail"]) })
      expectError(
        yield* post("/v1/passports/delegate", { parent_token: loggedParent.token, child_agent_id: standard }),
        400,
        "DELEGATION_ACCOUNTABILITY_VIOLATION"
      )
      const up = yield* delegate({ parent_token: loggedParent.token, child_agent_id: enforcedChild })
      const upClaims = decodeJwt(up.token).payload.stk
      const parentClaims = decodeJwt(loggedParent.token).payload.stk
      expect(upClaims).toMatchObject({
        accountability: "enforced",
        session_id: parentClaims.session_id,
        intent_summary: parentClaims.intent_summary,
        intent_services: parentClaims.intent_services,
        mission_id: null,
        parent_jti: loggedParent.jti,
        agent_id: enforcedChild,
        agent_name: "enforced-child"
      })
      // a standard parent without intent cannot hand an accountable agent a passport
      const plain = yield* issue({ agent_id: standard })
      expectError(
        yield* post("/v1/passports/delegate", { parent_token: plain.token, child_agent_id: logged }),
        400,
        "ACCOUNTABILITY_REQUIRED"
      )
      const same = yield* delegate({ parent_token: parent.token, child_agent_id: enforcedChild })
      expect(decodeJwt(same.token).payload.stk.accountability).toBe("enforced")
    })))

  it.effect("a child never outlives its parent; a forged or broken parent token is a 400 INVALID_REQUEST, an expired one PASSPORT_EXPIRED", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, post } = yield* client
      const parentAgent = yield* agent("short-parent")
      const childAgent = yield* agent("long-child")
      const parent = yield* issue({ agent_id: parentAgent, ttl_seconds: 120 })
      yield* TestClock.adjust("30 seconds")
      const child = yield* delegate({ parent_token: parent.token, child_agent_id: childAgent, ttl_seconds: 3600 })
      expect(seconds(child.expires_at)).toBe(seconds(parent.expires_at))
      expect(decodeJwt(child.token).payload.exp).toBe(decodeJwt(parent.token).payload.exp)
      const shorter = yield* delegate({ parent_token: parent.token, child_agent_id: childAgent, ttl_seconds: 60 })
      expect(seconds(shorter.expires_at)).toBe(T0 / 1000 + 30 + 60)

      const [h, p, s] = parent.token.split(".") as [string, string, string]
      const forged = Buffer.from(JSON.stringify({ ...decodeJwt(parent.token).payload, exp: 9999999999 })).toString("base64url")
      const forgedReply = yield* post("/v1/passports/delegate", { parent_token: `${h}.${forged}.${s}`, child_agent_id: childAgent })
      expectError(forgedReply, 400, "INVALID_REQUEST")
      expect(Object.keys(forgedReply.json.error.details.fields)).toEqual(["parent_token"])
      expectError(yield* post("/v1/passports/delegate", { parent_token: `${h}.${p}`, child_agent_id: childAgent }), 400, "INVALID_REQUEST")
      expectError(yield* post("/v1/passports/delegate", { parent_token: parent.token, child_agent_id: "agt_nobody" }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/passports/delegate", { parent_token: parent.token, child_agent_id: childAgent, ttl_seconds: 30 }), 400, "INVALID_REQUEST")
      yield* TestClock.adjust("91 seconds")
      expectError(yield* post("/v1/passports/delegate", { parent_token: parent.token, child_agent_id: childAgent }), 401, "PASSPORT_EXPIRED")
    })))

  it.effect("refresh: valid → same jti and session re-signed; expired 1 h ago → ok; 25 h ago → PASSPORT_EXPIRED; revoked → PASSPORT_REVOKED", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post, verify } = yield* client
      const agentId = yield* agent("refresh-bot")
      const passport = yield* issue({ agent_id: agentId, ttl_seconds: 60 })
      const before = decodeJwt(passport.token).payload

      yield* TestClock.adjust("30 seconds")
      const fresh = yield* post("/v1/passports/refresh", { token: passport.token, ttl_seconds: 600 })
      expect(fresh.status).toBe(200)
      expect(fresh.json.jti).toBe(passport.jti)
      expect(fresh.json.token).not.toBe(passport.token)
      const after = decodeJwt(fresh.json.token).payload
      expect(after).toEqual({ ...before, iat: before.iat + 30, nbf: before.iat + 30, exp: before.iat + 30 + 600 })
      expect((yield* verify(fresh.json.token)).valid).toBe(true)

      yield* TestClock.adjust("630 seconds") // the refreshed token expired 60 s ago
      expect((yield* verify(fresh.json.token)).reason).toBe("expired")
      yield* TestClock.adjust("59 minutes") // now 1 h after expiry
      const late = yield* post("/v1/passports/refresh", { token: fresh.json.token })
      expect(late.status).toBe(200)
      expect(late.json.jti).toBe(passport.jti)
      expect(decodeJwt(late.json.token).payload.exp - decodeJwt(late.json.token).payload.iat).toBe(900)
      expect(decodeJwt(late.json.token).payload.stk.session_id).toBe(before.stk.session_id)
      // the first token, expired for long now, still identifies the passport
      expect((yield* post("/v1/passports/refresh", { token: passport.token })).status).toBe(200)

      const stale = yield* issue({ agent_id: agentId, ttl_seconds: 60 })
      yield* TestClock.adjust("25 hours")
      expectError(yield* post("/v1/passports/refresh", { token: stale.token }), 401, "PASSPORT_EXPIRED")

      const doomed = yield* issue({ agent_id: agentId })
      yield* post("/v1/passports/revoke", { jti: doomed.jti })
      expectError(yield* post("/v1/passports/refresh", { token: doomed.token }), 401, "PASSPORT_REVOKED")
      expectError(yield* post("/v1/passports/refresh", { token: "not-a-token" }), 400, "INVALID_REQUEST")
      expectError(yield* post("/v1/passports/refresh", { token: doomed.token, ttl_seconds: 4000 }), 400, "INVALID_REQUEST")
    })))

  it.effect("a refreshed child never outlives its parent's current expiry", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, post } = yield* client
      const agentId = yield* agent("family-bot")
      const parent = yield* issue({ agent_id: agentId, ttl_seconds: 300 })
      const child = yield* delegate({ parent_token: parent.token, child_agent_id: agentId, ttl_seconds: 60 })
      const refreshed = yield* post("/v1/passports/refresh", { token: child.token, ttl_seconds: 3600 })
      expect(refreshed.status).toBe(200)
      expect(seconds(refreshed.json.expires_at)).toBe(seconds(parent.expires_at))
      yield* TestClock.adjust("301 seconds")
      expectError(yield* post("/v1/passports/refresh", { token: child.token }), 401, "PASSPORT_EXPIRED")
      yield* post("/v1/passports/refresh", { token: parent.token })
      const again = yield* post("/v1/passports/refresh", { token: child.token, ttl_seconds: 120 })
      expect(again.status).toBe(200)
      expect(seconds(again.json.expires_at)).toBe(T0 / 1000 + 301 + 120)
    })))

  it.effect("enforced and logged agents need an intent: ACCOUNTABILITY_REQUIRED", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post, emulator } = yield* client
      for (const mode of ["enforced", "logged"] as const) {
        const agentId = yield* agent(`${mode}-bot`, mode)
        const refused = yield* post("/v1/passports/issue", { agent_id: agentId })
        expectError(refused, 400, "ACCOUNTABILITY_REQUIRED")
        yield* issue({ agent_id: agentId, intent: intent([]) })
      }
      const chain = yield* emulator.auditChain(emulator.operatorId)
      const failures = chain.filter((e) => e.action === "passport.issue" && e.outcome === "failure")
      expect(failures.map((e) => [e.error_code, e.layer])).toEqual([
        ["ACCOUNTABILITY_REQUIRED", "vault"],
        ["ACCOUNTABILITY_REQUIRED", "vault"]
      ])
    })))

  it.effect("enforced: TTL = min(ttl, checkpoint interval); each checkpoint extends exp by one interval from now, re-signed", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post, verify } = yield* client
      const agentId = yield* agent("strict-bot", "enforced")
      const passport = yield* issue({ agent_id: agentId, ttl_seconds: 900, checkpoint_interval_seconds: 120, intent: intent(["gmail"]) })
      const claims = decodeJwt(passport.token).payload
      expect(claims.exp - claims.iat).toBe(120)
      expect(claims.stk.checkpoint_interval).toBe(120)
      const short = yield* issue({ agent_id: agentId, ttl_seconds: 60, checkpoint_interval_seconds: 120, intent: intent(["gmail"]) })
      expect(seconds(short.expires_at) - T0 / 1000).toBe(60)
      const byDefault = decodeJwt((yield* issue({ agent_id: agentId, intent: intent(["gmail"]) })).token).payload
      expect(byDefault.exp - byDefault.iat).toBe(300)

      yield* TestClock.adjust("100 seconds")
      const checkpoint = yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: ["gmail"], actions_count: 3, summary: "read mail" })
      expect(checkpoint.status).toBe(200)
      expect(checkpoint.json).toMatchObject({ jti: passport.jti, accepted: true, signals: [] })
      expect(seconds(checkpoint.json.expires_at)).toBe(T0 / 1000 + 100 + 120)
      const next = decodeJwt(checkpoint.json.token).payload
      expect(next).toMatchObject({ jti: passport.jti, exp: T0 / 1000 + 220, stk: claims.stk })
      yield* TestClock.adjust("60 seconds") // past the first token's exp, within the new one
      expect((yield* verify(passport.token)).reason).toBe("expired")
      expect((yield* verify(checkpoint.json.token)).valid).toBe(true)
      yield* TestClock.adjust("61 seconds") // a missed checkpoint: the passport dies at its exp
      expectError(yield* post(`/v1/passports/${passport.jti}/checkpoint`, { services_used: [], actions_count: 0 }), 401, "PASSPORT_EXPIRED")
      expectError(yield* post(`/v1/passports/${passport.jti}/checkout`, { services_used: [], actions_count: 0 }), 401, "PASSPORT_EXPIRED")
    })))

  it.effect("a logged checkpoint keeps the token; a standard passport has no checkpoints: CHECKPOINT_NOT_AVAILABLE", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post } = yield* client
      const logged = yield* issue({ agent_id: yield* agent("logged-bot", "logged"), intent: intent(["gmail"]) })
      const checkpoint = yield* post(`/v1/passports/${logged.jti}/checkpoint`, { services_used: ["gmail"], actions_count: 1 })
      expect(checkpoint.status).toBe(200)
      expect(checkpoint.json.token).toBe(logged.token)
      expect(checkpoint.json.expires_at).toBe(logged.expires_at)
      const standard = yield* issue({ agent_id: yield* agent("standard-bot"), intent: intent(["gmail"]) })
      expectError(
        yield* post(`/v1/passports/${standard.jti}/checkpoint`, { services_used: ["gmail"], actions_count: 1 }),
        404,
        "CHECKPOINT_NOT_AVAILABLE"
      )
      expectError(yield* post("/v1/passports/pp_unknown/checkpoint", { services_used: [], actions_count: 0 }), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/passports/${logged.jti}/checkpoint`, { services_used: "gmail", actions_count: -1 }), 400, "INVALID_REQUEST")
      yield* post("/v1/passports/revoke", { jti: logged.jti })
      expectError(yield* post(`/v1/passports/${logged.jti}/checkpoint`, { services_used: [], actions_count: 0 }), 401, "PASSPORT_REVOKED")
      expectError(yield* post(`/v1/passports/${logged.jti}/checkout`, { services_used: [], actions_count: 0 }), 401, "PASSPORT_REVOKED")
    })))

  it.effect("an undeclared service raises credential_outside_scope: critical and flagged when enforced, a warning when logged, nothing when standard", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post, emulator } = yield* client
      // notify: the critical signals below would block an agent that blocks on them (see Oversight.test.ts)
      const enforcedAgent = (yield* post("/v1/agents/register", {
        name: "enforced-bot",
        accountability_mode: "enforced",
        on_critical: "notify"
      })).json.id as string
      const enforced = yield* issue({ agent_id: enforcedAgent, intent: intent(["gmail"]) })
      const checkpoint = yield* post(`/v1/passports/${enforced.jti}/checkpoint`, { services_used: ["gmail", "github"], actions_count: 2 })
      expect(checkpoint.json.signals).toEqual([
        { type: "credential_outside_scope", severity: "critical", detail: expect.stringContaining("github") }
      ])
      const checkout = yield* post(`/v1/passports/${enforced.jti}/checkout`, { services_used: ["gmail"], actions_count: 5, summary: "done" })
      expect(checkout.status).toBe(200)
      expect(checkout.json).toMatchObject({ jti: enforced.jti, review: "flagged" })
      expect(checkout.json.checkout_id).toMatch(/^cout_/)
      expect(checkout.json.signals).toHaveLength(1)
      expectError(yield* post(`/v1/passports/${enforced.jti}/checkout`, { services_used: [], actions_count: 0 }), 409, "CONFLICT")
      expectError(yield* post(`/v1/passports/${enforced.jti}/checkpoint`, { services_used: [], actions_count: 0 }), 409, "CONFLICT")

      const directly = yield* issue({ agent_id: enforcedAgent, intent: intent(["gmail"]) })
      const flagged = yield* post(`/v1/passports/${directly.jti}/checkout`, { services_used: ["slack"], actions_count: 1 })
      expect(flagged.json.review).toBe("flagged")
      const clean = yield* issue({ agent_id: enforcedAgent, intent: intent(["gmail"]) })
      expect((yield* post(`/v1/passports/${clean.jti}/checkout`, { services_used: ["gmail"], actions_count: 1 })).json)
        .toMatchObject({ review: "clean", signals: [] })

      const loggedAgent = yield* agent("logged-bot", "logged")
      const logged = yield* issue({ agent_id: loggedAgent, intent: intent(["gmail"]) })
      const loggedCheckout = yield* post(`/v1/passports/${logged.jti}/checkout`, { services_used: ["github"], actions_count: 1 })
      expect(loggedCheckout.json.review).toBe("clean")
      expect(loggedCheckout.json.signals).toEqual([
        { type: "credential_outside_scope", severity: "warning", detail: expect.stringContaining("github") }
      ])

      const standard = yield* issue({ agent_id: yield* agent("standard-bot"), intent: intent(["gmail"]) })
      expect((yield* post(`/v1/passports/${standard.jti}/checkout`, { services_used: ["github"], actions_count: 1 })).json)
        .toMatchObject({ review: "clean", signals: [] })

      const signals = yield* emulator.signals(emulator.operatorId)
      expect(signals.map((s) => [s.passport_jti, s.agent_id, s.severity])).toEqual([
        [enforced.jti, enforcedAgent, "critical"],
        [directly.jti, enforcedAgent, "critical"],
        [logged.jti, loggedAgent, "warning"]
      ])
      for (const signal of signals) {
        expect(signal).toMatchObject({ type: "credential_outside_scope", operator_id: emulator.operatorId, resolved_at: null })
        expect(signal.id).toMatch(/^sig_/)
        expect(signal.created_at).toBeGreaterThanOrEqual(T0)
      }
    })))

  it.effect("issue is refused for a blocked agent (PASSPORT_BLOCKED), a suspended one (AGENT_SUSPENDED), an unknown one, and unknown identity claims", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post, call, emulator, unblock } = yield* client
      const blocked = yield* agent("blocked-bot")
      const parent = yield* issue({ agent_id: blocked })
      yield* emulator.blockPassports(blocked)
      expectError(yield* post("/v1/passports/issue", { agent_id: blocked }), 403, "PASSPORT_BLOCKED")
      expectError(yield* post("/v1/passports/refresh", { token: parent.token }), 403, "PASSPORT_BLOCKED")
      expectError(yield* post("/v1/passports/delegate", { parent_token: parent.token, child_agent_id: blocked }), 403, "PASSPORT_BLOCKED")
      const unblocked = yield* unblock(blocked)
      expect(unblocked.json.was_blocked).toBe(true)
      yield* issue({ agent_id: blocked })

      const suspended = yield* agent("suspended-bot")
      yield* call("PATCH", `/v1/agents/${suspended}`, { json: { status: "suspended" } })
      expectError(yield* post("/v1/passports/issue", { agent_id: suspended }), 403, "AGENT_SUSPENDED")
      expectError(yield* post("/v1/passports/issue", { agent_id: "agt_nobody" }), 404, "NOT_FOUND")
      const claims = yield* post("/v1/passports/issue", { agent_id: blocked, identity_claim_ids: ["clm_x"] })
      expectError(claims, 400, "INVALID_REQUEST")
      expect(claims.json.error.details.fields["identity_claim_ids.0"]).toMatch(/clm_x/)
      yield* issue({ agent_id: blocked, identity_claim_ids: [] })
    })))

  it.effect("every passport action writes its audit entry in the vault layer with the passport's jti", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, post, auditOf } = yield* client
      const parentAgent = yield* agent("audit-parent", "enforced")
      const childAgent = yield* agent("audit-child", "enforced")
      const { entries, result } = yield* auditOf(Effect.gen(function*() {
        const parent = yield* issue({ agent_id: parentAgent, intent: intent(["gmail"]) })
        const child = yield* delegate({ parent_token: parent.token, child_agent_id: childAgent })
        yield* post("/v1/passports/refresh", { token: parent.token })
        yield* post(`/v1/passports/${child.jti}/checkpoint`, { services_used: ["gmail"], actions_count: 1 })
        yield* post(`/v1/passports/${child.jti}/checkout`, { services_used: ["gmail"], actions_count: 1 })
        return { parent, child }
      }))
      expect(entries.map((e) => [e.action, e.layer, e.agent_id, e.passport_jti])).toEqual([
        ["passport.issue", "vault", parentAgent, result.parent.jti],
        ["passport.delegate", "vault", childAgent, result.child.jti],
        ["passport.refresh", "vault", parentAgent, result.parent.jti],
        ["passport.checkpoint", "vault", childAgent, result.child.jti],
        ["passport.checkout", "vault", childAgent, result.child.jti]
      ])
      expect(entries.length).toBeGreaterThan(0)
      expect(entries.every((e) => e.outcome === "success" && /^[0-9a-f]{64}$/.test(e.payload_hash ?? ""))).toBe(true)
    })))

  it.effect("revokeAgent and revokeAll revoke live and recently expired passports with their descendants", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, post, get, auditOf } = yield* client
      const target = yield* agent("target-bot")
      const helper = yield* agent("helper-bot")
      const expiring = yield* issue({ agent_id: target, ttl_seconds: 60 })
      yield* TestClock.adjust("2 minutes")
      const live = yield* issue({ agent_id: target })
      const child = yield* delegate({ parent_token: live.token, child_agent_id: helper })
      const other = yield* issue({ agent_id: helper })

      const { result, entries } = yield* auditOf(post("/v1/passports/revoke-agent", { agent_id: target, reason: "compromised" }))
      expect(result.status).toBe(200)
      expect(result.json).toEqual({ revoked_count: 2, cascaded_count: 1, jtis: [expiring.jti, live.jti, child.jti] })
      expect(entries.map((e) => [e.action, e.passport_jti, e.agent_id])).toEqual([
        ["passport.revoke_agent", null, target],
        ["passport.revoke", expiring.jti, target],
        ["passport.revoke", live.jti, target],
        ["passport.revoke_cascade", child.jti, helper]
      ])
      expectError(yield* post("/v1/passports/refresh", { token: expiring.token }), 401, "PASSPORT_REVOKED")
      expect((yield* get("/v1/passports/active")).json.passports.map((p: any) => p.jti)).toEqual([other.jti])
      expectError(yield* post("/v1/passports/revoke-agent", { agent_id: "agt_nobody" }), 404, "NOT_FOUND")

      const root = yield* issue({ agent_id: helper })
      const grand = yield* delegate({ parent_token: root.token, child_agent_id: helper })
      const all = yield* auditOf(post("/v1/passports/revoke-all", {}))
      expect(all.result.json).toEqual({ revoked_count: 2, cascaded_count: 1, jtis: [other.jti, root.jti, grand.jti] })
      expect(all.entries.map((e) => [e.action, e.passport_jti])).toEqual([
        ["passport.revoke_all", null],
        ["passport.revoke", other.jti],
        ["passport.revoke", root.jti],
        ["passport.revoke_cascade", grand.jti]
      ])
      expect((yield* get("/v1/passports/active")).json.passports).toEqual([])
      expect((yield* post("/v1/passports/revoke-all", {})).json).toEqual({ revoked_count: 0, cascaded_count: 0, jtis: [] })
    })))

  it.effect("listActive filters by agent and session, newest first, and leaves out expired passports", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, get } = yield* client
      const a = yield* agent("list-a")
      const b = yield* agent("list-b")
      const first = yield* issue({ agent_id: a, ttl_seconds: 60 })
      yield* TestClock.adjust("1 second")
      const second = yield* issue({ agent_id: a })
      yield* TestClock.adjust("1 second")
      const delegated = yield* delegate({ parent_token: second.token, child_agent_id: b })
      const session = decodeJwt(second.token).payload.stk.session_id
      const byAgent = yield* get(`/v1/passports/active?agent_id=${a}`)
      expect(byAgent.json.passports.map((p: any) => p.jti)).toEqual([second.jti, first.jti])
      const bySession = yield* get(`/v1/passports/active?session_id=${session}`)
      expect(bySession.json.passports.map((p: any) => p.jti)).toEqual([delegated.jti, second.jti])
      expect(bySession.json.passports[0]).toMatchObject({
        agent_id: b,
        session_id: session,
        parent_jti: second.jti,
        mission_id: null,
        delegation_depth: 1,
        accountability: "standard"
      })
      yield* TestClock.adjust("1 minute")
      expect((yield* get(`/v1/passports/active?agent_id=${a}`)).json.passports.map((p: any) => p.jti)).toEqual([second.jti])
      expect((yield* get("/v1/passports/active?agent_id=agt_nobody")).json.passports).toEqual([])
    })))

  it.effect("another operator's passports are invisible: 404 on revoke, checkpoint, checkout, refresh and delegate", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post, get, verify, emulator } = yield* client
      const mine = yield* issue({ agent_id: yield* agent("mine-bot", "logged"), intent: intent([]) })
      const other = yield* emulator.createOperator({ name: "other" })
      const auth = Redacted.value(other.apiKey)
      const theirAgent = (yield* post("/v1/agents/register", { name: "their-bot" }, { auth })).json.id as string
      expectError(yield* post("/v1/passports/revoke", { jti: mine.jti }, { auth }), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/passports/${mine.jti}/checkpoint`, { services_used: [], actions_count: 0 }, { auth }), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/passports/${mine.jti}/checkout`, { services_used: [], actions_count: 0 }, { auth }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/passports/refresh", { token: mine.token }, { auth }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/passports/delegate", { parent_token: mine.token, child_agent_id: theirAgent }, { auth }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/passports/issue", { agent_id: mine.jti }, { auth }), 404, "NOT_FOUND")
      expect((yield* get("/v1/passports/active", { auth })).json.passports).toEqual([])
      expect((yield* post("/v1/passports/revoke-all", {}, { auth })).json.revoked_count).toBe(0)
      // verification is public: anyone may check a passport
      expect((yield* verify(mine.token)).valid).toBe(true)
      const refused = (yield* emulator.auditChain(other.operator.id)).filter((e) => e.outcome === "failure")
      expect(refused.length).toBeGreaterThanOrEqual(3)
      expect(refused.every((e) => e.agent_id === null && e.error_code === "NOT_FOUND")).toBe(true)
    })))

  it.effect("malformed input is a 4xx, never a 5xx", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, post, call } = yield* client
      const agentId = yield* agent("fuzz-bot", "enforced")
      const passport = yield* issue({ agent_id: agentId, intent: intent(["gmail"]) })
      const bodies: Array<[string, unknown]> = [
        ["/v1/passports/issue", { agent_id: agentId, ttl_seconds: 59, intent: intent([]) }],
        ["/v1/passports/issue", { agent_id: agentId, ttl_seconds: 3601, intent: intent([]) }],
        ["/v1/passports/issue", { agent_id: agentId, ttl_seconds: "900", intent: intent([]) }],
        ["/v1/passports/issue", { agent_id: agentId, intent: { summary: "x".repeat(501), services: [] } }],
        ["/v1/passports/issue", { agent_id: agentId, intent: { summary: "", services: [] } }],
        ["/v1/passports/issue", { agent_id: agentId, intent: intent([]), checkpoint_interval_seconds: 30 }],
        ["/v1/passports/issue", { agent_id: agentId, intent: intent([]), scopes: [{ service_connection_id: 1 }] }],
        ["/v1/passports/issue", { agent_id: "", intent: intent([]) }],
        ["/v1/passports/issue", { agent_id: agentId, intent: intent([]), mission_ids: ["ms_nope"] }],
        ["/v1/passports/issue", { agent_id: agentId, intent: intent([]), mission_ids: ["ms_a", "ms_b"] }],
        ["/v1/passports/issue", { agent_id: agentId, intent: intent([]), mission_ids: [] }],
        ["/v1/passports/issue", { agent_id: agentId, intent: intent([]), mission_ids: "ms_a" }],
        ["/v1/passports/issue", [1, 2]],
        ["/v1/passports/delegate", { parent_token: "", child_agent_id: agentId }],
        ["/v1/passports/delegate", { parent_token: passport.token.replace(/\./g, ""), child_agent_id: agentId }],
        ["/v1/passports/delegate", { parent_token: "a.b.c", child_agent_id: agentId, scopes: "all" }],
        ["/v1/passports/refresh", { token: "eyJhbGciOiJub25lIn0.eyJ9.x" }],
        ["/v1/passports/revoke", { jti: passport.jti, reason: "x".repeat(501) }],
        ["/v1/passports/revoke-agent", {}],
        ["/v1/passports/verify", { token: ["a"] }],
        [`/v1/passports/${passport.jti}/checkpoint`, { services_used: [""], actions_count: 1.5 }],
        [`/v1/passports/${passport.jti}/checkout`, { services_used: [], actions_count: 0, summary: "x".repeat(1001) }],
        [`/v1/passports/${encodeURIComponent("../../etc")}/checkout`, { services_used: [], actions_count: 0 }]
      ]
      for (const [path, json] of bodies) {
        const reply = yield* post(path, json)
        expect(reply.status, `${path} ${JSON.stringify(json).slice(0, 80)}`).toBeGreaterThanOrEqual(400)
        expect(reply.status, `${path} ${JSON.stringify(json).slice(0, 80)}`).toBeLessThan(500)
        expect(typeof reply.json.error.code).toBe("string")
      }
      const query = yield* call("GET", "/v1/passports/active?agent_id=a&agent_id=b")
      expect(query.status).toBeLessThan(500)
      const text = yield* call("POST", "/v1/passports/verify", { auth: null, body: "token", headers: { "content-type": "text/plain" } })
      expectError(text, 415, "UNSUPPORTED_MEDIA_TYPE")
    })))
})

describe("passports: deleting an agent", () => {
  it.effect("revokes its passports and their descendants", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, issue, delegate, call, verify, auditOf } = yield* client
      const doomed = yield* agent("doomed-bot")
      const survivor = yield* agent("survivor-bot")
      const passport = yield* issue({ agent_id: doomed })
      const child = yield* delegate({ parent_token: passport.token, child_agent_id: survivor })
      const { entries } = yield* auditOf(call("DELETE", `/v1/agents/${doomed}`))
      expect(entries.map((e) => [e.action, e.passport_jti])).toEqual([
        ["agent.delete", null],
        ["passport.revoke", passport.jti],
        ["passport.revoke_cascade", child.jti]
      ])
      expect((yield* verify(child.token)).reason).toBe("revoked")
    })))
})
