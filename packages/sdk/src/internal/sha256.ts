/**
 * SHA-256 of a UTF-8 string, hex encoded: synchronous where the runtime has
 * `node:crypto` (found through `process.getBuiltinModule`, so nothing imports
 * `node:` and the SDK still bundles for browsers and edge runtimes),
 * WebCrypto everywhere.
 */

/** A synchronous SHA-256 of a string (UTF-8), hex encoded. */
export type SyncSha256 = (input: string) => string

interface NodeCrypto {
  readonly hash?: (algorithm: string, data: string, outputEncoding: "hex") => string
  readonly createHash?: (algorithm: string) => {
    update(data: string, inputEncoding: "utf8"): { digest(encoding: "hex"): string }
  }
}

const nodeCrypto = (): NodeCrypto | undefined => {
  try {
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const builtin = process?.getBuiltinModule?.("node:crypto")
    return typeof builtin === "object" && builtin !== null ? builtin as NodeCrypto : undefined
  } catch {
    return undefined
  }
}

const loadSync = (): SyncSha256 | undefined => {
  const node = nodeCrypto()
  // the one-shot `hash` (Node ≥ 20.12) is about 3× `createHash` on short inputs
  const hash = node?.hash
  if (typeof hash === "function") return (input) => hash("sha256", input, "hex")
  const createHash = node?.createHash
  if (typeof createHash === "function") return (input) => createHash("sha256").update(input, "utf8").digest("hex")
  return undefined
}

/**
 * The runtime's synchronous SHA-256 (`node:crypto` in Node ≥ 20.16, Bun,
 * Deno), or `undefined` where it has none (browsers, most edge runtimes).
 */
export const sync: SyncSha256 | undefined = /* @__PURE__ */ loadSync()

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))

const toHex = (digest: ArrayBuffer): string => {
  const bytes = new Uint8Array(digest)
  let out = ""
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
  return out
}

const utf8 = new TextEncoder()

/** SHA-256 with WebCrypto: asynchronous, available wherever the SDK runs. */
export const webCrypto = (input: string): Promise<string> =>
  crypto.subtle.digest("SHA-256", utf8.encode(input)).then(toHex)
