/**
 * The emulator's catalog of third-party services: what `GET /v1/services`
 * lists, which hosts the proxy forwards each one's calls to, and how it puts
 * the stored credential on the request. STACK's catalog has 60 and more;
 * this one has the services its documentation and quick starts name, and a
 * few of each kind of credential (one token, several fields).
 */
import { CatalogService } from "@getstack/effect/api/Services"

/** How the proxy puts a connection's credential on the upstream request. */
export type Injection =
  /** `Authorization: Bearer <credential>`. */
  | { readonly kind: "bearer" }
  /** `Authorization: Basic base64(<user field>:<password field>)` from a multi-field credential. */
  | { readonly kind: "basic"; readonly user: string; readonly password: string }
  /** One header carrying the credential, e.g. `x-api-key`. */
  | { readonly kind: "header"; readonly name: string }

/** A service of the catalog, with what only the emulator needs. */
export interface Entry {
  readonly id: string
  readonly name: string
  readonly category: string
  readonly authType: "oauth2" | "api_key" | "basic"
  readonly scopes: ReadonlyArray<string>
  /** The fields of a multi-field credential (`credentials`); none for a one-secret service (`oauth_token`). */
  readonly credentialFields: ReadonlyArray<string>
  /** The hosts its calls may go to (`*.` matches any subdomain). */
  readonly hosts: ReadonlyArray<string>
  readonly injection: Injection
  /** Headers the service needs on every call. */
  readonly headers?: Readonly<Record<string, string>>
}

const bearer: Injection = { kind: "bearer" }

/** The catalog, by service id. */
export const entries: ReadonlyArray<Entry> = [
  {
    id: "slack",
    name: "Slack",
    category: "communication",
    authType: "oauth2",
    scopes: ["channels:read", "channels:history", "chat:write", "users:read", "files:write"],
    credentialFields: [],
    hosts: ["slack.com", "*.slack.com"],
    injection: bearer
  },
  {
    id: "github",
    name: "GitHub",
    category: "developer",
    authType: "oauth2",
    scopes: ["repo", "read:org", "read:user", "workflow", "issues:write"],
    credentialFields: [],
    hosts: ["api.github.com", "uploads.github.com"],
    injection: bearer,
    headers: { accept: "application/vnd.github+json" }
  },
  {
    id: "stripe",
    name: "Stripe",
    category: "payments",
    authType: "api_key",
    scopes: ["invoices:read", "invoices:write", "customers:read", "customers:write", "charges:read"],
    credentialFields: [],
    hosts: ["api.stripe.com"],
    injection: bearer
  },
  {
    id: "notion",
    name: "Notion",
    category: "productivity",
    authType: "oauth2",
    scopes: ["read_content", "update_content", "insert_content"],
    credentialFields: [],
    hosts: ["api.notion.com"],
    injection: bearer,
    headers: { "notion-version": "2022-06-28" }
  },
  {
    id: "google",
    name: "Google Workspace",
    category: "productivity",
    authType: "oauth2",
    scopes: ["gmail.readonly", "gmail.send", "drive.readonly", "drive.file", "calendar.events"],
    credentialFields: [],
    hosts: ["www.googleapis.com", "gmail.googleapis.com", "*.googleapis.com"],
    injection: bearer
  },
  {
    id: "linear",
    name: "Linear",
    category: "developer",
    authType: "oauth2",
    scopes: ["read", "write", "issues:create"],
    credentialFields: [],
    hosts: ["api.linear.app"],
    injection: bearer
  },
  {
    id: "hubspot",
    name: "HubSpot",
    category: "crm",
    authType: "oauth2",
    scopes: ["crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.deals.read"],
    credentialFields: [],
    hosts: ["api.hubapi.com"],
    injection: bearer
  },
  {
    id: "openai",
    name: "OpenAI",
    category: "ai",
    authType: "api_key",
    scopes: ["*"],
    credentialFields: [],
    hosts: ["api.openai.com"],
    injection: bearer
  },
  {
    id: "anthropic",
    name: "Anthropic",
    category: "ai",
    authType: "api_key",
    scopes: ["*"],
    credentialFields: [],
    hosts: ["api.anthropic.com"],
    injection: { kind: "header", name: "x-api-key" },
    headers: { "anthropic-version": "2023-06-01" }
  },
  {
    id: "twilio",
    name: "Twilio",
    category: "communication",
    authType: "basic",
    scopes: ["messages:read", "messages:write", "calls:read"],
    credentialFields: ["account_sid", "auth_token"],
    hosts: ["api.twilio.com"],
    injection: { kind: "basic", user: "account_sid", password: "auth_token" }
  }
]

const byId = new Map(entries.map((entry) => [entry.id, entry]))

/** The catalog's entry for a service id. */
export const entry = (id: string): Entry | undefined => byId.get(id)

/** A catalog entry as the contract shows it. */
export const toCatalogService = (entry: Entry): CatalogService =>
  new CatalogService({
    id: entry.id,
    name: entry.name,
    category: entry.category,
    auth_type: entry.authType,
    scopes: entry.scopes,
    credential_fields: entry.credentialFields,
    hosts: entry.hosts
  }, { disableValidation: true })

/** Whether `host` (lower case, with its port when it has one) is one of `patterns` (`*.` matches any subdomain). */
export const hostAllowed = (patterns: ReadonlyArray<string>, host: string): boolean =>
  patterns.some((pattern) =>
    pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern
  )
