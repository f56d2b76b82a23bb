/**
 * The skills marketplace of the contract: skills operators publish (a name,
 * a version, JSON Schemas of input and output, the identity level an
 * invoker needs, a price), browsed by every operator and invoked by their
 * agents; the invocations (run at once for `sealed` skills, claimed and
 * completed by the publisher for `open` ones); and the request board, which
 * matches a need to skills and suggests chains of skills that compose.
 *
 * STACK documents `POST /v1/skills` (`name` a slug of 2–64, `description`
 * 1–1000, `version` semver, `input_schema`, `output_schema`,
 * `trust_level_required` `L0|L1|L2`, `tags`, `price_per_invocation` in USD
 * cents, `agent_id`, `execution_mode` `sealed|open|source`,
 * `credential_mode`, `required_credentials`, `execution_steps`), browsing
 * `GET /v1/skills?search=&tags=&trust_level=&limit=` (items `{ id, name,
 * description, execution_mode, trust_level_required, price_per_invocation,
 * average_rating, invocation_count }`), `POST /v1/skills/{id}/invoke {
 * agent_id, input, passport_claims? }`, the provider's `POST
 * /v1/skills/invocations/{id}/claim` and `/complete`, listing pending
 * invocations, `GET /v1/skills/invocations/{id}`, the trust levels (L0 any
 * passport, L1 a `verified_human` claim, L2 a `verified_identity` claim)
 * and the SDK methods `get`, `listOwned`, `update`, `suspend`, `activate`,
 * `listInvocations`, `postRequest`, `suggestComposition`. Every other path,
 * the invocation's fields beyond its `pending` status, `fail`'s path, the
 * envelopes and the request board's answers are the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, CursorQueryFields, NonEmpty, PageFields, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * The identity level a skill asks of its invoker: `L0` any passport, `L1` a
 * verified human (`verified_human`, or `verified_identity`, which implies
 * it), `L2` a verified identity (`verified_identity`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TrustLevel = Schema.Literal("L0", "L1", "L2")

/**
 * @since 0.1.0
 * @category schemas
 */
export type TrustLevel = typeof TrustLevel.Type

/**
 * How a skill runs: `sealed` at once, on STACK's side, its answer the
 * completed invocation; `open` (and `source`, which the emulator treats
 * alike) by its publisher, who claims and completes each invocation.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExecutionMode = Schema.Literal("sealed", "open", "source")

/**
 * @since 0.1.0
 * @category schemas
 */
export type ExecutionMode = typeof ExecutionMode.Type

/**
 * Whose credentials a skill uses: none, the buyer's, the seller's, or both.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CredentialMode = Schema.Literal("none", "buyer_provides", "seller_provides", "both")

/**
 * Where a skill stands: `active` (browsable, invocable) or `suspended` by
 * its publisher. Answers may carry others.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SkillStatus = Schema.Literal("active", "suspended")

/**
 * Where an invocation stands: `pending` (an open skill's, until its
 * publisher claims it), `claimed`, `completed` or `failed`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InvocationStatus = Schema.Literal("pending", "claimed", "completed", "failed")

/**
 * An invocation's status: one of `InvocationStatus`, or another string a
 * newer STACK sends.
 *
 * @since 0.1.0
 * @category schemas
 */
export type InvocationStatus = typeof InvocationStatus.Type | (string & {})

const TolerantInvocationStatus: Schema.Schema<InvocationStatus, string> = Schema.Union(InvocationStatus, Schema.String)

