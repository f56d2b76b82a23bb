/**
 * Serving the contract: each endpoint of `@getstack/effect/api` becomes a
 * route that authenticates the caller, decodes the request with the
 * contract's schemas, applies the `Idempotency-Key`, runs its handler and
 * answers with the contract's success schema or STACK's error body.
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import { isPublic } from "@getstack/effect/api/Common"
import { idempotencyField } from "@getstack/effect/api/Endpoint"
import type { ErrorBody } from "@getstack/effect/api/Errors"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { Actor } from "../core/Audit.js"
import { excerpt, listExcerpt, MAX_MESSAGE, StackFailure } from "../core/Failure.js"
import { sha256Hex } from "../core/Hash.js"
import * as Authorization from "./Authorization.js"
import * as Declared from "./Declared.js"
import type { VaultKey } from "../core/Vault.js"
import * as Idempotency from "./Idempotency.js"
import * as Input from "./Input.js"
import { shouldRetryOf, statusOf } from "./Status.js"

/** The id of the request being served (sent back as `x-request-id`). */
export class RequestId extends Context.Tag("@getstack/emulator/RequestId")<RequestId, string>() {}

type Endpoint = HttpApiEndpoint.HttpApiEndpoint.Any
type AnyEndpoint = HttpApiEndpoint.HttpApiEndpoint.AnyWithProps

/** What a handler receives: the decoded request and who makes it. */
export type HandlerInput<E extends Endpoint> = {
  readonly path: HttpApiEndpoint.HttpApiEndpoint.PathParsed<E>
  readonly urlParams: HttpApiEndpoint.HttpApiEndpoint.UrlParams<E>
  readonly payload: HttpApiEndpoint.HttpApiEndpoint.Payload<E>
  readonly headers: HttpApiEndpoint.HttpApiEndpoint.Headers<E>
  readonly actor: Actor
  /**
   * Sets the content type of a text answer (an endpoint whose success schema
   * has a `Text` member, such as an NDJSON or CSV export): a handler value
   * that encodes to a string is sent as that text, with this type (else the
   * `Text` member's).
   */
  readonly respondAs: (contentType: string) => void
}

/** A handler: thin glue from a decoded request to the domain. */
export type Handler<E extends Endpoint, R> = (
  input: HandlerInput<E>
) => Effect.Effect<HttpApiEndpoint.HttpApiEndpoint.Success<E>, StackFailure | SqlError.SqlError, R>

/** A finished answer: what is sent, and what an idempotent replay sends again. */
interface Answer {
  readonly status: number
  readonly body: string
  readonly shouldRetry: boolean | undefined
  /** The content type of a text answer; JSON when left out. */
  readonly contentType?: string | undefined
}

/** STACK's error body for a refusal. */
const failureAnswer = (failure: StackFailure): Answer => {
  const body: ErrorBody = {
    error: {
      code: failure.code,
      message: excerpt(failure.message, MAX_MESSAGE),
      ...(failure.details === undefined ? {} : { details: failure.details })
    }
  }
  return { status: statusOf(failure), body: JSON.stringify(body), shouldRetry: shouldRetryOf(failure) }
}

/**
 * The answer as a response. The body stays a string with its length given, so
 * that Node sends head and body in one write (a byte body, or no length, is a
 * `writev` of two chunks or a chunked body).
 */
const respond = (answer: Answer): HttpServerResponse.HttpServerResponse => {
  const response = HttpServerResponse.raw(answer.body, {
    status: answer.status,
    contentType: answer.contentType ?? "application/json",
    contentLength: Buffer.byteLength(answer.body)
  })
  return answer.shouldRetry === undefined
    ? response
    : HttpServerResponse.setHeader(response, "x-should-retry", String(answer.shouldRetry))
}

/** STACK's error body as a response. */
export const failureResponse = (failure: StackFailure): HttpServerResponse.HttpServerResponse =>
  respond(failureAnswer(failure))

const MAX_FIELD_MESSAGE = 200

/** How many bad fields an `INVALID_REQUEST` names. */
const MAX_FIELDS = 20

/**
 * One message for a field from its issues: the rule it broke when a rule
 * says so, else the types it should have had. Values are never echoed in full.
 */
const fieldMessage = (issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>): string => {
  const unique = (messages: ReadonlyArray<string>) => [...new Set(messages)]
  const rules = issues.filter((issue) => !issue.message.startsWith("Expected "))
  const message = rules.length > 0
    ? unique(rules.map((issue) => issue.message)).join("; ")
    : `must be ${
      unique(issues.map((issue) => /^Expected (.*?), actual /s.exec(issue.message)?.[1] ?? issue.message))
        .filter((type) => type !== "undefined")
        .join(" or ")
    }`
  return excerpt(message, MAX_FIELD_MESSAGE)
}

