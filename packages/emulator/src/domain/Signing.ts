import * as SqlClient from "@effect/sql/SqlClient"
import { type Jwk, Jwks } from "@getstack/effect/api/Passports"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify
} from "node:crypto"

/** The emulator's passport signing key: Ed25519, identified by its JWK thumbprint. */
export interface Key {
  readonly kid: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The public half, as served in the JWKS. */
  readonly jwk: Jwk
}

/** The key passports are signed with, loaded once when the emulator starts. */
export class SigningKey extends Context.Tag("@getstack/emulator/SigningKey")<SigningKey, Key>() {}

/** base64url without padding. */
export const base64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString("base64url")

const BASE64URL = /^[A-Za-z0-9_-]*$/

/** The bytes of a base64url string, or `null` when it is not strict base64url. */
export const fromBase64url = (text: string): Buffer | null =>
  BASE64URL.test(text) && text.length % 4 !== 1 ? Buffer.from(text, "base64url") : null

/**
 * The RFC 7638 thumbprint of an Ed25519 public key: SHA-256 (base64url) of
 * its required members in lexicographic order.
 */
export const thumbprint = (x: string): string =>
  createHash("sha256").update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x })).digest("base64url")

const publicJwk = (publicKey: KeyObject): Jwk => {
  const { x } = publicKey.export({ format: "jwk" })
  const xValue = x ?? ""
  return { kty: "OKP", crv: "Ed25519", x: xValue, kid: thumbprint(xValue), alg: "EdDSA", use: "sig" }
}

const fromPrivateJwk = (privateJwk: JsonWebKey): Key => {
  const privateKey = createPrivateKey({ key: privateJwk, format: "jwk" })
  const publicKey = createPublicKey(privateKey)
  const jwk = publicJwk(publicKey)
  return { kid: jwk.kid, privateKey, publicKey, jwk }
}

/**
 * The database's signing key, generated and stored the first time: a
 * restart on the same database file signs with the same key and `kid`.
 */
export const loadOrCreate = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.withTransaction(Effect.gen(function*() {
    const [row] = yield* sql<{ private_jwk: string }>`
      SELECT private_jwk FROM signing_keys ORDER BY created_at ASC, rowid ASC LIMIT 1`
    if (row !== undefined) return fromPrivateJwk(JSON.parse(row.private_jwk) as JsonWebKey)
    const { privateKey } = generateKeyPairSync("ed25519")
    const key = fromPrivateJwk(privateKey.export({ format: "jwk" }))
    yield* sql`INSERT INTO signing_keys ${
      sql.insert({
        kid: key.kid,
        private_jwk: JSON.stringify(privateKey.export({ format: "jwk" })),
        public_jwk: JSON.stringify(key.jwk),
        created_at: yield* Clock.currentTimeMillis
      })
    }`
    return key
  }))
})

/** The JWKS: the public signing key. */
export const jwks = Effect.map(SigningKey, (key) => new Jwks({ keys: [key.jwk] }))

/** A compact JWS, signed EdDSA with the emulator's key: `{alg: "EdDSA", typ: "JWT", kid}`. */
export const signJwt = (key: Key, payload: object): string => {
  const header = { alg: "EdDSA", typ: "JWT", kid: key.kid }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString("base64url")}`
}

/** A JWT split into its parts; nothing about it is verified yet. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>>
  readonly signingInput: string
  readonly signature: Buffer
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const parseJson = (bytes: Buffer): unknown => {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown
  } catch {
    return undefined
  }
}

/** Whether a string has the shape of a compact JWT (three base64url parts). */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)

/** Splits a compact JWT; `null` when it is not one (bad encoding, header or payload not JSON objects). */
export const decodeJwt = (token: string): DecodedJwt | null => {
  if (!looksLikeJwt(token)) return null
  const [h, p, s] = token.split(".") as [string, string, string]
  const headerBytes = fromBase64url(h)
  const payloadBytes = fromBase64url(p)
  const signature = fromBase64url(s)
  if (headerBytes === null || payloadBytes === null || signature === null) return null
  const header = parseJson(headerBytes)
  const payload = parseJson(payloadBytes)
  if (!isRecord(header) || !isRecord(payload)) return null
  return { header, payload, signingInput: `${h}.${p}`, signature }
}

/** Whether `signature` is a valid Ed25519 signature of `data` by `publicKey`. */
export const verifyEd25519 = (publicKey: KeyObject, data: Uint8Array | string, signature: Uint8Array): boolean => {
  try {
    return signature.byteLength === 64 && verify(null, Buffer.from(data), publicKey, signature)
  } catch {
    return false
  }
}

/** The public key of an Ed25519 JWK's `x`, or `null` when it is not one. */
export const ed25519PublicKey = (x: string): KeyObject | null => {
  const bytes = fromBase64url(x)
  if (bytes === null || bytes.byteLength !== 32) return null
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" })
  } catch {
    return null
  }
}
