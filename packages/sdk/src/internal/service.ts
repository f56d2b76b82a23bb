/**
 * The shape of the shared transport, as the services see it: one `call` per
 * endpoint of the contract, its input and its errors derived from the
 * endpoint. `StackClient` exports these types; the modules the transport
 * itself uses (derived methods, agent keys) take them from here.
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as Effect from "effect/Effect"
import type { StatusErrorBody } from "../api/Errors.js"
import type { ErrorForStatus, TransportError } from "../StackError.js"

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
  & IfPresent<"headers", HttpApiEndpoint.HttpApiEndpoint.Headers<Endpoint>>

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
