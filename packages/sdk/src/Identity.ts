/**
 * The identity service: see `api/Identity.ts`.
 *
 * Every endpoint of `IdentityEndpoints` is a method of the same name.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Api from "./api/Identity.js"
import { methods, type Methods, StackClient } from "./StackClient.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<typeof Api.IdentityEndpoints> {}

/**
 * @since 0.1.0
 * @category tags
 */
export class Identity extends Context.Tag("@getstack/effect/Identity")<Identity, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.map(
  StackClient,
  (client) => methods(client, Api.IdentityEndpoints)
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Identity, never, StackClient> = Layer.effect(Identity, make)