/**
 * Page sizes of the skills' listings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SkillPageSize = { default: 20, max: 100 } as const

/**
 * How many tags a skill (or a request) carries, and how long each is.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TagLimits = { count: 20, length: 40 } as const

/**
 * A skill's name: a slug of 2 to 64 lowercase letters, digits and hyphens,
 * starting with a letter or digit.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SkillName = Schema.String.pipe(
  Schema.minLength(2, { message: () => "must be at least 2 characters" }),
  Schema.maxLength(64, { message: () => "must be at most 64 characters" }),
  Schema.pattern(/^[a-z0-9][a-z0-9-]*$/, {
    message: () => "must be a slug: lowercase letters, digits and hyphens, starting with a letter or digit"
  })
)

/**
 * A semantic version (`1.0.0`, `2.1.0-beta.1`, `1.0.0+build.7`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SemVer = Schema.String.pipe(
  Schema.maxLength(64, { message: () => "must be at most 64 characters" }),
  Schema.pattern(
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/,
    { message: () => "must be a semantic version (MAJOR.MINOR.PATCH)" }
  )
)

/**
 * A JSON Schema object, as a skill's input or output is described (Ajv
 * compiles it when the skill is published).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SkillJsonSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const Description = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(1000, { message: () => "must be at most 1000 characters" })
)

const Tags = Schema.Array(
  Schema.String.pipe(
    Schema.minLength(1, { message: () => "must not be empty" }),
    Schema.maxLength(TagLimits.length, { message: () => `must be at most ${TagLimits.length} characters` })
  )
).pipe(Schema.maxItems(TagLimits.count, { message: () => `must name at most ${TagLimits.count} tags` }))

const Cents = Schema.Number.pipe(
  Schema.int({ message: () => "must be a whole number of cents" }),
  Schema.between(0, 100_000_000, { message: () => "must be between 0 and 100000000 cents" })
)

/**
 * A credential a skill needs: the provider and its scopes.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RequiredCredential = Schema.Struct({
  provider: NonEmpty.pipe(Schema.maxLength(64, { message: () => "must be at most 64 characters" })),
  scopes: Schema.Array(BoundedString(128)).pipe(Schema.maxItems(50, { message: () => "must name at most 50 scopes" }))
})

/**
 * One declared step of a sealed skill, as STACK documents them (a script or
 * an LLM call). They are stored and shown to the publisher; the emulator
 * never runs them (see `transform` and the emulator's `skillHandlers`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExecutionStep = Schema.Struct({
  type: Schema.Literal("script", "llm"),
  label: Schema.optional(BoundedString(200)),
  runtime: Schema.optional(BoundedString(32)),
  script: Schema.optional(BoundedString(100_000)),
  llm_provider: Schema.optional(BoundedString(64)),
  llm_model: Schema.optional(BoundedString(128)),
  llm_config: Schema.optional(Schema.Struct({
    temperature: Schema.optional(Schema.Number),
    max_tokens: Schema.optional(Schema.Number),
    system_prompt: Schema.optional(BoundedString(20_000))
  }))
})

/**
 * Body of `POST /v1/skills`. `transform` is the contract's: a JSON template
 * a sealed skill answers with, its strings of the form `"{{/json/pointer}}"`
 * replaced by the value at that pointer in the input (`null` when missing).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PublishSkillRequest = Schema.Struct({
  name: SkillName,
  description: Description,
  version: SemVer,
  input_schema: SkillJsonSchema,
  output_schema: SkillJsonSchema,
  trust_level_required: Schema.optional(TrustLevel),
  tags: Schema.optional(Tags),
  price_per_invocation: Schema.optional(Cents),
  agent_id: Schema.optional(NonEmpty),
  execution_mode: ExecutionMode,
  credential_mode: Schema.optional(CredentialMode),
  required_credentials: Schema.optional(
    Schema.Array(RequiredCredential).pipe(Schema.maxItems(20, { message: () => "must name at most 20 credentials" }))
  ),
  execution_steps: Schema.optional(
    Schema.Array(ExecutionStep).pipe(Schema.maxItems(20, { message: () => "must have at most 20 steps" }))
  ),
  transform: Schema.optional(Schema.Unknown)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type PublishSkillRequest = typeof PublishSkillRequest.Type

/**
 * Body of `PATCH /v1/skills/{id}`: the fields to change (schemas are
 * compiled again).
 *
 * @since 0.1.0
 * @category schemas
 */
