/**
 * Missions: one unit of work, opened for an agent (or unassigned), that its
 * passports cannot outlive. Completing or revoking one revokes every passport
 * bound to it.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import {
  type CapUnit,
  type CompleteMissionRequest,
  type ListMissionsQuery,
  type MissionLimits,
  MissionPage,
  MissionTransition,
  MissionTtl,
  type OpenMissionRequest,
  type ReviewPausedRequest,
  type RevokeMissionRequest,
  StartedMission,
  type StartMissionRequest
} from "@getstack/effect/api/Missions"
import { IssuedPassport, type IssuePassportRequest, type ScopeGrant } from "@getstack/effect/api/Passports"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Agents from "../agents/Agents.js"
import { type Actor, audited, recordIn } from "../core/Audit.js"
import { notFound, refuse, type StackFailure } from "../core/Failure.js"
import { canonical, sha256Hex } from "../core/Hash.js"
import { newId } from "../core/Ids.js"
import * as Paging from "../core/Paging.js"
import * as Events from "../core/Events.js"
import * as Plan from "../core/Plan.js"
import * as Policy from "../core/Policy.js"
import * as Passports from "../passports/Passports.js"
import * as Revocation from "../passports/Revocation.js"
import type * as Signing from "../passports/Signing.js"
import * as PassportStore from "../passports/Store.js"
import * as Store from "./Store.js"

type CompleteRequest = typeof CompleteMissionRequest.Type

interface NewMission {
  readonly agentId: string | null
  readonly intentSummary: string
  readonly intentServices: ReadonlyArray<string>
  readonly ttlSeconds: number | undefined
  readonly startHash: string | null
  readonly passportTtlSeconds: number | null
  readonly checkpointIntervalSeconds: number | null
  readonly scopes: ReadonlyArray<ScopeGrant> | null
  readonly limits: MissionLimits | undefined
}

/** The caps columns of a new mission, from its `limits`. */
const capsColumns = (limits: MissionLimits | undefined) => {
  const { cap_behavior, ...caps } = limits ?? {}
  const set = Object.entries(caps).filter(([, value]) => value !== undefined)
  return {
    caps: set.length === 0 ? null : JSON.stringify(Object.fromEntries(set)),
    cap_behavior: set.length === 0 ? null : cap_behavior ?? "pause",
    used_actions: 0,
    used_cents: 0,
    used_ms: 0,
    used_bytes: 0,
    paused_at: null,
    paused_cap: null
  } as const
}

const insert = (actor: Actor, m: NewMission) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const row: Store.MissionRow = {
      id: newId("ms"),
      operator_id: actor.operatorId,
      agent_id: m.agentId,
      status: "active",
      intent_summary: m.intentSummary,
      intent_services: JSON.stringify(m.intentServices),
      started_at: now,
      expires_at: now + (m.ttlSeconds ?? MissionTtl.default) * 1000,
      completed_at: null,
      revoked_at: null,
      terminal_state: null,
      revoke_reason: null,
      notes: null,
      output: null,
      start_hash: m.startHash,
      passport_jti: null,
      passport_ttl_seconds: m.passportTtlSeconds,
      checkpoint_interval_seconds: m.checkpointIntervalSeconds,
      scopes: m.scopes === null ? null : JSON.stringify(m.scopes),
      ...capsColumns(m.limits)
    }
    yield* Store.insert(row)
    return row
  })

/**
 * One of the operator's missions, visible to the caller (an agent sees only
 * the missions assigned to it); `NOT_FOUND` otherwise.
 */
const findRow = (actor: Actor, id: string) =>
  Effect.flatMap(Store.ofOperator(actor.operatorId, id), (row) =>
    row === undefined || !Policy.actsFor(actor, row.agent_id) ? notFound("mission", id) : Effect.succeed(row))

