/**
 * Services, grants and credentials: the catalog, connections (active with a
 * secret, pending until authorized, disconnected with the secret erased),
 * grants within the connection's scopes, raw credentials for the operator and
 * for granted agents that are not proxy_only, audited without the secret; the
 * vault's AES-256-GCM at rest, with the key kept out of the database file;
 * and passports that claim only what the agent was granted.
 */
import { describe, expect, it } from "@effect/vitest"
import { Credentials, Services, StackError } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { createSecretKey, randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Vault from "../src/core/Vault.js"
import { client, decodeJwt, enrolled, expectError, requester, T0, withEmulator } from "./support/Client.js"

const SLACK_TOKEN = "xoxb-1234-very-secret-slack-token"

describe("services", () => {
  it.effect("the catalog lists the documented services with their hosts and kinds of credential", () =>
    withEmulator(Effect.gen(function*() {
      const { get } = yield* client
      const catalog = yield* get("/v1/services")
      expect(catalog.status).toBe(200)
      const ids = catalog.json.services.map((service: any) => service.id)
      expect(ids).toEqual(expect.arrayContaining(["slack", "stripe", "github", "notion", "google"]))
      const slack = catalog.json.services.find((service: any) => service.id === "slack")
      expect(slack).toMatchObject({ name: "Slack", auth_type: "oauth2", credential_fields: [] })
      expect(slack.hosts).toContain("slack.com")
      const twilio = catalog.json.services.find((service: any) => service.id === "twilio")
      expect(twilio.credential_fields).toEqual(["account_sid", "auth_token"])
    })))

  it.effect("connect: active with a token, pending without until authorized; bad requests are 400 and agents are refused", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get, auditOf } = yield* client
      const { result: active, entries } = yield* auditOf(
        post("/v1/services/connect", { service_id: "slack", scopes: ["chat:write", "chat:write"], oauth_token: SLACK_TOKEN, name: "Ops" })
      )
      expect(active.status).toBe(201)
      expect(active.json).toMatchObject({ provider: "slack", name: "Ops", status: "active", scopes: ["chat:write"], proxy_enabled: true })
      expect(active.json.id).toMatch(/^scon_/)
      expect(active.text).not.toContain(SLACK_TOKEN)
      expect(entries.map((e) => [e.action, e.layer, e.outcome])).toEqual([["service.connect", "vault", "success"]])

      const pending = yield* post("/v1/services/connect", { service_id: "github", scopes: ["repo"] })
      expect(pending.json).toMatchObject({ status: "pending", authorize_url: `/_emulator/connections/${pending.json.id}/authorize` })
      expectError(yield* get(`/v1/credentials/by-connection/${pending.json.id}`), 404, "NOT_FOUND")
      const authorized = yield* post(pending.json.authorize_url, { oauth_token: "gho_authorized" })
      expect(authorized.status).toBe(200)
      expect(authorized.json).toMatchObject({ status: "active", authorize_url: null })
      expectError(yield* post(pending.json.authorize_url, { oauth_token: "gho_again" }), 409, "CONFLICT")
      expect((yield* get("/v1/credentials/github")).json.credential).toBe("gho_authorized")

      const refused = [
        [{ service_id: "myspace", scopes: ["x"], oauth_token: "t" }, "service_id"],
        [{ service_id: "slack", scopes: [], oauth_token: "t" }, "scopes"],
        [{ service_id: "slack", scopes: ["x"], oauth_token: "t", credentials: { a: "b" } }, "credentials"],
        [{ service_id: "twilio", scopes: ["x"], oauth_token: "t" }, "oauth_token"],
        [{ service_id: "twilio", scopes: ["x"] }, "credentials"],
        [{ service_id: "twilio", scopes: ["x"], credentials: { account_sid: "AC1" } }, "credentials.auth_token"],
        [{ service_id: "twilio", scopes: ["x"], credentials: { account_sid: "AC1", auth_token: "t", pin: "1" } }, "credentials.pin"]
      ] as const
      for (const [body, field] of refused) {
        const reply = yield* post("/v1/services/connect", body)
        expectError(reply, 400, "INVALID_REQUEST")
        const fields = Object.keys(reply.json.error.details?.fields ?? {})
        expect(fields.some((key) => key === field || key.startsWith(`${field}.`)), `${JSON.stringify(body)}: ${fields}`).toBe(true)
      }
      const twilio = yield* post("/v1/services/connect", {
        service_id: "twilio",
        scopes: ["messages:write"],
        credentials: { account_sid: "AC123", auth_token: "twilio-secret" }
      })
      expect(twilio.status).toBe(201)
      expect((yield* get("/v1/credentials/twilio")).json).toEqual({
        provider: "twilio",
        credentials: { account_sid: "AC123", auth_token: "twilio-secret" },
        connection_id: twilio.json.id
      })

      const bot = yield* enrolled("connect-bot")
      expectError(
        yield* post("/v1/services/connect", { service_id: "slack", scopes: ["x"], oauth_token: "t" }, { auth: yield* bot.jwt() }),
        403,
        "FORBIDDEN"
      )
      const listed = (yield* get("/v1/services/connected")).json.connections.map((c: any) => c.provider)
      expect(listed).toEqual(["slack", "github", "twilio"])
    })))

  it.effect("grants: within the connection's scopes (* allows any), replaced when given again, listed and revoked", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get, call, agent, connect } = yield* client
      const bot = yield* agent("granted-bot")
      const slack = yield* connect("slack", ["chat:write", "channels:read"])
      const grants = `/v1/services/connected/${slack}/grants`
      expectError(yield* post(grants, { agent_id: bot, scopes: ["chat:write", "admin"] }), 400, "SCOPE_ESCALATION")
      expectError(yield* post(grants, { agent_id: "agt_nope", scopes: ["chat:write"] }), 404, "NOT_FOUND")
      expectError(yield* post("/v1/services/connected/scon_nope/grants", { agent_id: bot, scopes: ["x"] }), 404, "NOT_FOUND")
      const granted = yield* post(grants, { agent_id: bot, scopes: ["chat:write", "channels:read"] })
      expect(granted.json).toMatchObject({ connection_id: slack, agent_id: bot, provider: "slack", scopes: ["chat:write", "channels:read"] })
      const narrowed = yield* post(grants, { agent_id: bot, scopes: ["channels:read"] })
      expect(narrowed.json.scopes).toEqual(["channels:read"])
      expect((yield* get(grants)).json.grants.map((g: any) => [g.agent_id, g.scopes])).toEqual([[bot, ["channels:read"]]])

      const wide = yield* connect("google", ["*"])
      const any = yield* post(`/v1/services/connected/${wide}/grants`, { agent_id: bot, scopes: ["drive.file", "whatever"] })
      expect(any.status).toBe(200)

      const revoked = yield* call("DELETE", `${grants}/${bot}`)
      expect(revoked.json).toMatchObject({ agent_id: bot, connection_id: slack })
      expectError(yield* call("DELETE", `${grants}/${bot}`), 404, "NOT_FOUND")
      expect((yield* get(grants)).json.grants).toEqual([])
    })))

  it.effect("credentials: the operator's, a granted agent's, never a proxy_only agent's; each retrieval audited without the secret", () =>
    withEmulator(Effect.gen(function*() {
      const { get, call, connect, emulator } = yield* client
      const direct = yield* enrolled("direct-bot")
      const proxied = yield* enrolled("proxied-bot")
      expect((yield* call("PATCH", `/v1/agents/${proxied.agentId}`, { json: { credential_access: "proxy_only" } })).status).toBe(200)
      const stranger = yield* enrolled("stranger-bot")
      const older = yield* connect("slack", ["chat:write"], { agents: [direct.agentId, proxied.agentId], secret: "xoxb-older" })
      const newest = yield* connect("slack", ["chat:write"], { agents: [], secret: SLACK_TOKEN })

      const before = (yield* emulator.auditChain(emulator.operatorId)).length
      // the operator reads its newest active connection; an agent the newest granted to it
      const own = yield* get("/v1/credentials/slack")
      expect(own.json).toEqual({ provider: "slack", credential: SLACK_TOKEN, connection_id: newest })
      const mine = yield* get("/v1/credentials/slack", { auth: yield* direct.jwt() })
      expect(mine.json).toMatchObject({ credential: "xoxb-older", connection_id: older })
      expect((yield* get(`/v1/credentials/by-connection/${older}`, { auth: yield* direct.jwt() })).json.credential).toBe("xoxb-older")
      expectError(yield* get(`/v1/credentials/by-connection/${newest}`, { auth: yield* direct.jwt() }), 403, "FORBIDDEN")
      expectError(yield* get("/v1/credentials/slack", { auth: yield* proxied.jwt() }), 403, "FORBIDDEN")
      expectError(yield* get("/v1/credentials/slack", { auth: yield* stranger.jwt() }), 404, "NOT_FOUND")
      expectError(yield* get("/v1/credentials/stripe"), 404, "NOT_FOUND")
      expectError(yield* get("/v1/credentials/by-connection/scon_nope"), 404, "NOT_FOUND")

      const entries = (yield* emulator.auditChain(emulator.operatorId)).slice(before)
      expect(entries.map((e) => [e.action, e.layer, e.outcome, e.agent_id, e.error_code])).toEqual([
        ["credential.retrieve", "vault", "success", null, null],
        ["credential.retrieve", "vault", "success", direct.agentId, null],
        ["credential.retrieve", "vault", "success", direct.agentId, null],
        ["credential.retrieve", "vault", "failure", direct.agentId, "FORBIDDEN"],
        ["credential.retrieve", "vault", "failure", proxied.agentId, "FORBIDDEN"],
        ["credential.retrieve", "vault", "failure", stranger.agentId, "NOT_FOUND"],
        ["credential.retrieve", "vault", "failure", null, "NOT_FOUND"],
        ["credential.retrieve", "vault", "failure", null, "NOT_FOUND"]
      ])
      expect(JSON.stringify(entries)).not.toContain(SLACK_TOKEN)
      expect(JSON.stringify(entries)).not.toContain("xoxb-older")
    })))

  it.effect("disconnect erases the secret and the grants; the agent's passports cannot claim it any more", () =>
    withEmulator(Effect.gen(function*() {
      const { call, get, post, agent, connect, issue } = yield* client
      const bot = yield* agent("leaving-bot")
      const slack = yield* connect("slack", ["chat:write"], { agents: [bot] })
      const before = yield* issue({ agent_id: bot })
      expect(decodeJwt(before.token).payload.stk.services.map((s: any) => s.credential_ref)).toEqual([slack])
      const gone = yield* call("DELETE", `/v1/services/connected/${slack}`)
      expect(gone.json).toMatchObject({ id: slack, status: "disconnected" })
      expect(gone.json.disconnected_at).toBe(new Date(T0).toISOString())
      const again = yield* call("DELETE", `/v1/services/connected/${slack}`)
      expect(again.json).toEqual(gone.json)
      expect((yield* get(`/v1/services/connected/${slack}/grants`)).json.grants).toEqual([])
      expect((yield* get("/v1/services/connected")).json.connections).toEqual([])
      expectError(yield* get("/v1/credentials/slack"), 404, "NOT_FOUND")
      expectError(yield* post(`/v1/services/connected/${slack}/grants`, { agent_id: bot, scopes: ["chat:write"] }), 409, "CONFLICT")
      expectError(
        yield* post("/v1/passports/issue", { agent_id: bot, scopes: [{ service_connection_id: slack, scopes: ["chat:write"] }] }),
        400,
        "SCOPE_ESCALATION"
      )
      expect(decodeJwt((yield* issue({ agent_id: bot })).token).payload.stk.services).toEqual([])
    })))

  it.effect("passports claim only granted connections, within the grant's scopes; left out, every active grant", () =>
    withEmulator(Effect.gen(function*() {
      const { post, agent, connect, issue } = yield* client
      const bot = yield* agent("claiming-bot")
      const other = yield* agent("other-bot")
      const slack = yield* connect("slack", ["chat:write", "channels:read"], { agents: [bot] })
      const stripe = yield* connect("stripe", ["invoices:read"], { agents: [bot] })
      const notMine = yield* connect("github", ["repo"], { agents: [other] })
      const claims = (token: string) => decodeJwt(token).payload.stk.services.map((s: any) => [s.service_id, s.credential_ref, s.scopes])
      expect(claims((yield* issue({ agent_id: bot })).token)).toEqual([
        ["slack", slack, ["chat:write", "channels:read"]],
        ["stripe", stripe, ["invoices:read"]]
      ])
      expect(claims((yield* issue({ agent_id: bot, scopes: [{ service_connection_id: slack, scopes: ["channels:read"] }] })).token))
        .toEqual([["slack", slack, ["channels:read"]]])
      const escalations = [
        [{ service_connection_id: slack, scopes: ["admin"] }],
        [{ service_connection_id: notMine, scopes: ["repo"] }],
        [{ service_connection_id: "scon_unknown", scopes: [] }]
      ]
      for (const scopes of escalations) {
        expectError(yield* post("/v1/passports/issue", { agent_id: bot, scopes }), 400, "SCOPE_ESCALATION")
      }
    })))

  it.effect("another operator sees, grants and retrieves none of the first's connections", () =>
    withEmulator(Effect.gen(function*() {
      const { emulator, call, connect, agent } = yield* client
      const slack = yield* connect("slack", ["chat:write"], { secret: SLACK_TOKEN })
      const mine = yield* agent("first-bot")
      const second = yield* emulator.createOperator({ name: "team-b" })
      const theirs = requester((request) => emulator.handler(request), "http://emulator.test", Redacted.value(second.apiKey))
      expect((yield* theirs("GET", "/v1/services/connected")).json.connections).toEqual([])
      expectError(yield* theirs("GET", `/v1/credentials/by-connection/${slack}`), 404, "NOT_FOUND")
      expectError(yield* theirs("GET", "/v1/credentials/slack"), 404, "NOT_FOUND")
      expectError(yield* theirs("DELETE", `/v1/services/connected/${slack}`), 404, "NOT_FOUND")
      expectError(yield* theirs("GET", `/v1/services/connected/${slack}/grants`), 404, "NOT_FOUND")
      const theirAgent = (yield* theirs("POST", "/v1/agents/register", { json: { name: "b-bot" } })).json.id
      expectError(yield* call("POST", `/v1/services/connected/${slack}/grants`, { json: { agent_id: theirAgent, scopes: ["chat:write"] } }), 404, "NOT_FOUND")
      expect((yield* call("POST", `/v1/services/connected/${slack}/grants`, { json: { agent_id: mine, scopes: ["chat:write"] } })).status).toBe(200)
    })))
})

