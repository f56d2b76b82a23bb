import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Api, Auth, Stack, StackClient, StackError } from "@getstack/effect"
import { version } from "@getstack/effect/version"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as LogLevel from "effect/LogLevel"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as FakeHttp from "./support/FakeHttp.js"

const API_KEY = "sk_test_SECRETSECRETSECRET123"

type Call = (agents: Agents.Service) => Effect.Effect<unknown, StackError.StackError>

/** Runs `f` against the agents service of a `Stack.layer` over `fake`. */
const withAgents = <A, E>(
  fake: FakeHttp.FakeHttp,
  f: (agents: Agents.Service) => Effect.Effect<A, E>,
  options: Stack.ClientOptions = {}
): Effect.Effect<A, E> =>
  Effect.flatMap(Agents.Agents, f).pipe(
    Effect.provide(Stack.layer({ apiKey: API_KEY, ...options }).pipe(Layer.provide(fake.layer)))
  )

/** Runs `effect` to its end, moving the TestClock far enough for every retry and timeout. */
const runToEnd = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<Either.Either<A, E>> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.either(effect))
    yield* TestClock.adjust("10 minutes")
    return yield* Fiber.join(fiber)
  })

/** The error `effect` ends with (after every retry); a success fails the test. */
const failureOf = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<E> =>
  Effect.flatMap(
    runToEnd(effect),
    Either.match({
      onLeft: Effect.succeed,
      onRight: (value) => Effect.dieMessage(`expected a failure, got ${Inspectable.toStringUnknown(value)}`)
    })
  )

/** Lets every fiber run until it waits (on the clock, a fake's gate, …). */
const settle = TestClock.adjust(0)

const always = (reply: FakeHttp.Reply): FakeHttp.Handler => () => reply

const agentOk = FakeHttp.json(200, FakeHttp.agentJson())

// -----------------------------------------------------------------------------
// Scenarios shared by the error mapping tests and the secrets test
// -----------------------------------------------------------------------------

interface ErrorScenario {
  readonly name: string
  readonly reply: FakeHttp.Reply
  readonly call: Call
  readonly method: string
  readonly url: string
  readonly expected: {
    readonly _tag: string
    readonly status: number
    readonly code: string
    readonly message?: string
    readonly details?: unknown
    readonly retryAfterMs?: number
  }
}

const register: Call = (agents) => agents.register({ name: "alpha" })
const get: Call = (agents) => agents.get("agt_1")
const listPage: Call = (agents) => agents.list({ page: 1 })
const REGISTER_URL = "https://api.getstack.run/v1/agents/register"
const GET_URL = "https://api.getstack.run/v1/agents/agt_1"
/** The URL of `listPage({ page: 1 })`: errors name the query too. */
const LIST_URL = "https://api.getstack.run/v1/agents?page=1"

const withRequestId = (status: number) => ({ "x-request-id": `req_${status}` })

const statusScenarios: ReadonlyArray<ErrorScenario> = [
  {
    name: "400 → BadRequestError",
    reply: FakeHttp.stackError(400, "INVALID_REQUEST", "name: must be 2 to 64 lowercase letters", {
      details: { fields: { name: "must be 2 to 64 lowercase letters" } },
      headers: withRequestId(400)
    }),
    call: register,
    method: "POST",
    url: REGISTER_URL,
    expected: {
      _tag: "BadRequestError",
      status: 400,
      code: "INVALID_REQUEST",
      message: "name: must be 2 to 64 lowercase letters",
      details: { fields: { name: "must be 2 to 64 lowercase letters" } }
    }
  },
  {
    name: "401 → AuthenticationError",
    reply: FakeHttp.stackError(401, "INVALID_API_KEY", "invalid API key", { headers: withRequestId(401) }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "AuthenticationError", status: 401, code: "INVALID_API_KEY", message: "invalid API key" }
  },
  {
    name: "402 on register (not declared) → UnexpectedStatusError",
    reply: FakeHttp.stackError(402, "INSUFFICIENT_CREDITS", "the wallet is empty", { headers: withRequestId(402) }),
    call: register,
    method: "POST",
    url: REGISTER_URL,
    expected: { _tag: "UnexpectedStatusError", status: 402, code: "INSUFFICIENT_CREDITS", message: "the wallet is empty" }
  },
  {
    name: "403 on register → ForbiddenError",
    reply: FakeHttp.stackError(403, "TIER_LIMIT_EXCEEDED", "agent limit reached", {
      details: { limit: 3 },
      headers: withRequestId(403)
    }),
    call: register,
    method: "POST",
    url: REGISTER_URL,
    expected: {
      _tag: "ForbiddenError",
      status: 403,
      code: "TIER_LIMIT_EXCEEDED",
      message: "agent limit reached",
      details: { limit: 3 }
    }
  },
  {
    name: "403 on get (every authenticated endpoint declares it: member roles) → ForbiddenError",
    reply: FakeHttp.stackError(403, "FORBIDDEN", "no", { headers: withRequestId(403) }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "ForbiddenError", status: 403, code: "FORBIDDEN", message: "no" }
  },
  {
    name: "409 on get (not declared) → UnexpectedStatusError",
    reply: FakeHttp.stackError(409, "CONFLICT", "no", { headers: withRequestId(409) }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "UnexpectedStatusError", status: 409, code: "CONFLICT", message: "no" }
  },
  {
    name: "404 on get → NotFoundError",
    reply: FakeHttp.stackError(404, "NOT_FOUND", "no agent agt_1", { headers: withRequestId(404) }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "NotFoundError", status: 404, code: "NOT_FOUND", message: "no agent agt_1" }
  },
  {
    name: "404 on list (not declared) → UnexpectedStatusError",
    reply: FakeHttp.stackError(404, "NOT_FOUND", "gone", { headers: withRequestId(404) }),
    call: listPage,
    method: "GET",
    url: LIST_URL,
    expected: { _tag: "UnexpectedStatusError", status: 404, code: "NOT_FOUND", message: "gone" }
  },
  {
    name: "409 on register → ConflictError",
    reply: FakeHttp.stackError(409, "CONFLICT", "an agent named alpha exists", { headers: withRequestId(409) }),
    call: register,
    method: "POST",
    url: REGISTER_URL,
    expected: { _tag: "ConflictError", status: 409, code: "CONFLICT", message: "an agent named alpha exists" }
  },
  {
    name: "422 on register (not declared) → UnexpectedStatusError",
    reply: FakeHttp.stackError(422, "SCHEMA_VALIDATION_FAILED", "cannot process", { headers: withRequestId(422) }),
    call: register,
    method: "POST",
    url: REGISTER_URL,
    expected: { _tag: "UnexpectedStatusError", status: 422, code: "SCHEMA_VALIDATION_FAILED", message: "cannot process" }
  },
  {
    name: "429 → RateLimitError with retryAfterMs",
    reply: FakeHttp.stackError(429, "RATE_LIMITED", "slow down", {
      headers: { ...withRequestId(429), "retry-after-ms": "2500" }
    }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "RateLimitError", status: 429, code: "RATE_LIMITED", message: "slow down", retryAfterMs: 2500 }
  },
  {
    name: "500 → InternalServerError",
    reply: FakeHttp.stackError(500, "INTERNAL_ERROR", "something broke", { headers: withRequestId(500) }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "InternalServerError", status: 500, code: "INTERNAL_ERROR", message: "something broke" }
  },
  {
    name: "503 → InternalServerError",
    reply: FakeHttp.stackError(503, "INTERNAL_ERROR", "maintenance", { headers: withRequestId(503) }),
    call: listPage,
    method: "GET",
    url: LIST_URL,
    expected: { _tag: "InternalServerError", status: 503, code: "INTERNAL_ERROR", message: "maintenance" }
  },
  {
    name: "418 → UnexpectedStatusError",
    reply: FakeHttp.stackError(418, "TEAPOT", "I am a teapot", { headers: withRequestId(418) }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "UnexpectedStatusError", status: 418, code: "TEAPOT", message: "I am a teapot" }
  }
]

const HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"

const nonJsonScenarios: ReadonlyArray<ErrorScenario> = [
  {
    name: "an HTML 502 page",
    reply: FakeHttp.text(502, HTML_502, { "content-type": "text/html", ...withRequestId(502) }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "InternalServerError", status: 502, code: "HTTP_502" }
  },
  {
    name: "an empty 500 body",
    reply: FakeHttp.text(500, "", withRequestId(500)),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "InternalServerError", status: 500, code: "HTTP_500" }
  },
  {
    name: "a 400 with JSON that is not STACK's error body",
    reply: FakeHttp.json(400, { error: "bad_request", detail: "nope" }, withRequestId(400)),
    call: register,
    method: "POST",
    url: REGISTER_URL,
    expected: { _tag: "BadRequestError", status: 400, code: "HTTP_400" }
  },
  {
    name: "a 404 with a JSON array",
    reply: FakeHttp.json(404, [1, 2, 3], withRequestId(404)),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "NotFoundError", status: 404, code: "HTTP_404" }
  },
  {
    name: "a plain-text 429",
    reply: FakeHttp.text(429, "Too Many Requests", { ...withRequestId(429), "retry-after": "3" }),
    call: get,
    method: "GET",
    url: GET_URL,
    expected: { _tag: "RateLimitError", status: 429, code: "HTTP_429", retryAfterMs: 3000 }
  }
]

interface DecodeScenario {
  readonly name: string
  readonly reply: FakeHttp.Reply
  readonly call: Call
  readonly message: string
}

const decodeScenarios: ReadonlyArray<DecodeScenario> = [
  {
    name: "a body that is not JSON",
    reply: FakeHttp.text(200, "<html>maintenance</html>", withRequestId(200)),
    call: get,
    message: "not JSON"
  },
  {
    name: "an Agent missing required fields",
    reply: FakeHttp.json(200, { id: "agt_1", name: "alpha" }, withRequestId(200)),
    call: get,
    message: "does not match the contract"
  },
  {
    name: "an Agent with fields of the wrong type",
    reply: FakeHttp.json(200, FakeHttp.agentJson({ passport_blocked: "no", created_at: 12 }), withRequestId(200)),
    call: get,
    message: "does not match the contract"
  },
  {
    name: "a registration answered with a wrong enum value",
    reply: FakeHttp.json(201, FakeHttp.agentJson({ accountability_mode: "strict" }), withRequestId(201)),
    call: register,
    message: "does not match the contract"
  },
  {
    name: "a page whose agents are not agents",
    reply: FakeHttp.json(200, { agents: [{ id: 1 }], page: 1, limit: 100, total: 1, has_more: false }, withRequestId(200)),
    call: listPage,
    message: "does not match the contract"
  }
]

const expectHttpError = (error: unknown, scenario: ErrorScenario) => {
  expect(StackError.isHttpStatusError(error)).toBe(true)
  const e = error as StackError.HttpStatusError
  expect(e._tag).toBe(scenario.expected._tag)
  expect(e.status).toBe(scenario.expected.status)
  expect(e.code).toBe(scenario.expected.code)
  if (scenario.expected.message !== undefined) expect(e.message).toBe(scenario.expected.message)
  else expect(e.message.length).toBeGreaterThan(0)
  expect(e.details).toEqual(scenario.expected.details)
  expect(e.requestId).toBe(`req_${scenario.expected.status}`)
  expect(e.method).toBe(scenario.method)
  expect(e.url).toBe(scenario.url)
  if (scenario.expected.retryAfterMs !== undefined) {
    expect(e._tag).toBe("RateLimitError")
    expect((e as StackError.RateLimitError).retryAfterMs).toBe(scenario.expected.retryAfterMs)
  }
}

// -----------------------------------------------------------------------------
// 1. Retry rules
// -----------------------------------------------------------------------------