/** Opens a mission without a passport. An agent caller is always assigned itself. */
export const open = (actor: Actor, request: OpenMissionRequest) =>
  audited(
    actor,
    { action: "mission.open", agentId: (row) => row.agent_id, agentIdOnFailure: request.agent_id ?? null },
    Effect.gen(function*() {
      if (request.agent_id !== undefined) yield* Policy.requireSelf(actor, request.agent_id, "open missions")
      const agentId = request.agent_id ?? actor.agentId
      if (agentId !== null) yield* Agents.operatorRow(actor.operatorId, agentId)
      return yield* insert(actor, {
        agentId,
        intentSummary: request.intent_summary,
        intentServices: request.intent_services ?? [],
        ttlSeconds: request.ttl_seconds,
        startHash: null,
        passportTtlSeconds: null,
        checkpointIntervalSeconds: null,
        scopes: null,
        limits: request.limits
      })
    })
  ).pipe(Effect.map(Store.toMission))

/** The passport request for a mission's agent, from what `start` recorded. */
const passportRequest = (row: Store.MissionRow, agentId: string): IssuePassportRequest => {
  const scopes = Store.scopesOf(row)
  return {
    agent_id: agentId,
    mission_ids: [row.id],
    intent: { summary: row.intent_summary, services: JSON.parse(row.intent_services) as Array<string> },
    ...(row.passport_ttl_seconds === null ? {} : { ttl_seconds: row.passport_ttl_seconds }),
    ...(row.checkpoint_interval_seconds === null ? {} : { checkpoint_interval_seconds: row.checkpoint_interval_seconds }),
    ...(scopes === undefined ? {} : { scopes })
  }
}

/** Issues the mission's next passport and makes it the mission's current one. */
const issueBound = (actor: Actor, row: Store.MissionRow, agentId: string) =>
  Effect.gen(function*() {
    const issued = yield* Passports.issueFor(actor, passportRequest(row, agentId))
    yield* Store.setPassport(row.id, issued.jti)
    return issued
  })

const started = (row: Store.MissionRow, passport: IssuedPassport) =>
  new StartedMission({ mission_id: row.id, mission: Store.toMission(row), passport }, { disableValidation: true })

const startedSpec = (action: string) => ({
  action,
  agentId: (r: { readonly issued: Signing.Issued }) => r.issued.agentId,
  passportJti: (r: { readonly issued: Signing.Issued }) => r.issued.jti,
  followUps: (r: { readonly issued: Signing.Issued }) => [Passports.issueEntry(r.issued)]
})

/** The live mission an identical `start` opened, with its current passport. */
const findStarted = (actor: Actor, startHash: string, now: number) =>
  Effect.gen(function*() {
    const row = yield* Store.startedBy(actor.operatorId, startHash, now)
    if (row === undefined) return undefined
    const passport = row.passport_jti === null ? undefined : yield* PassportStore.byJti(row.passport_jti)
    return { row, passport }
  })

/**
 * Opens a mission for an agent and issues its passport. Idempotent: the same
 * request from the same operator, while the mission it opened is live, returns
 * that mission and its current passport (the same token) and does nothing
 * else; when that passport is no longer live (revoked, expired or checked
 * out), a new one is issued for the same mission.
 */
export const start = (actor: Actor, request: StartMissionRequest) =>
  Effect.gen(function*() {
    const startHash = sha256Hex(canonical(request))
    const now = yield* Clock.currentTimeMillis
    const previous = Policy.actsFor(actor, request.agent_id) ? yield* findStarted(actor, startHash, now) : undefined
    if (previous !== undefined) {
      const { passport, row } = previous
      if (
        passport !== undefined && passport.revoked_at === null && passport.checked_out_at === null &&
        now < passport.expires_at && row.passport_jti !== null
      ) {
        return started(
          row,
          new IssuedPassport({
            token: Redacted.make(passport.token),
            jti: row.passport_jti,
            expires_at: DateTime.unsafeMake(passport.expires_at)
          }, { disableValidation: true })
        )
      }
      return yield* audited(
        actor,
        { ...startedSpec("mission.start"), agentIdOnFailure: request.agent_id },
        Effect.map(issueBound(actor, row, request.agent_id), (issued) => ({ issued, row }))
      ).pipe(Effect.map(({ issued, row }) => started(row, issued.passport)))
    }
    return yield* audited(
      actor,
      { ...startedSpec("mission.start"), agentIdOnFailure: request.agent_id },
      Effect.gen(function*() {
        yield* Policy.requireSelf(actor, request.agent_id, "start missions")
        yield* Agents.operatorRow(actor.operatorId, request.agent_id)
        const row = yield* insert(actor, {
          agentId: request.agent_id,
          intentSummary: request.intent_summary,
          intentServices: request.intent_services ?? [],
          ttlSeconds: request.ttl_seconds,
          startHash,
          passportTtlSeconds: request.passport_ttl_seconds ?? null,
          checkpointIntervalSeconds: request.checkpoint_interval_seconds ?? null,
          scopes: request.scopes ?? null,
          limits: request.limits
        })
        const issued = yield* issueBound(actor, row, request.agent_id)
        return { issued, row }
      })
    ).pipe(Effect.map(({ issued, row }) => started(row, issued.passport)))
  })

