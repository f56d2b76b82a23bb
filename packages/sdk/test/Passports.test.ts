import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Auth, Missions, Passports, Services, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { stackOver, wrapHttpClient } from "./support/Emulator.js"

const StackLive = Emulator.layerStack()

/** How many times the SDK fetched the JWKS, and the credentials public endpoints were sent. */
let jwksFetches = 0
const publicAuthorization: Array<string | undefined> = []

/** The SDK over an in-process emulator, counting JWKS fetches. */
const CountingStack = stackOver((client) =>
  client.pipe(HttpClient.tapRequest((request) =>
    Effect.sync(() => {
      if (request.url.endsWith("/v1/.well-known/jwks.json")) jwksFetches++
      if (request.url.endsWith("/v1/.well-known/jwks.json") || request.url.endsWith("/v1/passports/verify")) {
        publicAuthorization.push(request.headers.authorization)
      }
    })
  ))
)

const enforcedAgent = (name: string) =>
  Effect.flatMap(Agents.Agents, (agents) => agents.register({ name: name, accountability_mode: "enforced" }))

/** Connects Slack and grants it to the agent (a connection of its own per call). */
const slackFor = (agentId: string) =>
  Effect.gen(function*() {
    const services = yield* Services.Services
    const slack = yield* services.connect({
      service_id: "slack",
      scopes: ["chat:write", "channels:read", "channels:history"],
      oauth_token: Redacted.make("xoxb-test-token")
    })
    yield* services.grant(slack.id, { agent_id: agentId, scopes: ["chat:write", "channels:read"] })
    return slack.id
  })

const issueFor = (agentId: string, ttl_seconds = 900) =>
  Effect.flatMap(Effect.zip(Passports.Passports, Effect.orDie(slackFor(agentId))), ([passports, slack]) =>
    passports.issue({
      agent_id: agentId,
      ttl_seconds,
      checkpoint_interval_seconds: 3600,
      intent: { summary: "verify things", services: ["slack"] },
      scopes: [{ service_connection_id: slack, scopes: ["chat:write", "channels:read"] }]
    }))

/** Flips one character in the middle of the payload. */
/** The token with a claim changed (still well-formed JSON) and the original signature. */
const tamper = (token: Redacted.Redacted<string>) => {
  const [h, p, s] = Redacted.value(token).split(".") as [string, string, string]
  const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"))
  const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600 })).toString("base64url")
  return `${h}.${forged}.${s}`
}