describe("retries", () => {
  const retried: ReadonlyArray<readonly [number, string]> = [
    [500, "InternalServerError"],
    [502, "InternalServerError"],
    [503, "InternalServerError"],
    [408, "UnexpectedStatusError"],
    [429, "RateLimitError"]
  ]

  it.effect.each(retried)("a read answered %d is retried twice, then fails with the typed error of the last attempt", ([status, tag]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        FakeHttp.stackError(status, "SOME_CODE", `attempt ${index + 1}`, { headers: { "x-request-id": `req_${index + 1}` } })
      )
      const error = yield* failureOf(withAgents(fake, (agents) => agents.get("agt_1")))
      expect(fake.count()).toBe(3)
      expect(error._tag).toBe(tag)
      expect(StackError.isHttpStatusError(error) && error.message).toBe("attempt 3")
      expect(StackError.isHttpStatusError(error) && error.requestId).toBe("req_3")
    }))

  it.effect.each([[408], [429]] as const)("a write answered %d was not performed: it is retried twice, and its error claims no unknown outcome", ([status]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) => FakeHttp.stackError(status, "SOME_CODE", `attempt ${index + 1}`))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.register({ name: "alpha" })))
      expect(fake.count()).toBe(3)
      expect(error).not.toHaveProperty("outcome")
    }))

  it.effect.each([[500], [502], [503]] as const)("a write that is not idempotent answered %d is not retried: its outcome is unknown, with its key and attempts", ([status]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => FakeHttp.stackError(status, "INTERNAL_ERROR", "boom"))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.register({ name: "alpha" })))
      expect(fake.count()).toBe(1)
      expect(error._tag).toBe("InternalServerError")
      const key = fake.requests[0]!.headers["idempotency-key"]
      expect(key).toMatch(/^stk-/)
      expect(error).toMatchObject({ outcome: "unknown", idempotencyKey: key, attempts: 1 })
      expect(error.message).toContain("the outcome is unknown")
      expect(error.message).toContain(key)
      expect(StackError.isOutcomeUnknown(error)).toBe(true)
    }))

  it.effect("a write the contract marks idempotent is retried after a 5xx; when retries run out its outcome is unknown", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => FakeHttp.stackError(503, "INTERNAL_ERROR", "busy"))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.unblock("agt_1")))
      expect(fake.count()).toBe(3)
      const keys = new Set(fake.requests.map((request) => request.headers["idempotency-key"]))
      expect(keys.size).toBe(1)
      expect(error).toMatchObject({ _tag: "InternalServerError", outcome: "unknown", attempts: 3, idempotencyKey: [...keys][0] })
    }))

  it.effect("409 is a conflict of state: not retried, even on a read", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => FakeHttp.stackError(409, "CONFLICT", "taken"))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.register({ name: "alpha" })))
      expect(fake.count()).toBe(1)
      expect(error._tag).toBe("ConflictError")
      expect(error).not.toHaveProperty("outcome")
      expect(StackError.isOutcomeUnknown(error)).toBe(false)
    }))

  it.effect("x-should-retry: true makes a write retryable; false stops a read's retries", () =>
    Effect.gen(function*() {
      const write = FakeHttp.make(({ index }) =>
        index === 0
          ? FakeHttp.stackError(500, "INTERNAL_ERROR", "try again", { headers: { "x-should-retry": "true" } })
          : FakeHttp.json(201, FakeHttp.agentJson())
      )
      const result = yield* runToEnd(withAgents(write, (agents) => agents.register({ name: "alpha" })))
      expect(Either.isRight(result)).toBe(true)
      expect(write.count()).toBe(2)
      const read = FakeHttp.make(() => FakeHttp.stackError(503, "INTERNAL_ERROR", "final", { headers: { "x-should-retry": "false" } }))
      yield* failureOf(withAgents(read, (agents) => agents.get("agt_1")))
      expect(read.count()).toBe(1)
    }))

  it.effect("a 503 then a success: the call succeeds after one retry", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index === 0 ? FakeHttp.stackError(503, "INTERNAL_ERROR", "busy") : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const result = yield* runToEnd(withAgents(fake, (agents) => agents.get("agt_1")))
      expect(Either.isRight(result) && result.right.id).toBe("agt_1")
      expect(fake.count()).toBe(2)
    }))

  it.effect("transport errors are retried twice, then fail with a ConnectionError naming method, URL and cause", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) => FakeHttp.transportError(request))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.get("agt_1")))
      expect(fake.count()).toBe(3)
      expect(error._tag).toBe("ConnectionError")
      expect(error).toMatchObject({ method: "GET", url: GET_URL })
      expect(error.message).toBe(`GET ${GET_URL} failed: fetch failed: connect ECONNREFUSED 127.0.0.1:443`)
      expect(error).not.toHaveProperty("outcome")
      // the underlying failure is kept as the cause
      expect(error._tag === "ConnectionError" && error.cause).toBeInstanceOf(TypeError)
    }))

  it.effect("a write whose connection was refused provably did not run: it is retried, and no outcome is unknown", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) => FakeHttp.transportError(request))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.register({ name: "alpha" })))
      expect(fake.count()).toBe(3)
      expect(error._tag).toBe("ConnectionError")
      expect(error).not.toHaveProperty("outcome")
    }))

  it.effect("a write whose connection dropped after it was sent is not retried: its outcome is unknown", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) => FakeHttp.transportError(request, "read ECONNRESET"))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.register({ name: "alpha" })))
      expect(fake.count()).toBe(1)
      expect(error).toMatchObject({ _tag: "ConnectionError", outcome: "unknown", attempts: 1 })
      expect(error.message).toContain("ECONNRESET")
    }))

  it.effect("a write that times out is not retried: its outcome is unknown", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => Effect.never)
      const fiber = yield* Effect.fork(withAgents(fake, (agents) => agents.register({ name: "alpha" }), { timeout: "2 seconds" }))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const exit = yield* Fiber.await(fiber)
      expect(fake.count()).toBe(1)
      expect(exit._tag === "Failure" && Option.getOrUndefined(Cause.failureOption(exit.cause))).toMatchObject({
        _tag: "TimeoutError",
        outcome: "unknown",
        attempts: 1
      })
    }))

  it.effect("a transport error then a success: the call succeeds", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) =>
        request.index === 0 ? FakeHttp.transportError(request) : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const result = yield* runToEnd(withAgents(fake, (agents) => agents.get("agt_1")))
      expect(Either.isRight(result)).toBe(true)
      expect(fake.count()).toBe(2)
    }))

  it.effect("an attempt that gets no answer times out after the client timeout and is retried", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => Effect.never)
      const fiber = yield* Effect.fork(withAgents(fake, (agents) => agents.get("agt_1"), { timeout: "2 seconds" }))
      yield* settle
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1999)
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1)
      // timed out at 2 s; the retry waits 375–500 ms
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(500)
      expect(fake.count()).toBe(2)
      yield* TestClock.adjust("10 minutes")
      expect(fake.count()).toBe(3)
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(error._tag).toBe("TimeoutError")
      expect(error).toMatchObject({ method: "GET", url: GET_URL, timeoutMs: 2000 })
    }))

  it.effect("the per-call timeout wins over the client's", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => Effect.never)
      const fiber = yield* Effect.fork(
        withAgents(fake, (agents) => agents.get("agt_1").pipe(StackClient.withCallOptions({ timeout: "1 second", retry: false })), { timeout: "1 minute" })
      )
      yield* TestClock.adjust(999)
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1)
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 1000 })
      expect(fake.count()).toBe(1)
    }))

  it.effect("without a timeout option an attempt waits 60 s", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => Effect.never)
      const fiber = yield* Effect.fork(withAgents(fake, (agents) => agents.get("agt_1").pipe(StackClient.withCallOptions({ retry: false }))))
      yield* TestClock.adjust("59999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 60_000 })
    }))

  const notRetried: ReadonlyArray<readonly [number, string, Call]> = [
    [400, "BadRequestError", register],
    [401, "AuthenticationError", get],
    [403, "ForbiddenError", register],
    [404, "NotFoundError", get],
    [422, "UnexpectedStatusError", register]
  ]

  it.effect.each(notRetried)("%d is not retried", ([status, tag, call]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(status, "SOME_CODE", "no")))
      const error = yield* failureOf(withAgents(fake, call))
      expect(error._tag).toBe(tag)
      expect(fake.count()).toBe(1)
    }))

  it.effect("x-should-retry: false stops the retry of a 409", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(
        always(FakeHttp.stackError(409, "IDEMPOTENCY_KEY_REUSED", "reused", { headers: { "x-should-retry": "false" } }))
      )
      const error = yield* failureOf(withAgents(fake, register))
      expect(error._tag).toBe("ConflictError")
      expect(fake.count()).toBe(1)
    }))

  it.effect("x-should-retry: true makes a 400 retried", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(
        always(FakeHttp.stackError(400, "INVALID_REQUEST", "try again", { headers: { "x-should-retry": "true" } }))
      )
      const error = yield* failureOf(withAgents(fake, register))
      expect(error._tag).toBe("BadRequestError")
      expect(fake.count()).toBe(3)
    }))

  it.effect("retry-after-ms is honoured to the millisecond", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(503, "INTERNAL_ERROR", "busy", { headers: { "retry-after-ms": "1500" } })))
      const fiber = yield* Effect.fork(withAgents(fake, get))
      yield* settle
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1499)
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1)
      expect(fake.count()).toBe(2)
      yield* TestClock.adjust(1499)
      expect(fake.count()).toBe(2)
      yield* TestClock.adjust(1)
      expect(fake.count()).toBe(3)
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(error._tag).toBe("InternalServerError")
      expect(fake.count()).toBe(3)
    }))

  it.effect("retry-after in seconds is honoured", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index === 0
          ? FakeHttp.stackError(429, "RATE_LIMITED", "slow down", { headers: { "retry-after": "2" } })
          : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const fiber = yield* Effect.fork(withAgents(fake, get))
      yield* TestClock.adjust(1999)
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1)
      expect(fake.count()).toBe(2)
      expect(yield* Fiber.join(fiber)).toMatchObject({ id: "agt_1" })
    }))

  it.effect("retry-after as an HTTP date is honoured, relative to the clock", () =>
    Effect.gen(function*() {
      // the clock reads 10 s after the epoch; the server asks to come back at 13 s
      yield* TestClock.adjust("10 seconds")
      const fake = FakeHttp.make(({ index }) =>
        index === 0
          ? FakeHttp.stackError(503, "INTERNAL_ERROR", "busy", { headers: { "retry-after": "Thu, 01 Jan 1970 00:00:13 GMT" } })
          : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const fiber = yield* Effect.fork(withAgents(fake, get))
      yield* TestClock.adjust(2999)
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1)
      expect(fake.count()).toBe(2)
      expect(yield* Fiber.join(fiber)).toMatchObject({ id: "agt_1" })
    }))

  it.effect("an HTTP date already past means retry at once", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("10 seconds")
      const fake = FakeHttp.make(({ index }) =>
        index === 0
          ? FakeHttp.stackError(503, "INTERNAL_ERROR", "busy", { headers: { "retry-after": "Thu, 01 Jan 1970 00:00:05 GMT" } })
          : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const fiber = yield* Effect.fork(withAgents(fake, get))
      yield* settle
      expect(fake.count()).toBe(2)
      yield* Fiber.join(fiber)
    }))

  it.effect("a retry-after above 60 s falls back to exponential backoff", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index === 0
          ? FakeHttp.stackError(429, "RATE_LIMITED", "slow down", { headers: { "retry-after": "120" } })
          : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const fiber = yield* Effect.fork(withAgents(fake, get))
      yield* TestClock.adjust(374)
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(126)
      expect(fake.count()).toBe(2)
      yield* Fiber.join(fiber)
    }))

  it.effect("a retry-after-ms above 60 s falls back to exponential backoff too", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index === 0
          ? FakeHttp.stackError(503, "INTERNAL_ERROR", "busy", { headers: { "retry-after-ms": "60001" } })
          : FakeHttp.json(200, FakeHttp.agentJson())
      )
      const fiber = yield* Effect.fork(withAgents(fake, get))
      yield* TestClock.adjust(500)
      expect(fake.count()).toBe(2)
      yield* Fiber.join(fiber)
    }))

  /** Steps the clock 1 ms at a time until the fake has seen `count` requests; the ms stepped. */
  const stepUntil = (fake: FakeHttp.FakeHttp, count: number, limit: number) =>
    Effect.gen(function*() {
      let stepped = 0
      while (fake.count() < count && stepped < limit) {
        yield* TestClock.adjust(1)
        stepped++
      }
      return stepped
    })

  it.effect("exponential backoff without headers: first retry within [375, 500] ms, second within [750, 1000] ms", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(500, "INTERNAL_ERROR", "boom")))
      const fiber = yield* Effect.fork(withAgents(fake, get))
      yield* TestClock.adjust(374)
      expect(fake.count()).toBe(1)
      const first = 374 + (yield* stepUntil(fake, 2, 126))
      expect(fake.count()).toBe(2)
      expect(first).toBeGreaterThanOrEqual(375)
      expect(first).toBeLessThanOrEqual(500)
      yield* TestClock.adjust(749)
      expect(fake.count()).toBe(2)
      const second = 749 + (yield* stepUntil(fake, 3, 251))
      expect(fake.count()).toBe(3)
      expect(second).toBeGreaterThanOrEqual(750)
      expect(second).toBeLessThanOrEqual(1000)
      yield* TestClock.adjust("1 minute")
      expect(fake.count()).toBe(3)
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(error._tag).toBe("InternalServerError")
    }))

  const backoffBounds: ReadonlyArray<readonly [string, number, number, number]> = [
    ["no jitter", 0, 500, 1000],
    ["full jitter", 1, 375, 750]
  ]

  it.effect.each(backoffBounds)("backoff with %s: %d → %d ms, then %d ms", ([, random, first, second]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(500, "INTERNAL_ERROR", "boom")))
      const fiber = yield* Effect.fork(withAgents(fake, get).pipe(Effect.withRandom(Random.fixed([random]))))
      yield* TestClock.adjust(first - 1)
      expect(fake.count()).toBe(1)
      yield* TestClock.adjust(1)
      expect(fake.count()).toBe(2)
      yield* TestClock.adjust(second - 1)
      expect(fake.count()).toBe(2)
      yield* TestClock.adjust(1)
      expect(fake.count()).toBe(3)
      yield* Fiber.join(fiber).pipe(Effect.flip)
    }))

  it.effect("maxRetries per client: 0 means one attempt", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(503, "INTERNAL_ERROR", "busy")))
      const error = yield* failureOf(withAgents(fake, get, { retry: { maxRetries: 0 } }))
      expect(error._tag).toBe("InternalServerError")
      expect(fake.count()).toBe(1)
    }))

  it.effect("maxRetries per client: 4 means five attempts", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(503, "INTERNAL_ERROR", "busy")))
      yield* failureOf(withAgents(fake, get, { retry: { maxRetries: 4 } }))
      expect(fake.count()).toBe(5)
    }))

  it.effect("retry: false on the client disables retries; a call may still ask for them", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(503, "INTERNAL_ERROR", "busy")))
      yield* failureOf(withAgents(fake, get, { retry: false }))
      expect(fake.count()).toBe(1)
      const again = FakeHttp.make(always(FakeHttp.stackError(503, "INTERNAL_ERROR", "busy")))
      yield* failureOf(withAgents(again, (agents) => agents.get("agt_1").pipe(StackClient.withCallOptions({ retry: { maxRetries: 1 } })), { retry: false }))
      expect(again.count()).toBe(2)
    }))

  it.effect("retry: false on a call disables retries", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(503, "INTERNAL_ERROR", "busy")))
      const error = yield* failureOf(withAgents(fake, (agents) => agents.get("agt_1").pipe(StackClient.withCallOptions({ retry: false }))))
      expect(error._tag).toBe("InternalServerError")
      expect(fake.count()).toBe(1)
    }))

  it.effect("retry: { maxRetries: 3 } on a call wins over the client's", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.stackError(503, "INTERNAL_ERROR", "busy")))
      yield* failureOf(
        withAgents(fake, (agents) => agents.get("agt_1").pipe(StackClient.withCallOptions({ retry: { maxRetries: 3 } })), { retry: { maxRetries: 0 } })
      )
      expect(fake.count()).toBe(4)
    }))
})