/** One of the operator's missions (an agent caller sees only those assigned to it). */
export const get = (actor: Actor, id: string) => Effect.map(findRow(actor, id), Store.toMission)

/** One page of the operator's missions, newest first by `started_at`, optionally of one status. */
export const list = (actor: Actor, query: ListMissionsQuery) =>
  Effect.gen(function*() {
    yield* Plan.requireControls("listing missions")
    yield* Policy.operatorOnly(actor, "list missions")
    const { items, ...page } = Paging.map(yield* Store.page(actor.operatorId, query), Store.toMission)
    return new MissionPage({ missions: items, ...page }, { disableValidation: true })
  })

/**
 * A fresh passport for a live mission's agent, with the passport settings
 * `start` recorded; it becomes the mission's current passport. A mission that
 * is completed, revoked or expired is `MISSION_NOT_ACTIVE`.
 */
export const renew = (actor: Actor, id: string) =>
  audited(
    actor,
    startedSpec("mission.renew"),
    Effect.gen(function*() {
      const row = yield* findRow(actor, id)
      const now = yield* Clock.currentTimeMillis
      if (!Store.isLive(row, now)) {
        return yield* refuse(
          "MISSION_NOT_ACTIVE",
          `mission ${id} is ${row.status === "active" ? "expired" : row.status}: open a new one`
        )
      }
      if (row.agent_id === null) {
        return yield* refuse("CONFLICT", `mission ${id} has no agent: issue a passport with its mission_id instead`)
      }
      const issued = yield* issueBound(actor, row, row.agent_id)
      return { issued, row }
    })
  ).pipe(Effect.map(({ issued, row }) => started(row, issued.passport)))

const isTerminal = (row: Store.MissionRow) => row.status === "completed" || row.status === "revoked"

/**
 * Moves a mission to a terminal state and revokes every passport bound to it
 * (with their descendants). A mission already terminal is returned as it is,
 * with `transitioned: false`.
 */
const terminate = (
  actor: Actor,
  id: string,
  action: string,
  change: (row: Store.MissionRow, now: number) => Store.MissionRow,
  reason: string,
  guard: Effect.Effect<void, StackFailure | SqlError.SqlError, SqlClient.SqlClient> = Effect.void
) =>
  audited(
    actor,
    {
      action,
      agentId: (r) => r.agentId,
      followUps: (r) => Revocation.auditEntries(r.revocation, { includeDirect: true })
    },
    Effect.gen(function*() {
      yield* guard
      const row = yield* findRow(actor, id)
      if (isTerminal(row)) {
        return {
          agentId: row.agent_id,
          revocation: Revocation.none,
          transition: new MissionTransition({
            mission: Store.toMission(row),
            transitioned: false,
            revoked_passports: []
          }, { disableValidation: true })
        }
      }
      const next = change(row, yield* Clock.currentTimeMillis)
      yield* Store.updateTerminal(next)
      if (next.status === "completed") {
        yield* Events.emit({
          operatorId: actor.operatorId,
          type: "mission.completed",
          severity: "info",
          data: { mission_id: id, agent_id: next.agent_id, terminal_state: next.terminal_state }
        })
      }
      const revocation = yield* Passports.revokeBound(actor.operatorId, id, reason)
      return {
        agentId: next.agent_id,
        revocation,
        transition: new MissionTransition({
          mission: Store.toMission(next),
          transitioned: true,
          revoked_passports: Revocation.revokedJtis(revocation)
        }, { disableValidation: true })
      }
    })
  ).pipe(Effect.map((r) => r.transition))

