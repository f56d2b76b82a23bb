/**
 * The endpoint record as the SDK reads it: methods derived from it (path
 * parameters positional, one object of wire fields), inputs encoded through
 * the endpoint's schemas, answers decoded tolerantly, per-call options, and
 * offline verification against JWKS that STACK may publish without `kid`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Api, Auth, Passports, Stack, StackClient } from "@getstack/effect"
import * as Endpoint from "@getstack/effect/api/Endpoint"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto"
import { type AddressInfo, createServer } from "node:net"
import * as FakeHttp from "./support/FakeHttp.js"

const API_KEY = "sk_test_CONTRACTCONTRACT0001"

const clientOver = (fake: FakeHttp.FakeHttp) =>
  Effect.provide(StackClient.StackClient, StackClient.layer({ auth: Auth.apiKey(API_KEY) }).pipe(Layer.provide(fake.layer)))

const withStack = <A, E>(fake: FakeHttp.FakeHttp, f: Effect.Effect<A, E, Stack.Services>) =>
  Effect.provide(f, Stack.layer({ apiKey: API_KEY }).pipe(Layer.provide(fake.layer)))

/** Runs an effect to its end while the TestClock jumps ahead (for retries). */
const toEnd = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.either(effect))
    yield* TestClock.adjust("10 minutes")
    return yield* Fiber.join(fiber)
  })

/** An endpoint whose query and body need encoding: a DateTime and a number sent as a string. */
const Probe = {
  search: Endpoint.post("search", "/v1/probe/:space/items/:item")
    .setUrlParams(Schema.Struct({ since: Schema.optional(Schema.DateTimeUtc), tags: Schema.optional(Schema.Array(Schema.String)) }))
    .setPayload(Schema.Struct({ amount: Schema.NumberFromString, note: Schema.optional(Schema.String.pipe(Schema.maxLength(3))) }))
    .addSuccess(Schema.Struct({ ok: Schema.Boolean }))
    .pipe(Endpoint.write)
}

describe("derived methods", () => {
  it.effect("path parameters go positionally into the path, query and body fields are split and encoded through the schemas", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => FakeHttp.json(200, { ok: true }))
      const client = yield* clientOver(fake)
      const probe = StackClient.methods(client, Probe)
      const since = DateTime.unsafeMake("2026-03-04T05:06:07.000Z")
      const answer = yield* probe.search("team a/b", "it#1", { since, tags: ["x", "y"], amount: 42, note: "too long for the rule" })
      expect(answer).toEqual({ ok: true })
      const request = fake.requests[0]!
      expect(request.pathname).toBe("/v1/probe/team%20a%2Fb/items/it%231")
      expect(request.query.get("since")).toBe("2026-03-04T05:06:07.000Z")
      expect(request.query.getAll("tags")).toEqual(["x", "y"])
      // NumberFromString goes out as its string; a rule (maxLength) is the server's to judge
      expect(JSON.parse(request.body)).toEqual({ amount: "42", note: "too long for the rule" })
    }))

  it.effect("an empty path parameter or a value of the wrong type is a RequestEncodeError, and nothing is sent", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => FakeHttp.json(200, FakeHttp.agentJson()))
      const emptyId = yield* Effect.flip(withStack(fake, Effect.flatMap(Agents.Agents, (agents) => agents.get(""))))
      expect(emptyId._tag).toBe("RequestEncodeError")
      expect(emptyId._tag === "RequestEncodeError" && emptyId.fields).toEqual(["path.id"])
      const wrongType = yield* Effect.flip(
        withStack(fake, Effect.flatMap(Passports.Passports, (passports) => passports.checkpoint("pp_1", { services_used: [], actions_count: "3" as never })))
      )
      expect(wrongType._tag === "RequestEncodeError" && wrongType.fields).toEqual(["body.actions_count"])
      // the message names the input, never its value
      const secret = yield* Effect.flip(
        withStack(fake, Effect.flatMap(Passports.Passports, (passports) => passports.refresh({ token: 12345 as never })))
      )
      expect(secret._tag === "RequestEncodeError" && secret.fields).toEqual(["body.token"])
      expect(secret.message).not.toContain("12345")
      expect(fake.count()).toBe(0)
    }))

  it.effect("a Redacted token is revealed only on the wire", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => FakeHttp.json(200, { valid: false, reason: "revoked", message: "revoked" }))
      const token = Schema.decodeSync(Schema.Redacted(Schema.String))("eyJ.SECRET.TOKEN")
      yield* withStack(fake, Effect.flatMap(Passports.Passports, (passports) => passports.verify({ token })))
      expect(JSON.parse(fake.requests[0]!.body)).toEqual({ token: "eyJ.SECRET.TOKEN" })
    }))
})

describe("answers decode tolerantly", () => {
  it.effect("fields the contract invented may be missing and unknown fields are ignored; a documented field may not be missing", () =>
    Effect.gen(function*() {
      const minimal = {
        id: "agt_1",
        name: "alpha",
        accountability_mode: "logged",
        on_warning: "notify",
        on_critical: "block",
        credential_access: "proxy_only",
        status: "active",
        passport_blocked: false,
        brand_new_field: { nested: true }
      }
      const ok = FakeHttp.make(() => FakeHttp.json(200, minimal))
      const agent = yield* withStack(ok, Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")))
      expect(agent.name).toBe("alpha")
      expect(agent.created_at).toBeUndefined()
      expect(agent).not.toHaveProperty("brand_new_field")

      const { accountability_mode: _, ...withoutMode } = minimal
      const broken = FakeHttp.make(() => FakeHttp.json(200, withoutMode))
      const error = yield* Effect.flip(withStack(broken, Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1"))))
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error.message).toContain("accountability_mode")
    }))

  it.effect("a page without has_more goes on while pages come back full", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ query }) => {
        const page = Number(query.get("page"))
        const agents = page < 3 ? [FakeHttp.agentJson({ id: `agt_${page}a` }), FakeHttp.agentJson({ id: `agt_${page}b` })] : []
        return FakeHttp.json(200, { agents })
      })
      const collected = yield* withStack(
        fake,
        Effect.flatMap(Agents.Agents, (agents) => Stream.runCollect(agents.listAll({ pageSize: 2 })))
      )
      expect(Chunk.toReadonlyArray(collected).map((agent) => agent.id)).toEqual(["agt_1a", "agt_1b", "agt_2a", "agt_2b"])
      expect(fake.count()).toBe(3)
    }))
})