/** `INVALID_REQUEST`, naming each bad field (the first `MAX_FIELDS` of them). */
const invalid = (error: ParseResult.ParseError): StackFailure => {
  const byField = new Map<string, Array<ParseResult.ArrayFormatterIssue>>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const key = excerpt(issue.path.map(String).join("."), MAX_FIELD_MESSAGE) || "body"
    const issues = byField.get(key)
    if (issues !== undefined) issues.push(issue)
    else byField.set(key, [issue])
  }
  const names = [...byField.keys()]
  const fields = Object.fromEntries(names.slice(0, MAX_FIELDS).map((key) => [key, fieldMessage(byField.get(key)!)]))
  return new StackFailure({
    code: "INVALID_REQUEST",
    message: `invalid request: ${listExcerpt(names, MAX_FIELDS)}`,
    details: { fields }
  })
}

/**
 * A synchronous decoder for one of an endpoint's inputs, made once with the
 * route: the value, or `INVALID_REQUEST` naming each bad field.
 */
const decoderOf = (schema: Schema.Schema<unknown, unknown, never>) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })
  return (input: unknown): Either.Either<unknown, StackFailure> => Either.mapLeft(decode(input), invalid)
}

const noInput = Either.right(undefined)

/** The caller of a public endpoint: nobody. */
const anonymous: Authorization.Caller = { operatorId: "", agentId: null }

const noBody: Input.JsonBody = { text: "", json: undefined }

/**
 * Serves one endpoint of the contract: authenticates the caller, unless the
 * contract marks the endpoint `Public` (the
 * operator's API key, or an agent's JWT signed with its enrolled key), reads and
 * decodes path, query and body with the contract's schemas, applies the
 * `Idempotency-Key`, runs the handler and encodes its answer with the
 * contract's success schema. Every refusal is STACK's error body; with
 * `Declared.CheckDeclaredErrors` on, one whose status the endpoint does not
 * declare becomes a 500 naming it.
 */
