import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** base64url without padding, from bytes. */
export const base64url = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/** Bytes from base64url (padding optional); `None` when it is not base64url. */
export const fromBase64url = (text: string): Option.Option<Uint8Array<ArrayBuffer>> => {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return Option.none()
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
    return Option.some(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
  } catch {
    return Option.none()
  }
}

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder("utf-8", { fatal: true })

/** A JWT split into its parts, header and payload parsed. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>
  readonly payload: unknown
  readonly signingInput: Uint8Array<ArrayBuffer>
  readonly signature: Uint8Array<ArrayBuffer>
}

const parseJson = (bytes: Uint8Array): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(fromUtf8.decode(bytes)) as unknown)
  } catch {
    return Option.none()
  }
}

/** Splits and parses a compact JWS; `None` when it is not one. */
export const decodeJwt = (token: string): Option.Option<DecodedJwt> => {
  const parts = token.split(".")
  if (parts.length !== 3) return Option.none()
  const [h, p, s] = parts as [string, string, string]
  return Option.gen(function*() {
    const header = yield* Option.flatMap(fromBase64url(h), parseJson)
    if (typeof header !== "object" || header === null || Array.isArray(header)) return yield* Option.none()
    const payload = yield* Option.flatMap(fromBase64url(p), parseJson)
    const signature = yield* fromBase64url(s)
    return { header: header as Record<string, unknown>, payload, signingInput: utf8.encode(`${h}.${p}`), signature }
  })
}

/** An Ed25519 public key from the `x` of an OKP JWK. */
export const importEd25519PublicKey = (x: string): Effect.Effect<Option.Option<CryptoKey>> =>
  Effect.promise(() =>
    crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x }, { name: "Ed25519" }, false, ["verify"])
      .then(Option.some, () => Option.none())
  )

/** Whether `signature` is a valid Ed25519 signature of `data` by `key`. */
export const verifyEd25519 = (key: CryptoKey, signature: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Effect.Effect<boolean> =>
  Effect.promise(() => crypto.subtle.verify({ name: "Ed25519" }, key, signature, data).catch(() => false))

/** Signs `data` with an Ed25519 private key. */
export const signEd25519 = (key: CryptoKey, data: Uint8Array<ArrayBuffer>): Effect.Effect<Uint8Array<ArrayBuffer>> =>
  Effect.promise(() => crypto.subtle.sign({ name: "Ed25519" }, key, data).then((sig) => new Uint8Array(sig)))

/** A compact JWS signed EdDSA. */
export const signJwt = (
  key: CryptoKey,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>
): Effect.Effect<string> => {
  const input = `${base64url(utf8.encode(JSON.stringify({ ...header, alg: "EdDSA" })))}.${
    base64url(utf8.encode(JSON.stringify(payload)))
  }`
  return Effect.map(signEd25519(key, utf8.encode(input)), (signature) => `${input}.${base64url(signature)}`)
}