// -----------------------------------------------------------------------------
// 2. Idempotency keys
// -----------------------------------------------------------------------------

describe("idempotency keys", () => {
  it.effect("one key, identical across every attempt of a POST", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index < 2 ? FakeHttp.stackError(429, "RATE_LIMITED", "slow down") : FakeHttp.json(201, FakeHttp.agentJson())
      )
      const result = yield* runToEnd(withAgents(fake, register))
      expect(Either.isRight(result)).toBe(true)
      expect(fake.count()).toBe(3)
      const keys = fake.requests.map((r) => r.headers["idempotency-key"])
      expect(keys[0]).toMatch(/^stk-[0-9a-f-]{36}$/)
      expect(new Set(keys).size).toBe(1)
    }))

  it.effect("two calls carry two different keys", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.json(201, FakeHttp.agentJson())))
      yield* withAgents(fake, (agents) => Effect.zip(agents.register({ name: "alpha" }), agents.register({ name: "beta" })))
      expect(fake.count()).toBe(2)
      const [a, b] = fake.requests.map((r) => r.headers["idempotency-key"])
      expect(a).toBeDefined()
      expect(b).toBeDefined()
      expect(a).not.toBe(b)
    }))

  it.effect("a caller-provided key is used as given, on every attempt", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index === 0 ? FakeHttp.stackError(409, "IDEMPOTENCY_KEY_IN_USE", "in use", { headers: { "x-should-retry": "true" } }) : FakeHttp.json(201, FakeHttp.agentJson())
      )
      yield* runToEnd(withAgents(fake, (agents) => agents.register({ name: "alpha" }).pipe(StackClient.withCallOptions({ idempotencyKey: "my-key-42" }))))
      expect(fake.requests.map((r) => r.headers["idempotency-key"])).toEqual(["my-key-42", "my-key-42"])
    }))

  it.effect("PATCH, DELETE and POST carry one; GET carries none", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) => {
        switch (request.method) {
          case "DELETE":
            return FakeHttp.json(200, { id: "agt_1", deleted: true })
          case "POST":
            return FakeHttp.json(200, { agent: FakeHttp.agentJson(), was_blocked: true })
          case "GET":
            return request.pathname === "/v1/agents"
              ? FakeHttp.json(200, FakeHttp.pageJson([], { page: 1, limit: 100, total: 0, hasMore: false }))
              : agentOk
          default:
            return agentOk
        }
      })
      yield* withAgents(fake, (agents) =>
        Effect.all([
          agents.get("agt_1"),
          agents.list(),
          agents.update("agt_1", { status: "suspended" }),
          agents.delete("agt_1"),
          agents.unblock("agt_1")
        ]))
      const byMethod = fake.requests.map((r) => [r.method, r.headers["idempotency-key"] !== undefined])
      expect(byMethod).toEqual([["GET", false], ["GET", false], ["PATCH", true], ["DELETE", true], ["POST", true]])
    }))
})

