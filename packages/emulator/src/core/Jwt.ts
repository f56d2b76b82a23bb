/**
 * Compact JWTs and Ed25519, as far as the emulator reads them: splitting a
 * token into its parts and checking signatures. Passports (signed by the
 * emulator) and agent JWTs (signed by an agent's enrolled key) share these.
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto"

/** base64url without padding. */
export const base64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString("base64url")

const BASE64URL = /^[A-Za-z0-9_-]*$/

/** The bytes of a base64url string, or `null` when it is not strict base64url. */
export const fromBase64url = (text: string): Buffer | null =>
  BASE64URL.test(text) && text.length % 4 !== 1 ? Buffer.from(text, "base64url") : null

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
