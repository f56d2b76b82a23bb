/**
 * Ids and API keys: STACK's prefixes over random base62.
 */
import { randomFillSync } from "node:crypto"

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// bytes from the system's CSPRNG, drawn a block at a time (one call per ~80 ids, not one each) and used once
const pool = Buffer.alloc(4096)
let next = pool.length

const randomByte = (): number => {
  if (next === pool.length) {
    randomFillSync(pool)
    next = 0
  }
  return pool[next++]!
}

/** `length` random base62 characters from the system's CSPRNG. */
export const randomToken = (length: number): string => {
  let out = ""
  while (out.length < length) {
    const byte = randomByte()
    // 62 * 4 = 248: rejecting bytes >= 248 keeps every character equally likely
    if (byte < 248) out += ALPHABET[byte % 62]
  }
  return out
}

/**
 * The prefixes of the emulator's ids: agents, audit entries, requests,
 * operators, passports (`jti`), passport sessions, missions, drop-offs, checkouts,
 * security signals, enrollment challenges, enrolled agent keys, governance
 * approvals, events, messages, notification destinations and rules, scans
 * service connections, identity verification sessions, identity claims,
 * skills, skill invocations and skill requests.
 */
export type IdPrefix =
  | "agt"
  | "aud"
  | "req"
  | "op"
  | "pp"
  | "ses"
  | "ms"
  | "dof"
  | "cout"
  | "sig"
  | "chl"
  | "key"
  | "gvr"
  | "evt"
  | "msg"
  | "ndst"
  | "nrul"
  | "scn"
  | "scon"
  | "ivs"
  | "clm"
  | "skl"
  | "sinv"
  | "sreq"

/** A new id with STACK's prefix for the kind, e.g. `agt_…`. */
export const newId = (prefix: IdPrefix): string => `${prefix}_${randomToken(24)}`

/** A new API key. STACK's keys are `sk_live_…`; the emulator mints `sk_test_…` by default. */
export const newApiKey = (mode: "live" | "test" = "test"): string => `sk_${mode}_${randomToken(40)}`