// -----------------------------------------------------------------------------
// 3–5. Error mapping
// -----------------------------------------------------------------------------

describe("statuses → errors", () => {
  it.effect.each(statusScenarios.map((s) => [s.name, s] as const))("%s", ([, scenario]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(scenario.reply))
      const error = yield* failureOf(withAgents(fake, scenario.call, { retry: { maxRetries: 0 } }))
      expectHttpError(error, scenario)
      expect(fake.count()).toBe(1)
    }))

  it.effect("a declared 402 and 422 map to PaymentRequiredError and UnprocessableEntityError", () =>
    Effect.gen(function*() {
      const endpoint = HttpApiEndpoint.post("charge", "/v1/charge")
        .setPayload(Schema.Struct({ amount: Schema.Number }))
        .addSuccess(Schema.Struct({ ok: Schema.Boolean }))
        .addError(Api.Errors.PaymentRequired)
        .addError(Api.Errors.UnprocessableEntity)
      const statuses = [402, 422, 409]
      const fake = FakeHttp.make(({ index }) => FakeHttp.stackError(statuses[index] ?? 200, "CODE", "no"))
      const errors = yield* Effect.gen(function*() {
        const client = yield* StackClient.make({ auth: Auth.apiKey(API_KEY), retry: { maxRetries: 0 } })
        const call = client.call(endpoint, { payload: { amount: 1 } }).pipe(Effect.flip)
        return [yield* call, yield* call, yield* call]
      }).pipe(Effect.scoped, Effect.provide(fake.layer))
      expect(errors.map((e) => e._tag)).toEqual(["PaymentRequiredError", "UnprocessableEntityError", "UnexpectedStatusError"])
    }))
})

