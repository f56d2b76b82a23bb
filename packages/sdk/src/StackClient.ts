/**
 * The one transport every service shares: base URL, auth, retries, timeouts,
 * idempotency keys, request ids and error decoding, driven by the wire
 * contract's endpoint definitions.
 *
 * @since 0.1.0
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { isPublic } from "./api/Common.js"
import { isIdempotent, type PathParams, pathParams } from "./api/Endpoint.js"
import { ErrorBody, type StatusErrorBody } from "./api/Errors.js"
import type { Auth } from "./Auth.js"
import * as AgentKey from "./internal/agentKey.js"
import { encodeRequestPart } from "./internal/encode.js"
import { makeTokenSource } from "./internal/tokens.js"
import * as Retry from "./Retry.js"
import {
  ConnectionError,
  type ErrorForStatus,
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

/**
 * The errors a call to `Endpoint` can produce: those its contract entry
 * declares, plus the ones any call can.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorsOf<Endpoint extends HttpApiEndpoint.HttpApiEndpoint.Any> =
  | TransportError
  | DeclaredErrors<HttpApiEndpoint.HttpApiEndpoint.Error<Endpoint>>

type DeclaredErrors<W> = W extends StatusErrorBody<infer S> ? ErrorForStatus<S> : never

type IfPresent<K extends string, A> = [A] extends [never] ? {} : { readonly [P in K]: A }

/**
 * The input of a call to `Endpoint`: its path params, query and body.
 *
 * @since 0.1.0
 * @category models
 */
export type InputOf<Endpoint extends HttpApiEndpoint.HttpApiEndpoint.Any> =
  & IfPresent<"path", HttpApiEndpoint.HttpApiEndpoint.PathParsed<Endpoint>>
  & IfPresent<"urlParams", HttpApiEndpoint.HttpApiEndpoint.UrlParams<Endpoint>>
  & IfPresent<"payload", HttpApiEndpoint.HttpApiEndpoint.Payload<Endpoint>>

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly baseUrl: string
  /** Calls one endpoint of the contract (with the `withCallOptions` in effect). */
  readonly call: <Endpoint extends HttpApiEndpoint.HttpApiEndpoint.Any>(
    endpoint: Endpoint,
    input: InputOf<Endpoint>
  ) => Effect.Effect<HttpApiEndpoint.HttpApiEndpoint.Success<Endpoint>, ErrorsOf<Endpoint>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class StackClient extends Context.Tag("@getstack/effect/StackClient")<StackClient, Service>() {}

type AnyEndpoint = HttpApiEndpoint.HttpApiEndpoint.AnyWithProps

interface EndpointPlan {
  /** The endpoint needs no credentials: none are sent. */
  readonly public: boolean
  /** The endpoint may be retried whatever happened to the previous attempt. */
  readonly idempotent: boolean
  /** The endpoint changes state: it carries an `Idempotency-Key`. */
  readonly write: boolean
  readonly pathParams: ReadonlyArray<string>
  readonly declared: ReadonlySet<number>
  readonly decodeSuccess: ((u: unknown) => Effect.Effect<unknown, ParseResult.ParseError>) | undefined
}

const plans = new WeakMap<AnyEndpoint, EndpointPlan>()

