/**
 * Snippets of docs/proxy.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Missions, Passports, Proxy } from "@getstack/effect"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
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

// --- caps
/** Posts the digest under a mission capped at 20 calls; stops at a reached cap, which an operator reviews. */
export const postDigest = (agentId: string, slackApi: string, lines: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const missions = yield* Missions.Missions
    const proxy = yield* Proxy.Proxy
    const { mission_id, passport } = yield* missions.start({
      agent_id: agentId,
      intent_summary: "Post the digest",
      intent_services: ["slack"],
      limits: { actions: 20, cap_behavior: "pause" }
    })
    let posted = 0
    for (const text of lines) {
      const sent = yield* Effect.either(proxy.request({
        service: "slack",
        method: "POST",
        url: `${slackApi}/api/chat.postMessage`,
        body: { channel: "#digest", text },
        passport_token: passport.token
      }))
      if (Either.isLeft(sent)) {
        if (sent.left._tag === "MissionPausedError") return { mission_id, posted, pausedBy: sent.left.cap }
        return yield* Effect.fail(sent.left)
      }
      posted++
    }
    return { mission_id, posted, pausedBy: null }
  })

/** The operator's review of a paused mission: ten more calls, or the end of it. */
export const review = (missionId: string, allowMore: boolean) =>
  Effect.gen(function*() {
    const missions = yield* Missions.Missions
    const mission = yield* missions.get(missionId)
    const used = mission.usage?.actions ?? 0
    const reviewed = yield* missions.reviewPaused(
      missionId,
      allowMore ? { decision: "raise", limit: used + 10 } : { decision: "close" }
    )
    return reviewed.mission?.status
  })
// ---