describe("error bodies that are not STACK's", () => {
  it.effect.each(nonJsonScenarios.map((s) => [s.name, s] as const))("%s → the right tag, code HTTP_<status>", ([, scenario]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(scenario.reply))
      const error = yield* failureOf(withAgents(fake, scenario.call, { retry: { maxRetries: 0 } }))
      expectHttpError(error, scenario)
      expect(error.message).toContain(String(scenario.expected.status))
    }))
})

describe("success bodies that do not match the contract", () => {
  it.effect.each(decodeScenarios.map((s) => [s.name, s] as const))("%s → ResponseDecodeError", ([, scenario]) =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(scenario.reply))
      const error = yield* failureOf(withAgents(fake, scenario.call))
      expect(error._tag).toBe("ResponseDecodeError")
      const e = error as StackError.ResponseDecodeError
      expect(e.status).toBe(scenario.reply.status)
      expect(e.requestId).toBe(`req_${scenario.reply.status}`)
      expect(e.message).toContain(scenario.message)
      const sent = typeof scenario.reply.body === "string" ? scenario.reply.body : JSON.stringify(scenario.reply.body)
      expect(Redacted.value(e.body)).toBe(sent)
      // a decode failure is not retried
      expect(fake.count()).toBe(1)
    }))

  it.effect("the body excerpt is cut at 1000 characters", () =>
    Effect.gen(function*() {
      const body = "x".repeat(5000)
      const fake = FakeHttp.make(always(FakeHttp.text(200, body)))
      const error = yield* failureOf(withAgents(fake, get))
      expect(error._tag).toBe("ResponseDecodeError")
      expect(Redacted.value((error as StackError.ResponseDecodeError).body)).toBe("x".repeat(1000))
      expect((error as StackError.ResponseDecodeError).requestId).toBeUndefined()
    }))

  it.effect("the message names the mismatched fields, never their values; the body is Redacted", () =>
    Effect.gen(function*() {
      const secret = "pp_SECRET_TOKEN_VALUE_42"
      const fake = FakeHttp.make(always(FakeHttp.json(200, FakeHttp.agentJson({ status: secret, passport_blocked: secret }))))
      const error = yield* failureOf(withAgents(fake, get))
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error.message).toContain("status")
      expect(error.message).toContain("passport_blocked")
      for (const rendering of FakeHttp.renderings(error)) expect(rendering).not.toContain(secret)
      expect(Redacted.value((error as StackError.ResponseDecodeError).body)).toContain(secret)
    }))

  it.effect("unknown extra fields are tolerated", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make((request) =>
        request.pathname === "/v1/agents"
          ? FakeHttp.json(200, {
            ...FakeHttp.pageJson([FakeHttp.agentJson({ trust_level: 3, tags: ["x"] })], {
              page: 1,
              limit: 100,
              total: 1,
              hasMore: false
            }),
            next_cursor: null
          })
          : FakeHttp.json(200, FakeHttp.agentJson({ future_field: { nested: true } }))
      )
      const [agent, page] = yield* withAgents(fake, (agents) => Effect.all([agents.get("agt_1"), agents.list()]))
      expect(agent.name).toBe("alpha")
      expect(page.agents.map((a) => a.id)).toEqual(["agt_1"])
    }))
})

// -----------------------------------------------------------------------------
// 6. Secrets
// -----------------------------------------------------------------------------

