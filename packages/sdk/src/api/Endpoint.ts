/**
 * How an endpoint of the contract is written: one builder per HTTP method
 * that reads the path parameters from the path (so a method derived from the
 * endpoint takes them positionally, typed), the `Idempotent` mark, and the
 * error presets every endpoint declares its refusals with.
 *
 * @since 0.1.0
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import * as Context from "effect/Context"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as EndpointProto from "../internal/endpoint.js"
import { Public } from "./Common.js"
import * as Errors from "./Errors.js"

/**
 * Marks, in the type of an endpoint's path, the names of its path parameters
 * in the order the path gives them. It exists only in types.
 *
 * @since 0.1.0
 * @category path
 */
export declare const PathParams: unique symbol

/**
 * The names of the `:params` of a path, in order.
 *
 * @since 0.1.0
 * @category path
 */
export type ParamsOf<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? [Name, ...ParamsOf<`/${Rest}`>]
  : P extends `${string}:${infer Name}` ? [Name]
  : []

/**
 * The decoded path of an endpoint with path parameters `Names`.
 *
 * @since 0.1.0
 * @category path
 */
export type PathOf<Names extends ReadonlyArray<string>> =
  & { readonly [K in Names[number]]: string }
  & { readonly [PathParams]?: Names }

/**
 * The names of the path parameters of a path, in order (runtime).
 *
 * @since 0.1.0
 * @category path
 */
export const pathParams = (path: string): ReadonlyArray<string> => [...path.matchAll(/:(\w+)/g)].map((match) => match[1]!)

type Built<Name extends string, Method extends HttpMethod, P extends string> = ParamsOf<P> extends [] ? HttpApiEndpoint.HttpApiEndpoint<Name, Method>
  : HttpApiEndpoint.HttpApiEndpoint<Name, Method, PathOf<ParamsOf<P>>>

