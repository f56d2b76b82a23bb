/**
 * The vault: secrets sealed with AES-256-GCM under a key that is never stored
 * in the database (the emulator's option `vaultKey`, the CLI's
 * `--vault-key-file`, or a fresh key per in-memory emulator). Each sealed
 * value is bound to the row it belongs to (its additional data), so a sealed
 * secret copied to another row does not open. The database keeps a check
 * value sealed under the key: opening a database with another key fails at
 * start, not at the first retrieval.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto"
import * as Fs from "node:fs"

/** The vault's key, in the app's context. */
export class VaultKey extends Context.Tag("@getstack/emulator/VaultKey")<VaultKey, KeyObject>() {}

/** The length of a vault key: 32 bytes (AES-256). */
export const KEY_BYTES = 32

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16

/** A new random vault key. */
export const generateKey = (): Buffer => randomBytes(KEY_BYTES)

/**
 * A vault key from its text: 64 hex characters or the base64 (or base64url)
 * of 32 bytes. `undefined` when the text is neither.
 */
export const parseKey = (text: string): Buffer | undefined => {
  const trimmed = text.trim()
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)
    ? Buffer.from(trimmed, "base64")
    : undefined
  return bytes?.length === KEY_BYTES ? bytes : undefined
}

/**
 * The key in a key file (hex), created with a new key, readable by its owner
 * only, when it does not exist.
 */
export const keyFile = (path: string): Effect.Effect<string, Error> =>
  Effect.try({
    try: () => {
      try {
        Fs.writeFileSync(path, `${generateKey().toString("hex")}\n`, { flag: "wx", mode: 0o600 })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      }
      return Fs.readFileSync(path, "utf8")
    },
    catch: (cause) => cause instanceof Error ? cause : new Error(String(cause))
  })

/** The key object for raw key bytes (which must be 32). */
export const keyOf = (bytes: Uint8Array): KeyObject => createSecretKey(bytes)

/** Seals `plaintext` for the row `binding` names: version, IV, tag, ciphertext. */
export const seal = (key: KeyObject, plaintext: string, binding: string): Buffer => {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  cipher.setAAD(Buffer.from(binding, "utf8"))
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body])
}

/** Opens a sealed value for the row `binding` names; `undefined` when the key or the binding is not its own, or it was altered. */
export const open = (key: KeyObject, sealed: Uint8Array, binding: string): string | undefined => {
  const bytes = Buffer.from(sealed)
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) return undefined
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(1, 1 + IV_BYTES))
    decipher.setAAD(Buffer.from(binding, "utf8"))
    decipher.setAuthTag(bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES))
    return Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8")
  } catch {
    return undefined
  }
}

const CHECK_BINDING = "vault_check"
const CHECK_TEXT = "getstack-emulator vault"

/**
 * Checks that `key` opens this database's vault, sealing the check value
 * under it when the vault is new. Answers `false` when the database's vault
 * was sealed under another key.
 */
export const checkKey = (key: KeyObject) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ check_value: Uint8Array }>`SELECT check_value FROM vault_meta WHERE id = 1`
    if (row === undefined) {
      yield* sql`INSERT INTO vault_meta (id, check_value) VALUES (1, ${seal(key, CHECK_TEXT, CHECK_BINDING)})`
      return true
    }
    return open(key, row.check_value, CHECK_BINDING) === CHECK_TEXT
  })
