/**
 * The endpoints of the contract, built without `@effect/platform/HttpApiEndpoint`
 * at run time.
 *
 * `HttpApiEndpoint` imports `HttpRouter` for one function (`prefixPath`), and
 * with the router comes the platform's server code (`HttpServerRequest`,
 * `Multipart`, `find-my-way-ts`, `multipasta`): about 13 KB gzip in every
 * program that uses the SDK, which only sends requests. The values made here
 * are `HttpApiEndpoint`s in every respect the platform reads (its `TypeId`,
 * its fields, its prototype's methods, each doing what the platform's does),
 * so `HttpApiGroup`, `HttpApi` and `OpenApi` take them as they are. The
 * types are the platform's. `test/Endpoint.test.ts` compares both
 * prototypes, so an upgrade of the platform that changes them fails there.
 *
 * @internal
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import * as Context from "effect/Context"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Schema from "effect/Schema"

/** The platform's `HttpApiEndpoint.TypeId` (a registered symbol). */
export const TypeId: HttpApiEndpoint.TypeId = Symbol.for("@effect/platform/HttpApiEndpoint") as HttpApiEndpoint.TypeId

type Any = HttpApiEndpoint.HttpApiEndpoint.AnyWithProps

const withStatus = (schema: Schema.Schema.Any, annotations?: { readonly status?: number }) =>
  annotations?.status ? schema.annotations(HttpApiSchema.annotations({ status: annotations.status })) : schema

/** `HttpRouter.prefixPath`, the one function of the router an endpoint uses. */
const prefixPath = (self: string, prefix: string): string => {
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix
  return self === "/" ? trimmed : trimmed + self
}

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    return pipeArguments(this, arguments)
  },
  addSuccess(this: Any, schema: Schema.Schema.Any, annotations?: { readonly status?: number }) {
    const success = withStatus(schema, annotations)
    return makeProto({
      ...this,
      successSchema: this.successSchema === HttpApiSchema.NoContent
        ? success
        : HttpApiSchema.UnionUnify(this.successSchema, success)
    })
  },
  addError(this: Any, schema: Schema.Schema.Any, annotations?: { readonly status?: number }) {
    return makeProto({ ...this, errorSchema: HttpApiSchema.UnionUnify(this.errorSchema, withStatus(schema, annotations)) })
  },
  setPayload(this: Any, schema: Schema.Schema.Any) {
    return makeProto({ ...this, payloadSchema: Option.some(schema) })
  },
  setPath(this: Any, schema: Schema.Schema.Any) {
    return makeProto({ ...this, pathSchema: Option.some(schema) })
  },
  setUrlParams(this: Any, schema: Schema.Schema.Any) {
    return makeProto({ ...this, urlParamsSchema: Option.some(schema) })
  },
  setHeaders(this: Any, schema: Schema.Schema.Any) {
    return makeProto({ ...this, headersSchema: Option.some(schema) })
  },
  prefix(this: Any, prefix: HttpApiEndpoint.PathSegment) {
    return makeProto({ ...this, path: prefixPath(this.path, prefix) as HttpApiEndpoint.PathSegment })
  },
  middleware(this: Any, middleware: HttpApiMiddleware.TagClassAny) {
    return makeProto({
      ...this,
      errorSchema: HttpApiSchema.UnionUnify(this.errorSchema, middleware.failure),
      middlewares: new Set([...this.middlewares, middleware])
    })
  },
  annotate<I, S>(this: Any, tag: Context.Tag<I, S>, value: S) {
    return makeProto({ ...this, annotations: Context.add(this.annotations, tag, value) })
  },
  annotateContext<I>(this: Any, context: Context.Context<I>) {
    return makeProto({ ...this, annotations: Context.merge(this.annotations, context) })
  }
}

const makeProto = (fields: { readonly [K in Exclude<keyof Any, typeof TypeId | keyof typeof Proto>]: unknown }): Any =>
  Object.assign(Object.create(Proto), fields)

/**
 * `HttpApiEndpoint.make(method)(name, path)`: an endpoint with no schemas
 * but its path's.
 */
export const make = <Method extends HttpMethod, const Name extends string>(
  method: Method,
  name: Name,
  path: HttpApiEndpoint.PathSegment
): HttpApiEndpoint.HttpApiEndpoint<Name, Method> =>
  makeProto({
    name,
    path,
    method,
    pathSchema: Option.none(),
    urlParamsSchema: Option.none(),
    payloadSchema: Option.none(),
    headersSchema: Option.none(),
    successSchema: HttpApiSchema.NoContent,
    errorSchema: Schema.Never,
    annotations: Context.empty(),
    middlewares: new Set()
  }) as unknown as HttpApiEndpoint.HttpApiEndpoint<Name, Method>
