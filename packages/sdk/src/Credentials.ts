/**
 * The credentials service: see `api/Credentials.ts`.
 *
 * Every endpoint of `CredentialsEndpoints` is a method of the same name.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Api from "./api/Credentials.js"
import { methods, type Methods, StackClient } from "./StackClient.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<typeof Api.CredentialsEndpoints> {}

/**
 * @since 0.1.0
 * @category tags
 */
export class Credentials extends Context.Tag("@getstack/effect/Credentials")<Credentials, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.map(
  StackClient,
  (client) => methods(client, Api.CredentialsEndpoints)
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Credentials, never, StackClient> = Layer.effect(Credentials, make)
