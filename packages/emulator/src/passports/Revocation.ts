/**
 * Revoking passports with their delegated descendants, and the audit entries
 * that record it: one `passport.revoke` per passport revoked directly, one
 * `passport.revoke_cascade` per descendant revoked with it.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import { MAX_DELEGATION_DEPTH } from "@getstack/effect/api/Passports"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Events from "../core/Events.js"
import type { EntrySpec } from "../core/Audit.js"
import * as Store from "./Store.js"

/** A passport this revocation revoked. */
export interface Revoked {
  readonly jti: string
  readonly agentId: string
}

/** What a revocation did: the passports it revoked directly, and the descendants revoked with them. */
export interface Revocation {
  readonly direct: ReadonlyArray<Revoked>
  readonly cascaded: ReadonlyArray<Revoked>
}

/**
 * Revokes `targets` (an operator's passports) and, breadth first over parent
 * links and at most `MAX_DELEGATION_DEPTH` hops down, every descendant not yet
 * revoked. A target whose parent is also a target counts as revoked through
 * that parent; passports already revoked are left as they are.
 */
export const revoke = (
  operatorId: string,
  targets: ReadonlyArray<Store.PassportRef>,
  reason: string | null
): Effect.Effect<Revocation, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const targetJtis = new Set(targets.map((t) => t.jti))
    const roots = targets.filter((t) => t.parent_jti === null || !targetJtis.has(t.parent_jti))
    const direct: Array<Revoked> = roots.filter((t) => t.revoked_at === null).map((t) => ({ jti: t.jti, agentId: t.agent_id }))
    const cascaded: Array<Revoked> = []
    const seen = new Set(roots.map((t) => t.jti))
    let frontier = roots.map((t) => t.jti)
    for (let hop = 1; hop <= MAX_DELEGATION_DEPTH && frontier.length > 0; hop++) {
      const children = yield* Store.childrenOf(frontier)
      const next: Array<string> = []
      for (const child of children) {
        if (seen.has(child.jti)) continue
        seen.add(child.jti)
        next.push(child.jti)
        if (child.revoked_at === null) cascaded.push({ jti: child.jti, agentId: child.agent_id })
      }
      frontier = next
    }
    // a target deeper than the hops walked is still revoked, directly
    for (const target of targets) {
      if (!seen.has(target.jti) && target.revoked_at === null) direct.push({ jti: target.jti, agentId: target.agent_id })
    }
    yield* Store.markRevoked([...direct, ...cascaded].map((r) => r.jti), now, reason)
    for (const [revoked, cascade] of [...direct.map((r) => [r, false] as const), ...cascaded.map((r) => [r, true] as const)]) {
      yield* Events.emit({
        operatorId,
        type: "passport.revoked",
        severity: "info",
        data: { jti: revoked.jti, agent_id: revoked.agentId, reason, cascaded: cascade }
      })
    }
    return { direct, cascaded }
  })

/**
 * The audit entries of a revocation: `passport.revoke` per direct passport
 * (unless the caller's own entry is it), `passport.revoke_cascade` per
 * descendant.
 */
export const auditEntries = (
  revocation: Revocation,
  options: { readonly includeDirect: boolean }
): ReadonlyArray<EntrySpec> => [
  ...(options.includeDirect
    ? revocation.direct.map((r): EntrySpec => ({
      action: "passport.revoke",
      layer: "vault",
      agentId: r.agentId,
      passportJti: r.jti
    }))
    : []),
  ...revocation.cascaded.map((r): EntrySpec => ({
    action: "passport.revoke_cascade",
    layer: "vault",
    agentId: r.agentId,
    passportJti: r.jti
  }))
]

/** All the passports a revocation revoked, directly or by cascade. */
export const revokedJtis = (revocation: Revocation): Array<string> =>
  [...revocation.direct, ...revocation.cascaded].map((r) => r.jti)

/** A revocation that revoked nothing. */
export const none: Revocation = { direct: [], cascaded: [] }
