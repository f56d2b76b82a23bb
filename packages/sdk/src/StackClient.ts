/**
 * The one transport every service shares: base URL, auth, retries, timeouts,
 * idempotency keys, request ids and error decoding, driven by the wire
 * contract's endpoint definitions.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { constTrue, dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import { isPublic } from "./api/Common.js"
import { idempotencyField, isIdempotent, pathParams } from "./api/Endpoint.js"
import { ErrorBody } from "./api/Errors.js"
import type { Auth } from "./Auth.js"
import { AttemptController } from "./internal/abort.js"
import * as AgentKey from "./internal/agentKey.js"
import { encodeRequestPart } from "./internal/encode.js"
import type { Service } from "./internal/service.js"
import { makeTokenSource } from "./internal/tokens.js"
import * as Retry from "./Retry.js"
import {
  ConnectionError,
  fromStatus,
  type HttpStatusError,
  InternalServerError,
  RequestEncodeError,
  ResponseDecodeError,
  TimeoutError,
  type TransportError
} from "./StackError.js"
import { version } from "./version.js"

/**
 * STACK's hosted API.
 *
 * @since 0.1.0
 * @category defaults
 */
export const DEFAULT_BASE_URL = "https://api.getstack.run"

/**
 * @since 0.1.0
 * @category defaults
 */
export const DEFAULT_TIMEOUT: Duration.Duration = Duration.seconds(60)

/**
 * The `User-Agent` the SDK sends.
 *
 * @since 0.1.0
 * @category defaults
 */
export const USER_AGENT = `getstack-effect/${version}`

/**
 * Options of a client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly auth: Auth
  /** Defaults to `STACK_BASE_URL`, then `https://api.getstack.run`. */
  readonly baseUrl?: string | undefined
  /** Per-attempt timeout. Default 60 s. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retry options for every call; `false` disables retries. */
  readonly retry?: Retry.RetryOptions | false | undefined
}

/**
 * Options of the calls an effect makes, set with `withCallOptions`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  /** Per-attempt timeout. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retry options, merged over the client's; `false` disables retries. */
  readonly retry?: Retry.RetryOptions | false | undefined
  /**
   * The `Idempotency-Key` of a write; one is generated per call when left
   * out. It applies to every call the effect makes: set it on one call.
   */
  readonly idempotencyKey?: string | undefined
}

/**
 * The call options in effect for the current fiber.
 *
 * @since 0.1.0
 * @category call options
 */
export const currentCallOptions: FiberRef.FiberRef<CallOptions> = FiberRef.unsafeMake<CallOptions>({})

/**
 * Runs an effect with per-call options (timeout, retry, idempotency key) for
 * every STACK call it makes, over the client's:
 *
 * ```ts
 * stack.passports.revoke({ jti }).pipe(StackClient.withCallOptions({ timeout: "5 seconds", retry: false }))
 * ```
 *
 * @since 0.1.0
 * @category call options
 */
export const withCallOptions: {
  (options: CallOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: CallOptions): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, options: CallOptions): Effect.Effect<A, E, R> =>
    Effect.locallyWith(self, currentCallOptions, (current) => ({ ...current, ...options }))
)

export type {
  /** @since 0.1.0 */
  ErrorsOf,
  /** @since 0.1.0 */
  InputOf,
  /** @since 0.1.0 */
  Service
} from "./internal/service.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class StackClient extends Context.Tag("@getstack/effect/StackClient")<StackClient, Service>() {}

type AnyEndpoint = HttpApiEndpoint.HttpApiEndpoint.AnyWithProps

interface EndpointPlan {
  readonly method: HttpMethod
  /** The endpoint needs no credentials: none are sent. */
  readonly public: boolean
  /** The endpoint may be retried whatever happened to the previous attempt. */
  readonly idempotent: boolean
  /** The endpoint changes state and carries an `Idempotency-Key` (not one whose body has its own id: `IdempotencyField`). */
  readonly write: boolean
  readonly pathParams: ReadonlyArray<string>
  /** The path schema is a struct of plain strings: encoding it changes nothing. */
  readonly plainPath: boolean
  readonly declared: ReadonlySet<number>
  /** The name of a call's span: the service and the method, e.g. `Agents.get`. */
  readonly spanName: string
  /**
   * The success schema takes a body as text (a member with `Text` encoding,
   * such as an NDJSON or CSV export): an answer whose content type is not
   * JSON is decoded from its text, not parsed.
   */
  readonly acceptsText: boolean
  /** Decodes a success body, stopping at the first mismatch (synchronous schemas). */
  readonly decodeSuccess: ((u: unknown) => Either.Either<unknown, ParseResult.ParseError>) | undefined
  /** Decodes a success body reporting every mismatch: for the error message, and for schemas that are not synchronous. */
  readonly decodeSuccessAll: (u: unknown) => Effect.Effect<unknown, ParseResult.ParseError>
}