/** Completes a mission, keeping its output, and revokes its passports. */
export const complete = (actor: Actor, id: string, request: CompleteRequest) =>
  terminate(actor, id, "mission.complete", (row, now) => ({
    ...row,
    status: "completed",
    completed_at: now,
    terminal_state: "completed",
    output: request.output === undefined ? null : JSON.stringify(request.output)
  }), "mission_completed")

/** Revokes a mission (the operator's call only) and its passports. */
export const revoke = (actor: Actor, id: string, request: RevokeMissionRequest) =>
  terminate(
    actor,
    id,
    "mission.revoke",
    (row, now) => ({
      ...row,
      status: "revoked",
      revoked_at: now,
      terminal_state: "revoked",
      revoke_reason: request.reason,
      notes: request.notes ?? null
    }),
    `mission_revoked: ${request.reason}`,
    Policy.operatorOnly(actor, "revoke missions")
  )

/**
 * What a hit cap does to a mission, in the transaction of the call that hit
 * it: pauses it until an operator reviews it, or (`cap_behavior: close`)
 * completes it as `completed_cap_breached` and revokes its passports. Each
 * is audited (`mission.pause`, `mission.cap_breached` and the revocations).
 */
export const capHit = (actor: Actor, row: Store.MissionRow, cap: CapUnit) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (row.cap_behavior === "close") {
      const closed: Store.MissionRow = {
        ...row,
        status: "completed",
        completed_at: now,
        terminal_state: "completed_cap_breached",
        paused_cap: cap
      }
      yield* Store.updateTerminal(closed)
      yield* Store.updateCaps(closed)
      const revocation = yield* Passports.revokeBound(actor.operatorId, row.id, `mission_cap_breached: ${cap}`)
      yield* recordIn(actor, { action: "mission.cap_breached", agentId: row.agent_id })
      for (const entry of Revocation.auditEntries(revocation, { includeDirect: true })) yield* recordIn(actor, entry)
      return
    }
    yield* Store.updateCaps({ ...row, status: "paused", paused_at: now, paused_cap: cap })
    yield* recordIn(actor, { action: "mission.pause", agentId: row.agent_id })
  })

/**
 * An operator's review of a mission paused by a cap: `raise` the cap to
 * `limit` (above what is used) and resume, `continue` without that cap, or
 * `close` the mission as `completed_cap_breached` and revoke its passports.
 * A mission that is not paused is `MISSION_NOT_PAUSED`.
 */
export const reviewPaused = (actor: Actor, id: string, request: ReviewPausedRequest) =>
  Effect.gen(function*() {
    const guard = Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "review paused missions")
      const row = yield* findRow(actor, id)
      if (row.status !== "paused" || row.paused_cap === null) {
        return yield* refuse("MISSION_NOT_PAUSED", `mission ${id} is ${row.status}, not paused`)
      }
      return row
    })
    if (request.decision === "close") {
      return yield* terminate(
        actor,
        id,
        "mission.review_paused",
        (row, now) => ({ ...row, status: "completed", completed_at: now, terminal_state: "completed_cap_breached" }),
        "mission_cap_breached",
        Effect.asVoid(guard)
      )
    }
    return yield* audited(
      actor,
      { action: "mission.review_paused", agentId: (r) => r.agent_id },
      Effect.gen(function*() {
        const row = yield* guard
        const cap = row.paused_cap!
        const caps = { ...Store.capsOf(row) } as Record<string, number>
        if (request.decision === "raise") {
          const used = Store.usageOf(row)[cap]
          if (request.limit === undefined || request.limit <= used) {
            return yield* refuse("INVALID_REQUEST", `raise needs a limit above what is used (${used} ${cap})`, {
              fields: { limit: `required with raise, above ${used}` }
            })
          }
          caps[cap] = request.limit
        } else {
          delete caps[cap]
        }
        const next: Store.MissionRow = {
          ...row,
          status: "active",
          caps: Object.keys(caps).length === 0 ? null : JSON.stringify(caps),
          paused_at: null,
          paused_cap: null
        }
        yield* Store.updateCaps(next)
        return next
      })
    ).pipe(
      Effect.map((row) =>
        new MissionTransition({ mission: Store.toMission(row), transitioned: true, revoked_passports: [] }, { disableValidation: true })
      )
    )
  })