describe("secrets", () => {
  it.effect("the API key is sent, and appears in no error and no log line", () =>
    Effect.gen(function*() {
      const logs = FakeHttp.captureLogs()
      const errors: Array<readonly [string, unknown]> = []
      const seen: Array<FakeHttp.RecordedRequest> = []
      const collect = (name: string, handler: FakeHttp.Handler, call: Call, options: Stack.ClientOptions = {}) =>
        Effect.gen(function*() {
          const fake = FakeHttp.make(handler)
          const error = yield* failureOf(withAgents(fake, call, options))
          errors.push([name, error])
          seen.push(...fake.requests)
        })

      const run = Effect.gen(function*() {
        yield* Effect.logDebug("capture check", { apiKeyLength: API_KEY.length })
        for (const s of [...statusScenarios, ...nonJsonScenarios]) yield* collect(s.name, always(s.reply), s.call)
        for (const s of decodeScenarios) yield* collect(s.name, always(s.reply), s.call)
        yield* collect("transport", (request) => FakeHttp.transportError(request), get)
        yield* collect("timeout", () => Effect.never, get, { timeout: "1 second" })
      })
      yield* run.pipe(Logger.withMinimumLogLevel(LogLevel.All), Effect.provide(logs.layer))

      // the key did go out, on every request
      expect(seen.length).toBeGreaterThan(errors.length)
      for (const request of seen) expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`)
      // the logger did capture the SDK's lines (so an absence below means something)
      expect(logs.lines.some((line) => line.includes("capture check"))).toBe(true)
      expect(logs.lines.some((line) => line.includes("STACK request failed"))).toBe(true)

      expect(errors.length).toBe(statusScenarios.length + nonJsonScenarios.length + decodeScenarios.length + 2)
      for (const [name, error] of errors) {
        for (const [how, text] of FakeHttp.renderings(error)) {
          expect(text.length, `${name} / ${how}`).toBeGreaterThan(0)
          expect(text, `${name} / ${how}`).not.toContain(API_KEY)
          expect(text, `${name} / ${how}`).not.toContain("SECRETSECRET")
        }
      }
      for (const line of logs.lines) expect(line).not.toContain("SECRETSECRET")
    }))
})

// -----------------------------------------------------------------------------
// 7. Headers, base URL, path and query
// -----------------------------------------------------------------------------

describe("requests", () => {
  it.effect("every request carries user-agent, accept and authorization, retries included", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ index }) =>
        index === 0 ? FakeHttp.stackError(429, "RATE_LIMITED", "slow down") : FakeHttp.json(201, FakeHttp.agentJson())
      )
      yield* runToEnd(withAgents(fake, (agents) => Effect.zip(agents.register({ name: "alpha" }), agents.get("agt_1"))))
      expect(fake.count()).toBe(3)
      for (const request of fake.requests) {
        expect(request.headers["user-agent"]).toBe(`getstack-effect/${version}`)
        expect(request.headers.accept).toBe("application/json")
        expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`)
      }
    }))

  it.effect("a session JWT is sent as the bearer token; its 401 is neither retried nor refreshed", () =>
    Effect.gen(function*() {
      const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcF8xIn0.SESSIONSECRET"
      const fake = FakeHttp.make(always(FakeHttp.stackError(401, "UNAUTHORIZED", "session expired")))
      const error = yield* failureOf(
        Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
          Effect.provide(Stack.fromSession(jwt).pipe(Layer.provide(fake.layer)))
        )
      )
      expect(error._tag).toBe("AuthenticationError")
      expect(fake.requests.map((r) => `${r.method} ${r.url} ${r.headers.authorization}`)).toEqual([
        `GET ${GET_URL} Bearer ${jwt}`
      ])
    }))

  it.effect("the payload is sent as JSON", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.json(201, FakeHttp.agentJson())))
      yield* withAgents(fake, (agents) => agents.register({ name: "alpha", description: "d", on_critical: "notify" }))
      const [request] = fake.requests
      expect(request?.method).toBe("POST")
      expect(request?.contentType).toBe("application/json")
      expect(JSON.parse(request?.body ?? "")).toEqual({ description: "d", on_critical: "notify", name: "alpha" })
    }))

  it.effect("the base URL defaults to https://api.getstack.run", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(agentOk))
      yield* withAgents(fake, get).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
      expect(fake.requests[0]?.url).toBe("https://api.getstack.run/v1/agents/agt_1")
    }))

  it.effect("the baseUrl option overrides it (a trailing slash is dropped)", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(agentOk))
      yield* withAgents(fake, get, { baseUrl: "http://localhost:8787/" })
      expect(fake.requests[0]?.url).toBe("http://localhost:8787/v1/agents/agt_1")
    }))

  it.effect("STACK_BASE_URL overrides it when there is no option", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(agentOk))
      yield* withAgents(fake, get).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["STACK_BASE_URL", "http://x.test"]])))
      )
      expect(fake.requests[0]?.url).toBe("http://x.test/v1/agents/agt_1")
    }))

  it.effect("an empty STACK_BASE_URL counts as unset", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(agentOk))
      yield* withAgents(fake, get).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["STACK_BASE_URL", " "]])))
      )
      expect(fake.requests[0]?.url).toBe("https://api.getstack.run/v1/agents/agt_1")
    }))

  it.effect("the baseUrl option wins over STACK_BASE_URL", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(agentOk))
      yield* withAgents(fake, get, { baseUrl: "http://option.test" }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["STACK_BASE_URL", "http://x.test"]])))
      )
      expect(fake.requests[0]?.url).toBe("http://option.test/v1/agents/agt_1")
    }))

  it.effect("path params are URL-encoded", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(agentOk))
      yield* withAgents(fake, (agents) => agents.get("agt/1 ?#x"))
      expect(fake.requests[0]?.pathname).toBe("/v1/agents/agt%2F1%20%3F%23x")
      expect(fake.requests[0]?.query.toString()).toBe("")
    }))

  it.effect("query params (page, limit) are sent", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.json(200, FakeHttp.pageJson([], { page: 3, limit: 25, total: 0, hasMore: false }))))
      const page = yield* withAgents(fake, (agents) => agents.list({ page: 3, limit: 25 }))
      expect(page.page).toBe(3)
      expect(fake.requests[0]?.pathname).toBe("/v1/agents")
      expect(fake.requests[0]?.query.get("page")).toBe("3")
      expect(fake.requests[0]?.query.get("limit")).toBe("25")
    }))
})