describe("the vault", () => {
  it("seals with AES-256-GCM bound to its row: another key, another row or a flipped bit does not open", () => {
    const key = createSecretKey(randomBytes(32))
    const sealed = Vault.seal(key, "s3cret", "service_connections:scon_a")
    expect(sealed.includes(Buffer.from("s3cret"))).toBe(false)
    expect(Vault.open(key, sealed, "service_connections:scon_a")).toBe("s3cret")
    expect(Vault.open(key, sealed, "service_connections:scon_b")).toBeUndefined()
    expect(Vault.open(createSecretKey(randomBytes(32)), sealed, "service_connections:scon_a")).toBeUndefined()
    const flipped = Buffer.from(sealed)
    flipped[flipped.length - 1]! ^= 1
    expect(Vault.open(key, flipped, "service_connections:scon_a")).toBeUndefined()
    // two seals of one secret differ (a fresh IV each)
    expect(Vault.seal(key, "s3cret", "x").equals(Vault.seal(key, "s3cret", "x"))).toBe(false)
    expect(Vault.parseKey("ab".repeat(32))?.length).toBe(32)
    expect(Vault.parseKey(randomBytes(32).toString("base64"))?.length).toBe(32)
    expect(Vault.parseKey("too short")).toBeUndefined()
  })

  it.effect("the database file never holds a secret; the key file beside it reopens the vault, and another key is refused", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "stack-vault-"))
      const filename = join(dir, "stack.db")
      try {
        yield* TestClock.setTime(T0)
        const connectAndRead = Effect.gen(function*() {
          const services = yield* Services.Services
          yield* services.connect({ service_id: "slack", scopes: ["chat:write"], oauth_token: Redacted.make(SLACK_TOKEN) })
          yield* services.connect({
            service_id: "twilio",
            scopes: ["messages:write"],
            credentials: { account_sid: Redacted.make("AC-visible-id"), auth_token: Redacted.make("twilio-auth-secret") }
          })
        })
        yield* Effect.provide(connectAndRead, Emulator.layerStack({ filename }))
        expect(statSync(`${filename}.vault-key`).mode & 0o777).toBe(0o600)
        for (const file of [filename, `${filename}-wal`]) {
          let bytes: Buffer
          try {
            bytes = readFileSync(file)
          } catch {
            continue
          }
          expect(bytes.includes(Buffer.from(SLACK_TOKEN))).toBe(false)
          expect(bytes.includes(Buffer.from("twilio-auth-secret"))).toBe(false)
        }
        // a restart with the key file reads the secrets back
        const reread = Effect.flatMap(Credentials.Credentials, (credentials) =>
          Effect.zip(credentials.get("slack"), credentials.get("twilio")))
        const [slack, twilio] = yield* Effect.provide(reread, Emulator.layerStack({ filename }))
        expect(Redacted.value(slack.credential!)).toBe(SLACK_TOKEN)
        expect(Redacted.value(twilio.credentials!.auth_token!)).toBe("twilio-auth-secret")
        expect(String(slack)).not.toContain(SLACK_TOKEN)
        // another key does not open it: the emulator refuses to start
        const wrong = yield* Effect.exit(Effect.provide(Effect.void, Emulator.layer({ filename, vaultKey: randomBytes(32) })))
        expect(Exit.isFailure(wrong)).toBe(true)
        expect(JSON.stringify(wrong)).toContain("does not open this database's vault")
        const malformed = yield* Effect.exit(Effect.provide(Effect.void, Emulator.layer({ vaultKey: "short" })))
        expect(JSON.stringify(malformed)).toContain("the vault key must be 32 bytes")
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))
})

describe("services through the SDK", () => {
  it.effect("connect takes Redacted secrets; credentials decode Redacted; refusals are typed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const services = yield* Services.Services
      const credentials = yield* Credentials.Credentials
      const connection = yield* services.connect({
        service_id: "notion",
        scopes: ["read_content"],
        oauth_token: Redacted.make("secret_notion")
      })
      expect(connection.status).toBe("active")
      const found = yield* credentials.byConnection(connection.id)
      expect(Redacted.value(found.credential!)).toBe("secret_notion")
      expect(JSON.stringify(found)).not.toContain("secret_notion")
      const missing = yield* Effect.flip(credentials.get("linear"))
      expect(missing).toBeInstanceOf(StackError.NotFoundError)
      const escalation = yield* Effect.flip(services.grant(connection.id, { agent_id: "agt_x", scopes: ["read_content"] }))
      expect(escalation._tag).toBe("NotFoundError")
    }).pipe(Effect.provide(Emulator.layerStack())))
})
