/**
 * The services service: see `api/Services.ts`.
 *
 * Every endpoint of `ServicesEndpoints` is a method of the same name.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Api from "./api/Services.js"
import { methods, type Methods, StackClient } from "./StackClient.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<typeof Api.ServicesEndpoints> {}

/**
 * @since 0.1.0
 * @category tags
 */
export class Services extends Context.Tag("@getstack/effect/Services")<Services, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.map(
  StackClient,
  (client) => methods(client, Api.ServicesEndpoints)
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Services, never, StackClient> = Layer.effect(Services, make)
