/**
 * A fake `HttpClient` for the SDK's tests: it answers from a handler, records
 * every request it sees (method, URL, headers, body text) and never touches
 * the network.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { inspect } from "node:util"

/** One request the fake saw. */
export interface RecordedRequest {
  /** 0 for the first request the fake saw, 1 for the second, … */
  readonly index: number
  readonly method: string
  /** The full URL, query included. */
  readonly url: string
  readonly origin: string
  readonly pathname: string
  readonly query: URLSearchParams
  readonly headers: Readonly<Record<string, string>>
  /** The body as text, `""` when there is none. */
  readonly body: string
  /** The content type of the body, `undefined` when there is none. */
  readonly contentType: string | undefined
  /** The request as the client built it, to build a `RequestError` from. */
  readonly raw: HttpClientRequest.HttpClientRequest
}

/** What the fake answers with. A string body is sent as is, anything else as JSON. */
export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * Answers one request: a reply, or an effect of one (that may fail with a
 * transport error, wait or never end). `seen` is every request so far, this
 * one included.
 */
export type Handler = (
  request: RecordedRequest,
  seen: ReadonlyArray<RecordedRequest>
) => Reply | Effect.Effect<Reply, HttpClientError.HttpClientError>

/** The fake client, its layer and what it has seen so far. */
export interface FakeHttp {
  readonly client: HttpClient.HttpClient
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  /** Every request seen so far, in order (a live array). */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** How many requests matched `predicate` (all of them when left out). */
  readonly count: (predicate?: (request: RecordedRequest) => boolean) => number
}

const decoder = new TextDecoder()

const bodyText = (request: HttpClientRequest.HttpClientRequest): { body: string; contentType: string | undefined } => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return { body: "", contentType: undefined }
    case "Uint8Array":
      return { body: decoder.decode(body.body), contentType: body.contentType }
    case "Raw":
      return { body: String(body.body), contentType: undefined }
    case "FormData":
      return { body: "<form data>", contentType: "multipart/form-data" }
    case "Stream":
      return { body: "<stream>", contentType: body.contentType }
  }
}

/** A fake `HttpClient` answering from `handler`. */
export const make = (handler: Handler): FakeHttp => {
  const requests: Array<RecordedRequest> = []
  const client = HttpClient.make((request, url) =>
    Effect.suspend(() => {
      const { body, contentType } = bodyText(request)
      const recorded: RecordedRequest = {
        index: requests.length,
        method: request.method,
        url: url.toString(),
        origin: url.origin,
        pathname: url.pathname,
        query: new URLSearchParams(url.search),
        headers: { ...request.headers },
        body,
        contentType,
        raw: request
      }
      requests.push(recorded)
      const answer = handler(recorded, requests)
      return Effect.map(Effect.isEffect(answer) ? answer : Effect.succeed(answer), (reply) =>
        HttpClientResponse.fromWeb(
          request,
          new Response(
            reply.body === undefined ? null : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body),
            {
              status: reply.status,
              headers: {
                ...(reply.body !== undefined && typeof reply.body !== "string" ? { "content-type": "application/json" } : {}),
                ...reply.headers
              }
            }
          )
        ))
    })
  )
  return {
    client,
    layer: Layer.succeed(HttpClient.HttpClient, client),
    requests,
    count: (predicate) => predicate === undefined ? requests.length : requests.filter(predicate).length
  }
}

/** A JSON reply. */
export const json = (status: number, body: unknown, headers?: Readonly<Record<string, string>>): Reply => ({
  status,
  body,
  headers
})

/** A reply with a raw text body. */
export const text = (status: number, body: string, headers?: Readonly<Record<string, string>>): Reply => ({
  status,
  body,
  headers
})

/** A reply with STACK's error body. */
export const stackError = (
  status: number,
  code: string,
  message: string,
  options: { readonly details?: unknown; readonly headers?: Readonly<Record<string, string>> } = {}
): Reply => ({
  status,
  body: { error: { code, message, ...(options.details === undefined ? {} : { details: options.details }) } },
  headers: options.headers
})

/**
 * A transport failure, as `FetchHttpClient` reports one: `fetch` rejects
 * (here with a refused connection) and the rejection becomes a `RequestError`.
 */
export const transportError = (
  request: RecordedRequest,
  message = "connect ECONNREFUSED 127.0.0.1:443"
): Effect.Effect<never, HttpClientError.HttpClientError> =>
  Effect.tryPromise({
    // as Node's fetch fails: a TypeError whose cause is the socket's error, with its code
    try: () =>
      Promise.reject(
        new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code: /\b(E[A-Z_]+)\b/.exec(message)?.[1] }) })
      ),
    catch: (cause) => new HttpClientError.RequestError({ request: request.raw, reason: "Transport", cause })
  })

/** An agent as STACK returns it. */
export const agentJson = (overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> => ({
  id: "agt_1",
  operator_id: "op_1",
  name: "alpha",
  description: null,
  accountability_mode: "enforced",
  on_warning: "notify",
  on_critical: "block",
  credential_access: "direct",
  icon_url: null,
  status: "active",
  passport_blocked: false,
  created_at: "2024-01-01T00:00:00.000Z",
  updated_at: "2024-01-01T00:00:00.000Z",
  ...overrides
})

/** A page of agents as STACK returns it. */
export const pageJson = (
  agents: ReadonlyArray<Record<string, unknown>>,
  options: { readonly page: number; readonly limit: number; readonly total: number; readonly hasMore: boolean }
) => ({
  agents,
  page: options.page,
  limit: options.limit,
  total: options.total,
  has_more: options.hasMore
})

/** Every rendering of `error` a user could print or ship to a log. */
export const renderings = (error: unknown): ReadonlyArray<readonly [string, string]> => [
  ["message", error instanceof Error ? error.message : ""],
  ["String", String(error)],
  ["JSON.stringify", JSON.stringify(error) ?? ""],
  ["toString", (error as { toString(): string }).toString()],
  ["Inspectable.format", Inspectable.format(error)],
  ["Inspectable.toStringUnknown", Inspectable.toStringUnknown(error)],
  ["util.inspect", inspect(error, { depth: 20 })],
  ["Cause.pretty", Cause.pretty(Cause.fail(error))]
]

/** A logger that keeps every line, as text and as JSON. */
export const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make<unknown, void>((options) => {
    lines.push(Logger.stringLogger.log(options), Logger.jsonLogger.log(options))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}
