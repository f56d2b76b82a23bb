/**
 * The requests of `sdk-agents.ts` written by hand with `HttpClient` and
 * `Schema`: base URL and bearer token as client middleware, the answers
 * decoded, STACK's error body read, transient failures retried.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

class Agent extends Schema.Class<Agent>("Agent")({
  id: Schema.String,
  name: Schema.String,
  accountability_mode: Schema.Literal("enforced", "logged", "standard"),
  on_warning: Schema.Literal("notify", "block"),
  on_critical: Schema.Literal("notify", "block"),
  credential_access: Schema.Literal("direct", "proxy_preferred", "proxy_only"),
  status: Schema.Literal("active", "suspended"),
  passport_blocked: Schema.Boolean,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  icon_url: Schema.optional(Schema.NullOr(Schema.String)),
  operator_id: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.NullOr(Schema.String)),
  key_mode: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.optional(Schema.DateTimeUtc),
  updated_at: Schema.optional(Schema.DateTimeUtc)
}) {}

class AgentPage extends Schema.Class<AgentPage>("AgentPage")({
  agents: Schema.Array(Agent),
  page: Schema.optional(Schema.Number),
  limit: Schema.optional(Schema.Number),
  total: Schema.optional(Schema.Number),
  has_more: Schema.optional(Schema.Boolean),
  next_cursor: Schema.optional(Schema.NullOr(Schema.String))
}) {}

const ErrorBody = Schema.Struct({
  error: Schema.Struct({ code: Schema.String, message: Schema.String, details: Schema.optional(Schema.Unknown) })
})

class StackError extends Data.TaggedError("StackError")<{
  readonly status: number
  readonly code: string
  readonly message: string
  readonly requestId: string | undefined
}> {}

const program = Effect.gen(function*() {
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest((request) =>
      request.pipe(
        HttpClientRequest.prependUrl(process.env.STACK_BASE_URL ?? "https://api.getstack.run"),
        HttpClientRequest.bearerToken(process.env.STACK_API_KEY ?? ""),
        HttpClientRequest.acceptJson
      )
    ),
    HttpClient.retryTransient({ times: 2 })
  )
  const send = <A, I>(request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I>) =>
    Effect.flatMap(client.execute(request), (response) =>
      response.status < 400
        ? HttpClientResponse.schemaBodyJson(schema)(response)
        : Effect.flatMap(
          HttpClientResponse.schemaBodyJson(ErrorBody)(response),
          ({ error }) =>
            Effect.fail(
              new StackError({ status: response.status, code: error.code, message: error.message, requestId: response.headers["x-request-id"] })
            )
        ))
  const agent = yield* send(
    HttpClientRequest.post("/v1/agents/register").pipe(
      HttpClientRequest.setHeader("idempotency-key", crypto.randomUUID()),
      HttpClientRequest.bodyUnsafeJson({ name: "bundle-bot" })
    ),
    Agent
  )
  console.log(yield* send(HttpClientRequest.get(`/v1/agents/${encodeURIComponent(agent.id)}`), Agent))
  console.log((yield* send(HttpClientRequest.get("/v1/agents", { urlParams: { limit: "10" } }), AgentPage)).agents.length)
})

Effect.runPromise(Effect.provide(program, FetchHttpClient.layer)).catch(console.error)