// -----------------------------------------------------------------------------
// 8. Pagination
// -----------------------------------------------------------------------------

describe("agents.list", () => {
  const agent = (n: number) => FakeHttp.agentJson({ id: `agt_${n}`, name: `agent-${n}` })

  it.effect("fetches page after page until has_more is false and emits every agent in order", () =>
    Effect.gen(function*() {
      const pages = [[agent(1), agent(2)], [agent(3), agent(4)], [agent(5)]]
      const fake = FakeHttp.make(({ query }) => {
        const page = Number(query.get("page"))
        return FakeHttp.json(
          200,
          FakeHttp.pageJson(pages[page - 1] ?? [], { page, limit: 2, total: 5, hasMore: page < pages.length })
        )
      })
      const agents = yield* withAgents(fake, (service) => Stream.runCollect(service.listAll({ pageSize: 2 })))
      expect(Chunk.toReadonlyArray(agents).map((a) => a.id)).toEqual(["agt_1", "agt_2", "agt_3", "agt_4", "agt_5"])
      expect(fake.requests.map((r) => [r.query.get("page"), r.query.get("limit")])).toEqual([["1", "2"], ["2", "2"], ["3", "2"]])
    }))

  it.effect("follows next_cursor when the answers carry one: page 1 by number, then each page by the cursor given", () =>
    Effect.gen(function*() {
      const pages: Record<string, { agents: Array<Record<string, unknown>>; next: string | null }> = {
        first: { agents: [agent(1), agent(2)], next: "c2" },
        c2: { agents: [agent(3), agent(4)], next: "c3" },
        c3: { agents: [agent(5)], next: null }
      }
      const fake = FakeHttp.make(({ query }) => {
        const { agents, next } = pages[query.get("cursor") ?? "first"]!
        return FakeHttp.json(200, { agents, limit: 2, has_more: next !== null, next_cursor: next })
      })
      const agents = yield* withAgents(fake, (service) => Stream.runCollect(service.listAll({ pageSize: 2 })))
      expect(Chunk.toReadonlyArray(agents).map((a) => a.id)).toEqual(["agt_1", "agt_2", "agt_3", "agt_4", "agt_5"])
      expect(fake.requests.map((r) => r.query.toString())).toEqual(["page=1&limit=2", "cursor=c2&limit=2", "cursor=c3&limit=2"])
    }))

  it.effect("uses page numbers when the answers carry no next_cursor, and never sends a cursor", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ query }) => {
        const page = Number(query.get("page"))
        return FakeHttp.json(200, { agents: page <= 2 ? [agent(page)] : [], page, limit: 1, has_more: page < 3 })
      })
      const agents = yield* withAgents(fake, (service) => Stream.runCollect(service.listAll({ pageSize: 1 })))
      expect(Chunk.toReadonlyArray(agents).map((a) => a.id)).toEqual(["agt_1", "agt_2"])
      expect(fake.requests.map((r) => r.query.toString())).toEqual(["page=1&limit=1", "page=2&limit=1", "page=3&limit=1"])
    }))

  it.effect("stops on next_cursor: null even when has_more is left out", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(() => FakeHttp.json(200, { agents: [agent(1), agent(2)], next_cursor: null }))
      const agents = yield* withAgents(fake, (service) => Stream.runCollect(service.listAll({ pageSize: 2 })))
      expect(Chunk.size(agents)).toBe(2)
      expect(fake.count()).toBe(1)
    }))

  it.effect("reads 100 agents a page by default and stops on an empty last page", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(always(FakeHttp.json(200, FakeHttp.pageJson([], { page: 1, limit: 100, total: 0, hasMore: false }))))
      const agents = yield* withAgents(fake, (service) => Stream.runCollect(service.listAll()))
      expect(Chunk.size(agents)).toBe(0)
      expect(fake.count()).toBe(1)
      expect(fake.requests[0]?.query.get("limit")).toBe("100")
    }))

  it.effect("pages are fetched as the stream is read", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ query }) =>
        FakeHttp.json(200, FakeHttp.pageJson([agent(Number(query.get("page")))], { page: 1, limit: 1, total: 9, hasMore: true }))
      )
      const agents = yield* withAgents(fake, (service) => Stream.runCollect(Stream.take(service.listAll({ pageSize: 1 }), 2)))
      expect(Chunk.toReadonlyArray(agents).map((a) => a.id)).toEqual(["agt_1", "agt_2"])
      expect(fake.count()).toBe(2)
    }))

  it.effect("a failing second page surfaces the typed error, after the first page's agents", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ query }) =>
        query.get("page") === "1"
          ? FakeHttp.json(200, FakeHttp.pageJson([agent(1), agent(2)], { page: 1, limit: 2, total: 4, hasMore: true }))
          : FakeHttp.stackError(400, "INVALID_REQUEST", "page: must be an integer of at least 1", {
            headers: { "x-request-id": "req_page2" }
          })
      )
      const emitted: Array<string> = []
      const error = yield* failureOf(
        withAgents(fake, (service) => Stream.runForEach(service.listAll({ pageSize: 2 }), (a) => Effect.sync(() => emitted.push(a.id))))
      )
      expect(emitted).toEqual(["agt_1", "agt_2"])
      expect(error).toMatchObject({
        _tag: "BadRequestError",
        status: 400,
        code: "INVALID_REQUEST",
        requestId: "req_page2",
        url: "https://api.getstack.run/v1/agents?page=2&limit=2"
      })
      expect(fake.count()).toBe(2)
    }))

  it.effect("a second page that keeps failing with 503 is retried, then surfaces InternalServerError", () =>
    Effect.gen(function*() {
      const fake = FakeHttp.make(({ query }) =>
        query.get("page") === "1"
          ? FakeHttp.json(200, FakeHttp.pageJson([agent(1)], { page: 1, limit: 1, total: 2, hasMore: true }))
          : FakeHttp.stackError(503, "INTERNAL_ERROR", "busy")
      )
      const error = yield* failureOf(withAgents(fake, (service) => Stream.runCollect(service.listAll({ pageSize: 1 }))))
      expect(error._tag).toBe("InternalServerError")
      expect(fake.count()).toBe(4)
    }))
})