const planOf = (endpoint: AnyEndpoint): EndpointPlan => {
  let plan = plans.get(endpoint)
  if (plan === undefined) {
    const ast = endpoint.errorSchema.ast
    const declared = new Set((ast._tag === "Union" ? ast.types : [ast]).map(HttpApiSchema.getStatusErrorAST))
    const success = endpoint.successSchema
    plan = {
      public: isPublic(endpoint),
      idempotent: isIdempotent(endpoint),
      write: endpoint.method !== "GET" && endpoint.method !== "HEAD",
      pathParams: pathParams(endpoint.path),
      declared,
      decodeSuccess: HttpApiSchema.isVoid(success.ast) ? undefined : Schema.decodeUnknown(success as Schema.Schema<unknown>, { errors: "all" })
    }
    plans.set(endpoint, plan)
  }
  return plan
}

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
    const clientTimeout = options.timeout ?? DEFAULT_TIMEOUT

    const attempt = (request: HttpClientRequest.HttpClientRequest, plan: EndpointPlan, timeout: Duration.DurationInput) =>
      Effect.gen(function*() {
        const declared = plan.declared
        const token = plan.public ? undefined : yield* tokens.token.pipe(
          // no request was sent: safe to try again, unless the credentials were refused
          Effect.mapError((error) => new AttemptFailure(error, { retryable: error._tag !== "AuthenticationError", retryAfterMs: undefined }))
        )
        const authorized = token === undefined
          ? request
          : HttpClientRequest.setHeader(request, "authorization", `Bearer ${Redacted.value(token)}`)
        const meta = { method: request.method, url: request.url }
        const exchange = Effect.gen(function*() {
          const response = yield* httpClient.execute(authorized)
          const text = yield* response.text
          return { response, text }
        }).pipe(
          Effect.mapError((cause) => {
            const connected = cause._tag !== "RequestError" || cause.reason === "Transport" &&
                !causeChain(cause.cause).some(({ code }) => code !== undefined && NOT_CONNECTED.has(code))
            const describe = cause._tag === "RequestError" ? describeCause(cause) : `${cause.reason}: ${cause.message}`
            return new AttemptFailure(
              new ConnectionError({ ...meta, message: `${meta.method} ${meta.url} failed: ${describe}`, cause: cause.cause }),
              { retryable: plan.idempotent || !connected, retryAfterMs: undefined, connected }
            )
          }),
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new AttemptFailure(
                new TimeoutError({
                  ...meta,
                  message: `${meta.method} ${meta.url}: no answer within ${Duration.format(timeout)}`,
                  timeoutMs: Duration.toMillis(timeout)
                }),
                { retryable: plan.idempotent, retryAfterMs: undefined, connected: true }
              )
          })
        )
        const { response, text } = yield* exchange
        if (response.status < 400) return { response, text, token }
        const requestId = response.headers["x-request-id"]
        const now = yield* Clock.currentTimeMillis
        const retryAfter = Retry.retryAfterMs(response.headers, now)
        const body = decodeErrorBody(text)
        const fields = Option.match(body, {
          onNone: () => ({
            code: `HTTP_${response.status}`,
            message: `${response.status} with a body that is not STACK's error body: ${text.slice(0, 200)}`,
            details: undefined
          }),
          onSome: ({ error }) => ({ code: error.code, message: error.message, details: error.details })
        })
        const error = fromStatus(
          { status: response.status, ...fields, requestId, ...meta },
          { declared, retryAfterMs: retryAfter }
        )
        const shouldRetry = response.headers["x-should-retry"]
        const retryable = shouldRetry === "true"
          ? true
          : shouldRetry === "false"
          ? false
          : Retry.isRetryableStatus(response.status, plan.idempotent)
        return yield* Effect.fail(new AttemptFailure(error, { retryable, retryAfterMs: retryAfter, connected: true }, token))
      })

    /** A 401 with a refreshable token: refresh and try once more. */
    const attemptWithReauth = (request: HttpClientRequest.HttpClientRequest, plan: EndpointPlan, timeout: Duration.DurationInput) =>
      attempt(request, plan, timeout).pipe(
        Effect.catchIf(
          // a passport's own 401 (PASSPORT_REVOKED, PASSPORT_EXPIRED) says nothing of the caller's token
          (failure) =>
            failure.error._tag === "AuthenticationError" && failure.token !== undefined &&
            !failure.error.code.startsWith("PASSPORT_"),
          (failure) =>
            Effect.flatMap(
              tokens.invalidate(failure.token!),
              (again) => again ? attempt(request, plan, timeout) : Effect.fail(failure)
            )
        )
      )

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
      const path = part(endpoint.pathSchema, input.path, "path") as Record<string, unknown> | undefined
      const query = part(endpoint.urlParamsSchema, input.urlParams, "query")
      const payload = part(endpoint.payloadSchema, input.payload, "body")
      for (const name of plan.pathParams) {
        const value = path?.[name]
        if (typeof value !== "string" || value === "") bad.push(`path.${name}`)
      }
      const search = new URLSearchParams(toUrlParams(query)).toString()
      const url = `${baseUrl}${endpoint.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(path?.[name] ?? "")))}${
        search === "" ? "" : `?${search}`
      }`
      return bad.length > 0
        ? Either.left(
          new RequestEncodeError({
            method: endpoint.method,
            url,
            fields: [...new Set(bad)],
            message: `${endpoint.method} ${endpoint.path}: these inputs do not match the contract: ${[...new Set(bad)].join(", ")}`
          })
        )
        : Either.right({ url, payload })
    }

    const call = (endpoint: AnyEndpoint, input: Record<string, unknown>) =>
      Effect.gen(function*() {
        const plan = planOf(endpoint)
        const callOptions = yield* FiberRef.get(currentCallOptions)
        const method = endpoint.method
        const { url, payload } = yield* encode(endpoint, plan, input)
        let request = HttpClientRequest.make(method)(url).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.setHeader("user-agent", USER_AGENT)
        )
        if (payload !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, payload)
        const idempotencyKey = plan.write ? callOptions.idempotencyKey ?? `stk-${crypto.randomUUID()}` : undefined
        if (idempotencyKey !== undefined) request = HttpClientRequest.setHeader(request, "idempotency-key", idempotencyKey)
        const timeout = callOptions.timeout ?? clientTimeout
        let attempts = 0
        const { response, text } = yield* Effect.suspend(() => {
          attempts++
          return attemptWithReauth(request, plan, timeout)
        }).pipe(
          Effect.tapError((failure) =>
            Effect.logDebug("STACK request failed", { method, url, error: failure.error._tag, retryable: failure.retry.retryable })
          ),
          Effect.retry({
            schedule: Schedule.mapInput(Retry.schedule(mergeRetry(options.retry, callOptions.retry)), (failure: AttemptFailure) => failure.retry),
            while: (failure) => failure.retry.retryable
          }),
          Effect.mapError((failure: AttemptFailure) =>
            idempotencyKey === undefined
              ? failure.error
              : withOutcome(failure.error, { idempotencyKey, attempts }, failure.retry.connected !== false)
          )
        )
        if (plan.decodeSuccess === undefined) return undefined
        const requestId = response.headers["x-request-id"]
        const decodeFailure = (message: string) =>
          new ResponseDecodeError({
            message,
            status: response.status,
            requestId,
            method,
            url,
            body: Redacted.make(text.slice(0, BODY_EXCERPT))
          })
        const json = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => decodeFailure("the response body is not JSON") })
        return yield* plan.decodeSuccess(json).pipe(
          Effect.mapError((error) =>
            decodeFailure(`the response body does not match the contract at ${mismatchedPaths(error).join(", ")}`)
          )
        )
      })

    return { baseUrl, call: call as unknown as Service["call"] }
  })