const plans = new WeakMap<AnyEndpoint, EndpointPlan>()

/** The service an endpoint belongs to, from its path: `/v1/agents/:id` → `Agents`. */
const serviceOf = (path: string): string => {
  const segment = path.split("/").find((part) => /^[A-Za-z][\w-]*$/.test(part) && !/^v\d+$/.test(part))
  return segment === undefined ? "Stack" : segment.replace(/(?:^|[-_])(\w)/g, (_, letter: string) => letter.toUpperCase())
}

const planOf = (endpoint: AnyEndpoint): EndpointPlan => {
  let plan = plans.get(endpoint)
  if (plan === undefined) {
    const ast = endpoint.errorSchema.ast
    const declared = new Set((ast._tag === "Union" ? ast.types : [ast]).map(HttpApiSchema.getStatusErrorAST))
    const success = endpoint.successSchema as Schema.Schema<unknown>
    const isVoid = HttpApiSchema.isVoid(success.ast)
    plan = {
      method: endpoint.method,
      public: isPublic(endpoint),
      idempotent: isIdempotent(endpoint),
      write: endpoint.method !== "GET" && endpoint.method !== "HEAD" && idempotencyField(endpoint) === undefined,
      pathParams: pathParams(endpoint.path),
      plainPath: Option.match(endpoint.pathSchema, {
        onNone: () => true,
        onSome: ({ ast }) =>
          ast._tag === "TypeLiteral" && ast.indexSignatures.length === 0 &&
          ast.propertySignatures.every((property) => property.type._tag === "StringKeyword")
      }),
      declared,
      spanName: `${serviceOf(endpoint.path)}.${endpoint.name}`,
      acceptsText: (success.ast._tag === "Union" ? success.ast.types : [success.ast]).some((member) =>
        HttpApiSchema.getEncoding(member).kind === "Text"
      ),
      decodeSuccess: isVoid ? undefined : Schema.decodeUnknownEither(success),
      decodeSuccessAll: Schema.decodeUnknown(success, { errors: "all" })
    }
    plans.set(endpoint, plan)
  }
  return plan
}

/** Whether a content type is JSON (`application/json`, `application/problem+json`, …). */
const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType)

const decodeErrorBody = Schema.decodeUnknownOption(Schema.parseJson(ErrorBody))

const BODY_EXCERPT = 1000

/** Where a value fails its schema, without the values (they may be secrets). */
const mismatchedPaths = (error: ParseResult.ParseError, prefix?: string): Array<string> => [
  ...new Set(
    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
      [prefix, ...issue.path.map(String)].filter((part) => part !== undefined).join(".") || "(root)"
    )
  )
]

/** A failed attempt, before the retry policy has looked at it. */
class AttemptFailure {
  constructor(
    readonly error: HttpStatusError | ConnectionError | TimeoutError,
    readonly retry: Retry.RetryInput,
    readonly token?: Redacted.Redacted<string>
  ) {}
}

/** The answer of a successful attempt, read to its end. */
interface Exchange {
  readonly status: number
  readonly headers: Headers.Headers
  readonly text: string
}

/** One logical call: the request every attempt sends, and what its attempts learn. */
interface CallState {
  readonly plan: EndpointPlan
  readonly url: string
  readonly idempotencyKey: string | undefined
  readonly timeout: Duration.Duration
  readonly retry: CallOptions["retry"]
  readonly request: HttpClientRequest.HttpClientRequest
  /** The call's span, when tracing is on. */
  readonly span: Tracer.Span | undefined
  attempts: number
}

const toUrlParams = (params: unknown): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) continue
    for (const item of Array.isArray(value) ? value : [value]) out.push([key, String(item)])
  }
  return out
}

