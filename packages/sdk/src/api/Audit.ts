/**
 * The audit entry of STACK's per-operator, tamper-evident chain, and the hash
 * that links it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

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
  entry_hash: Schema.String
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
 * Where a chain fails to verify.
 *
 * @since 0.1.0
 * @category hashing
 */
export interface ChainBreak {
  readonly index: number
  readonly entry_id: string
  readonly reason: "entry_hash_mismatch" | "prev_entry_hash_mismatch"
}

/**
 * Recomputes every hash of a chain given oldest first, and checks each link.
 * Returns the first break, if any.
 *
 * @since 0.1.0
 * @category hashing
 */
export const verifyChain = (
  entries: ReadonlyArray<HashedFields & { readonly entry_hash: string }>,
  start: string = GENESIS_HASH
): Effect.Effect<{ readonly valid: true } | { readonly valid: false; readonly first_break: ChainBreak }> =>
  Effect.gen(function*() {
    let prev = start
    for (const [index, entry] of entries.entries()) {
      if (entry.prev_entry_hash !== prev) {
        return { valid: false, first_break: { index, entry_id: entry.entry_id, reason: "prev_entry_hash_mismatch" } }
      }
      if ((yield* entryHash(entry)) !== entry.entry_hash) {
        return { valid: false, first_break: { index, entry_id: entry.entry_id, reason: "entry_hash_mismatch" } }
      }
      prev = entry.entry_hash
    }
    return { valid: true } as const
  })
