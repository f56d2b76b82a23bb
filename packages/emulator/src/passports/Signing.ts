/**
 * The emulator's passport signing key (Ed25519, kept with its database), the
 * JWKS that publishes it, and the passports' tokens signed with it: minting
 * a passport, and re-signing one with a new expiry.
 */
import { ISSUER, IssuedPassport, type Jwk, Jwks, PassportClaims, type StackClaims } from "@getstack/effect/api/Passports"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign
} from "node:crypto"
import { type Actor, transact } from "../core/Audit.js"
import { refuse } from "../core/Failure.js"
import { base64url } from "../core/Jwt.js"
import * as Store from "./Store.js"

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
  return { kid: thumbprint(jwk.x), privateKey, publicKey, jwk }
}

/**
 * The database's signing key, generated and stored the first time: a
 * restart on the same database file signs with the same key and `kid`.
 */
export const loadOrCreate = transact(Effect.gen(function*() {
  const existing = yield* Store.firstSigningKey
  if (existing !== undefined) return fromPrivateJwk(JSON.parse(existing) as JsonWebKey)
  const { privateKey } = generateKeyPairSync("ed25519")
  const key = fromPrivateJwk(privateKey.export({ format: "jwk" }))
  yield* Store.insertSigningKey({
    kid: key.kid,
    private_jwk: JSON.stringify(privateKey.export({ format: "jwk" })),
    public_jwk: JSON.stringify(key.jwk),
    created_at: yield* Clock.currentTimeMillis
  })
  return key
}))

/** The JWKS: the public signing key. */
export const jwks = Effect.map(SigningKey, (key) => new Jwks({ keys: [key.jwk] }, { disableValidation: true }))

/** A compact JWS, signed EdDSA with the emulator's key: `{alg: "EdDSA", typ: "JWT", kid}`. */
export const signJwt = (key: Key, payload: object): string => {
  const header = { alg: "EdDSA", typ: "JWT", kid: key.kid }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString("base64url")}`
}

/** Epoch seconds from epoch milliseconds. */
export const seconds = (ms: number): number => Math.floor(ms / 1000)

/** A passport just signed, and whom it is for. */
export interface Issued {
  readonly passport: IssuedPassport
  readonly jti: string
  readonly agentId: string
}

const issued = (jti: string, token: string, expiresAt: number, agentId: string): Issued => ({
  passport: new IssuedPassport(
    { token: Redacted.make(token), jti, expires_at: DateTime.unsafeMake(expiresAt) },
    { disableValidation: true }
  ),
  jti,
  agentId
})

/** Signs a token for `jti` living until `exp` (epoch seconds). */
const signToken = (jti: string, agentId: string, stk: StackClaims, iat: number, exp: number) =>
  Effect.map(SigningKey, (key) =>
    signJwt(key, { iss: ISSUER, sub: agentId, jti, iat, nbf: iat, exp, stk } satisfies PassportClaims))

/** What a new passport is made of. */
export interface Mint {
  readonly agentId: string
  readonly stk: StackClaims
  readonly jti: string
  readonly ttlSeconds: number
  /** The latest `exp` allowed (the mission's or the parent's), epoch seconds. */
  readonly notAfter: number
}

/** Signs and stores a new passport. */
export const mint = (actor: Actor, m: Mint) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const iat = seconds(now)
    const exp = Math.min(iat + m.ttlSeconds, m.notAfter)
    if (exp <= iat) return yield* refuse("MISSION_NOT_ACTIVE", "the passport would expire at once: its mission or parent ends now")
    const token = yield* signToken(m.jti, m.agentId, m.stk, iat, exp)
    const row: Store.PassportRow = {
      jti: m.jti,
      operator_id: actor.operatorId,
      agent_id: m.agentId,
      parent_jti: m.stk.parent_jti ?? null,
      session_id: m.stk.session_id,
      mission_id: m.stk.mission_id ?? null,
      delegation_depth: m.stk.delegation_depth,
      accountability: m.stk.accountability,
      intent_services: JSON.stringify(m.stk.intent_services),
      checkpoint_interval: m.stk.checkpoint_interval,
      claims: JSON.stringify(m.stk),
      token,
      issued_at: now,
      expires_at: exp * 1000,
      refreshed_at: null,
      last_checkpoint_at: null,
      checked_out_at: null,
      revoked_at: null,
      revoke_reason: null
    }
    yield* Store.insert(row)
    yield* Store.linkClaims(m.jti, m.stk.identity_claims.map((claim) => claim.claim_id))
    return issued(m.jti, token, row.expires_at, m.agentId)
  })

/**
 * Re-signs a passport (same jti and session) with new `iat`/`exp`, and
 * stores the token. Its claims stay, but for the identity claims: `stk`, when
 * given, is the passport's claims with fewer of them (those no longer
 * active), and the token carries those.
 */
export const resign = (
  row: Store.PassportRow,
  exp: number,
  changes: { readonly refreshed?: boolean; readonly stk?: StackClaims } = {}
) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const before = Store.stkOf(row)
    const stk = changes.stk ?? before
    const token = yield* signToken(row.jti, row.agent_id, stk, seconds(now), exp)
    yield* Store.updateToken(row.jti, token, stk, exp * 1000, changes.refreshed === true ? now : row.refreshed_at)
    const kept = new Set(stk.identity_claims.map((claim) => claim.claim_id))
    yield* Store.unlinkClaims(row.jti, before.identity_claims.map((claim) => claim.claim_id).filter((id) => !kept.has(id)))
    return issued(row.jti, token, exp * 1000, row.agent_id)
  })
