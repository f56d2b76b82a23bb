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
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { isPublic } from "./api/Common.js"
import { ErrorBody, type StatusErrorBody } from "./api/Errors.js"
import type { Auth } from "./Auth.js"
import * as AgentKey from "./internal/agentKey.js"
import { makeTokenSource } from "./internal/tokens.js"
import * as Retry from "./Retry.js"
import {
  ConnectionError,
  type ErrorForStatus,
  fromStatus,
  type HttpStatusError,
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
 * Options of one call.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  /** Per-attempt timeout for this call. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retry options for this call, merged over the client's; `false` disables retries. */
  readonly retry?: Retry.RetryOptions | false | undefined
  /** The `Idempotency-Key` of a non-GET call; one is generated when left out. */
  readonly idempotencyKey?: string | undefined
}

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
  /** Calls one endpoint of the contract. */
  readonly call: <Endpoint extends HttpApiEndpoint.HttpApiEndpoint.Any>(
    endpoint: Endpoint,
    input: InputOf<Endpoint>,
    options?: CallOptions
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
      declared,
      decodeSuccess: HttpApiSchema.isVoid(success.ast) ? undefined : Schema.decodeUnknown(success as Schema.Schema<unknown>, { errors: "all" })
    }
    plans.set(endpoint, plan)
  }
  return plan
}

const decodeErrorBody = Schema.decodeUnknownOption(Schema.parseJson(ErrorBody))

const BODY_EXCERPT = 1000

/** Where a body fails its schema, without the values (they may be secrets). */
const mismatchedPaths = (error: ParseResult.ParseError): string =>
  [...new Set(ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.path.join(".") || "(root)"))].join(", ")

/** A failed attempt, before the retry policy has looked at it. */
class AttemptFailure {
  constructor(
    readonly error: HttpStatusError | ConnectionError | TimeoutError,
    readonly retry: Retry.RetryInput,
    readonly token?: Redacted.Redacted<string>
  ) {}
}

const toUrlParams = (params: object | undefined): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) continue
    for (const item of Array.isArray(value) ? value : [value]) out.push([key, String(item)])
  }
  return out
}

const toPath = (template: string, params: Record<string, unknown> | undefined): string =>
  template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? "")))

const mergeRetry = (client: Options["retry"], call: CallOptions["retry"]): Retry.RetryOptions =>
  call === false || (client === false && call === undefined) ? { maxRetries: 0 } : { ...(client || {}), ...call }

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
          Effect.mapError((cause) =>
            new AttemptFailure(
              new ConnectionError({ ...meta, message: `${cause._tag}: ${cause.reason}`, cause: cause.cause }),
              { retryable: true, retryAfterMs: undefined }
            )
          ),
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new AttemptFailure(
                new TimeoutError({ ...meta, message: `no answer within ${Duration.format(timeout)}`, timeoutMs: Duration.toMillis(timeout) }),
                { retryable: true, retryAfterMs: undefined }
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
        const retryable = shouldRetry === "true" ? true : shouldRetry === "false" ? false : Retry.isRetryableStatus(response.status)
        return yield* Effect.fail(new AttemptFailure(error, { retryable, retryAfterMs: retryAfter }, token))
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

    const call = (endpoint: AnyEndpoint, input: Record<string, unknown>, callOptions: CallOptions = {}) =>
      Effect.gen(function*() {
        const plan = planOf(endpoint)
        const method = endpoint.method
        const query = new URLSearchParams(toUrlParams(input.urlParams as object | undefined)).toString()
        const path = toPath(endpoint.path, input.path as Record<string, unknown> | undefined)
        let request = HttpClientRequest.make(method)(`${baseUrl}${path}${query === "" ? "" : `?${query}`}`).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.setHeader("user-agent", USER_AGENT)
        )
        if (input.payload !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, input.payload)
        if (method !== "GET" && method !== "HEAD") {
          request = HttpClientRequest.setHeader(request, "idempotency-key", callOptions.idempotencyKey ?? `stk-${crypto.randomUUID()}`)
        }
        const timeout = callOptions.timeout ?? clientTimeout
        const { response, text } = yield* attemptWithReauth(request, plan, timeout).pipe(
          Effect.tapError((failure) =>
            Effect.logDebug("STACK request failed", { method, url: request.url, error: failure.error._tag, retryable: failure.retry.retryable })
          ),
          Effect.retry({
            schedule: Schedule.mapInput(Retry.schedule(mergeRetry(options.retry, callOptions.retry)), (failure: AttemptFailure) => failure.retry),
            while: (failure) => failure.retry.retryable
          }),
          Effect.mapError((failure: AttemptFailure) => failure.error)
        )
        if (plan.decodeSuccess === undefined) return undefined
        const requestId = response.headers["x-request-id"]
        const decodeFailure = (message: string) =>
          new ResponseDecodeError({
            message,
            status: response.status,
            requestId,
            method,
            url: request.url,
            body: Redacted.make(text.slice(0, BODY_EXCERPT))
          })
        const json = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => decodeFailure("the response body is not JSON") })
        return yield* plan.decodeSuccess(json).pipe(
          Effect.mapError((error) => decodeFailure(`the response body does not match the contract at ${mismatchedPaths(error)}`))
        )
      })

    return { baseUrl, call: call as unknown as Service["call"] }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<StackClient, never, HttpClient.HttpClient> =>
  Layer.scoped(StackClient, make(options))
