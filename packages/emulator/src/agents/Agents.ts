/**
 * Agents: registration (with profile presets), reads, changes, deletion
 * (revoking the agent's passports) and unblocking. Agent callers may only
 * read themselves; everything else needs the operator's credentials.
 */
import {
  AgentDefaults,
  AgentPage,
  DeletedAgent,
  type ListAgentsQuery,
  type RegisterAgentRequest,
  type UnblockAgentRequest,
  UnblockedAgent,
  type UpdateAgentRequest
} from "@getstack/effect/api/Agents"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { type Actor, audited, refusalsAudited } from "../core/Audit.js"
import { notFound, refuse } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as Governance from "../core/Governance.js"
import * as Paging from "../core/Paging.js"
import * as Policy from "../core/Policy.js"
import * as Revocation from "../passports/Revocation.js"
import * as PassportStore from "../passports/Store.js"
import * as Store from "./Store.js"

/** What a registration profile presets, for the fields the request leaves out. */
export type ProfilePreset = Partial<Pick<Store.AgentRow, "accountability_mode" | "credential_access" | "key_mode">>

/**
 * The registration profiles STACK names, with their presets. Any other
 * profile is stored as given, and presets nothing.
 */
export const profilePresets: ReadonlyMap<string, ProfilePreset> = new Map([
  ["proxied-llm-bot", { credential_access: "proxy_only", accountability_mode: "logged", key_mode: "stack_managed" }]
])

const duplicateName = (name: string) =>
  refuse("CONFLICT", `an agent named ${name} already exists`, { field: "name" })

/** One of the operator's agents, whichever agent calls; `NOT_FOUND` otherwise. */
export const operatorRow = (operatorId: string, id: string) =>
  Effect.flatMap(Store.ofOperator(operatorId, id), (row) => row === undefined ? notFound("agent", id) : Effect.succeed(row))

/**
 * One of the operator's agents, visible to the caller (an agent sees only
 * itself); `NOT_FOUND` otherwise.
 */
export const findRow = (actor: Actor, id: string) =>
  Policy.actsFor(actor, id) ? operatorRow(actor.operatorId, id) : notFound("agent", id)

/**
 * Registers an agent; a name the operator already uses is a conflict. A
 * profile's preset fills the fields the request leaves out, then STACK's
 * defaults do.
 */
export const register = (actor: Actor, request: RegisterAgentRequest) =>
  audited(actor, { action: "agent.register", agentId: (agent) => agent.id }, Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "register agents")
    if (yield* Store.nameTaken(actor.operatorId, request.name, null)) return yield* duplicateName(request.name)
    const preset = (request.profile === undefined ? undefined : profilePresets.get(request.profile)) ?? {}
    const now = yield* Clock.currentTimeMillis
    const row: Store.AgentRow = {
      id: newId("agt"),
      operator_id: actor.operatorId,
      name: request.name,
      description: request.description ?? null,
      accountability_mode: request.accountability_mode ?? preset.accountability_mode ?? AgentDefaults.accountability_mode,
      on_warning: request.on_warning ?? AgentDefaults.on_warning,
      on_critical: request.on_critical ?? AgentDefaults.on_critical,
      credential_access: request.credential_access ?? preset.credential_access ?? AgentDefaults.credential_access,
      icon_url: request.icon_url ?? null,
      status: "active",
      passport_blocked: 0,
      profile: request.profile ?? null,
      key_mode: request.key_mode ?? preset.key_mode ?? null,
      created_at: now,
      updated_at: now
    }
    yield* Store.insert(row)
    return Store.toAgent(row)
  }))

/** One page of the operator's agents, newest first. */
export const list = (actor: Actor, query: ListAgentsQuery) =>
  Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "list agents")
    const { items, ...page } = Paging.map(yield* Store.page(actor.operatorId, query), Store.toAgent)
    return new AgentPage({ agents: items, ...page }, { disableValidation: true })
  })

/** One agent of the operator (an agent caller may read only itself). */
export const get = (actor: Actor, id: string) => Effect.map(findRow(actor, id), Store.toAgent)

/** `agent.suspend` and `agent.activate` for status changes, else `agent.update`. */
const updateAction = (changes: UpdateAgentRequest) =>
  changes.status === "suspended" ? "agent.suspend" : changes.status === "active" ? "agent.activate" : "agent.update"

/** Changes the given fields. */
export const update = (actor: Actor, id: string, changes: UpdateAgentRequest) =>
  audited(actor, { action: updateAction(changes), agentId: (agent) => agent.id, agentIdOnFailure: id }, Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "update agents")
    const current = yield* findRow(actor, id)
    if (changes.name !== undefined && (yield* Store.nameTaken(actor.operatorId, changes.name, id))) {
      return yield* duplicateName(changes.name)
    }
    const now = yield* Clock.currentTimeMillis
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
    const next: Store.AgentRow = { ...current, ...defined, updated_at: Math.max(now, current.updated_at) }
    yield* Store.update(next)
    return Store.toAgent(next)
  }))

/** Deletes an agent and revokes its passports (with their delegated descendants). */
export const remove = (actor: Actor, id: string) =>
  audited(
    actor,
    {
      action: "agent.delete",
      agentId: () => id,
      agentIdOnFailure: id,
      followUps: ({ revocation }) => Revocation.auditEntries(revocation, { includeDirect: true })
    },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "delete agents")
      yield* findRow(actor, id)
      const live = yield* PassportStore.unrevoked({ operatorId: actor.operatorId, agentId: id })
      const revocation = yield* Revocation.revoke(actor.operatorId, live, "agent_deleted")
      yield* Store.remove(id)
      return { deleted: new DeletedAgent({ id, deleted: true }, { disableValidation: true }), revocation }
    })
  ).pipe(Effect.map(({ deleted }) => deleted))

/** Clears `passport_blocked`; says whether the agent was blocked. */
export const unblock = (actor: Actor, id: string, request: UnblockAgentRequest = {}) =>
  Effect.flatMap(
    refusalsAudited(
      actor,
      unblockSpec(id),
      Effect.gen(function*() {
        yield* Policy.operatorOnly(actor, "unblock agents")
        yield* findRow(actor, id)
        // held for a human's approval (before the transaction: the approval outlives the refusal)
        return yield* Governance.check(actor, "agents.unblock", { agent_id: id }, request.governance_approval_id)
      })
    ),
    (approval) => unblockApproved(actor, id, approval)
  )

const unblockSpec = (id: string) => ({ action: "agent.unblock", agentId: () => id, agentIdOnFailure: id })

const unblockApproved = (actor: Actor, id: string, approval: string | undefined) =>
  audited(actor, unblockSpec(id), Effect.gen(function*() {
    const current = yield* findRow(actor, id)
    yield* Governance.consume(approval)
    const now = yield* Clock.currentTimeMillis
    const next: Store.AgentRow = { ...current, passport_blocked: 0, updated_at: Math.max(now, current.updated_at) }
    yield* Store.unblock(id, next.updated_at)
    return new UnblockedAgent(
      { agent: Store.toAgent(next), was_blocked: current.passport_blocked === 1 },
      { disableValidation: true }
    )
  }))
