/**
 * The audit service of the contract: STACK's per-operator, tamper-evident
 * chain (its entry, the hash that links it, the rules a chain is checked by)
 * and the four endpoints that read it: `list`, `chainHead`, `verifyChain`,
 * `export`. Every one of them needs STACK's controls (402 without).
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Cursor, Limit } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * The layer of STACK an audited action belongs to.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuditLayer = Schema.Literal("vault", "proxy", "dropoff", "skills", "system")

/**
 * @since 0.1.0
 * @category schemas
 */
export type AuditLayer = typeof AuditLayer.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const AuditOutcome = Schema.Literal("success", "failure", "pending", "blocked")

/**
 * @since 0.1.0
 * @category schemas
 */
export type AuditOutcome = typeof AuditOutcome.Type

/**
 * One entry of the chain. `timestamp` is epoch milliseconds.
 *
 * @since 0.1.0
 * @category schemas
 */
export class AuditEntry extends Schema.Class<AuditEntry>("AuditEntry")({
  entry_id: Schema.String,
  timestamp: Schema.Number,
  trace_id: Schema.NullOr(Schema.String),
  operator_id: Schema.String,
  agent_id: Schema.NullOr(Schema.String),
  passport_jti: Schema.NullOr(Schema.String),
  layer: AuditLayer,
  action: Schema.String,
  outcome: AuditOutcome,
  duration_ms: Schema.NullOr(Schema.Number),
  payload_hash: Schema.NullOr(Schema.String),
  error_code: Schema.NullOr(Schema.String),
  error_message: Schema.NullOr(Schema.String),
  prev_entry_hash: Schema.String,
  entry_hash: Schema.String,
  span_id: Schema.optional(Schema.NullOr(Schema.String)),
  parent_span_id: Schema.optional(Schema.NullOr(Schema.String))
}) {}

/**
 * The `prev_entry_hash` of an operator's first entry: 64 zeros.
 *
 * @since 0.1.0
 * @category hashing
 */
export const GENESIS_HASH = "0".repeat(64)

/**
 * The fields an entry's hash covers.
 *
 * @since 0.1.0
 * @category hashing
 */
export type HashedFields = Pick<
  AuditEntry,
  "entry_id" | "timestamp" | "operator_id" | "agent_id" | "layer" | "action" | "outcome" | "prev_entry_hash"
>

/**
 * The exact string STACK hashes: `JSON.stringify` of the covered fields in
 * this fixed key order.
 *
 * @since 0.1.0
 * @category hashing
 */
export const hashInput = (entry: HashedFields): string =>
  JSON.stringify({
    entry_id: entry.entry_id,
    timestamp: entry.timestamp,
    operator_id: entry.operator_id,
    agent_id: entry.agent_id,
    layer: entry.layer,
    action: entry.action,
    outcome: entry.outcome,
    prev_entry_hash: entry.prev_entry_hash
  })

const hex = (bytes: ArrayBuffer): string => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("")

/**
 * SHA-256, hex encoded, of a UTF-8 string (WebCrypto, so it runs wherever the
 * SDK does).
 *
 * @since 0.1.0
 * @category hashing
 */
export const sha256Hex = (input: string): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(input))).pipe(Effect.map(hex))

/**
 * `entry_hash` of an entry.
 *
 * @since 0.1.0
 * @category hashing
 */
export const entryHash = (entry: HashedFields): Effect.Effect<string> => sha256Hex(hashInput(entry))

/**
 * Why a chain does not verify, at the first entry where it does not:
 *
 * - `link_mismatch`: its `prev_entry_hash` is not the `entry_hash` of the
 *   entry before it (or of the chain's start);
 * - `hash_mismatch`: its `entry_hash` is not the hash of its fields, or it is
 *   not the hash a trusted head pinned at its position (history rewritten);
 * - `out_of_order`: its `timestamp` is earlier than the entry's before it;
 * - `truncated`: the chain ends before the position of a trusted head.
 *
 * @since 0.1.0
 * @category verification
 */
export const ChainBreakReason = Schema.Literal("hash_mismatch", "link_mismatch", "out_of_order", "truncated")

/**
 * @since 0.1.0
 * @category verification
 */
export type ChainBreakReason = typeof ChainBreakReason.Type

/**
 * The first break of a chain: the entry's position (0 for the first entry
 * walked), its id (`null` when the chain is truncated) and the reason.
 *
 * @since 0.1.0
 * @category verification
 */
export interface ChainBreak {
  readonly index: number
  readonly entry_id: string | null
  readonly reason: ChainBreakReason
}

/**
 * Where a walk of a chain starts: the `entry_hash` of the entry before the
 * first one walked (`GENESIS_HASH` for a whole chain), and its timestamp.
 *
 * @since 0.1.0
 * @category verification
 */
