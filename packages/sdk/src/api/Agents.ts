/**
 * The agents group of the wire contract: `/v1/agents`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, PageFields, PageQueryFields, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * An agent id: `agt_` followed by random characters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentId = Schema.String.annotations({ identifier: "AgentId", description: "agt_ followed by random characters" })

/**
 * @since 0.1.0
 * @category schemas
 */
export type AgentId = typeof AgentId.Type

/**
 * An agent name as STACK validates it today: lowercase letters, digits,
 * hyphens and underscores, starting and ending with a letter or digit, at most
 * 64 characters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentName = Schema.String.pipe(
  Schema.maxLength(64, { message: () => "must be at most 64 characters" }),
  Schema.pattern(/^[a-z0-9][a-z0-9_-]*[a-z0-9]$/, {
    message: () =>
      "must be 2 to 64 lowercase letters, digits, hyphens or underscores, starting and ending with a letter or digit"
  })
)

/**
 * `enforced` agents check in at every checkpoint interval and may use only the
 * services they declared; `logged` agents declare intent; `standard` agents do
 * neither.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AccountabilityMode = Schema.Literal("enforced", "logged", "standard")

/**
 * @since 0.1.0
 * @category schemas
 */
export type AccountabilityMode = typeof AccountabilityMode.Type

/**
 * What STACK does when a security event of that severity fires.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EventReaction = Schema.Literal("notify", "block")

/**
 * @since 0.1.0
 * @category schemas
 */
export type EventReaction = typeof EventReaction.Type

/**
 * How the agent reaches third-party credentials.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CredentialAccess = Schema.Literal("direct", "proxy_preferred", "proxy_only")

/**
 * @since 0.1.0
 * @category schemas
 */
export type CredentialAccess = typeof CredentialAccess.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const AgentStatus = Schema.Literal("active", "suspended")

/**
 * @since 0.1.0
 * @category schemas
 */
export type AgentStatus = typeof AgentStatus.Type

/**
 * The defaults STACK applies to fields a registration leaves out (from STACK's
 * agents API page; its newer MCP tools describe other defaults).
 *
 * @since 0.1.0
 * @category defaults
 */
export const AgentDefaults = {
  accountability_mode: "enforced",
  on_warning: "notify",
  on_critical: "block",
  credential_access: "direct"
} as const satisfies {
  readonly accountability_mode: AccountabilityMode
  readonly on_warning: EventReaction
  readonly on_critical: EventReaction
  readonly credential_access: CredentialAccess
}

/**
 * An agent as STACK returns it. The fields STACK documents (its settings,
 * `status`, `passport_blocked`) are required; the others are optional, so an
 * answer without them still decodes.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Agent extends Schema.Class<Agent>("Agent")({
  id: AgentId,
  name: Schema.String,
  accountability_mode: AccountabilityMode,
  on_warning: EventReaction,
  on_critical: EventReaction,
  credential_access: CredentialAccess,
  status: AgentStatus,
  passport_blocked: Schema.Boolean,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  icon_url: Schema.optional(Schema.NullOr(Schema.String)),
  operator_id: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.NullOr(Schema.String)),
  key_mode: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.optional(Timestamp),
  updated_at: Schema.optional(Timestamp)
}) {}

const Description = BoundedString(256)

/**
 * A registration profile, a preset of settings (STACK names
 * `proxied-llm-bot`: `proxy_only`, `logged`, `key_mode: stack_managed`). STACK
 * does not publish the full list, so any name is passed through.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentProfile = BoundedString(64).pipe(Schema.minLength(1, { message: () => "must not be empty" }))

/**
 * How the agent's signing keys are managed (`stack_managed`, or `self_managed`
 * for a key the agent enrolls itself). Other values STACK may add pass through.
 *
 * @since 0.1.0
 * @category schemas
 */
export const KeyMode = BoundedString(64).pipe(Schema.minLength(1, { message: () => "must not be empty" }))
const IconUrl = BoundedString(100_000)

