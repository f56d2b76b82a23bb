import { describe, expect, it } from "@effect/vitest"
import { Agents, Auth, Stack, StackError } from "@getstack/effect"
import { makeTokenSource } from "@getstack/effect/internal/tokens"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as FakeHttp from "./support/FakeHttp.js"

const CLIENT_ID = "cli_sdk_tests"
const CLIENT_SECRET = "cs_CLIENTSECRET_777"
const ACCESS_OLD = "at_OLDACCESS_SECRET_0"
const REFRESH_ONE = "rt_REFRESH_SECRET_1"
const TOKEN_URL = "https://api.getstack.run/v1/oauth/token"

/** The tokens the n-th successful refresh hands out. */
const accessN = (n: number) => `at_NEWACCESS_SECRET_${n}`
const refreshN = (n: number) => `rt_ROTATED_SECRET_${n + 1}`

const isTokenRequest = (request: FakeHttp.RecordedRequest) => request.url === TOKEN_URL
const tokenRequests = (fake: FakeHttp.FakeHttp) => fake.requests.filter(isTokenRequest)
const apiRequests = (fake: FakeHttp.FakeHttp) => fake.requests.filter((r) => !isTokenRequest(r))
const form = (request: FakeHttp.RecordedRequest | undefined) => Object.fromEntries(new URLSearchParams(request?.body ?? ""))

/** The n-th token endpoint answer (1-based): a new access token, a rotated refresh token, one hour. */
const tokenOk = (n: number) =>
  FakeHttp.json(200, { access_token: accessN(n), token_type: "Bearer", expires_in: 3600, refresh_token: refreshN(n) })

/** How many token requests the fake has seen, this one included. */
const tokenCallNumber = (seen: ReadonlyArray<FakeHttp.RecordedRequest>) => seen.filter(isTokenRequest).length

/** An API that accepts exactly `token` and answers 401 to anything else. */
const apiAccepting = (token: string) => (request: FakeHttp.RecordedRequest): FakeHttp.Reply =>
  request.headers.authorization === `Bearer ${token}`
    ? FakeHttp.json(200, FakeHttp.agentJson({ id: request.pathname.split("/").pop() }))
    : FakeHttp.stackError(401, "UNAUTHORIZED", "invalid or expired token")

const baseOptions: Auth.OAuthOptions = {
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  accessToken: ACCESS_OLD,
  refreshToken: REFRESH_ONE
}

/** Runs `f` with the agents service of a `Stack.fromOAuth` over `fake`; one client for the whole of `f`. */
const withOAuth = <A, E>(
  fake: FakeHttp.FakeHttp,
  oauth: Auth.OAuthOptions,
  f: (agents: Agents.Service) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.flatMap(Agents.Agents, f).pipe(
    Effect.provide(Stack.fromOAuth(oauth).pipe(Layer.provide(fake.layer)))
  )

const codeOf = (error: unknown) => StackError.isHttpStatusError(error) ? error.code : undefined

/** Lets every fiber run until it waits. */
const settle = TestClock.adjust(0)

/** Joins `fiber` once every fiber has run as far as it can without the clock; a fiber still waiting fails the test. */
const joinNow = <A, E>(fiber: Fiber.RuntimeFiber<A, E>): Effect.Effect<A, E> =>
  Effect.zipRight(
    settle,
    Effect.suspend(() => fiber.unsafePoll() === null ? Effect.dieMessage("the fiber is still waiting") : Fiber.join(fiber))
  )

/** Runs `effect` to its end, moving the clock past every retry. */
const runToEnd = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<Either.Either<A, E>> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.either(effect))
    yield* TestClock.adjust("5 minutes")
    return yield* Fiber.join(fiber)
  })