export interface ChainStart {
  readonly prev_entry_hash: string
  readonly timestamp?: number | undefined
}

/**
 * The rules a chain is checked by, one entry at a time, oldest first: the
 * server's `verify-chain` and the SDK's `AuditChain.verify` both walk with
 * it, so they give the same verdict. `check` takes an entry and the hash of
 * its fields (computed by the caller, with whatever SHA-256 it has) and
 * returns the break at this entry, if any; after a break, the walk is over.
 *
 * @since 0.1.0
 * @category verification
 */
export const chainWalk = (start: ChainStart = { prev_entry_hash: GENESIS_HASH }) => {
  let prev = start.prev_entry_hash
  let lastTimestamp = start.timestamp ?? Number.NEGATIVE_INFINITY
  let index = 0
  return {
    /** How many entries were checked. */
    count: () => index,
    /** The `entry_hash` of the last entry checked (the start's before any). */
    head: () => prev,
    check: (
      entry: Pick<HashedFields, "entry_id" | "timestamp" | "prev_entry_hash"> & { readonly entry_hash: string },
      computedHash: string
    ): ChainBreak | undefined => {
      const at = (reason: ChainBreakReason): ChainBreak => ({ index, entry_id: entry.entry_id, reason })
      const broken = entry.timestamp < lastTimestamp
        ? at("out_of_order")
        : entry.prev_entry_hash !== prev
        ? at("link_mismatch")
        : computedHash !== entry.entry_hash
        ? at("hash_mismatch")
        : undefined
      if (broken !== undefined) return broken
      prev = entry.entry_hash
      lastTimestamp = entry.timestamp
      index++
      return undefined
    }
  }
}

/**
 * Recomputes every hash of a chain given oldest first, and checks each entry
 * with `chainWalk`. Returns the first break, if any. (For a long chain, or one
 * read as a stream, use the SDK's `AuditChain.verify`.)
 *
 * @since 0.1.0
 * @category verification
 */
export const verifyChain = (
  entries: ReadonlyArray<HashedFields & { readonly entry_hash: string }>,
  start?: ChainStart
): Effect.Effect<{ readonly valid: true } | { readonly valid: false; readonly first_break: ChainBreak }> =>
  Effect.gen(function*() {
    const walk = chainWalk(start)
    for (const entry of entries) {
      const broken = walk.check(entry, yield* entryHash(entry))
      if (broken !== undefined) return { valid: false, first_break: broken }
    }
    return { valid: true } as const
  })

/**
 * The page sizes of `list` (STACK: 1 to 100, 20 by default).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuditPageSize = { default: 20, max: 100 } as const

/**
 * The page sizes of `export` (STACK: at most 50,000 rows an answer, 2,000 by
 * default).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuditExportSize = { default: 2_000, max: 50_000 } as const

/**
 * The most entries one `verifyChain` walks (STACK: 100,000).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuditVerifyMax = 100_000

const EpochMillis = Schema.NumberFromString.pipe(
  Schema.int(),
  Schema.greaterThanOrEqualTo(0, { message: () => "must be epoch milliseconds (a whole number of at least 0)" })
)

/**
 * Query of `GET /v1/audit`: newest first, at most `limit` entries; `since`
 * (epoch ms) keeps entries at or after it; `agent_id` and `passport_jti`
 * narrow. `cursor` (the contract's, see `Common.Cursor`) reads the older
 * entries after a page's `next_cursor`, under the same filters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListAuditQuery = Schema.Struct({
  limit: Schema.optional(Limit(AuditPageSize.max)),
  since: Schema.optional(EpochMillis),
  agent_id: Schema.optional(Schema.String),
  passport_jti: Schema.optional(Schema.String),
  cursor: Schema.optional(Cursor)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ListAuditQuery = typeof ListAuditQuery.Type

/**
 * One page of `GET /v1/audit`, newest first. `max_timestamp` is the latest
 * timestamp of the page (`null` when it is empty): poll with it as `since`.
 * `next_cursor` (the contract's) reads the older entries the page left out.
 *
 * @since 0.1.0
 * @category schemas
 */
export class AuditPage extends Schema.Class<AuditPage>("AuditPage")({
  entries: Schema.Array(AuditEntry),
  max_timestamp: Schema.NullOr(Schema.Number),
  next_cursor: Schema.optional(Schema.NullOr(Schema.String))
}) {}

