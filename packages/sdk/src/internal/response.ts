/**
 * What the SDK's two clients (`Undici`, `Fetch`) share in their responses:
 * the `ResponseError` of a body that cannot be read, and the bodies decoded
 * from the text.
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"

/** @internal */
export const decodeFailure = (response: HttpClientResponse.HttpClientResponse, cause: unknown, description?: string) =>
  new HttpClientError.ResponseError({
    request: response.request,
    response,
    reason: "Decode",
    cause,
    ...(description === undefined ? {} : { description })
  })

/** The body as JSON (`null` for an empty one), as the platform's clients read it. @internal */
export const jsonOf = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<unknown, HttpClientError.ResponseError> =>
  Effect.flatMap(response.text, (text) => {
    try {
      return Effect.succeed(text === "" ? null : JSON.parse(text) as unknown)
    } catch (cause) {
      return Effect.fail(decodeFailure(response, cause))
    }
  })

/** The body as URL parameters. @internal */
export const urlParamsOf = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> =>
  Effect.flatMap(response.text, (text) => {
    try {
      return Effect.succeed(UrlParams.fromInput(new URLSearchParams(text)))
    } catch (cause) {
      return Effect.fail(decodeFailure(response, cause))
    }
  })