const make = <Method extends HttpMethod>(method: Method) =>
<const Name extends string, const P extends HttpApiEndpoint.PathSegment>(name: Name, path: P): Built<Name, Method, P> => {
  const endpoint = EndpointProto.make(method, name, path)
  const names = pathParams(path)
  return (names.length === 0
    ? endpoint
    : endpoint.setPath(Schema.Struct(Object.fromEntries(names.map((param) => [param, Schema.String]))))) as Built<
      Name,
      Method,
      P
    >
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const get = /* @__PURE__ */ make("GET")
/** @since 0.1.0 */
export const post = /* @__PURE__ */ make("POST")
/** @since 0.1.0 */
export const patch = /* @__PURE__ */ make("PATCH")
/** @since 0.1.0 */
export const put = /* @__PURE__ */ make("PUT")
/** @since 0.1.0 */
export const del = /* @__PURE__ */ make("DELETE")

/**
 * Marks a write that may run twice with the effect of once (a repeated revoke
 * revokes nothing more, a repeated `missions.start` returns the same mission):
 * the transport retries it after a timeout, a dropped connection or a 5xx. A
 * write without the mark is retried only when it provably did not run (no
 * connection was made, or a 429).
 *
 * @since 0.1.0
 * @category annotations
 */
export class Idempotent extends Context.Tag("@getstack/effect/Idempotent")<Idempotent, true>() {}

/**
 * Whether the transport may retry an endpoint whatever happened to the
 * previous attempt: reads, and writes marked `Idempotent`.
 *
 * @since 0.1.0
 * @category annotations
 */
export const isIdempotent = (endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps): boolean =>
  endpoint.method === "GET" || endpoint.method === "HEAD" ||
  Context.getOption(endpoint.annotations, Idempotent)._tag === "Some"

/**
 * Marks an endpoint `Idempotent`.
 *
 * @since 0.1.0
 * @category annotations
 */
export const idempotent = <E extends HttpApiEndpoint.HttpApiEndpoint.Any>(endpoint: E): E =>
  (endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps).annotate(Idempotent, true) as unknown as E

/**
 * Marks a write whose body carries its own idempotency id, under the field
 * named (`POST /v1/proxy`'s `authority_request_id`): the transport sends no
 * `Idempotency-Key` with it, the server replays by that field instead, and a
 * retry resends the same body, id included.
 *
 * @since 0.1.0
 * @category annotations
 */
export class IdempotencyField extends Context.Tag("@getstack/effect/IdempotencyField")<IdempotencyField, string>() {}

/**
 * The field that carries an endpoint's own idempotency id, if it has one.
 *
 * @since 0.1.0
 * @category annotations
 */
export const idempotencyField = (endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps): string | undefined =>
  Option.getOrUndefined(Context.getOption(endpoint.annotations, IdempotencyField))

/**
 * Marks an endpoint whose body field `field` is its idempotency id
 * (`IdempotencyField`), and `Idempotent`: a retry resends that id, and the
 * server answers it with the first outcome.
 *
 * @since 0.1.0
 * @category annotations
 */
export const keyedBy = (field: string) => <E extends HttpApiEndpoint.HttpApiEndpoint.Any>(endpoint: E): E =>
  (endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps)
    .annotate(IdempotencyField, field)
    .annotate(Idempotent, true) as unknown as E

const declaring = <const S extends ReadonlyArray<Schema.Schema.Any>>(...schemas: S) =>
<Name extends string, Method extends HttpMethod, Path, UrlParams, Payload, Headers, Success, Error, R, RE>(
  endpoint: HttpApiEndpoint.HttpApiEndpoint<Name, Method, Path, UrlParams, Payload, Headers, Success, Error, R, RE>
): HttpApiEndpoint.HttpApiEndpoint<
  Name,
  Method,
  Path,
  UrlParams,
  Payload,
  Headers,
  Success,
  Error | Schema.Schema.Type<S[number]>,
  R,
  RE | Schema.Schema.Context<S[number]>
> =>
  schemas.reduce<HttpApiEndpoint.HttpApiEndpoint.AnyWithProps>(
    (declared, schema) => declared.addError(schema as Schema.Schema<unknown, unknown>),
    endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
  ) as never

/**
 * What every authenticated endpoint can answer: 401 (credentials), 403
 * (member roles and `allowed_connections`), 429 and 5xx.
 *
 * @since 0.1.0
 * @category errors
 */
export const authenticated = /* @__PURE__ */ declaring(
  Errors.Unauthorized,
  Errors.Forbidden,
  Errors.TooManyRequests,
  Errors.InternalServerError
)

/**
 * A read of one resource by id: `authenticated`, and 404.
 *
 * @since 0.1.0
 * @category errors
 */
export const read = /* @__PURE__ */ declaring(
  Errors.Unauthorized,
  Errors.Forbidden,
  Errors.NotFound,
  Errors.TooManyRequests,
  Errors.InternalServerError
)

/**
 * A listing: `authenticated`, and 400 for a bad query.
 *
 * @since 0.1.0
 * @category errors
 */
export const list = /* @__PURE__ */ declaring(
  Errors.BadRequest,
  Errors.Unauthorized,
  Errors.Forbidden,
  Errors.TooManyRequests,
  Errors.InternalServerError
)

/**
 * A write that creates: `authenticated`, 400 for a bad body and 409 for a
 * conflict (a taken name, an `Idempotency-Key` reused for another request).
 *
 * @since 0.1.0
 * @category errors
 */
export const create = /* @__PURE__ */ declaring(
  Errors.BadRequest,
  Errors.Unauthorized,
  Errors.Forbidden,
  Errors.Conflict,
  Errors.TooManyRequests,
  Errors.InternalServerError
)

/**
 * A write that names existing resources: `create`, and 404.
 *
 * @since 0.1.0
 * @category errors
 */
export const write = /* @__PURE__ */ declaring(
  Errors.BadRequest,
  Errors.Unauthorized,
  Errors.Forbidden,
  Errors.NotFound,
  Errors.Conflict,
  Errors.TooManyRequests,
  Errors.InternalServerError
)

/**
 * A feature of STACK's paid controls: 402 `CONTROLS_REQUIRED` on a plan
 * without them. Add it to another preset.
 *
 * @since 0.1.0
 * @category errors
 */
export const controls = /* @__PURE__ */ declaring(Errors.PaymentRequired)

/**
 * A 400 for an endpoint outside the other presets: one that takes input
 * without credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export const badRequest = /* @__PURE__ */ declaring(Errors.BadRequest)

const publicErrors = /* @__PURE__ */ declaring(Errors.TooManyRequests, Errors.InternalServerError)

/**
 * An endpoint that needs no credentials: marked `Public` (the SDK sends none,
 * the emulator asks for none), answering 429 and 5xx (add `badRequest` when it
 * takes input).
 *
 * @since 0.1.0
 * @category errors
 */
export const unauthenticated: typeof publicErrors = (endpoint) =>
  publicErrors(endpoint).annotate(Public, true) as never