/**
 * The options of a registration, besides the name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RegisterAgentOptions = Schema.Struct({
  description: Schema.optional(Schema.NullOr(Description)),
  accountability_mode: Schema.optional(AccountabilityMode),
  on_warning: Schema.optional(EventReaction),
  on_critical: Schema.optional(EventReaction),
  credential_access: Schema.optional(CredentialAccess),
  icon_url: Schema.optional(Schema.NullOr(IconUrl)),
  profile: Schema.optional(AgentProfile),
  key_mode: Schema.optional(KeyMode)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type RegisterAgentOptions = typeof RegisterAgentOptions.Type

/**
 * Body of `POST /v1/agents/register`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RegisterAgentRequest = Schema.Struct({
  name: AgentName,
  ...RegisterAgentOptions.fields
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type RegisterAgentRequest = typeof RegisterAgentRequest.Type

/**
 * Body of `PATCH /v1/agents/{id}`: the fields to change. `null` clears a
 * nullable field.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UpdateAgentRequest = Schema.Struct({
  name: Schema.optional(AgentName),
  description: Schema.optional(Schema.NullOr(Description)),
  accountability_mode: Schema.optional(AccountabilityMode),
  on_warning: Schema.optional(EventReaction),
  on_critical: Schema.optional(EventReaction),
  credential_access: Schema.optional(CredentialAccess),
  icon_url: Schema.optional(Schema.NullOr(IconUrl)),
  status: Schema.optional(AgentStatus)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type UpdateAgentRequest = typeof UpdateAgentRequest.Type

/**
 * Query of `GET /v1/agents`.
 * `page` asks for a page by number; `cursor` (a page's `next_cursor`) for the
 * page after that one, by keyset (not with `page`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListAgentsQuery = Schema.Struct({
  ...PageQueryFields(100)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListAgentsQuery = typeof ListAgentsQuery.Type

/**
 * Default and largest page size of `GET /v1/agents`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const AgentPageSize = { default: 50, max: 100 } as const

/**
 * One page of agents, newest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export class AgentPage extends Schema.Class<AgentPage>("AgentPage")({
  agents: Schema.Array(Agent),
  ...PageFields
}) {}

/**
 * Answer of `DELETE /v1/agents/{id}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class DeletedAgent extends Schema.Class<DeletedAgent>("DeletedAgent")({
  id: Schema.optional(AgentId),
  deleted: Schema.optional(Schema.Boolean)
}) {}

/**
 * Answer of `POST /v1/agents/{id}/unblock`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class UnblockedAgent extends Schema.Class<UnblockedAgent>("UnblockedAgent")({
  was_blocked: Schema.Boolean,
  agent: Schema.optional(Agent)
}) {}

/**
 * Answer of `POST /v1/agents/{id}/enrollment-challenge`: random bytes
 * (base64url) the agent's new key must sign. Valid for five minutes, once.
 *
 * @since 0.1.0
 * @category schemas
 */
export class EnrollmentChallenge extends Schema.Class<EnrollmentChallenge>("EnrollmentChallenge")({
  challenge_id: Schema.String,
  challenge: Schema.String,
  expires_at: Schema.optional(Timestamp)
}) {}

/**
 * An Ed25519 public key as a JWK.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentPublicKey = Schema.Struct({
  kty: Schema.Literal("OKP"),
  crv: Schema.Literal("Ed25519"),
  x: Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{43}$/, { message: () => "must be a base64url Ed25519 public key" }))
})

/**
 * Body of `POST /v1/agents/{id}/enroll`: the public key and its proof of
 * possession, the Ed25519 signature (base64url) of the challenge's UTF-8
 * bytes.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EnrollAgentKeyRequest = Schema.Struct({
  public_key: AgentPublicKey,
  challenge_id: Schema.String,
  signed_challenge: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type EnrollAgentKeyRequest = typeof EnrollAgentKeyRequest.Type

/**
 * Answer of `enroll`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class EnrolledAgentKey extends Schema.Class<EnrolledAgentKey>("EnrolledAgentKey")({
  agent_id: Schema.optional(Schema.String),
  key_id: Schema.optional(Schema.String),
  enrolled_at: Schema.optional(Timestamp)
}) {}

/**
 * The JWT an agent signs with its enrolled key, one per request. A `jti`,
 * when sent, makes it good for that one request.
 *
 * @since 0.1.0
 * @category agent keys
 */
export const AgentJwt = {
  issuer: "stack-sdk",
  audience: "stack:agent",
  lifetimeSeconds: 60
} as const

/**
 * Body of `POST /v1/agents/{id}/unblock`: empty, or the approval STACK asked
 * for (`ApprovalRequiredError`) once a human granted it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnblockAgentRequest = Schema.Struct({
  governance_approval_id: Schema.optional(Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" })))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type UnblockAgentRequest = typeof UnblockAgentRequest.Type

/**
 * The agents endpoints, by name.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const AgentsEndpoints = {
  register: Endpoint.post("register", "/v1/agents/register")
    .setPayload(RegisterAgentRequest)
    .addSuccess(Agent, { status: 201 })
    .pipe(Endpoint.create),
  list: Endpoint.get("list", "/v1/agents")
    .setUrlParams(ListAgentsQuery)
    .addSuccess(AgentPage)
    .pipe(Endpoint.list),
  get: Endpoint.get("get", "/v1/agents/:id")
    .addSuccess(Agent)
    .pipe(Endpoint.read),
  update: Endpoint.patch("update", "/v1/agents/:id")
    .setPayload(UpdateAgentRequest)
    .addSuccess(Agent)
    .pipe(Endpoint.write, Endpoint.idempotent),
  delete: Endpoint.del("delete", "/v1/agents/:id")
    .addSuccess(DeletedAgent)
    .pipe(Endpoint.write),
  unblock: Endpoint.post("unblock", "/v1/agents/:id/unblock")
    .setPayload(UnblockAgentRequest)
    .addSuccess(UnblockedAgent)
    .pipe(Endpoint.write, Endpoint.idempotent),
  enrollmentChallenge: Endpoint.post("enrollmentChallenge", "/v1/agents/:id/enrollment-challenge")
    .addSuccess(EnrollmentChallenge, { status: 201 })
    .pipe(Endpoint.write),
  enroll: Endpoint.post("enroll", "/v1/agents/:id/enroll")
    .setPayload(EnrollAgentKeyRequest)
    .addSuccess(EnrolledAgentKey, { status: 201 })
    .pipe(Endpoint.write)
}
