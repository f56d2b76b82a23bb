/**
 * SDK methods derived from the contract's endpoint records: path parameters
 * positionally, then one object of the wire fields (see `api/Common.ts`).
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type PathParams, pathParams } from "../api/Endpoint.js"
import type { ErrorsOf, Service } from "./service.js"

type AnyEndpoint = HttpApiEndpoint.HttpApiEndpoint.AnyWithProps

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