const mergeRetry = (client: Options["retry"], call: CallOptions["retry"]): Retry.RetryOptions =>
  call === false || (client === false && call === undefined) ? { maxRetries: 0 } : { ...(client || {}), ...call }

/** Codes of a failure to connect: the request never reached a server. */
const NOT_CONNECTED = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT"
])

/** The errors a transport failure wraps, outermost first (at most 5 deep). */
const causeChain = (cause: unknown): Array<{ readonly message: string; readonly code: string | undefined }> => {
  const chain: Array<{ readonly message: string; readonly code: string | undefined }> = []
  let current: unknown = cause
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = "code" in current && typeof current.code === "string" ? current.code : undefined
    const message = "message" in current && typeof current.message === "string" ? current.message : ""
    chain.push({ message, code })
    current = "cause" in current ? current.cause : undefined
  }
  return chain
}

/** What went wrong under a transport failure: `fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1`. */
const describeCause = (cause: HttpClientError.RequestError): string => {
  const messages = causeChain(cause.cause).map(({ code, message }) =>
    code !== undefined && !message.includes(code) ? `${code} ${message}`.trim() : message
  ).filter((message) => message !== "")
  return [...new Set(messages)].join(": ") || (cause.description ?? cause.reason)
}

/**
 * `STACK_BASE_URL`, when set and not empty.
 *
 * @since 0.1.0
 * @category config
 */
export const baseUrlFromEnvironment: Effect.Effect<Option.Option<string>> = Config.option(Config.string("STACK_BASE_URL")).pipe(
  Effect.map(Option.filter((url) => url.trim() !== "")),
  Effect.orElseSucceed(Option.none)
)

/** The error a write ends with when STACK may have performed it. */
const withOutcome = (
  error: HttpStatusError | ConnectionError | TimeoutError,
  write: { readonly idempotencyKey: string; readonly attempts: number },
  connected: boolean
): HttpStatusError | ConnectionError | TimeoutError => {
  const unknown = error._tag === "TimeoutError" || error._tag === "InternalServerError" ||
    (error._tag === "ConnectionError" && connected)
  if (!unknown) return error
  const fields = {
    outcome: "unknown" as const,
    idempotencyKey: write.idempotencyKey,
    attempts: write.attempts,
    message: `${error.message}; the outcome is unknown: STACK may have performed this write ` +
      `(${write.attempts} attempt${write.attempts === 1 ? "" : "s"}, Idempotency-Key ${write.idempotencyKey})`
  }
  switch (error._tag) {
    case "TimeoutError":
      return new TimeoutError({ ...error, ...fields })
    case "ConnectionError":
      return new ConnectionError({ ...error, ...fields })
    default:
      return new InternalServerError({ ...(error as InternalServerError), ...fields })
  }
}

/** The clock `Effect` runs on by default; under another (a `TestClock`) timeouts go through `Effect.timeoutFail`. */
const LiveClock = Clock.make().constructor

/** The largest delay `setTimeout` keeps. */
const MAX_TIMER_MS = 2_147_483_647

/**
 * Where `HttpClient.make` of `@effect/platform` looks up the
 * `AbortController` of a request whose lifetime is tied to a scope
 * (`HttpClient.withScope` registers one there): the transport gets its
 * signal, so aborting it ends the request. The transport times an attempt
 * out this way, with a timer, instead of forking a fiber to race it; it
 * registers an `AttemptController`, whose signal is made only when a client
 * reads it (`Undici.layer` listens without one).
 */
const scopedRequests = globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController | AttemptController>()
)

/** The controller of the attempt a fiber is about to send, until the request reaches the platform. */
const attemptControllers = new WeakMap<Fiber.RuntimeFiber<unknown, unknown>, AttemptController>()

let registryChecked: boolean | undefined

/**
 * Whether the `HttpClient.make` in use hands the transport the signal of the
 * controller registered in `scopedRequests` (checked once, with a transport
 * that only looks at its signal); when it does not, timeouts race a fiber.
 */