export const serve = <E extends Endpoint, R>(
  endpoint_: E,
  handler: Handler<E, R>
): HttpRouter.Route<never, R | SqlClient.SqlClient | VaultKey | RequestId> => {
  const endpoint = endpoint_ as unknown as AnyEndpoint
  const authenticated = !isPublic(endpoint)
  const schemaOf = (schema: Option.Option<unknown>) =>
    Option.map(schema as Option.Option<Schema.Schema<unknown>>, decoderOf).pipe(Option.getOrUndefined)
  const decodePath = schemaOf(endpoint.pathSchema)
  const decodeUrlParams = schemaOf(endpoint.urlParamsSchema)
  const decodePayload = schemaOf(endpoint.payloadSchema)
  const decodeHeaders = schemaOf(endpoint.headersSchema)
  const successSchema = endpoint.successSchema as Schema.Schema<unknown>
  const successStatus = HttpApiSchema.getStatusSuccess(successSchema)
  const encodeSuccess = Schema.encodeEither(successSchema)
  const textType = (successSchema.ast._tag === "Union" ? successSchema.ast.types : [successSchema.ast])
    .map((ast) => HttpApiSchema.getEncoding(ast))
    .find((encoding) => encoding.kind === "Text")?.contentType
  const mutates = endpoint.method !== "GET" && endpoint.method !== "HEAD"
  // an endpoint whose body carries its own idempotency id replays by it, not by Idempotency-Key
  const keyed = mutates && authenticated && idempotencyField(endpoint) === undefined
  const readsBody = decodePayload !== undefined || mutates

  /** The handler's value as the contract's success body; a value the contract refuses is a defect. */
  const answerOf = (value: unknown, contentType: string | undefined): Effect.Effect<Answer> => {
    const encoded = encodeSuccess(value)
    if (Either.isLeft(encoded)) return Effect.die(encoded.left)
    return Effect.succeed(
      textType !== undefined && typeof encoded.right === "string"
        ? { status: successStatus, body: encoded.right, shouldRetry: undefined, contentType: contentType ?? textType }
        : { status: successStatus, body: JSON.stringify(encoded.right), shouldRetry: undefined }
    )
  }
  const refusalOf = (failure: StackFailure) => Effect.map(Declared.check(endpoint_, failure), failureAnswer)

  /** The rest of a request once its caller and inputs are known: the payload, the `Idempotency-Key`, the handler. */
  const serveWith = (
    request: HttpServerRequest.HttpServerRequest,
    requestId: string,
    startedAt: number,
    caller: Authorization.Caller,
    path: unknown,
    urlParams: unknown,
    body: Input.JsonBody
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, StackFailure | SqlError.SqlError, R | SqlClient.SqlClient | VaultKey> => {
    const payload = decodePayload === undefined ? noInput : decodePayload(body.json)
    if (Either.isLeft(payload)) return Effect.fail(payload.left)
    const headers = decodeHeaders === undefined ? noInput : decodeHeaders(request.headers)
    if (Either.isLeft(headers)) return Effect.fail(headers.left)
    const actor: Actor = {
      operatorId: caller.operatorId,
      agentId: caller.agentId,
      requestId,
      // only audited (authenticated) requests record it
      payloadHash: body.text === "" || !authenticated ? null : sha256Hex(body.text),
      startedAt
    }
    let contentType: string | undefined
    const respondAs = (type: string) => {
      contentType = type
    }
    const execute = handler({ path, urlParams, payload: payload.right, headers: headers.right, actor, respondAs } as HandlerInput<E>).pipe(
      Effect.flatMap((value) => answerOf(value, contentType)),
      Effect.catchTag("StackFailure", refusalOf)
    )
    const key = keyed ? request.headers["idempotency-key"] : undefined
    if (key === undefined) return Effect.map(execute, respond)
    if (key.length === 0 || key.length > Idempotency.MAX_KEY_LENGTH) {
      return Effect.fail(
        new StackFailure({
          code: "INVALID_REQUEST",
          message: `Idempotency-Key must be 1 to ${Idempotency.MAX_KEY_LENGTH} characters`,
          details: { fields: { "Idempotency-Key": `must be 1 to ${Idempotency.MAX_KEY_LENGTH} characters` } }
        })
      )
    }
    // the caller is part of the request: an agent cannot replay its operator's answers, nor the reverse
    const requestHash = sha256Hex(
      `${caller.agentId === null ? "" : `${caller.agentId} `}${endpoint.method} ${request.url}\n${body.text}`
    )
    return Effect.map(
      Idempotency.run(caller.operatorId, key, requestHash, execute),
      (outcome) =>
        outcome.replayed
          ? HttpServerResponse.setHeader(respond(outcome.answer), "idempotent-replayed", "true")
          : respond(outcome.answer)
    )
  }

  // in this order: credentials, then path and query, then the body
  const run = Effect.withFiberRuntime<
    HttpServerResponse.HttpServerResponse,
    never,
    | R
    | SqlClient.SqlClient
    | VaultKey
    | HttpServerRequest.HttpServerRequest
    | HttpServerRequest.ParsedSearchParams
    | HttpRouter.RouteContext
    | RequestId
  >((fiber) => {
    const context = fiber.currentContext as Context.Context<
      HttpServerRequest.HttpServerRequest | HttpServerRequest.ParsedSearchParams | HttpRouter.RouteContext | RequestId
    >
    const request = Context.get(context, HttpServerRequest.HttpServerRequest)
    const requestId = Context.get(context, RequestId)
    const startedAt = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
    const params = Context.get(context, HttpRouter.RouteContext).params
    const searchParams = Context.get(context, HttpServerRequest.ParsedSearchParams)
    const withCaller = (
      caller: Authorization.Caller
    ): Effect.Effect<HttpServerResponse.HttpServerResponse, StackFailure | SqlError.SqlError, R | SqlClient.SqlClient | VaultKey> => {
      const malformed = Input.malformedParam(params) ?? Input.malformedParam(searchParams)
      if (malformed !== undefined) return Effect.fail(malformed)
      const path = decodePath === undefined ? noInput : decodePath(params)
      if (Either.isLeft(path)) return Effect.fail(path.left)
      const urlParams = decodeUrlParams === undefined ? noInput : decodeUrlParams(searchParams)
      if (Either.isLeft(urlParams)) return Effect.fail(urlParams.left)
      return readsBody
        ? Effect.flatMap(
          Input.readJson(request),
          (body) => serveWith(request, requestId, startedAt, caller, path.right, urlParams.right, body)
        )
        : serveWith(request, requestId, startedAt, caller, path.right, urlParams.right, noBody)
    }
    return (authenticated
      ? Effect.flatMap(Authorization.authenticate(request.headers["authorization"]), withCaller)
      : withCaller(anonymous)).pipe(
        Effect.catchTag("StackFailure", (failure) => Effect.map(Declared.check(endpoint_, failure), failureResponse)),
        Effect.catchTag("SqlError", (error) => Effect.die(error))
      )
  })

  return HttpRouter.makeRoute(endpoint.method, endpoint.path, run) as HttpRouter.Route<
    never,
    R | SqlClient.SqlClient | VaultKey | RequestId
  >
}

/**
 * The handlers of a group of endpoints: one per endpoint, under the
 * endpoint's name. (Their requirements are read back from the record itself,
 * `HandlersContext`: any is allowed here.)
 */
export type Handlers<Endpoints extends Record<string, Endpoint>> = {
  readonly [K in keyof Endpoints]: Handler<Endpoints[K], unknown>
}

/** What the handlers of a record require, together. */
export type HandlersContext<H> = {
  readonly [K in keyof H]: H[K] extends (input: never) => Effect.Effect<unknown, unknown, infer R> ? R : never
}[keyof H]

/**
 * Serves a group of endpoints of the contract (a record of them by name, such
 * as `AgentsEndpoints`) with one handler per endpoint, under the same name.
 * A missing handler does not compile, nor does one for an endpoint the group
 * does not have.
 */
export const serveGroup = <
  Endpoints extends Record<string, Endpoint>,
  H extends Handlers<Endpoints>
>(
  endpoints: Endpoints,
  handlers: H & { readonly [K in Exclude<keyof H, keyof Endpoints>]: never }
): ReadonlyArray<HttpRouter.Route<never, HandlersContext<H> | SqlClient.SqlClient | VaultKey | RequestId>> =>
  Object.entries(endpoints).map(([name, endpoint]) =>
    serve(endpoint, (handlers as Record<string, Handler<Endpoint, HandlersContext<H>>>)[name]!)
  )
