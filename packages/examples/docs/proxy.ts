/**
 * Snippets of docs/proxy.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Passports, Proxy } from "@getstack/effect"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
// ---

// --- request
/** Posts to a Slack channel under the mission's passport: STACK adds the Slack token. */
export const postSummary = (mission: Passports.MissionHandle, slackApi: string, text: string) =>
  Effect.gen(function*() {
    const proxy = yield* Proxy.Proxy
    const answer = yield* proxy.request({
      service: "slack",
      method: "POST",
      url: `${slackApi}/api/chat.postMessage`,
      body: { channel: "#invoices", text },
      passport_token: yield* mission.token
    })
    return answer.status
  })
// ---

// --- request-json
const Channels = Schema.Struct({
  ok: Schema.Boolean,
  channels: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String }))
})

/** The workspace's channels, decoded; a non-2xx answer is an `UpstreamStatusError`. */
export const channelNames = (token: Passports.Token, slackApi: string) =>
  Effect.flatMap(Proxy.Proxy, (proxy) =>
    proxy.requestJson(
      { service: "slack", method: "GET", url: `${slackApi}/api/conversations.list`, query: { limit: "100" }, passport_token: token },
      Channels
    )).pipe(
      Effect.map((answer) => answer.channels.map((channel) => channel.name)),
      Effect.catchTag("UpstreamStatusError", (error) => Effect.succeed([`(slack answered ${error.status})`]))
    )
// ---

// --- authority
/** Refunds once per invoice, however often the step runs: the id is derived from what identifies it. */
export const refundOnce = (token: Passports.Token, stripeApi: string, missionId: string, invoiceId: string) =>
  Effect.gen(function*() {
    const proxy = yield* Proxy.Proxy
    const answer = yield* proxy.request({
      service: "stripe",
      method: "POST",
      url: `${stripeApi}/v1/refunds`,
      body: { invoice: invoiceId },
      passport_token: token,
      authority_request_id: yield* Proxy.authorityRequestId(missionId, "refund", invoiceId)
    })
    // replayed: the first outcome of this id, answered again without calling Stripe twice
    return { status: answer.status, replayed: answer.replayed === true }
  })
// ---

// --- errors
/** What a refused proxied call means, by its tag and STACK's code. */
export const explain = <A, R>(call: Effect.Effect<A, Proxy.RequestError, R>) =>
  call.pipe(
    Effect.map(() => "sent"),
    Effect.catchTags({
      AuthenticationError: (error) => Effect.succeed(`the passport is no longer valid (${error.code})`),
      ForbiddenError: (error) => Effect.succeed(`not allowed: ${error.message}`),
      ConflictError: (error) => Effect.succeed(`${error.code}: the operation was already sent, or is in flight`),
      InternalServerError: (error) => Effect.succeed(`the service failed (${error.code}); the outcome is recorded, not resent`)
    })
  )
// ---
