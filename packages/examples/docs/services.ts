/**
 * Snippets of docs/services.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Credentials, Services, StackError } from "@getstack/effect"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
// ---

// --- connect
/** Connects Stripe with the key from STRIPE_SECRET_KEY and grants it to the agents. */
export const connectStripe = (agentIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const services = yield* Services.Services
    const secretKey = yield* Config.redacted("STRIPE_SECRET_KEY").pipe(Config.withDefault(Redacted.make("sk_test_local")))
    const stripe = yield* services.connect({
      service_id: "stripe",
      name: "Stripe (billing)",
      scopes: ["invoices:read", "invoices:write", "customers:read"],
      oauth_token: secretKey
    })
    for (const agent_id of agentIds) {
      yield* services.grant(stripe.id, { agent_id, scopes: ["invoices:read", "invoices:write"] })
    }
    return stripe
  })
// ---

// --- catalog
/** The catalog's services that authenticate with OAuth, and the operator's live connections. */
export const overview = Effect.gen(function*() {
  const services = yield* Services.Services
  const { services: catalog } = yield* services.catalog()
  const { connections } = yield* services.connected()
  return {
    oauth: catalog.filter((service) => service.auth_type === "oauth2").map((service) => service.id),
    active: connections.filter((connection) => connection.status === "active").map((c) => `${c.provider}:${c.id}`)
  }
})
// ---

// --- multi-field
/** Twilio's credential has two fields: `credentials`, not `oauth_token`. */
export const connectTwilio = (accountSid: string, authToken: Redacted.Redacted<string>) =>
  Effect.flatMap(Services.Services, (services) =>
    services.connect({
      service_id: "twilio",
      scopes: ["messages:write"],
      credentials: { account_sid: Redacted.make(accountSid), auth_token: authToken }
    }))
// ---

// --- retrieve
/** The Slack token, or none when the agent must go through the proxy. */
export const slackToken = Effect.gen(function*() {
  const credentials = yield* Credentials.Credentials
  return yield* credentials.get("slack").pipe(
    Effect.map((found) => found.credential),
    Effect.catchIf(
      (error): error is StackError.ForbiddenError => error._tag === "ForbiddenError",
      () => Effect.succeed(undefined)
    )
  )
})
// ---

// --- disconnect
/** Takes one agent's grant back, then disconnects: the stored secret is erased. */
export const offboard = (connectionId: string, agentId: string) =>
  Effect.gen(function*() {
    const services = yield* Services.Services
    yield* services.revokeGrant(connectionId, agentId)
    return yield* services.disconnect(connectionId)
  })
// ---