describe("Passports through the SDK", () => {
  it.effect("verifyOffline returns the typed claims of a valid passport, fetching the JWKS once", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const emulator = yield* Emulator.Emulator
      const agent = yield* enforcedAgent("offline-valid")
      const issued = yield* issueFor(agent.id)
      const claims = yield* passports.verifyOffline(issued.token)
      expect(claims.sub).toBe(agent.id)
      expect(claims.jti).toBe(issued.jti)
      expect(claims.iss).toBe("https://api.getstack.run")
      expect(claims.stk).toMatchObject({
        operator_id: emulator.operatorId,
        agent_id: agent.id,
        agent_name: "offline-valid",
        accountability: "enforced",
        intent_summary: "verify things",
        intent_services: ["slack"],
        delegation_depth: 0
      })
      expect(claims.stk.services.map((s) => [s.service_id, s.service_name, s.scopes])).toEqual([
        ["slack", "Slack", ["chat:write", "channels:read"]]
      ])
      expect(claims.stk.services[0]!.credential_ref).toMatch(/^scon_/)
      expect(claims.stk.session_id).toMatch(/^ses_/)
      expect(claims.exp * 1000).toBe(issued.expires_at.epochMillis)
    }).pipe(Effect.provide(StackLive)))

  it.effect("verifyOffline refuses tampered, malformed, expired, foreign and revoked passports with a typed reason", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const agent = yield* enforcedAgent("offline-invalid")
      const issued = yield* issueFor(agent.id, 120)
      const reason = (token: Passports.Token, options?: Passports.VerifyOfflineOptions) =>
        Effect.map(Effect.flip(passports.verifyOffline(token, options)), (error) =>
          error._tag === "InvalidPassportError" ? error.reason : error._tag)

      expect(yield* reason(tamper(issued.token))).toBe("invalid_signature")
      expect(yield* reason("not-a-jwt")).toBe("malformed")
      const [, payload, signature] = Redacted.value(issued.token).split(".") as [string, string, string]
      const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")
      expect(yield* reason(`${none}.${payload}.${signature}`)).toBe("invalid_signature")
      const online = yield* passports.verify({ token: `${none}.${payload}.${signature}` })
      expect(online.valid === false && online.reason).toBe("invalid_signature")
      expect(yield* reason(`${Redacted.value(issued.token).split(".").slice(0, 2).join(".")}.AAAA`)).toBe("invalid_signature")
      // the token is Redacted: it does not show when the passport is logged or printed
      expect(String(issued)).not.toContain(Redacted.value(issued.token))
      expect(JSON.stringify(issued)).not.toContain(Redacted.value(issued.token))

      // a passport signed by another STACK: its key is not in this JWKS
      const foreign = yield* Effect.flatMap(Agents.Agents, (agents) => agents.register({ name: "foreign-agent", accountability_mode: "standard" })).pipe(
        Effect.flatMap((other) => Effect.flatMap(Passports.Passports, (p) => p.issue({ agent_id: other.id }))),
        Effect.provide(Emulator.layerStack())
      )
      expect(yield* reason(foreign.token)).toBe("unknown_key")

      // still valid offline after an online revocation; checkRevocation asks STACK
      yield* passports.revoke({ jti: issued.jti, reason: "test" })
      expect((yield* passports.verifyOffline(issued.token)).jti).toBe(issued.jti)
      expect(yield* reason(issued.token, { checkRevocation: true })).toBe("revoked")

      const fresh = yield* issueFor(agent.id, 120)
      yield* TestClock.adjust("121 seconds")
      expect(yield* reason(fresh.token)).toBe("expired")
      expect((yield* passports.verifyOffline(fresh.token, { leewaySeconds: 5 })).jti).toBe(fresh.jti)
    }).pipe(Effect.provide(StackLive)))

  it.effect("the JWKS is fetched once, again for an unknown kid at most every 30 s, and after an hour", () =>
    Effect.gen(function*() {
      jwksFetches = 0
      const passports = yield* Passports.Passports
      const agent = yield* enforcedAgent("jwks-cache")
      for (let i = 0; i < 3; i++) yield* passports.verifyOffline((yield* issueFor(agent.id)).token)
      expect(jwksFetches).toBe(1)
      const foreign = yield* Effect.flatMap(Agents.Agents, (agents) => agents.register({ name: "jwks-foreign", accountability_mode: "standard" })).pipe(
        Effect.flatMap((other) => Effect.flatMap(Passports.Passports, (p) => p.issue({ agent_id: other.id }))),
        Effect.provide(Emulator.layerStack())
      )
      yield* TestClock.adjust("31 seconds")
      yield* Effect.flip(passports.verifyOffline(foreign.token))
      expect(jwksFetches).toBe(2)
      yield* Effect.flip(passports.verifyOffline(foreign.token))
      expect(jwksFetches).toBe(2)
      yield* TestClock.adjust("31 seconds")
      const reason = yield* Effect.flip(passports.verifyOffline(foreign.token))
      expect(reason._tag === "InvalidPassportError" && reason.reason).toBe("unknown_key")
      expect(jwksFetches).toBe(3)
      // a JWKS older than an hour is fetched again, even for a known key
      yield* TestClock.adjust("61 minutes")
      yield* passports.verifyOffline((yield* issueFor(agent.id)).token)
      expect(jwksFetches).toBe(4)
      // public endpoints get no credentials
      yield* passports.verify({ token: foreign.token })
      expect(publicAuthorization.length).toBe(5)
      expect(publicAuthorization.every((header) => header === undefined)).toBe(true)
    }).pipe(Effect.provide(CountingStack)))

  it.effect("expired and revoked passports are typed errors with STACK's codes", () =>
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const agent = yield* enforcedAgent("typed-errors")
      const revoked = yield* issueFor(agent.id)
      yield* passports.revoke({ jti: revoked.jti })
      const afterRevoke = yield* Effect.flip(passports.checkpoint(revoked.jti, { services_used: [], actions_count: 0 }))
      expect(afterRevoke._tag).toBe("AuthenticationError")
      expect(afterRevoke._tag === "AuthenticationError" && afterRevoke.code).toBe("PASSPORT_REVOKED")
      const refreshRevoked = yield* Effect.flip(passports.refresh({ token: revoked.token }))
      expect(refreshRevoked._tag === "AuthenticationError" && refreshRevoked.code).toBe("PASSPORT_REVOKED")

      const old = yield* issueFor(agent.id, 60)
      yield* TestClock.adjust("25 hours")
      const expired = yield* Effect.flip(passports.refresh({ token: old.token }))
      expect(expired._tag === "AuthenticationError" && expired.code).toBe("PASSPORT_EXPIRED")
      const checkpoint = yield* Effect.flip(passports.checkpoint(old.jti, { services_used: [], actions_count: 0 }))
      expect(checkpoint._tag === "AuthenticationError" && checkpoint.code).toBe("PASSPORT_EXPIRED")

      const unknownAgent = yield* Effect.flip(passports.issue({
        agent_id: "agt_doesnotexist",
        intent: { summary: "verify things", services: ["slack"] }
      }))
      expect(unknownAgent._tag).toBe("NotFoundError")
      const noIntent = yield* Effect.flip(passports.issue({ agent_id: agent.id }))
      expect(noIntent._tag === "BadRequestError" && noIntent.code).toBe("ACCOUNTABILITY_REQUIRED")
    }).pipe(Effect.provide(StackLive)))

  it.effect("missions: start is idempotent, complete revokes the bound passport, renew refuses a finished mission", () =>
    Effect.gen(function*() {
      const missions = yield* Missions.Missions
      const passports = yield* Passports.Passports
      const agent = yield* enforcedAgent("mission-bot")
      const request = { agent_id: agent.id, intent_summary: "Send the weekly report", intent_services: ["slack"] }
      const first = yield* missions.start(request)
      const again = yield* missions.start(request)
      expect(again.mission_id).toBe(first.mission_id)
      expect(again.passport.jti).toBe(first.passport.jti)
      expect((yield* passports.verifyOffline(first.passport.token)).stk.mission_id).toBe(first.mission_id)
      expect((yield* missions.get(first.mission_id)).status).toBe("active")

      const done = yield* missions.complete(first.mission_id, { output: { sent: true } })
      expect(done.transitioned).toBe(true)
      expect(done.mission?.status).toBe("completed")
      expect(done.revoked_passports).toContain(first.passport.jti)
      const verdict = yield* passports.verify({ token: first.passport.token })
      expect(verdict.valid === false && verdict.reason).toBe("revoked")
      expect((yield* missions.complete(first.mission_id)).transitioned).toBe(false)
      const renew = yield* Effect.flip(missions.renew(first.mission_id))
      expect(renew._tag === "ConflictError" && renew.code).toBe("MISSION_NOT_ACTIVE")
      const unknown = yield* Effect.flip(missions.get("ms_nope"))
      expect(unknown._tag).toBe("NotFoundError")
    }).pipe(Effect.provide(StackLive)))
})