describe("a refused connection, over a real socket", () => {
  it.live("names method, URL and cause, provably did not run (retried, no unknown outcome)", () =>
    Effect.gen(function*() {
      // a port that was just free: nothing listens on it
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const server = createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo
            server.close(() => resolve(port))
          })
        })
      )
      const error = yield* Effect.flip(
        Effect.flatMap(Agents.Agents, (agents) => agents.register({ name: "alpha" })).pipe(
          Effect.provide(
            Stack.layer({ apiKey: API_KEY, baseUrl: `http://127.0.0.1:${port}`, retry: { maxRetries: 1, initialDelay: "1 millis" } }).pipe(
              Layer.provide(FetchHttpClient.layer)
            )
          )
        )
      )
      expect(error._tag).toBe("ConnectionError")
      expect(error.message).toMatch(new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/v1/agents/register failed: .*ECONNREFUSED`))
      expect(error).not.toHaveProperty("outcome")
      expect(error.message).not.toContain(API_KEY)
    }))
})

describe("per-call options", () => {
  it.effect("withCallOptions sets timeout, retry and idempotency key for the calls of one effect only", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index === 0 ? FakeHttp.stackError(503, "INTERNAL_ERROR", "busy") : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const result = yield* toEnd(withStack(
        fake,
        Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1").pipe(StackClient.withCallOptions({ retry: false })))
      ))
      expect(Either.isLeft(result) && result.left._tag).toBe("InternalServerError")
      expect(fake.count()).toBe(1)
      // without the option the same read is retried
      const retried = yield* toEnd(withStack(fake, Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1"))))
      expect(Either.isRight(retried)).toBe(true)

      const keyed = FakeHttp.make(() => FakeHttp.json(201, FakeHttp.agentJson()))
      yield* withStack(keyed, Effect.flatMap(Agents.Agents, (agents) =>
        Effect.zipRight(
          agents.register({ name: "alpha" }).pipe(StackClient.withCallOptions({ idempotencyKey: "my-key" })),
          agents.register({ name: "beta" })
        )))
      const keys = keyed.requests.map((request) => request.headers["idempotency-key"])
      expect(keys[0]).toBe("my-key")
      expect(keys[1]).toMatch(/^stk-/)
    }))
})

/** A JWKS and passports signed with a key of the test's own, as STACK would publish and sign them. */
const signer = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519")
  const x = (publicKey.export({ format: "jwk" }) as { x: string }).x
  return { privateKey, x }
}

const passportToken = (privateKey: KeyObject, header: Record<string, unknown>, now: number) => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
  const payload = {
    iss: Api.Passports.ISSUER,
    sub: "agt_1",
    jti: "pp_1",
    exp: Math.floor(now / 1000) + 600,
    stk: {
      operator_id: "op_1",
      agent_id: "agt_1",
      agent_name: "alpha",
      services: [],
      identity_claims: [],
      delegation_depth: 0,
      session_id: "ses_1",
      accountability: "standard",
      intent_summary: null,
      intent_services: [],
      checkpoint_interval: null
    }
  }
  const input = `${b64({ alg: "EdDSA", typ: "JWT", ...header })}.${b64(payload)}`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`
}

describe("verifyOffline and the JWKS", () => {
  const jwksServer = (keys: ReadonlyArray<Record<string, unknown>>) =>
    FakeHttp.make(() => FakeHttp.json(200, { keys: keys.map((key) => ({ kty: "OKP", crv: "Ed25519", ...key })) }))

  const verify = (fake: FakeHttp.FakeHttp, token: string) =>
    withStack(fake, Effect.flatMap(Passports.Passports, (passports) => passports.verifyOffline(token)))

  it.effect("a token without kid verifies against a single published key; not when several keys are published", () =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const one = signer()
      const token = passportToken(one.privateKey, {}, now)
      // STACK's documented claims are enough: no iat, no nbf
      const claims = yield* verify(jwksServer([{ x: one.x, kid: "k1" }]), token)
      expect(claims.jti).toBe("pp_1")
      expect(claims.iat).toBeUndefined()
      // a published key without kid also serves a token without kid
      expect((yield* verify(jwksServer([{ x: one.x }]), token)).sub).toBe("agt_1")

      const two = signer()
      const error = yield* Effect.flip(verify(jwksServer([{ x: one.x, kid: "k1" }, { x: two.x, kid: "k2" }]), token))
      expect(error._tag === "InvalidPassportError" && error.reason).toBe("unknown_key")
      // with a kid, the named key is used among several
      const named = passportToken(two.privateKey, { kid: "k2" }, now)
      expect((yield* verify(jwksServer([{ x: one.x, kid: "k1" }, { x: two.x, kid: "k2" }]), named)).jti).toBe("pp_1")
      // a single key without kid does not verify a token signed by another key
      const forged = yield* Effect.flip(verify(jwksServer([{ x: one.x }]), passportToken(two.privateKey, {}, now)))
      expect(forged._tag === "InvalidPassportError" && forged.reason).toBe("invalid_signature")
    }))
})

