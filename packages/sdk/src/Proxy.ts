/**
 * The proxy: calls to a third-party service made by STACK under an agent's
 * passport, with the connection's credential injected by STACK, so that the
 * agent never holds it (see `api/Proxy.ts`).
 *
 * ```ts
 * const message = yield* proxy.request({
 *   service: "slack",
 *   method: "POST",
 *   url: "https://slack.com/api/chat.postMessage",
 *   body: { channel: "C0123", text: "hi" },
 *   passport_token: passport.token
 * })
 * ```
 *
 * Every call but a GET carries an `authority_request_id`: the same id with
 * the same request answers the first outcome again without calling the
 * service twice. `request` makes one per call when it is left out (a retry
 * of that call resends it); pass your own, for instance
 * `Proxy.authorityRequestId(missionId, "support-update")`, to make an
 * operation count once across calls and restarts.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Redacted from "effect/Redacted"
import { sha256Hex } from "./api/Audit.js"
import * as Api from "./api/Proxy.js"
import * as StackClient from "./StackClient.js"
import type { ErrorsOf } from "./StackClient.js"

/**
 * A proxied call: the wire body, and the passport it is made under.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestInput extends Omit<Api.ProxyRequest, "authority_request_id"> {
  readonly passport_token: Redacted.Redacted<string> | string
  /** The operation's id; one is made per call when left out (not for GET, which needs none). */
  readonly authority_request_id?: string | undefined
}

/**
 * The call was refused because the mission its passport is bound to is
 * paused: one of its caps (`cap`: actions, cents, seconds or bytes) was
 * reached, and an operator reviews it (`missions.reviewPaused`). STACK's 409
 * `MISSION_PAUSED`.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissionPausedError extends Schema.TaggedError<MissionPausedError>()("MissionPausedError", {
  missionId: Schema.String,
  cap: Schema.NullOr(Schema.String),
  requestId: Schema.optional(Schema.String),
  message: Schema.String
}) {}

/**
 * The errors of a proxied call: those of its endpoint, with `MISSION_PAUSED`
 * as a `MissionPausedError` of its own.
 *
 * @since 0.1.0
 * @category errors
 */
export type RequestError = ErrorsOf<typeof Api.ProxyEndpoints.request> | MissionPausedError

const PausedDetails = Schema.Struct({ mission_id: Schema.String, paused_cap: Schema.optional(Schema.NullOr(Schema.String)) })
const decodePaused = Schema.decodeUnknownOption(PausedDetails)

/** `MISSION_PAUSED` as a `MissionPausedError`; other errors as they are. */
const pausedError = (error: ErrorsOf<typeof Api.ProxyEndpoints.request>): RequestError => {
  if (error._tag !== "ConflictError" || error.code !== "MISSION_PAUSED") return error
  const details = decodePaused(error.details)
  return new MissionPausedError({
    missionId: details._tag === "Some" ? details.value.mission_id : "",
    cap: details._tag === "Some" ? details.value.paused_cap ?? null : null,
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    message: error.message
  })
}

/**
 * The service answered a status other than 2xx (`requestJson`): its status,
 * and at most 1,000 characters of its body.
 *
 * @since 0.1.0
 * @category errors
 */
export class UpstreamStatusError extends Schema.TaggedError<UpstreamStatusError>()("UpstreamStatusError", {
  service: Schema.String,
  status: Schema.Number,
  body: Schema.String,
  message: Schema.String
}) {}

/**
 * The service's body does not match the schema it was decoded with.
 *
 * @since 0.1.0
 * @category errors
 */
export class UpstreamBodyError extends Schema.TaggedError<UpstreamBodyError>()("UpstreamBodyError", {
  status: Schema.Number,
  message: Schema.String
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Calls the service through STACK and answers its status, headers and body. */
  readonly request: (input: RequestInput) => Effect.Effect<Api.ProxyResponse, RequestError>
  /**
   * Calls the service and decodes its body with `schema`: a status other than
   * 2xx is an `UpstreamStatusError`, a body that does not match an
   * `UpstreamBodyError`.
   */
  readonly requestJson: <A, I>(
    input: RequestInput,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, RequestError | UpstreamStatusError | UpstreamBodyError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Proxy extends Context.Tag("@getstack/effect/Proxy")<Proxy, Service>() {}

/**
 * Decodes a proxied answer's body with a schema (a JSON body as parsed, a
 * text body as its string).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeBody = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema, { errors: "all" })
  return (response: Api.ProxyResponse): Effect.Effect<A, UpstreamBodyError> =>
    Effect.mapError(decode(response.body), (error) =>
      new UpstreamBodyError({
        status: response.status,
        message: `the proxied answer's body does not match the schema: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
      }))
}

const EXCERPT = 1000

const bodyText = (response: Api.ProxyResponse): string =>
  (typeof response.body === "string" ? response.body : JSON.stringify(response.body) ?? "").slice(0, EXCERPT)

/**
 * An `authority_request_id` derived from what identifies an operation (a
 * mission id and a step name, say): the SHA-256 hex of their JSON, as
 * STACK's Python quick start derives it. The same parts give the same id, on
 * every run.
 *
 * @since 0.1.0
 * @category authority
 */
export const authorityRequestId = (...parts: ReadonlyArray<unknown>): Effect.Effect<string> =>
  sha256Hex(JSON.stringify(parts))

/**
 * The proxy's `request` over a client: what `Proxy.make` and the scoped
 * missions' `request` call.
 *
 * @since 0.1.0
 * @category constructors
 */
export const requester =
  (client: StackClient.Service) => (input: RequestInput): Effect.Effect<Api.ProxyResponse, RequestError> =>
  Effect.suspend(() => {
    const { authority_request_id, passport_token, ...call } = input
    const id = authority_request_id ?? (call.method === "GET" ? undefined : `ari_${crypto.randomUUID()}`)
    return Effect.mapError(
      client.call(Api.ProxyEndpoints.request, {
        payload: id === undefined ? call : { ...call, authority_request_id: id },
        headers: { "x-passport-token": typeof passport_token === "string" ? Redacted.make(passport_token) : passport_token }
      } as never) as Effect.Effect<Api.ProxyResponse, ErrorsOf<typeof Api.ProxyEndpoints.request>>,
      pausedError
    )
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient.StackClient> = Effect.map(StackClient.StackClient, (client) => {
  const request = requester(client)
  return Proxy.of({
    request,
    requestJson: <A, I>(input: RequestInput, schema: Schema.Schema<A, I>) => {
      const decode = decodeBody(schema)
      return Effect.flatMap(request(input), (response): Effect.Effect<A, UpstreamStatusError | UpstreamBodyError> =>
        response.status >= 200 && response.status < 300
          ? decode(response)
          : Effect.fail(
            new UpstreamStatusError({
              service: input.service,
              status: response.status,
              body: bodyText(response),
              message: `${input.method} ${input.url} through the proxy answered ${response.status}`
            })
          ))
    }
  })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Proxy, never, StackClient.StackClient> = Layer.effect(Proxy, make)
