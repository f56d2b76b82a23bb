/**
 * The scan service of the contract: STACK's prompt-injection detector, run on
 * content an agent retrieved (an email, a web page, a tool's answer) before
 * the agent reads it.
 *
 * STACK documents the request (`content`, `context`, `source`), that the
 * answer has `verdict` and `match.pattern_id`, and a monthly quota with
 * `usage()`; the paths, `agent_id` (whose security event a match raises) and
 * the other answer fields are the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * What a scan concluded: `clean`, `suspicious` (one plain match), or
 * `critical` (a critical pattern, several matches, or an obfuscated one).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Verdict = Schema.Literal("clean", "suspicious", "critical")

/**
 * @since 0.1.0
 * @category schemas
 */
export type Verdict = typeof Verdict.Type

/**
 * Body of `POST /v1/scan`. `content` is a string, or an object (or array)
 * whose fields are scanned one level deep, each match naming its field.
 * `agent_id` names the agent whose content it is (an agent's own call is its
 * own): a match raises a security event on it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ScanRequest = Schema.Struct({
  content: Schema.Union(
    Schema.String,
    Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    Schema.Array(Schema.Unknown)
  ),
  context: Schema.optional(BoundedString(200)),
  source: Schema.optional(BoundedString(500)),
  agent_id: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ScanRequest = typeof ScanRequest.Type

/**
 * The match a verdict rests on: the catalog's pattern, at most 80 characters
 * of the content around it, and the field it was found in (`null` for a
 * string content).
 *
 * @since 0.1.0
 * @category schemas
 */
export class ScanMatch extends Schema.Class<ScanMatch>("ScanMatch")({
  pattern_id: Schema.String,
  excerpt: Schema.optional(Schema.String),
  field_path: Schema.optional(Schema.NullOr(Schema.String))
}) {}

/**
 * Answer of `scan`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ScanResult extends Schema.Class<ScanResult>("ScanResult")({
  verdict: Verdict,
  match: Schema.optional(Schema.NullOr(ScanMatch)),
  scan_id: Schema.optional(Schema.String),
  duration_ms: Schema.optional(Schema.Number),
  catalog_version: Schema.optional(Schema.String)
}) {}

/**
 * Answer of `usage`: this month's scans, the monthly quota, and the plan.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ScanUsage extends Schema.Class<ScanUsage>("ScanUsage")({
  month: Schema.optional(Schema.String),
  used: Schema.optional(Schema.Number),
  quota: Schema.optional(Schema.Number),
  plan: Schema.optional(Schema.String)
}) {}

/**
 * The scan endpoints, by name. A scan past the monthly quota is 403
 * `TIER_LIMIT_EXCEEDED`.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const ScanEndpoints = {
  scan: Endpoint.post("scan", "/v1/scan")
    .setPayload(ScanRequest)
    .addSuccess(ScanResult)
    .pipe(Endpoint.write, Endpoint.idempotent),
  usage: Endpoint.get("usage", "/v1/scan/usage")
    .addSuccess(ScanUsage)
    .pipe(Endpoint.authenticated)
}
