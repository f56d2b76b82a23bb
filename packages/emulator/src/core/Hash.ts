/**
 * SHA-256 for the emulator: Node's synchronous `createHash` rather than the
 * SDK's WebCrypto `sha256Hex`, whose digest is a promise (a round trip through
 * libuv's thread pool, ~10× the CPU) that would be awaited inside transactions
 * holding the database's only connection. Same input, same hex: a string is
 * hashed as its UTF-8 bytes, as `TextEncoder` encodes it.
 */
import { hashInput, type HashedFields } from "@getstack/effect/api/Audit"
import { createHash } from "node:crypto"

/** SHA-256, hex encoded, of a string's UTF-8 bytes: the SDK's `sha256Hex`, synchronous. */
export const sha256Hex = (input: string): string => createHash("sha256").update(input, "utf8").digest("hex")

/** JSON with object keys sorted at every depth: the same payload, the same text. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

/**
 * The `entry_hash` of an audit entry: SHA-256 hex of the SDK's `hashInput`,
 * the formula the SDK's `entryHash` and `verifyChain` compute.
 */
export const entryHash = (entry: HashedFields): string => sha256Hex(hashInput(entry))
