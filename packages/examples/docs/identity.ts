/**
 * Snippets of docs/identity.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Identity, Passports } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
// ---

// --- providers
/** The providers that can vouch for the operator's humanity, best assurance first. */
export const humanityProviders = Effect.gen(function*() {
  const identity = yield* Identity.Identity
  const { providers } = yield* identity.listProviders()
  return providers
    .filter((provider) => provider.supported_layers.includes("humanity"))
    .sort((a, b) => Number(b.assurance_level === "high") - Number(a.assurance_level === "high"))
    .map((provider) => `${provider.provider_key} (${provider.assurance_level})`)
})
// ---

// --- initiate
/** Starts a proof of humanity with a provider: the human opens `url` before `expires_at`. */
export const startVerification = (provider_key: string) =>
  Effect.flatMap(Identity.Identity, (identity) =>
    identity.initiateVerification({
      provider_key,
      requested_claims: ["verified_human"],
      return_url: "https://example.com/identity/done"
    }))
// ---

// --- complete
/** Completes a session once its provider has answered: the claims, or where the session stands. */
export const finish = (provider_key: string, session_ref: string) =>
  Effect.gen(function*() {
    const identity = yield* Identity.Identity
    return yield* identity.completeVerification(provider_key, session_ref).pipe(
      Effect.map(({ claims, status }) => ({ status, claims: claims.map((claim) => claim.id) })),
      Effect.catchTag("ConflictError", () =>
        Effect.map(identity.getVerification(session_ref), ({ status }) => ({ status, claims: [] as Array<string> })))
    )
  })
// ---

// --- passport
/** A passport that carries only the operator's active proof of humanity. */
export const humanPassport = (agent_id: string) =>
  Effect.gen(function*() {
    const identity = yield* Identity.Identity
    const passports = yield* Passports.Passports
    const { claims } = yield* identity.listClaims()
    const human = claims.filter((claim) => claim.status === "active" && claim.layer === "humanity")
    return yield* passports.issue({ agent_id, identity_claim_ids: human.map((claim) => claim.id) })
  })
// ---

// --- revoke
/** Revokes every active claim of a provider, and with them the passports that carry them. */
export const revokeProvider = (provider: string) =>
  Effect.gen(function*() {
    const identity = yield* Identity.Identity
    const { claims } = yield* identity.listClaims()
    const active = claims.filter((claim) => claim.provider === provider && claim.status === "active")
    return yield* Effect.forEach(active, (claim) => identity.revokeClaim(claim.id))
  })
// ---

// --- emulator
/** In a test: the emulator answers as the provider would, then the session completes. */
export const verifiedInEmulator = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  const session = yield* startVerification("stack_test")
  yield* Effect.orDie(emulator.decideVerification(emulator.operatorId, session.session_ref, "approved"))
  return yield* finish("stack_test", session.session_ref)
})
// ---
