/**
 * The SDK over the in-process emulator, with the `HttpClient` wrapped to
 * record, count or hold requests.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** Replaces the `HttpClient` in context with `wrap` of it. */
export const wrapHttpClient = (wrap: (client: HttpClient.HttpClient) => HttpClient.HttpClient) =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, wrap))

/** Every SDK service, as the default operator of a fresh in-process emulator, over a wrapped client. */
export const stackOver = (wrap: (client: HttpClient.HttpClient) => HttpClient.HttpClient) =>
  Layer.unwrapEffect(
    Effect.map(Emulator.Emulator, (emulator) =>
      Stack.layer({ apiKey: emulator.apiKey }).pipe(Layer.provide(wrapHttpClient(wrap))))
  ).pipe(Layer.provideMerge(Emulator.layerInProcess()))
