/**
 * The scan service: STACK's prompt-injection detector, for content an agent
 * retrieved before it reads it.
 *
 * Every endpoint of `ScanEndpoints` is a method of the same name: `scan` and
 * `usage`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Api from "./api/Scan.js"
import { methods, type Methods, StackClient } from "./StackClient.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<typeof Api.ScanEndpoints> {}

/**
 * @since 0.1.0
 * @category tags
 */
export class Scan extends Context.Tag("@getstack/effect/Scan")<Scan, Service>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.map(
  StackClient,
  (client) => methods(client, Api.ScanEndpoints)
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Scan, never, StackClient> = Layer.effect(Scan, make)
