/**
 * The missions group of the wire contract: `/v1/missions`.
 *
 * STACK documents missions through its MCP tools and Python SDK only; the
 * paths and envelopes here are the contract's choices.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, PageFields, PageQueryFields, Seconds, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"
import { CheckpointInterval, Intent, IssuedPassport, PassportTtl, ScopeGrant } from "./Passports.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const MissionStatus = Schema.Literal("active", "completed", "revoked", "paused")

/**
 * @since 0.1.0
 * @category schemas
 */
export type MissionStatus = typeof MissionStatus.Type

/**
 * Why a mission was revoked.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MissionRevokeReason = Schema.Literal("adversarial", "operator_initiated_clean")

/**
 * How long a mission lives unless told otherwise, and at most, in seconds.
 *
 * @since 0.1.0
 * @category defaults
 */
export const MissionTtl = { default: 24 * 60 * 60, min: 60, max: 7 * 24 * 60 * 60 } as const

/**
 * Page sizes of `GET /v1/missions`.
 *
 * @since 0.1.0
 * @category defaults
 */
export const MissionPageSize = { default: 50, max: 200 } as const

/**
 * A mission's caps on what its proxied calls may use: calls (`actions`),
 * money (`cents`, as each call declares its `cost_cents`), upstream time
 * (`seconds`) and answer size (`bytes`). A cap is hit once the usage
 * reaches it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MissionCaps = Schema.Struct({
  actions: Schema.optional(Schema.Int.pipe(Schema.positive())),
  cents: Schema.optional(Schema.Int.pipe(Schema.positive())),
  seconds: Schema.optional(Schema.Int.pipe(Schema.positive())),
  bytes: Schema.optional(Schema.Int.pipe(Schema.positive()))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type MissionCaps = typeof MissionCaps.Type

/**
 * The units a mission's caps count.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CapUnit = Schema.Literal("actions", "cents", "seconds", "bytes")

/**
 * @since 0.1.0
 * @category schemas
 */
export type CapUnit = typeof CapUnit.Type

/**
 * What a hit cap does: `pause` the mission until an operator reviews it
 * (`reviewPaused`), or `close` it at once as `completed_cap_breached`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CapBehavior = Schema.Literal("pause", "close")

/**
 * The `limits` of `open` and `start`: the caps, and what hitting one does
 * (default `pause`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MissionLimits = Schema.Struct({
  ...MissionCaps.fields,
  cap_behavior: Schema.optional(CapBehavior)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type MissionLimits = typeof MissionLimits.Type

/**
 * What a mission's proxied calls have used so far, in the caps' units.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MissionUsage = Schema.Struct({
  actions: Schema.Number,
  cents: Schema.Number,
  seconds: Schema.Number,
  bytes: Schema.Number
})

/**
 * A mission: one unit of work that its passports cannot outlive. The fields
 * STACK's mission tool documents are required; the others are optional.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Mission extends Schema.Class<Mission>("Mission")({
  id: Schema.String,
  intent_services: Schema.Array(Schema.String),
  started_at: Timestamp,
  expires_at: Timestamp,
  completed_at: Schema.NullOr(Timestamp),
  revoked_at: Schema.NullOr(Timestamp),
  terminal_state: Schema.NullOr(Schema.String),
  status: Schema.optional(MissionStatus),
  operator_id: Schema.optional(Schema.String),
  agent_id: Schema.optional(Schema.NullOr(Schema.String)),
  intent_summary: Schema.optional(Schema.String),
  revoke_reason: Schema.optional(Schema.NullOr(MissionRevokeReason)),
  notes: Schema.optional(Schema.NullOr(Schema.String)),
  output: Schema.optional(Schema.Unknown),
  caps: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Number }))),
  cap_behavior: Schema.optional(Schema.NullOr(Schema.String)),
  usage: Schema.optional(MissionUsage),
  paused_at: Schema.optional(Schema.NullOr(Timestamp)),
  paused_cap: Schema.optional(Schema.NullOr(Schema.String))
}) {}

/** An intent summary, as in a passport's intent. */
const Summary = Intent.fields.summary

