/**
 * The emulator's identity providers: the ones STACK's documentation names
 * (`bankid_se`, `stripe_identity`, `login_gov`, `id_me`, `plaid`, and
 * `persona` from the Python SDK's example) and `stack_test`, the emulator's
 * own. The emulator stands in for each provider's verification page and
 * callback: `POST /_emulator/identity/sessions/{session_ref}/approve` (or
 * `/reject`), or `Emulator.decideVerification`.
 */
import { IdentityProvider } from "@getstack/effect/api/Identity"

/** The layer each claim type vouches for. */
export const layerOf = {
  verified_human: "humanity",
  verified_identity: "identity"
} as const

/** A claim type. */
export type ClaimType = keyof typeof layerOf

/** A provider, with what only the emulator needs. */
export interface Provider {
  readonly id: string
  readonly key: string
  readonly name: string
  readonly claimTypes: ReadonlyArray<ClaimType>
  readonly assuranceLevel: "substantial" | "high"
  readonly countries?: ReadonlyArray<string>
  /** How long its claims stay valid, in days. */
  readonly claimDays: number
}

const both: ReadonlyArray<ClaimType> = ["verified_human", "verified_identity"]

/** The providers, in the order `listProviders` answers them. */
export const providers: ReadonlyArray<Provider> = [
  { id: "idp_stack_test", key: "stack_test", name: "STACK test provider (emulator)", claimTypes: both, assuranceLevel: "substantial", claimDays: 365 },
  { id: "idp_bankid_se", key: "bankid_se", name: "BankID (Sweden)", claimTypes: both, assuranceLevel: "high", countries: ["SE"], claimDays: 365 },
  { id: "idp_stripe_identity", key: "stripe_identity", name: "Stripe Identity", claimTypes: both, assuranceLevel: "substantial", claimDays: 365 },
  { id: "idp_login_gov", key: "login_gov", name: "Login.gov", claimTypes: both, assuranceLevel: "high", countries: ["US"], claimDays: 365 },
  { id: "idp_id_me", key: "id_me", name: "ID.me", claimTypes: both, assuranceLevel: "substantial", countries: ["US"], claimDays: 365 },
  { id: "idp_plaid", key: "plaid", name: "Plaid Identity Verification", claimTypes: both, assuranceLevel: "substantial", claimDays: 365 },
  { id: "idp_persona", key: "persona", name: "Persona", claimTypes: both, assuranceLevel: "substantial", claimDays: 365 }
]

/** A provider by its key. */
export const byKey = (key: string): Provider | undefined => providers.find((provider) => provider.key === key)

/** A provider as the contract shows it. */
export const toProvider = (provider: Provider): IdentityProvider =>
  new IdentityProvider({
    id: provider.id,
    name: provider.name,
    provider_key: provider.key,
    supported_layers: [...new Set(provider.claimTypes.map((type) => layerOf[type]))],
    claim_types: provider.claimTypes,
    assurance_level: provider.assuranceLevel,
    ...(provider.countries === undefined ? {} : { countries: provider.countries })
  }, { disableValidation: true })
