/**
 * The security events service of the contract: what an agent did that its
 * operator should look at (a service used outside its passport's scope, a
 * missed checkpoint, a revoked passport used again, …), listed while
 * unresolved and resolved one by one.
 *
 * STACK documents the list's query (`page`, `limit` 1..500, `agent_id`), that
 * it holds unresolved events only and is the owner's, and `resolve` of one
 * event; the paths and the event's fields are the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { PageFields, PageQueryFields, Timestamp } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * How serious an event is. An agent whose `on_critical` (or `on_warning`) is
 * `block` is blocked from new passports by an event of that severity.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Severity = Schema.Literal("info", "warning", "critical")

/**
 * @since 0.1.0
 * @category schemas
 */
export type Severity = typeof Severity.Type

/**
 * The page sizes of `list` (STACK: 1 to 500, 50 by default).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SecurityEventPageSize = { default: 50, max: 500 } as const

/**
 * A security event. `type` names what happened (`credential_outside_scope`,
 * `checkpoint_silence`, `revoked_passport_use`, and STACK's others, such as
 * `scope_drift`); it is decoded as any string.
 *
 * @since 0.1.0
 * @category schemas
 */
export class SecurityEvent extends Schema.Class<SecurityEvent>("SecurityEvent")({
  id: Schema.String,
  type: Schema.String,
  severity: Severity,
  agent_id: Schema.optional(Schema.NullOr(Schema.String)),
  passport_jti: Schema.optional(Schema.NullOr(Schema.String)),
  detail: Schema.optional(Schema.String),
  created_at: Schema.optional(Timestamp),
  resolved_at: Schema.optional(Schema.NullOr(Timestamp))
}) {}

/**
 * Query of `GET /v1/security-events`: a page of the unresolved events,
 * newest first, of one agent or all.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListSecurityEventsQuery = Schema.Struct({
  ...PageQueryFields(SecurityEventPageSize.max),
  agent_id: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListSecurityEventsQuery = typeof ListSecurityEventsQuery.Type

/**
 * One page of unresolved security events, newest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export class SecurityEventPage extends Schema.Class<SecurityEventPage>("SecurityEventPage")({
  events: Schema.Array(SecurityEvent),
  ...PageFields
}) {}

/**
 * Answer of `resolve`: the event, and whether this call resolved it (a
 * repeat answers `resolved: false` with the event as it was resolved).
 *
 * @since 0.1.0
 * @category schemas
 */
export class ResolvedSecurityEvent extends Schema.Class<ResolvedSecurityEvent>("ResolvedSecurityEvent")({
  event: SecurityEvent,
  resolved: Schema.Boolean
}) {}

/**
 * The security events endpoints, by name.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const SecurityEventsEndpoints = {
  list: Endpoint.get("list", "/v1/security-events")
    .setUrlParams(ListSecurityEventsQuery)
    .addSuccess(SecurityEventPage)
    .pipe(Endpoint.list),
  resolve: Endpoint.post("resolve", "/v1/security-events/:id/resolve")
    .addSuccess(ResolvedSecurityEvent)
    .pipe(Endpoint.write, Endpoint.idempotent)
}