/**
 * The chain head (`GET /v1/audit/chain-head`): the latest `entry_hash`, how
 * many entries the chain holds, and the latest timestamp (`null`s for an
 * empty chain). Anchor it elsewhere, and give it later to
 * `AuditChain.verify` as the trusted head: a chain that no longer reaches it
 * was truncated or rewritten. STACK documents the three facts; their names
 * are the contract's.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ChainHead extends Schema.Class<ChainHead>("ChainHead")({
  entry_hash: Schema.NullOr(Schema.String),
  count: Schema.Number,
  max_timestamp: Schema.NullOr(Schema.Number)
}) {}

const Iso = Schema.DateTimeUtc

/**
 * Query of `GET /v1/audit/verify-chain`: the entries from `from` to `to`
 * (ISO-8601, both included), at most `limit` of them (up to 100,000).
 *
 * @since 0.1.0
 * @category schemas
 */
export const VerifyChainQuery = Schema.Struct({
  from: Schema.optional(Iso),
  to: Schema.optional(Iso),
  limit: Schema.optional(Limit(AuditVerifyMax))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type VerifyChainQuery = typeof VerifyChainQuery.Type

/**
 * The first break the server found: the entry, its position in the walk and
 * the reason (one of `ChainBreakReason`; decoded as any string, since the
 * reasons are the contract's).
 *
 * @since 0.1.0
 * @category schemas
 */
export class ChainBreakInfo extends Schema.Class<ChainBreakInfo>("ChainBreakInfo")({
  entry_id: Schema.NullOr(Schema.String),
  position: Schema.Number,
  reason: Schema.String
}) {}

/**
 * Answer of `verify-chain`: `valid`, the first break when it is not, how
 * many entries were walked (the broken one included), and, when valid,
 * whether the walk reached the end of the range (`complete: false` when
 * `limit` stopped it first: `valid` then speaks for the entries walked only).
 *
 * @since 0.1.0
 * @category schemas
 */
export class ChainVerification extends Schema.Class<ChainVerification>("ChainVerification")({
  valid: Schema.Boolean,
  first_break: Schema.optional(Schema.NullOr(ChainBreakInfo)),
  checked: Schema.optional(Schema.Number),
  complete: Schema.optional(Schema.Boolean)
}) {}

/**
 * The formats of `export`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExportFormat = Schema.Literal("json", "ndjson", "csv")

/**
 * @since 0.1.0
 * @category schemas
 */
export type ExportFormat = typeof ExportFormat.Type

/**
 * Query of `GET /v1/audit/export`: oldest first, the entries from `from` to
 * `to` (ISO-8601, both included), `limit` of them (up to 50,000) after
 * skipping `offset`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExportAuditQuery = Schema.Struct({
  format: Schema.optional(ExportFormat),
  from: Schema.optional(Iso),
  to: Schema.optional(Iso),
  limit: Schema.optional(Limit(AuditExportSize.max)),
  offset: Schema.optional(
    Schema.NumberFromString.pipe(
      Schema.int(),
      Schema.greaterThanOrEqualTo(0, { message: () => "must be a whole number of at least 0" })
    )
  )
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ExportAuditQuery = typeof ExportAuditQuery.Type

/**
 * An export in JSON: the entries, oldest first, and the `offset` of the next
 * page (`null` on the last).
 *
 * @since 0.1.0
 * @category schemas
 */
export class AuditExport extends Schema.Class<AuditExport>("AuditExport")({
  entries: Schema.Array(AuditEntry),
  next_offset: Schema.NullOr(Schema.Number)
}) {}

/**
 * An export in NDJSON (one entry a line) or CSV (a header row, then one entry
 * a row): the body's text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AuditExportText = Schema.String.pipe(
  HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/plain" })
).annotations({ identifier: "AuditExportText" })

/**
 * The columns of a CSV export, in order: every field of an entry.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CSV_COLUMNS = [
  "entry_id",
  "timestamp",
  "trace_id",
  "operator_id",
  "agent_id",
  "passport_jti",
  "layer",
  "action",
  "outcome",
  "duration_ms",
  "payload_hash",
  "error_code",
  "error_message",
  "prev_entry_hash",
  "entry_hash"
] as const

/**
 * The audit endpoints, by name.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const AuditEndpoints = {
  list: Endpoint.get("list", "/v1/audit")
    .setUrlParams(ListAuditQuery)
    .addSuccess(AuditPage)
    .pipe(Endpoint.list, Endpoint.controls),
  chainHead: Endpoint.get("chainHead", "/v1/audit/chain-head")
    .addSuccess(ChainHead)
    .pipe(Endpoint.authenticated, Endpoint.controls),
  verifyChain: Endpoint.get("verifyChain", "/v1/audit/verify-chain")
    .setUrlParams(VerifyChainQuery)
    .addSuccess(ChainVerification)
    .pipe(Endpoint.list, Endpoint.controls),
  export: Endpoint.get("export", "/v1/audit/export")
    .setUrlParams(ExportAuditQuery)
    .addSuccess(AuditExport)
    .addSuccess(AuditExportText)
    .pipe(Endpoint.list, Endpoint.controls)
}
