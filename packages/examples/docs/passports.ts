/**
 * Snippets of docs/passports.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Passports } from "@getstack/effect"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
// ---

// --- issue
// stripeConnection: a connection granted to the agent (see services.md)
export const issueForInvoices = (agentId: string, stripeConnection: string) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    return yield* passports.issue({
      agent_id: agentId,
      ttl_seconds: 1800,
      checkpoint_interval_seconds: 600,
      intent: { summary: "Process this week's invoices", services: ["stripe", "slack"], will_delegate: true },
      scopes: [{ service_connection_id: stripeConnection, scopes: ["invoices:read", "invoices:write"] }]
    })
  })
// ---

// --- issue-mission
export const issueInMission = (agentId: string, missionId: string) =>
  Effect.flatMap(Passports.Passports, (passports) =>
    // STACK takes a list, naming exactly one live mission
    passports.issue({ agent_id: agentId, mission_ids: [missionId], ttl_seconds: 600 }))
// ---

// --- claims
export const describeHolder = (token: Passports.Token) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    const claims = yield* passports.verifyOffline(token)
    const { agent_name, accountability, intent_services, delegation_depth } = claims.stk
    yield* Console.log(
      `${claims.sub} (${agent_name}, ${accountability}) may use ${intent_services.join(", ")}; ` +
        `depth ${delegation_depth}; valid until ${new Date(claims.exp * 1000).toISOString()}`
    )
    return claims
  })
// ---

// --- verify
export const holderFor = (token: Passports.Token, serviceId: string) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    const verdict = yield* passports.verify({ token, service_id: serviceId })
    // STACK documents `valid` only: the other fields may be missing
    if (verdict.valid) return Option.fromNullable(verdict.agent_id ?? verdict.claims?.sub)
    yield* Console.log(`refused: ${verdict.reason ?? "no reason given"} (${verdict.message ?? ""})`)
    return Option.none()
  })
// ---

// --- verify-offline
export const atTheDoor = (token: Passports.Token) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    return yield* passports.verifyOffline(token, { leewaySeconds: 30, checkRevocation: true }).pipe(
      Effect.map((claims) => `welcome, ${claims.stk.agent_name}`),
      Effect.catchTag("InvalidPassportError", (error) => Effect.succeed(`turned away: ${error.reason}`))
    )
  })
// ---

// --- revoke
export const revokeWithChildren = (jti: string, agentId: string) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    const one = yield* passports.revoke({ jti, reason: "token leaked into a log" })
    yield* Console.log(`${jti}: revoked now ${one.revoked ?? "?"}, ${one.cascaded?.length ?? 0} delegated passport(s) with it`)
    const rest = yield* passports.revokeAgent({ agent_id: agentId, reason: "agent retired" })
    yield* Console.log(`${rest.revoked_count ?? "?"} more of the agent's, ${rest.cascaded_count ?? "?"} by cascade`)
    const { passports: live } = yield* passports.listActive({ agent_id: agentId })
    return live.length
  })

export const panicButton = Effect.flatMap(Passports.Passports, (passports) => passports.revokeAll({ reason: "incident INC-42" }))
// ---

// --- delegate
const refusals: Record<string, string> = {
  SCOPE_ESCALATION: "it asks for more than the parent holds",
  DELEGATION_DEPTH_EXCEEDED: "the chain is already four hops deep",
  DELEGATION_ACCOUNTABILITY_VIOLATION: "the child's accountability mode is lower than the parent's",
  ACCOUNTABILITY_REQUIRED: "the child needs an intent and the parent has none"
}

export const handOff = (parentToken: Passports.Token, childAgentId: string, stripeConnection: string) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    return yield* passports.delegate({
      parent_token: parentToken,
      child_agent_id: childAgentId,
      scopes: [{ service_connection_id: stripeConnection, scopes: ["invoices:read"] }],
      ttl_seconds: 300
    }).pipe(
      Effect.map(Option.some),
      Effect.catchTag("BadRequestError", (error) =>
        error.code in refusals
          ? Effect.as(Console.log(`not delegated: ${refusals[error.code]}`), Option.none())
          : Effect.fail(error))
    )
  })
// ---

// --- refresh
export const renewToken = (token: Passports.Token) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    const refreshed = yield* passports.refresh({ token, ttl_seconds: 900 })
    yield* Console.log(`${refreshed.jti} now lives until ${DateTime.formatIso(refreshed.expires_at)}`)
    return refreshed.token
  })
// ---

// --- checkpoint-checkout
export const reportAndClose = (jti: string) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    const checkpoint = yield* passports.checkpoint(jti, {
      services_used: ["stripe"],
      actions_count: 12,
      summary: "12 invoices drafted"
    })
    // an enforced passport comes back re-signed: use checkpoint.token from here on
    const endsAt = checkpoint.expires_at === undefined ? "(not said)" : DateTime.formatIso(checkpoint.expires_at)
    yield* Console.log(`checkpoint accepted; the passport now ends at ${endsAt}`)
    const checkout = yield* passports.checkout(jti, {
      services_used: ["stripe", "gmail"],
      actions_count: 14,
      summary: "14 invoices sent"
    })
    for (const signal of checkout.signals ?? []) yield* Console.log(`${signal.severity} ${signal.type}: ${signal.detail}`)
    return checkout.review
  })
// ---

// --- jwks
export const publishedKeyIds = Effect.gen(function*() {
  const passports = yield* Passports.Passports
  const set = yield* passports.jwks()
  return set.keys.map((key) => key.kid)
})
// ---
