/**
 * The drop-offs of the contract: a one-time, schema-checked hand-off of a
 * payload from one agent to one or more others.
 *
 * STACK documents `POST /v1/dropoffs { from_agent, to_agent | to_agents,
 * schema, ttl_seconds (default 1800, at most 24 h), on_expire }` answering
 * `{ id: "dof_…", status: "created", expires_at }`, `POST
 * /v1/dropoffs/{id}/deposit { payload, passport_token? | passport_jti? }`
 * (the payload checked against the drop-off's JSON Schema, a failure being
 * `SCHEMA_VALIDATION_FAILED`), `POST /v1/dropoffs/{id}/collect` answering
 * `{ id, status: "collected", payload }` once (then
 * `DROPOFF_ALREADY_COLLECTED`), that a drop-off's status shows `to_agents`
 * and `collected_by`, that it can be expired on demand, and the one-way
 * lifecycle `created → deposited → collected | expired | failed`. The paths
 * of get, list and expire, the list's query and envelope, and every other
 * answer field are the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, NonEmpty, PageFields, PageQueryFields, Seconds, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * Where a drop-off stands. One way: `created → deposited → collected |
 * expired | failed`. Answers may carry others.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DropoffStatus = Schema.Literal("created", "deposited", "collected", "expired", "failed")

/**
 * @since 0.1.0
 * @category schemas
 */
export type DropoffStatus = typeof DropoffStatus.Type

/**
 * A drop-off's time to live, in seconds: 1800 unless given, at most 24 h.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DropoffTtl = { default: 1800, max: 86400 } as const

/**
 * Page sizes of `GET /v1/dropoffs`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DropoffPageSize = { default: 50, max: 200 } as const

/**
 * How many recipients a drop-off may name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MaxRecipients = 50

/**
 * A JSON Schema: an object (`{ "type": "object", … }`). STACK checks deposits
 * against it (Ajv); a schema that does not compile is refused at create.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JsonSchemaObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * Body of `POST /v1/dropoffs`: the sending agent, the recipient (`to_agent`)
 * or recipients (`to_agents`, 1 to 50; not both), the JSON Schema every
 * deposit must satisfy, the time to live, and `on_expire` (STACK's legacy
 * `"notify"`: every expiry emits `dropoff.expired` whatever it says).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateDropoffRequest = Schema.Struct({
  from_agent: NonEmpty,
  to_agent: Schema.optional(NonEmpty),
  to_agents: Schema.optional(
    Schema.NonEmptyArray(NonEmpty).pipe(
      Schema.maxItems(MaxRecipients, { message: () => `must name at most ${MaxRecipients} agents` })
    )
  ),
  schema: JsonSchemaObject,
  ttl_seconds: Schema.optional(Seconds(1, DropoffTtl.max)),
  on_expire: Schema.optional(BoundedString(32))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type CreateDropoffRequest = typeof CreateDropoffRequest.Type

/**
 * A drop-off, as its status shows it: never its payload (only `collect`
 * answers that). `collected_by` is the agent (or `null`, the operator) that
 * collected it.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Dropoff extends Schema.Class<Dropoff>("Dropoff")({
  id: Schema.String,
  status: Schema.String,
  expires_at: Timestamp,
  from_agent: Schema.optional(Schema.String),
  to_agents: Schema.optional(Schema.Array(Schema.String)),
  collected_by: Schema.optional(Schema.NullOr(Schema.String)),
  schema: Schema.optional(JsonSchemaObject),
  ttl_seconds: Schema.optional(Schema.Number),
  on_expire: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.optional(Timestamp),
  deposited_at: Schema.optional(Schema.NullOr(Timestamp)),
  collected_at: Schema.optional(Schema.NullOr(Timestamp)),
  expired_at: Schema.optional(Schema.NullOr(Timestamp))
}) {}

/**
 * Body of `POST /v1/dropoffs/{id}/deposit`: the payload (checked against the
 * drop-off's schema) and, for an agent caller, a passport of its own: its
 * token (`Redacted` on this side) or its `jti`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DepositRequest = Schema.Struct({
  payload: Schema.Unknown,
  passport_token: Schema.optional(Schema.Redacted(NonEmpty)),
  passport_jti: Schema.optional(NonEmpty)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type DepositRequest = typeof DepositRequest.Type

/**
 * Answer of `collect`: the payload, once.
 *
 * @since 0.1.0
 * @category schemas
 */
export class CollectedDropoff extends Schema.Class<CollectedDropoff>("CollectedDropoff")({
  id: Schema.String,
  status: Schema.String,
  payload: Schema.Unknown,
  collected_by: Schema.optional(Schema.NullOr(Schema.String)),
  collected_at: Schema.optional(Timestamp)
}) {}

/**
 * One entry of the `details` of `SCHEMA_VALIDATION_FAILED`: where the
 * payload broke the schema (a JSON Pointer, `""` for the whole), the keyword
 * it broke and why. The emulator sends at most 20, with `total` the count.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SchemaViolation = Schema.Struct({
  path: Schema.String,
  keyword: Schema.optional(Schema.String),
  message: Schema.String
})

/**
 * The `details` of `SCHEMA_VALIDATION_FAILED`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SchemaValidationDetails = Schema.Struct({
  errors: Schema.Array(SchemaViolation),
  total: Schema.optional(Schema.Number)
})

/**
 * Query of `GET /v1/dropoffs`. `page` asks for a page by number; `cursor` (a
 * page's `next_cursor`) for the page after that one, by keyset (not with
 * `page`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListDropoffsQuery = Schema.Struct({
  ...PageQueryFields(DropoffPageSize.max),
  status: Schema.optional(DropoffStatus)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListDropoffsQuery = typeof ListDropoffsQuery.Type

/**
 * One page of drop-offs, newest first by `created_at`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class DropoffPage extends Schema.Class<DropoffPage>("DropoffPage")({
  dropoffs: Schema.Array(Dropoff),
  ...PageFields
}) {}

/**
 * The drop-offs endpoints, by name. A deposit that breaks the schema is 400
 * `SCHEMA_VALIDATION_FAILED` (its `details`: `SchemaValidationDetails`); a
 * second collect is 409 `DROPOFF_ALREADY_COLLECTED`; a step the lifecycle
 * has passed (a deposit after the first, anything after expiry) is 409
 * `CONFLICT`. Only the sender (or the operator) deposits, only a recipient
 * (or the operator) collects.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const DropoffsEndpoints = {
  create: Endpoint.post("create", "/v1/dropoffs")
    .setPayload(CreateDropoffRequest)
    .addSuccess(Dropoff, { status: 201 })
    .pipe(Endpoint.write),
  deposit: Endpoint.post("deposit", "/v1/dropoffs/:id/deposit")
    .setPayload(DepositRequest)
    .addSuccess(Dropoff)
    .pipe(Endpoint.write),
  collect: Endpoint.post("collect", "/v1/dropoffs/:id/collect")
    .addSuccess(CollectedDropoff)
    .pipe(Endpoint.write),
  get: Endpoint.get("get", "/v1/dropoffs/:id")
    .addSuccess(Dropoff)
    .pipe(Endpoint.read),
  list: Endpoint.get("list", "/v1/dropoffs")
    .setUrlParams(ListDropoffsQuery)
    .addSuccess(DropoffPage)
    .pipe(Endpoint.list),
  expire: Endpoint.post("expire", "/v1/dropoffs/:id/expire")
    .addSuccess(Dropoff)
    .pipe(Endpoint.write, Endpoint.idempotent)
}