export const UpdateSkillRequest = Schema.Struct({
  description: Schema.optional(Description),
  version: Schema.optional(SemVer),
  input_schema: Schema.optional(SkillJsonSchema),
  output_schema: Schema.optional(SkillJsonSchema),
  tags: Schema.optional(Tags),
  price_per_invocation: Schema.optional(Cents),
  trust_level_required: Schema.optional(TrustLevel),
  transform: Schema.optional(Schema.Unknown)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type UpdateSkillRequest = typeof UpdateSkillRequest.Type

/**
 * A skill. The fields of a browse item are STACK's; the rest are the
 * contract's. `owned` says whether the caller's operator published it;
 * `transform` and `execution_steps` are shown to the publisher only.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Skill extends Schema.Class<Skill>("Skill")({
  id: Schema.String,
  name: Schema.String,
  description: Schema.String,
  execution_mode: Schema.String,
  trust_level_required: Schema.String,
  price_per_invocation: Schema.Number,
  average_rating: Schema.NullOr(Schema.Number),
  invocation_count: Schema.Number,
  version: Schema.optional(Schema.String),
  input_schema: Schema.optional(SkillJsonSchema),
  output_schema: Schema.optional(SkillJsonSchema),
  tags: Schema.optional(Schema.Array(Schema.String)),
  credential_mode: Schema.optional(Schema.String),
  required_credentials: Schema.optional(Schema.Array(RequiredCredential)),
  execution_steps: Schema.optional(Schema.Array(Schema.Unknown)),
  transform: Schema.optional(Schema.Unknown),
  status: Schema.optional(Schema.String),
  publisher_id: Schema.optional(Schema.String),
  agent_id: Schema.optional(Schema.NullOr(Schema.String)),
  owned: Schema.optional(Schema.Boolean),
  created_at: Schema.optional(Timestamp),
  updated_at: Schema.optional(Timestamp)
}) {}

/**
 * Query of `GET /v1/skills` (browse): `search` matches the name and the
 * description (case-insensitive), `tags` (a comma-separated list, or the
 * parameter repeated) keeps the skills carrying every tag named, and
 * `trust_level` the skills invocable at that level (those requiring it or
 * less).
 *
 * @since 0.1.0
 * @category schemas
 */
export const BrowseSkillsQuery = Schema.Struct({
  search: Schema.optional(BoundedString(200)),
  tags: Schema.optional(Schema.Union(BoundedString(1000), Schema.Array(BoundedString(1000)))),
  trust_level: Schema.optional(TrustLevel),
  ...CursorQueryFields(SkillPageSize.max)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type BrowseSkillsQuery = typeof BrowseSkillsQuery.Type

/**
 * Query of `GET /v1/skills/owned`: the operator's own skills, of any status
 * unless one is named.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListOwnedQuery = Schema.Struct({
  status: Schema.optional(SkillStatus),
  ...CursorQueryFields(SkillPageSize.max)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListOwnedQuery = typeof ListOwnedQuery.Type

/**
 * One page of skills, newest first by `created_at`, paged by `next_cursor`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class SkillPage extends Schema.Class<SkillPage>("SkillPage")({
  skills: Schema.Array(Skill),
  ...PageFields
}) {}

/**
 * Body of `POST /v1/skills/{id}/invoke`: the invoking agent (one of the
 * operator's; an agent caller names itself), the input (checked against the
 * skill's `input_schema`), and the invoker's passport (`Redacted` on this
 * side), whose bound identity claims are the invoker's trust level; an agent
 * caller must present one of its own. `passport_claims` (the JS SDK's field)
 * is accepted and never raises the trust level.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InvokeSkillRequest = Schema.Struct({
  agent_id: NonEmpty,
  input: Schema.Unknown,
  passport_token: Schema.optional(Schema.Redacted(NonEmpty)),
  passport_claims: Schema.optional(Schema.Array(Schema.Unknown))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type InvokeSkillRequest = typeof InvokeSkillRequest.Type

/**
 * An invocation of a skill. `output` is `null` until it completes, `error`
 * until it fails; `completed_at` is when it reached `completed` or `failed`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Invocation extends Schema.Class<Invocation>("Invocation")({
  id: Schema.String,
  skill_id: Schema.String,
  status: TolerantInvocationStatus,
  agent_id: Schema.optional(Schema.String),
  input: Schema.optional(Schema.Unknown),
  output: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.NullOr(Schema.String)),
  claimed_by: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.optional(Timestamp),
  claimed_at: Schema.optional(Schema.NullOr(Timestamp)),
  completed_at: Schema.optional(Schema.NullOr(Timestamp))
}) {}

/**
 * Body of `POST /v1/skills/invocations/{id}/complete`: the output, checked
 * against the skill's `output_schema`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CompleteInvocationRequest = Schema.Struct({
  output: Schema.Unknown
})

/**
 * Body of `POST /v1/skills/invocations/{id}/fail`: why.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FailInvocationRequest = Schema.Struct({
  error: Schema.String.pipe(
    Schema.minLength(1, { message: () => "must not be empty" }),
    Schema.maxLength(1000, { message: () => "must be at most 1000 characters" })
  )
})

/**
 * Query of `GET /v1/skills/invocations/pending`: the pending invocations of
 * the caller's skills (of one skill when named), newest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListPendingQuery = Schema.Struct({
  skill_id: Schema.optional(NonEmpty),
  ...CursorQueryFields(SkillPageSize.max)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListPendingQuery = typeof ListPendingQuery.Type

/**
 * Query of `GET /v1/skills/invocations`: the caller's own invocations
 * (as invoker), optionally of one skill and one status.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListInvocationsQuery = Schema.Struct({
  skill_id: Schema.optional(NonEmpty),
  status: Schema.optional(InvocationStatus),
  ...CursorQueryFields(SkillPageSize.max)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListInvocationsQuery = typeof ListInvocationsQuery.Type

/**
 * One page of invocations, paged by `next_cursor`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class InvocationPage extends Schema.Class<InvocationPage>("InvocationPage")({
  invocations: Schema.Array(Invocation),
  ...PageFields
}) {}

/**
 * Body of `POST /v1/skills/requests`: a need, for the request board.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PostRequestRequest = Schema.Struct({
  description: Description,
  tags: Schema.optional(Tags)
})

/**
 * A request on the board, with the active skills it matched (a shared tag,
 * or a word of the description in a skill's name or description).
 *
 * @since 0.1.0
 * @category schemas
 */
export class SkillRequest extends Schema.Class<SkillRequest>("SkillRequest")({
  id: Schema.String,
  description: Schema.String,
  tags: Schema.Array(Schema.String),
  status: Schema.String,
  matches: Schema.Array(Schema.String),
  created_at: Schema.optional(Timestamp)
}) {}

/**
 * A suggested chain: skill ids in the order they run (each one's output fits
 * the next one's input), the request tags it covers, and its score.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Composition = Schema.Struct({
  skills: Schema.Array(Schema.String),
  covers: Schema.Array(Schema.String),
  score: Schema.Number
})

/**
 * Answer of `suggestComposition`: chains of one to three skills, best first.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Compositions extends Schema.Class<Compositions>("Compositions")({
  request_id: Schema.String,
  compositions: Schema.Array(Composition)
}) {}

/**
 * The skills endpoints, by name. A suspended skill is invisible to other
 * operators (404 `SKILL_NOT_FOUND`) and refuses invocations (409
 * `SKILL_SUSPENDED`); an input or output that breaks its schema is 400
 * `SCHEMA_VALIDATION_FAILED` (`details` as drop-offs give them); an invoker
 * below the skill's level is 403 `TRUST_LEVEL_INSUFFICIENT`; claiming an
 * invocation that is not pending is 409 `INVOCATION_NOT_PENDING`, any other
 * step its status has passed 409 `INVOCATION_INVALID_STATE`.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const SkillsEndpoints = {
  publish: Endpoint.post("publish", "/v1/skills")
    .setPayload(PublishSkillRequest)
    .addSuccess(Skill, { status: 201 })
    .pipe(Endpoint.write),
  browse: Endpoint.get("browse", "/v1/skills")
    .setUrlParams(BrowseSkillsQuery)
    .addSuccess(SkillPage)
    .pipe(Endpoint.list),
  listOwned: Endpoint.get("listOwned", "/v1/skills/owned")
    .setUrlParams(ListOwnedQuery)
    .addSuccess(SkillPage)
    .pipe(Endpoint.list),
  get: Endpoint.get("get", "/v1/skills/:id")
    .addSuccess(Skill)
    .pipe(Endpoint.read),
  update: Endpoint.patch("update", "/v1/skills/:id")
    .setPayload(UpdateSkillRequest)
    .addSuccess(Skill)
    .pipe(Endpoint.write),
  suspend: Endpoint.post("suspend", "/v1/skills/:id/suspend")
    .addSuccess(Skill)
    .pipe(Endpoint.write, Endpoint.idempotent),
  activate: Endpoint.post("activate", "/v1/skills/:id/activate")
    .addSuccess(Skill)
    .pipe(Endpoint.write, Endpoint.idempotent),
  invoke: Endpoint.post("invoke", "/v1/skills/:id/invoke")
    .setPayload(InvokeSkillRequest)
    .addSuccess(Invocation, { status: 201 })
    .pipe(Endpoint.write),
  listPending: Endpoint.get("listPending", "/v1/skills/invocations/pending")
    .setUrlParams(ListPendingQuery)
    .addSuccess(InvocationPage)
    .pipe(Endpoint.list),
  claim: Endpoint.post("claim", "/v1/skills/invocations/:id/claim")
    .addSuccess(Invocation)
    .pipe(Endpoint.write),
  complete: Endpoint.post("complete", "/v1/skills/invocations/:id/complete")
    .setPayload(CompleteInvocationRequest)
    .addSuccess(Invocation)
    .pipe(Endpoint.write),
  fail: Endpoint.post("fail", "/v1/skills/invocations/:id/fail")
    .setPayload(FailInvocationRequest)
    .addSuccess(Invocation)
    .pipe(Endpoint.write),
  getInvocation: Endpoint.get("getInvocation", "/v1/skills/invocations/:id")
    .addSuccess(Invocation)
    .pipe(Endpoint.read),
  listInvocations: Endpoint.get("listInvocations", "/v1/skills/invocations")
    .setUrlParams(ListInvocationsQuery)
    .addSuccess(InvocationPage)
    .pipe(Endpoint.list),
  postRequest: Endpoint.post("postRequest", "/v1/skills/requests")
    .setPayload(PostRequestRequest)
    .addSuccess(SkillRequest, { status: 201 })
    .pipe(Endpoint.create),
  suggestComposition: Endpoint.get("suggestComposition", "/v1/skills/requests/:id/compositions")
    .addSuccess(Compositions)
    .pipe(Endpoint.read)
}