describe("OAuth refresh", () => {
  it.effect("50 concurrent calls with an expired token: one refresh, all 50 succeed with the new token", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const fake = FakeHttp.make((request, seen) => {
        if (!isTokenRequest(request)) return apiAccepting(accessN(tokenCallNumber(seen)))(request)
        const reply = tokenOk(tokenCallNumber(seen))
        return Deferred.await(gate).pipe(Effect.as(reply))
      })
      const refreshed: Array<Auth.RefreshedTokens> = []
      const oauth: Auth.OAuthOptions = {
        ...baseOptions,
        expiresAt: 0,
        onRefresh: (tokens) => Effect.sync(() => void refreshed.push(tokens))
      }

      yield* withOAuth(fake, oauth, (agents) =>
        Effect.gen(function*() {
          const ids = Array.from({ length: 50 }, (_, i) => `agt_${i}`)
          const fiber = yield* Effect.fork(Effect.all(ids.map((id) => agents.get(id)), { concurrency: "unbounded" }))
          yield* settle
          // all 50 are waiting on the one refresh
          expect(tokenRequests(fake)).toHaveLength(1)
          expect(apiRequests(fake)).toHaveLength(0)
          yield* Deferred.succeed(gate, void 0)
          const agentsFound = yield* joinNow(fiber)

          expect(agentsFound.map((a) => a.id)).toEqual(ids)
          expect(tokenRequests(fake)).toHaveLength(1)
          expect(apiRequests(fake)).toHaveLength(50)
          for (const request of apiRequests(fake)) expect(request.headers.authorization).toBe(`Bearer ${accessN(1)}`)

          const [refresh] = tokenRequests(fake)
          expect(refresh?.method).toBe("POST")
          expect(refresh?.url).toBe(TOKEN_URL)
          expect(refresh?.contentType).toBe("application/x-www-form-urlencoded")
          expect(refresh?.headers.authorization).toBeUndefined()
          expect(form(refresh)).toEqual({
            grant_type: "refresh_token",
            refresh_token: REFRESH_ONE,
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET
          })
          expect(refreshed).toHaveLength(1)
          expect(Redacted.value(refreshed[0]!.accessToken)).toBe(accessN(1))
          expect(Redacted.value(refreshed[0]!.refreshToken)).toBe(refreshN(1))
          expect(refreshed[0]!.expiresAt).toBe(3_600_000)

          // the new token is used until it is about to expire (10 s before), then refreshed with the rotated refresh token
          yield* TestClock.adjust(3_600_000 - 10_001)
          yield* agents.get("agt_again")
          expect(tokenRequests(fake)).toHaveLength(1)
          yield* TestClock.adjust(1)
          yield* agents.get("agt_later")
          expect(tokenRequests(fake)).toHaveLength(2)
          expect(form(tokenRequests(fake)[1])).toMatchObject({ refresh_token: refreshN(1) })
          expect(apiRequests(fake).at(-1)?.headers.authorization).toBe(`Bearer ${accessN(2)}`)
          expect(refreshed.map((t) => Redacted.value(t.refreshToken))).toEqual([refreshN(1), refreshN(2)])
        }))
    }))

  it.effect("without an access token the first call refreshes; a JWT's exp gives the expiry", () =>
    Effect.gen(function*() {
      const payload = btoa(JSON.stringify({ sub: "op_1", exp: 3600 })).replace(/=+$/, "")
      const jwt = `eyJhbGciOiJub25lIn0.${payload}.sig`
      const fake = FakeHttp.make((request) =>
        isTokenRequest(request)
          ? FakeHttp.json(200, { access_token: jwt, refresh_token: refreshN(1) })
          : apiAccepting(jwt)(request)
      )
      const { accessToken: _, ...withoutAccess } = baseOptions
      yield* withOAuth(fake, withoutAccess, (agents) =>
        Effect.gen(function*() {
          yield* agents.get("agt_1")
          expect(tokenRequests(fake)).toHaveLength(1)
          // exp is 3600 s: still fresh 10 s before
          yield* TestClock.adjust(3_589_999)
          yield* agents.get("agt_2")
          expect(tokenRequests(fake)).toHaveLength(1)
          yield* TestClock.adjust(1)
          yield* agents.get("agt_3")
          expect(tokenRequests(fake)).toHaveLength(2)
          expect(form(tokenRequests(fake)[1])).toMatchObject({ refresh_token: refreshN(1) })
        }))
    }))

  it.effect("the token endpoint is the base URL plus /v1/oauth/token, path prefix included", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) =>
        request.pathname.endsWith("/oauth/token") ? tokenOk(1) : apiAccepting(accessN(1))(request)
      )
      yield* Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
        Effect.provide(
          Stack.fromOAuth({ ...baseOptions, expiresAt: 0 }, { baseUrl: "http://gateway.test/stack/" }).pipe(
            Layer.provide(fake.layer)
          )
        )
      )
      expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        "POST http://gateway.test/stack/v1/oauth/token",
        "GET http://gateway.test/stack/v1/agents/agt_1"
      ])
    }))

  it.effect("a 401 with a valid-looking token: one refresh, the call is retried once with the new token", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request, seen) =>
        isTokenRequest(request) ? tokenOk(tokenCallNumber(seen)) : apiAccepting(accessN(1))(request)
      )
      const result = yield* runToEnd(withOAuth(fake, baseOptions, (agents) => agents.register({ name: "alpha" })))
      expect(Either.isRight(result)).toBe(true)
      expect(tokenRequests(fake)).toHaveLength(1)
      expect(form(tokenRequests(fake)[0])).toMatchObject({ refresh_token: REFRESH_ONE })
      const calls = apiRequests(fake)
      expect(calls.map((r) => r.headers.authorization)).toEqual([`Bearer ${ACCESS_OLD}`, `Bearer ${accessN(1)}`])
      // the retry is the same request: same idempotency key
      expect(calls[0]?.headers["idempotency-key"]).toBeDefined()
      expect(calls[1]?.headers["idempotency-key"]).toBe(calls[0]?.headers["idempotency-key"])
    }))

  it.effect("a second 401 after the refresh is an AuthenticationError: no loop", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request, seen) =>
        isTokenRequest(request) ? tokenOk(tokenCallNumber(seen)) : apiAccepting("nothing is accepted")(request)
      )
      const result = yield* runToEnd(withOAuth(fake, baseOptions, (agents) => agents.get("agt_1")))
      expect(Either.isLeft(result)).toBe(true)
      expect(Either.isLeft(result) && result.left).toMatchObject({
        _tag: "AuthenticationError",
        status: 401,
        code: "UNAUTHORIZED"
      })
      expect(tokenRequests(fake)).toHaveLength(1)
      expect(apiRequests(fake).map((r) => r.headers.authorization)).toEqual([
        `Bearer ${ACCESS_OLD}`,
        `Bearer ${accessN(1)}`
      ])
    }))

  it.effect("an invalidation wins over a refresh already in flight (two calls, two 401s)", () =>
    Effect.gen(function*() {
      const firstRefresh = yield* Deferred.make<void>()
      const secondUnauthorized = yield* Deferred.make<void>()
      const fake = FakeHttp.make((request, seen) => {
        if (isTokenRequest(request)) {
          const n = tokenCallNumber(seen)
          return n === 1 ? Deferred.await(firstRefresh).pipe(Effect.as(tokenOk(1))) : tokenOk(n)
        }
        if (request.headers.authorization === `Bearer ${ACCESS_OLD}`) {
          const unauthorized = FakeHttp.stackError(401, "UNAUTHORIZED", "access token expired")
          // call b's 401 arrives only once the test says so
          return request.pathname.endsWith("/b") ? Deferred.await(secondUnauthorized).pipe(Effect.as(unauthorized)) : unauthorized
        }
        return FakeHttp.json(200, FakeHttp.agentJson({ id: request.pathname.split("/").pop() }))
      })

      yield* withOAuth(fake, baseOptions, (agents) =>
        Effect.gen(function*() {
          const a = yield* Effect.fork(agents.get("a"))
          const b = yield* Effect.fork(agents.get("b"))
          yield* settle
          // a got its 401 and started refresh #1, which hangs; b's request with the old token is still out
          expect(tokenRequests(fake)).toHaveLength(1)
          expect(apiRequests(fake).map((r) => [r.pathname, r.headers.authorization]).sort()).toEqual([
            ["/v1/agents/a", `Bearer ${ACCESS_OLD}`],
            ["/v1/agents/b", `Bearer ${ACCESS_OLD}`]
          ])

          // b's 401 invalidates while refresh #1 is in flight
          yield* Deferred.succeed(secondUnauthorized, void 0)
          yield* settle
          // the refresh b asks for queues behind #1 (refreshes run one at a time)
          expect(tokenRequests(fake)).toHaveLength(1)

          yield* Deferred.succeed(firstRefresh, void 0)
          const [agentA, agentB] = [yield* joinNow(a), yield* joinNow(b)]
          expect([agentA.id, agentB.id]).toEqual(["a", "b"])

          // refresh #2 started after the invalidation, with the refresh token #1 rotated
          expect(tokenRequests(fake)).toHaveLength(2)
          expect(form(tokenRequests(fake)[0])).toMatchObject({ refresh_token: REFRESH_ONE })
          expect(form(tokenRequests(fake)[1])).toMatchObject({ refresh_token: refreshN(1) })
          // the token installed is #2's: both retries used it, #1's was never used
          const retries = apiRequests(fake).slice(2)
          expect(retries.map((r) => r.headers.authorization)).toEqual([`Bearer ${accessN(2)}`, `Bearer ${accessN(2)}`])
          expect(apiRequests(fake).some((r) => r.headers.authorization === `Bearer ${accessN(1)}`)).toBe(false)

          yield* agents.get("c")
          expect(apiRequests(fake).at(-1)?.headers.authorization).toBe(`Bearer ${accessN(2)}`)
          expect(tokenRequests(fake)).toHaveLength(2)
        }))
    }))

  it.scoped("token source: an invalidation during a refresh discards that refresh's token", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const fake = FakeHttp.make((_, seen) => {
        const n = tokenCallNumber(seen)
        return n === 1 ? Deferred.await(gate).pipe(Effect.as(tokenOk(1))) : tokenOk(n)
      })
      const source = yield* makeTokenSource(
        Auth.oauth({ ...baseOptions, expiresAt: 0 }),
        "https://api.getstack.run",
        fake.client
      )
      const waiting = yield* Effect.fork(source.token)
      yield* settle
      expect(fake.count()).toBe(1)

      expect(yield* source.invalidate(Redacted.make(ACCESS_OLD))).toBe(true)
      yield* Deferred.succeed(gate, void 0)
      const token = yield* joinNow(waiting)

      expect(Redacted.value(token)).toBe(accessN(2))
      expect(fake.count()).toBe(2)
      expect(form(fake.requests[1])).toMatchObject({ refresh_token: refreshN(1) })
      // installed: no further refresh
      expect(Redacted.value(yield* source.token)).toBe(accessN(2))
      expect(fake.count()).toBe(2)
    }))

  it.scoped("token source: a 401 for a token already replaced does not refresh again", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((_, seen) => tokenOk(tokenCallNumber(seen)))
      const source = yield* makeTokenSource(Auth.oauth(baseOptions), "https://api.getstack.run", fake.client)
      expect(Redacted.value(yield* source.token)).toBe(ACCESS_OLD)
      expect(fake.count()).toBe(0)
      yield* source.invalidate(Redacted.make(ACCESS_OLD))
      expect(Redacted.value(yield* source.token)).toBe(accessN(1))
      expect(fake.count()).toBe(1)
      // a late 401 for the old token: the current one stays
      yield* source.invalidate(Redacted.make(ACCESS_OLD))
      expect(Redacted.value(yield* source.token)).toBe(accessN(1))
      expect(fake.count()).toBe(1)
    }))

  it.effect("a failing refresh is an AuthenticationError OAUTH_REFRESH_FAILED, and is not cached", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request, seen) => {
        if (!isTokenRequest(request)) return apiAccepting(accessN(2))(request)
        const n = tokenCallNumber(seen)
        return n === 1 ? FakeHttp.json(400, { error: "invalid_grant" }) : tokenOk(n)
      })
      yield* withOAuth(fake, { ...baseOptions, expiresAt: 0 }, (agents) =>
        Effect.gen(function*() {
          const first = yield* runToEnd(agents.get("agt_1"))
          expect(Either.isLeft(first) && first.left).toMatchObject({
            _tag: "AuthenticationError",
            code: "OAUTH_REFRESH_FAILED",
            status: 400,
            method: "POST",
            url: TOKEN_URL
          })
          expect(Either.isLeft(first) && first.left.message).toContain("invalid_grant")
          // not retried, and no API call was made without a token
          expect(tokenRequests(fake)).toHaveLength(1)
          expect(apiRequests(fake)).toHaveLength(0)

          const second = yield* runToEnd(agents.get("agt_2"))
          expect(Either.isRight(second)).toBe(true)
          expect(tokenRequests(fake)).toHaveLength(2)
          // the failed refresh rotated nothing: the same refresh token again
          expect(form(tokenRequests(fake)[1])).toMatchObject({ refresh_token: REFRESH_ONE })
          expect(apiRequests(fake).map((r) => r.headers.authorization)).toEqual([`Bearer ${accessN(2)}`])
        }))
    }))

  it.effect("concurrent callers share one failing refresh", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const fake = FakeHttp.make((request) =>
        isTokenRequest(request)
          ? Deferred.await(gate).pipe(Effect.as(FakeHttp.json(400, { error: "invalid_grant", error_description: "revoked" })))
          : apiAccepting("nothing")(request)
      )
      yield* withOAuth(fake, { ...baseOptions, expiresAt: 0 }, (agents) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(
            Effect.all(Array.from({ length: 10 }, () => Effect.flip(agents.get("agt_1"))), { concurrency: "unbounded" })
          )
          yield* settle
          expect(tokenRequests(fake)).toHaveLength(1)
          yield* Deferred.succeed(gate, void 0)
          const errors = yield* joinNow(fiber)
          expect(errors.map((e) => e._tag)).toEqual(Array.from({ length: 10 }, () => "AuthenticationError"))
          expect(errors[0]?.message).toContain("invalid_grant: revoked")
          expect(tokenRequests(fake)).toHaveLength(1)
        }))
    }))

  it.effect("a token endpoint that cannot be reached: ConnectionError after the retries, one refresh per attempt", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) =>
        isTokenRequest(request) ? FakeHttp.transportError(request) : apiAccepting("nothing")(request)
      )
      const result = yield* runToEnd(withOAuth(fake, { ...baseOptions, expiresAt: 0 }, (agents) => agents.get("agt_1")))
      expect(Either.isLeft(result) && result.left._tag).toBe("ConnectionError")
      expect(tokenRequests(fake)).toHaveLength(3)
      expect(apiRequests(fake)).toHaveLength(0)
    }))

  it.effect("a token endpoint outage (5xx) is an InternalServerError, retried, and a later attempt can succeed", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request, seen) => {
        if (!isTokenRequest(request)) return apiAccepting(accessN(1))(request)
        return tokenCallNumber(seen) === 1 ? FakeHttp.json(503, { error: "temporarily_unavailable" }) : tokenOk(1)
      })
      const result = yield* runToEnd(withOAuth(fake, { ...baseOptions, expiresAt: 0 }, (agents) => agents.get("agt_1")))
      expect(Either.isRight(result)).toBe(true)
      expect(tokenRequests(fake)).toHaveLength(2)
      const down = FakeHttp.make((request) =>
        isTokenRequest(request) ? FakeHttp.json(502, { error: "bad_gateway" }) : apiAccepting("nothing")(request)
      )
      const failed = yield* runToEnd(withOAuth(down, { ...baseOptions, expiresAt: 0 }, (agents) => agents.get("agt_1")))
      expect(Either.isLeft(failed) && failed.left._tag).toBe("InternalServerError")
      expect(Either.isLeft(failed) && codeOf(failed.left)).toBe("HTTP_502")
      expect(tokenRequests(down)).toHaveLength(3)
    }))

  it.effect("a passport's own 401 (PASSPORT_REVOKED) does not refresh the caller's token", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) =>
        isTokenRequest(request) ? tokenOk(1) : FakeHttp.stackError(401, "PASSPORT_REVOKED", "the passport was revoked")
      )
      const result = yield* runToEnd(withOAuth(fake, baseOptions, (agents) => agents.get("agt_1")))
      expect(Either.isLeft(result) && codeOf(result.left)).toBe("PASSPORT_REVOKED")
      expect(tokenRequests(fake)).toHaveLength(0)
      expect(apiRequests(fake)).toHaveLength(1)
    }))

  it.effect("no token, refresh token or client secret in errors or logs", () =>
    Effect.gen(function*() {
      const logs = FakeHttp.captureLogs()
      const fake = FakeHttp.make((request, seen) => {
        if (!isTokenRequest(request)) return apiAccepting("nothing is accepted")(request)
        const n = tokenCallNumber(seen)
        return n === 1 ? tokenOk(1) : FakeHttp.json(400, { error: "invalid_grant" })
      })
      const secrets = [ACCESS_OLD, REFRESH_ONE, CLIENT_SECRET, accessN(1), refreshN(1)]

      const errors = yield* withOAuth(fake, baseOptions, (agents) =>
        Effect.gen(function*() {
          yield* Effect.logDebug("capture check")
          // 401 → refresh → 401 again: AuthenticationError
          const unauthorized = yield* runToEnd(agents.get("agt_1"))
          // 401 → the refresh fails: OAUTH_REFRESH_FAILED
          const refreshFailed = yield* runToEnd(agents.get("agt_2"))
          return [unauthorized, refreshFailed].flatMap((e) => Either.isLeft(e) ? [e.left] : [])
        })).pipe(Logger.withMinimumLogLevel(LogLevel.All), Effect.provide(logs.layer))

      expect(errors.map((e) => [e._tag, codeOf(e)])).toEqual([
        ["AuthenticationError", "UNAUTHORIZED"],
        ["AuthenticationError", "OAUTH_REFRESH_FAILED"]
      ])
      // the secrets did go out
      expect(form(tokenRequests(fake)[0])).toMatchObject({ refresh_token: REFRESH_ONE, client_secret: CLIENT_SECRET })
      expect(form(tokenRequests(fake)[1])).toMatchObject({ refresh_token: refreshN(1), client_secret: CLIENT_SECRET })
      expect(apiRequests(fake).map((r) => r.headers.authorization)).toContain(`Bearer ${accessN(1)}`)
      expect(logs.lines.some((line) => line.includes("capture check"))).toBe(true)
      expect(logs.lines.some((line) => line.includes("STACK request failed"))).toBe(true)

      for (const error of errors) {
        for (const [how, text] of FakeHttp.renderings(error)) {
          for (const secret of secrets) expect(text, `${codeOf(error)} / ${how}`).not.toContain(secret)
        }
      }
      for (const line of logs.lines) {
        for (const secret of secrets) expect(line).not.toContain(secret)
      }
    }))
})