type PathArgs<E extends HttpApiEndpoint.HttpApiEndpoint.Any> = [HttpApiEndpoint.HttpApiEndpoint.PathParsed<E>] extends [never] ? []
  : HttpApiEndpoint.HttpApiEndpoint.PathParsed<E> extends { readonly [PathParams]?: infer Names extends ReadonlyArray<string> }
    ? { readonly [I in keyof Names]: string }
  : []

type Present<A> = [A] extends [never] ? {} : A

type Fields<E extends HttpApiEndpoint.HttpApiEndpoint.Any> =
  & Present<HttpApiEndpoint.HttpApiEndpoint.UrlParams<E>>
  & Present<HttpApiEndpoint.HttpApiEndpoint.Payload<E>>

type InputArgs<E extends HttpApiEndpoint.HttpApiEndpoint.Any> = [
  HttpApiEndpoint.HttpApiEndpoint.UrlParams<E> | HttpApiEndpoint.HttpApiEndpoint.Payload<E>
] extends [never] ? []
  : {} extends Fields<E> ? [input?: Fields<E>]
  : [input: Fields<E>]

/**
 * The SDK method of an endpoint: its path parameters positionally, in the
 * order of the path, then one object with its query and body fields as on the
 * wire (optional when every field is).
 *
 * @since 0.1.0
 * @category derived methods
 */
export type Method<E extends HttpApiEndpoint.HttpApiEndpoint.Any> = (
  ...args: readonly [...PathArgs<E>, ...InputArgs<E>]
) => Effect.Effect<HttpApiEndpoint.HttpApiEndpoint.Success<E>, ErrorsOf<E>>

/**
 * The SDK methods of a record of endpoints, by the endpoints' names.
 *
 * @since 0.1.0
 * @category derived methods
 */
export type Methods<Endpoints extends Record<string, HttpApiEndpoint.HttpApiEndpoint.Any>> = {
  readonly [K in keyof Endpoints]: Method<Endpoints[K]>
}

/**
 * The method of one endpoint, over a client.
 *
 * @since 0.1.0
 * @category derived methods
 */
export const method = <E extends HttpApiEndpoint.HttpApiEndpoint.Any>(client: Service, endpoint: E): Method<E> => {
  const props = endpoint as unknown as AnyEndpoint
  const names = pathParams(props.path)
  const queryKeys = Option.match(props.urlParamsSchema, {
    onNone: () => new Set<string>(),
    onSome: (schema) =>
      new Set(
        schema.ast._tag === "TypeLiteral" ? schema.ast.propertySignatures.map((property) => String(property.name)) : []
      )
  })
  const hasQuery = Option.isSome(props.urlParamsSchema)
  const hasBody = Option.isSome(props.payloadSchema)
  return ((...args: ReadonlyArray<unknown>) => {
    const path = Object.fromEntries(names.map((name, index) => [name, args[index]]))
    const fields = (args[names.length] ?? {}) as Record<string, unknown>
    const query = hasQuery && hasBody
      ? Object.fromEntries(Object.entries(fields).filter(([key]) => queryKeys.has(key)))
      : hasQuery
      ? fields
      : undefined
    const payload = hasQuery && hasBody
      ? Object.fromEntries(Object.entries(fields).filter(([key]) => !queryKeys.has(key)))
      : hasBody
      ? fields
      : undefined
    return client.call(props as never, { path, urlParams: query, payload } as never)
  }) as unknown as Method<E>
}

/**
 * The methods of a record of endpoints, over a client: one per endpoint, with
 * the endpoint's name.
 *
 * @since 0.1.0
 * @category derived methods
 */
export const methods = <Endpoints extends Record<string, HttpApiEndpoint.HttpApiEndpoint.Any>>(
  client: Service,
  endpoints: Endpoints
): Methods<Endpoints> =>
  Object.fromEntries(Object.entries(endpoints).map(([name, endpoint]) => [name, method(client, endpoint)])) as unknown as Methods<
    Endpoints
  >

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<StackClient, never, HttpClient.HttpClient> =>
  Layer.scoped(StackClient, make(options))
