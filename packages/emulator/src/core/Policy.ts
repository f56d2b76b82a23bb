/**
 * What a caller may do. The operator's credentials may do everything for the
 * operator; an agent authenticated with its enrolled key acts for its
 * operator but only on what belongs to that agent: itself, its passports and
 * the missions assigned to it. Everything else is the operator's.
 */
import * as Effect from "effect/Effect"
import type { Actor } from "./Audit.js"
import { refuse, type StackFailure } from "./Failure.js"

/** Whether the caller is an agent (with its enrolled key), not the operator. */
export const isAgent = (actor: Actor): boolean => actor.agentId !== null

/**
 * Refuses agent callers with `FORBIDDEN`: `what` (e.g. "register agents")
 * needs the operator's credentials.
 */
export const operatorOnly = (actor: Actor, what: string): Effect.Effect<void, StackFailure> =>
  actor.agentId === null
    ? Effect.void
    : refuse("FORBIDDEN", `an agent cannot ${what}: it needs the operator's credentials`)

/** Whether the caller may act for `agentId`: the operator for any of its agents, an agent for itself only. */
export const actsFor = (actor: Actor, agentId: string | null): boolean =>
  actor.agentId === null || actor.agentId === agentId

/**
 * Refuses with `FORBIDDEN` an agent caller that names another agent in its
 * request (`what` says what it asked for).
 */
export const requireSelf = (actor: Actor, agentId: string, what: string): Effect.Effect<void, StackFailure> =>
  actsFor(actor, agentId)
    ? Effect.void
    : refuse("FORBIDDEN", `an agent may ${what} only for itself`)