const abortable = (): boolean => {
  if (registryChecked === undefined) {
    const request = HttpClientRequest.get("http://localhost/")
    const controller = new AbortController()
    scopedRequests.set(request, controller)
    let seen: AbortSignal | undefined
    const probe = HttpClient.make((request, _url, signal) => {
      seen = signal
      return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport" }))
    })
    Effect.runSyncExit(Effect.withTracerEnabled(probe.execute(request), false))
    registryChecked = seen === controller.signal
  }
  return registryChecked
}

/**
 * Builds a client over the `HttpClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const httpClient = yield* HttpClient.HttpClient
    const envBaseUrl = yield* baseUrlFromEnvironment
    const baseUrl = (options.baseUrl ?? Option.getOrElse(envBaseUrl, () => DEFAULT_BASE_URL)).replace(/\/+$/, "")
    const auth = options.auth
    const tokens = auth._tag === "AgentKey"
      ? yield* AgentKey.tokenSource({
        agentId: auth.agentId,
        store: auth.store,
        operator: auth.operator === undefined ? undefined : yield* make({ ...options, baseUrl, auth: auth.operator })
      })
      : yield* makeTokenSource(auth, baseUrl, httpClient)
    const clientTimeout = Duration.decode(options.timeout ?? DEFAULT_TIMEOUT)

    /** The headers of every request; with a token that never changes, its `authorization` too. */
    const publicHeaders = Headers.fromInput({ accept: "application/json", "user-agent": USER_AGENT })
    const headers = tokens.constant === undefined
      ? publicHeaders
      : Headers.set(publicHeaders, "authorization", `Bearer ${Redacted.value(tokens.constant)}`)

    const connectionFailure = (ctx: CallState, cause: HttpClientError.HttpClientError) => {
      const connected = cause._tag !== "RequestError" || cause.reason === "Transport" &&
          !causeChain(cause.cause).some(({ code }) => code !== undefined && NOT_CONNECTED.has(code))
      const describe = cause._tag === "RequestError" ? describeCause(cause) : `${cause.reason}: ${cause.message}`
      const method = ctx.plan.method
      return new AttemptFailure(
        new ConnectionError({ method, url: ctx.url, message: `${method} ${ctx.url} failed: ${describe}`, cause: cause.cause }),
        { retryable: ctx.plan.idempotent || !connected, retryAfterMs: undefined, connected }
      )
    }

    const timeoutFailure = (ctx: CallState) => () =>
      new AttemptFailure(
        new TimeoutError({
          method: ctx.plan.method,
          url: ctx.url,
          message: `${ctx.plan.method} ${ctx.url}: no answer within ${Duration.format(ctx.timeout)}`,
          timeoutMs: Duration.toMillis(ctx.timeout)
        }),
        { retryable: ctx.plan.idempotent, retryAfterMs: undefined, connected: true }
      )

    const statusFailure = (ctx: CallState, exchange: Exchange, token: Redacted.Redacted<string> | undefined) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const { status, headers, text } = exchange
        const retryAfter = Retry.retryAfterMs(headers, now)
        const fields = Option.match(decodeErrorBody(text), {
          onNone: () => ({
            code: `HTTP_${status}`,
            message: `${status} with a body that is not STACK's error body: ${text.slice(0, 200)}`,
            details: undefined
          }),
          onSome: ({ error }) => ({ code: error.code, message: error.message, details: error.details })
        })
        const error = fromStatus(
          { status, ...fields, requestId: headers["x-request-id"], method: ctx.plan.method, url: ctx.url },
          { declared: ctx.plan.declared, retryAfterMs: retryAfter }
        )
        const shouldRetry = headers["x-should-retry"]
        const retryable = shouldRetry === "true"
          ? true
          : shouldRetry === "false"
          ? false
          : Retry.isRetryableStatus(status, ctx.plan.idempotent)
        return Effect.fail(new AttemptFailure(error, { retryable, retryAfterMs: retryAfter, connected: true }, token))
      })

    /**
     * The client every request goes through: it hands the request, as the
     * transport will see it (after the middleware of the `HttpClient` in
     * context), the controller of its attempt.
     */
    const client = HttpClient.transform(httpClient, (effect, request) =>
      Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) => {
        const controller = attemptControllers.get(fiber)
        if (controller !== undefined) {
          attemptControllers.delete(fiber)
          scopedRequests.set(request, controller)
        }
        return effect
      }))

    const exchange = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.flatMap(client.execute(request), (response) =>
        Effect.map(response.text, (text): Exchange => ({ status: response.status, headers: response.headers, text })))

    /** The answer of an attempt: the exchange when its status is below 400, else the failure it means. */
    const answered = (
      ctx: CallState,
      exchange: Exchange,
      token: Redacted.Redacted<string> | undefined
    ): Effect.Effect<Exchange, AttemptFailure> => {
      const requestId = exchange.headers["x-request-id"]
      if (ctx.span !== undefined) {
        ctx.span.attribute("http.response.status_code", exchange.status)
        if (requestId !== undefined) ctx.span.attribute("stack.request_id", requestId)
      }
      return exchange.status < 400 ? Effect.succeed(exchange) : statusFailure(ctx, exchange, token)
    }

    /**
     * Sends the request once and reads the answer to its end, within the
     * timeout. On the live clock a timer aborts the request through the
     * signal its transport was given (see `scopedRequests`): no fiber is
     * forked. Under another clock (a `TestClock`), `Effect.timeoutFail`.
     */
    const send = (
      ctx: CallState,
      request: HttpClientRequest.HttpClientRequest,
      token: Redacted.Redacted<string> | undefined
    ): Effect.Effect<Exchange, AttemptFailure> =>
      Effect.withFiberRuntime((fiber) => {
        const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
        const millis = Duration.toMillis(ctx.timeout)
        if (clock.constructor !== LiveClock || !(millis <= MAX_TIMER_MS) || !abortable()) {
          return Effect.flatMap(
            Effect.timeoutFail(
              Effect.mapError(exchange(request), (cause) => connectionFailure(ctx, cause)),
              { duration: ctx.timeout, onTimeout: timeoutFailure(ctx) }
            ),
            (exchange) => answered(ctx, exchange, token)
          )
        }
        const controller = new AttemptController()
        attemptControllers.set(fiber, controller)
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          controller.abort()
        }, millis)
        const settle = () => {
          clearTimeout(timer)
          attemptControllers.delete(fiber)
        }
        return Effect.uninterruptibleMask((restore) =>
          Effect.matchCauseEffect(restore(exchange(request)), {
            onFailure: (cause) => {
              settle()
              // interrupted or failed: a request with a controller of its own is not aborted by the platform
              controller.abort()
              const failure = Cause.failureOrCause(cause)
              return failure._tag === "Right"
                ? Effect.failCause(failure.right)
                : Effect.fail(timedOut ? timeoutFailure(ctx)() : connectionFailure(ctx, failure.left))
            },
            onSuccess: (exchange) => {
              settle()
              return timedOut ? Effect.fail(timeoutFailure(ctx)()) : answered(ctx, exchange, token)
            }
          })
        )
      })

    const attempt = (ctx: CallState): Effect.Effect<Exchange, AttemptFailure> =>
      ctx.plan.public || tokens.constant !== undefined
        ? send(ctx, ctx.request, undefined)
        : Effect.flatMap(
          Effect.mapError(
            tokens.token,
            // no request was sent: safe to try again, unless the credentials were refused
            (error) => new AttemptFailure(error, { retryable: error._tag !== "AuthenticationError", retryAfterMs: undefined })
          ),
          (token) => send(ctx, HttpClientRequest.setHeader(ctx.request, "authorization", `Bearer ${Redacted.value(token)}`), token)
        )

    /** A 401 with a refreshable token: refresh and try once more. */
    const attemptWithReauth = (ctx: CallState): Effect.Effect<Exchange, AttemptFailure> => {
      ctx.attempts++
      if (ctx.plan.public || tokens.constant !== undefined) return attempt(ctx)
      return Effect.catchIf(
        attempt(ctx),
        // a passport's own 401 (PASSPORT_REVOKED, PASSPORT_EXPIRED) says nothing of the caller's token
        (failure) =>
          failure.error._tag === "AuthenticationError" && failure.token !== undefined &&
          !failure.error.code.startsWith("PASSPORT_"),
        (failure) => Effect.flatMap(tokens.invalidate(failure.token!), (again) => again ? attempt(ctx) : Effect.fail(failure))
      )
    }

    const logFailure = (ctx: CallState, failure: AttemptFailure) =>
      Effect.logDebug("STACK request failed", {
        method: ctx.plan.method,
        url: ctx.url,
        error: failure.error._tag,
        retryable: failure.retry.retryable
      })

    /** After a failed first attempt: the retry schedule, fed that failure first. */
    const retries = (ctx: CallState, first: AttemptFailure) => {
      let replay: AttemptFailure | undefined = first
      const again = Effect.suspend(() => {
        if (replay !== undefined) {
          const failure = replay
          replay = undefined
          return Effect.fail(failure)
        }
        return Effect.tapError(attemptWithReauth(ctx), (failure) => logFailure(ctx, failure))
      })
      return Effect.zipRight(
        logFailure(ctx, first),
        first.retry.retryable
          ? Effect.retry(again, {
            schedule: Schedule.mapInput(
              Retry.schedule(mergeRetry(options.retry, ctx.retry)),
              (failure: AttemptFailure) => failure.retry
            ),
            while: (failure) => failure.retry.retryable
          })
          : Effect.fail(first)
      )
    }

    /**
     * The attempts of a call: the first one alone; the retry schedule, and
     * the call's span as the parent of what they do, only once one failed.
     */
    const attempts = (ctx: CallState): Effect.Effect<Exchange, HttpStatusError | ConnectionError | TimeoutError> =>
      Effect.catchAll(Effect.suspend(() => attemptWithReauth(ctx)), (first) =>
        Effect.mapError(
          ctx.span === undefined ? retries(ctx, first) : Effect.withParentSpan(retries(ctx, first), ctx.span),
          (failure) =>
            ctx.idempotencyKey === undefined
              ? failure.error
              : withOutcome(
                failure.error,
                { idempotencyKey: ctx.idempotencyKey, attempts: ctx.attempts },
                failure.retry.connected !== false
              )
        ))

    const decode = (ctx: CallState, exchange: Exchange) => {
      const decodeSuccess = ctx.plan.decodeSuccess
      if (decodeSuccess === undefined) return Effect.succeed(undefined)
      const decodeFailure = (message: string) =>
        new ResponseDecodeError({
          message,
          status: exchange.status,
          requestId: exchange.headers["x-request-id"],
          method: ctx.plan.method,
          url: ctx.url,
          body: Redacted.make(exchange.text.slice(0, BODY_EXCERPT))
        })
      let json: unknown
      if (ctx.plan.acceptsText && !isJson(exchange.headers["content-type"])) {
        json = exchange.text
      } else {
        try {
          json = JSON.parse(exchange.text)
        } catch {
          return Effect.fail(decodeFailure("the response body is not JSON"))
        }
      }
      const decoded = decodeSuccess(json)
      if (Either.isRight(decoded)) return Effect.succeed(decoded.right)
      return Effect.mapError(
        ctx.plan.decodeSuccessAll(json),
        (error) => decodeFailure(`the response body does not match the contract at ${mismatchedPaths(error).join(", ")}`)
      )
    }

    /** Path, query and body through the endpoint's schemas. */
    const encode = (endpoint: AnyEndpoint, plan: EndpointPlan, input: Record<string, unknown>) => {
      const bad: Array<string> = []
      const part = (schema: Option.Option<Schema.Schema.Any>, value: unknown, name: string) => {
        if (Option.isNone(schema)) return undefined
        const encoded = encodeRequestPart(schema.value, value ?? {})
        if (Either.isLeft(encoded)) {
          bad.push(...mismatchedPaths(encoded.left, name))
          return undefined
        }
        return encoded.right
      }
      const path = (plan.plainPath ? input.path : part(endpoint.pathSchema, input.path, "path")) as
        | Record<string, unknown>
        | undefined
      const query = part(endpoint.urlParamsSchema, input.urlParams, "query")
      const payload = part(endpoint.payloadSchema, input.payload, "body")
      const requestHeaders = part(endpoint.headersSchema, input.headers, "headers") as Record<string, string> | undefined
      for (const name of plan.pathParams) {
        const value = path?.[name]
        if (typeof value !== "string" || value === "") bad.push(`path.${name}`)
      }
      const search = query === undefined ? "" : new URLSearchParams(toUrlParams(query)).toString()
      const url = `${baseUrl}${
        plan.pathParams.length === 0
          ? endpoint.path
          : endpoint.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(path?.[name] ?? "")))
      }${search === "" ? "" : `?${search}`}`
      return bad.length > 0
        ? Either.left(
          new RequestEncodeError({
            method: endpoint.method,
            url,
            fields: [...new Set(bad)],
            message: `${endpoint.method} ${endpoint.path}: these inputs do not match the contract: ${[...new Set(bad)].join(", ")}`
          })
        )
        : Either.right({ url, payload, headers: requestHeaders })
    }

    /** Per endpoint: a request with its method and the headers every call sends. */
    const baseRequests = new WeakMap<EndpointPlan, HttpClientRequest.HttpClientRequest>()
    const baseRequest = (plan: EndpointPlan) => {
      let request = baseRequests.get(plan)
      if (request === undefined) {
        request = HttpClientRequest.make(plan.method)("", { headers: plan.public ? publicHeaders : headers })
        baseRequests.set(plan, request)
      }
      return request
    }

    const requestOf = (
      plan: EndpointPlan,
      url: string,
      payload: unknown,
      requestHeaders: Record<string, string> | undefined,
      idempotencyKey: string | undefined,
      span: Tracer.Span | undefined
    ) => {
      let request = HttpClientRequest.setUrl(baseRequest(plan), url)
      if (payload !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, payload)
      if (idempotencyKey === undefined && span === undefined && requestHeaders === undefined) return request
      const extra: Record<string, string> = {
        ...requestHeaders,
        ...(span === undefined ? {} : HttpTraceContext.toHeaders(span))
      }
      if (idempotencyKey !== undefined) extra["idempotency-key"] = idempotencyKey
      return HttpClientRequest.setHeaders(request, extra)
    }

    const call = (
      endpoint: AnyEndpoint,
      input: Record<string, unknown>
    ): Effect.Effect<unknown, TransportError | HttpStatusError> =>
      Effect.withFiberRuntime<unknown, TransportError | HttpStatusError>((fiber) => {
        const plan = planOf(endpoint)
        const encoded = encode(endpoint, plan, input)
        if (Either.isLeft(encoded)) return Effect.fail(encoded.left)
        const { headers: requestHeaders, payload, url } = encoded.right
        const callOptions = fiber.getFiberRef(currentCallOptions)
        const idempotencyKey = plan.write ? callOptions.idempotencyKey ?? `stk-${crypto.randomUUID()}` : undefined
        const timeout = callOptions.timeout === undefined ? clientTimeout : Duration.decode(callOptions.timeout)
        const run = (span: Tracer.Span | undefined, propagate: boolean) => {
          const ctx: CallState = {
            plan,
            url,
            idempotencyKey,
            timeout,
            retry: callOptions.retry,
            request: requestOf(plan, url, payload, requestHeaders, idempotencyKey, propagate ? span : undefined),
            attempts: 0,
            span
          }
          return Effect.flatMap(attempts(ctx), (exchange) => decode(ctx, exchange))
        }
        if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return run(undefined, false)
        // one span per call, named after the method, instead of the platform's span of each attempt
        const disabledWhen = fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)
        const propagate = fiber.getFiberRef(HttpClient.currentTracerPropagation)
        const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
        return Effect.flatMap(
          Effect.makeSpan(plan.spanName, {
            kind: "client",
            captureStackTrace: false,
            attributes: { "http.request.method": plan.method, "url.full": url }
          }),
          (span) =>
            Effect.onExit(
              Effect.zipRight(FiberRef.set(HttpClient.currentTracerDisabledWhen, constTrue), run(span, propagate)),
              (exit) => {
                span.end(timing ? Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeNanos() : BigInt(0), exit)
                return FiberRef.set(HttpClient.currentTracerDisabledWhen, disabledWhen)
              }
            )
        )
      })

    return { baseUrl, call: call as unknown as Service["call"] }
  })

export {
  /**
   * The method of one endpoint, over a client.
   *
   * @since 0.1.0
   * @category derived methods
   */
  method,
  /**
   * The methods of a record of endpoints, over a client.
   *
   * @since 0.1.0
   * @category derived methods
   */
  methods,
  /** @since 0.1.0 */
  type Method,
  /** @since 0.1.0 */
  type Methods
} from "./internal/methods.js"

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<StackClient, never, HttpClient.HttpClient> =>
  Layer.scoped(StackClient, make(options))