/**
 * Body of `POST /v1/missions` (open, without a passport).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OpenMissionRequest = Schema.Struct({
  agent_id: Schema.optional(Schema.String),
  intent_summary: Summary,
  intent_services: Schema.optional(Schema.Array(Schema.String)),
  ttl_seconds: Schema.optional(Seconds(MissionTtl.min, MissionTtl.max)),
  limits: Schema.optional(MissionLimits)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type OpenMissionRequest = typeof OpenMissionRequest.Type

/**
 * Body of `POST /v1/missions/start`: open a mission for an agent and issue its
 * passport. The same request again returns the same mission and passport.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StartMissionRequest = Schema.Struct({
  agent_id: Schema.String,
  intent_summary: Summary,
  intent_services: Schema.optional(Schema.Array(Schema.String)),
  ttl_seconds: Schema.optional(Seconds(MissionTtl.min, MissionTtl.max)),
  passport_ttl_seconds: Schema.optional(Seconds(PassportTtl.min, PassportTtl.max)),
  checkpoint_interval_seconds: Schema.optional(Seconds(CheckpointInterval.min, CheckpointInterval.max)),
  scopes: Schema.optional(Schema.Array(ScopeGrant)),
  limits: Schema.optional(MissionLimits)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type StartMissionRequest = typeof StartMissionRequest.Type

/**
 * A mission with a live passport bound to it.
 *
 * @since 0.1.0
 * @category schemas
 */
export class StartedMission extends Schema.Class<StartedMission>("StartedMission")({
  mission_id: Schema.String,
  passport: IssuedPassport,
  mission: Schema.optional(Mission)
}) {}

/**
 * Query of `GET /v1/missions`.
 * `page` asks for a page by number; `cursor` (a page's `next_cursor`) for the
 * page after that one, by keyset (not with `page`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListMissionsQuery = Schema.Struct({
  ...PageQueryFields(MissionPageSize.max),
  status: Schema.optional(MissionStatus)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListMissionsQuery = typeof ListMissionsQuery.Type

/**
 * One page of missions, newest first by `started_at`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class MissionPage extends Schema.Class<MissionPage>("MissionPage")({
  missions: Schema.Array(Mission),
  ...PageFields
}) {}

/**
 * Body of `POST /v1/missions/{id}/complete`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CompleteMissionRequest = Schema.Struct({ output: Schema.optional(Schema.Unknown) })

/**
 * Body of `POST /v1/missions/{id}/revoke`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RevokeMissionRequest = Schema.Struct({
  reason: MissionRevokeReason,
  notes: Schema.optional(BoundedString(2000))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type RevokeMissionRequest = typeof RevokeMissionRequest.Type

/**
 * Answer of `complete` and `revoke`: the mission, whether this call changed it
 * (a repeat returns the prior state with `transitioned: false`), and the
 * passports revoked with it.
 *
 * @since 0.1.0
 * @category schemas
 */
export class MissionTransition extends Schema.Class<MissionTransition>("MissionTransition")({
  transitioned: Schema.Boolean,
  mission: Schema.optional(Mission),
  revoked_passports: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Body of `POST /v1/missions/{id}/review-paused`: `raise` the cap that
 * paused the mission to `limit` (above what is used) and resume it,
 * `continue` without that cap, or `close` it as `completed_cap_breached`
 * (revoking its passports).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ReviewPausedRequest = Schema.Struct({
  decision: Schema.Literal("raise", "continue", "close"),
  limit: Schema.optional(Schema.Int.pipe(Schema.positive()))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ReviewPausedRequest = typeof ReviewPausedRequest.Type

/**
 * The missions endpoints, by name. Reviewing a mission that is not paused is
 * 409 `MISSION_NOT_PAUSED`.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const MissionsEndpoints = {
  start: Endpoint.post("start", "/v1/missions/start")
    .setPayload(StartMissionRequest)
    .addSuccess(StartedMission, { status: 201 })
    .pipe(Endpoint.write, Endpoint.idempotent),
  open: Endpoint.post("open", "/v1/missions")
    .setPayload(OpenMissionRequest)
    .addSuccess(Mission, { status: 201 })
    .pipe(Endpoint.write),
  get: Endpoint.get("get", "/v1/missions/:id")
    .addSuccess(Mission)
    .pipe(Endpoint.read),
  list: Endpoint.get("list", "/v1/missions")
    .setUrlParams(ListMissionsQuery)
    .addSuccess(MissionPage)
    .pipe(Endpoint.list, Endpoint.controls),
  renew: Endpoint.post("renew", "/v1/missions/:id/renew")
    .addSuccess(StartedMission)
    .pipe(Endpoint.write),
  complete: Endpoint.post("complete", "/v1/missions/:id/complete")
    .setPayload(CompleteMissionRequest)
    .addSuccess(MissionTransition)
    .pipe(Endpoint.write, Endpoint.idempotent),
  revoke: Endpoint.post("revoke", "/v1/missions/:id/revoke")
    .setPayload(RevokeMissionRequest)
    .addSuccess(MissionTransition)
    .pipe(Endpoint.write, Endpoint.idempotent),
  reviewPaused: Endpoint.post("reviewPaused", "/v1/missions/:id/review-paused")
    .setPayload(ReviewPausedRequest)
    .addSuccess(MissionTransition)
    .pipe(Endpoint.write)
}