describe("Stack.asAgent", () => {
  it.scoped("enrolls a key on first use, keeps it 0600, signs every request, and is limited to its own agent", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "stack-agent-keys-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))
      const emulator = yield* Emulator.Emulator
      const operator = yield* Agents.Agents
      const me = yield* operator.register({ name: "keyed-agent", accountability_mode: "logged" })
      const other = yield* operator.register({ name: "other-agent" })

      const seen: Array<{ readonly path: string; readonly authorization: string }> = []
      const watching = wrapHttpClient((client) =>
        client.pipe(HttpClient.tapRequest((request) =>
          Effect.sync(() => seen.push({ path: new URL(request.url).pathname, authorization: request.headers.authorization ?? "" }))
        ))
      )
      const asMe = Stack.asAgent(me.id, { operator: Auth.apiKey(emulator.apiKey), keyDirectory: directory }).pipe(
        Layer.provide(watching),
        Layer.provide(Layer.merge(Emulator.layerHttpClient, NodeFileSystem.layer)),
        Layer.provide(Layer.succeed(Emulator.Emulator, emulator))
      )

      yield* Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const passports = yield* Passports.Passports
        expect((yield* agents.get(me.id)).name).toBe("keyed-agent")
        const notMine = yield* Effect.flip(agents.get(other.id))
        expect(notMine._tag).toBe("NotFoundError")
        const register = yield* Effect.flip(agents.register({ name: "sneaky" }))
        expect(register._tag).toBe("ForbiddenError")
        const issued = yield* passports.issue({ agent_id: me.id, intent: { summary: "as myself", services: [] } })
        expect((yield* passports.verifyOffline(issued.token)).sub).toBe(me.id)
      }).pipe(Effect.provide(asMe))

      const file = join(directory, `${me.id}.json`)
      expect(readdirSync(directory)).toEqual([`${me.id}.json`])
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const stored = JSON.parse(readFileSync(file, "utf8")) as { agent_id: string; private_key: { d: string } }
      expect(stored.agent_id).toBe(me.id)
      expect(stored.private_key.d).toMatch(/^[A-Za-z0-9_-]{43}$/)

      // a second client reads the stored key: no second enrollment
      yield* Effect.flatMap(Agents.Agents, (agents) => agents.get(me.id)).pipe(Effect.provide(asMe))
      const enrollments = (yield* emulator.auditChain(emulator.operatorId)).filter((e) => e.action === "agent.enroll")
      expect(enrollments).toHaveLength(1)
      // the operator's key served the enrollment only; every other request carried an agent JWT
      const byOperator = seen.filter((r) => r.authorization === `Bearer ${Redacted.value(emulator.apiKey)}`)
      expect(byOperator.map((r) => r.path)).toEqual([
        `/v1/agents/${me.id}/enrollment-challenge`,
        `/v1/agents/${me.id}/enroll`
      ])
      const byAgent = seen.filter((r) => r.authorization.startsWith("Bearer eyJ"))
      const uncredentialed = seen.filter((r) => r.authorization === "")
      // the JWKS is public: verifyOffline fetched it with no credentials
      expect(uncredentialed.map((r) => r.path)).toEqual(["/v1/.well-known/jwks.json"])
      expect(byAgent.length).toBe(seen.length - 3)

      // once the key is stored, no operator credentials are needed; without a stored key they are
      const noCredentials = Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      const keyOnly = (agentId: string) =>
        Stack.asAgent(agentId, { keyDirectory: directory, credentialsPath: join(directory, "missing.json") }).pipe(
          Layer.provide(Layer.merge(Emulator.layerHttpClient, NodeFileSystem.layer)),
          Layer.provide(Layer.succeed(Emulator.Emulator, emulator))
        )
      const again = yield* Effect.flatMap(Agents.Agents, (agents) => agents.get(me.id)).pipe(
        Effect.provide(keyOnly(me.id)),
        noCredentials
      )
      expect(again.id).toBe(me.id)
      const unenrolled = yield* Effect.flip(
        Effect.flatMap(Agents.Agents, (agents) => agents.get(other.id)).pipe(Effect.provide(keyOnly(other.id)), noCredentials)
      )
      expect(unenrolled._tag).toBe("CredentialsNotFoundError")
      expect(byAgent.length).toBeGreaterThanOrEqual(5)
    }).pipe(Effect.provide(StackLive)))
})
