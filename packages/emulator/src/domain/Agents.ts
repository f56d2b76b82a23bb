import * as SqlClient from "@effect/sql/SqlClient"
import {
  Agent,
  AgentDefaults,
  AgentPage,
  AgentPageSize,
  DeletedAgent,
  type ListAgentsQuery,
  type RegisterAgentRequest,
  UnblockedAgent,
  type UpdateAgentRequest
} from "@getstack/effect/api/Agents"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import { type Actor, audited } from "./Action.js"
import { notFound, refuse } from "./Failure.js"
import { newId } from "./Ids.js"
import * as Policy from "./Policy.js"
import * as Revocation from "./Revocation.js"

/** A row of `agents`. Times are epoch milliseconds. */
export interface AgentRow {
  readonly id: string
  readonly operator_id: string
  readonly name: string
  readonly description: string | null
  readonly accountability_mode: Agent["accountability_mode"]
  readonly on_warning: Agent["on_warning"]
  readonly on_critical: Agent["on_critical"]
  readonly credential_access: Agent["credential_access"]
  readonly icon_url: string | null
  readonly status: Agent["status"]
  readonly passport_blocked: number
  readonly created_at: number
  readonly updated_at: number
}

const toAgent = (row: AgentRow): Agent =>
  new Agent({
    ...row,
    passport_blocked: row.passport_blocked === 1,
    created_at: DateTime.unsafeMake(row.created_at),
    updated_at: DateTime.unsafeMake(row.updated_at)
  })

const duplicateName = (name: string) =>
  refuse("CONFLICT", `an agent named ${name} already exists`, { field: "name" })

/** One of the operator's agents, whichever agent calls; `NOT_FOUND` otherwise. */
export const operatorRow = (operatorId: string, id: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<AgentRow>`SELECT * FROM agents WHERE id = ${id} AND operator_id = ${operatorId}`
    return row === undefined ? yield* notFound("agent", id) : row
  })

/**
 * One of the operator's agents, visible to the caller (an agent sees only
 * itself); `NOT_FOUND` otherwise.
 */
export const findRow = (actor: Actor, id: string) =>
  Policy.actsFor(actor, id) ? operatorRow(actor.operatorId, id) : notFound("agent", id)

const nameTaken = (actor: Actor, name: string, exceptId: string | null) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`
      SELECT 1 FROM agents WHERE operator_id = ${actor.operatorId} AND name = ${name} AND id IS NOT ${exceptId}`
    return rows.length > 0
  })

/** Registers an agent; a name the operator already uses is a conflict. */
export const register = (actor: Actor, request: RegisterAgentRequest) =>
  audited(actor, { action: "agent.register", agentId: (agent) => agent.id }, Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "register agents")
    const sql = yield* SqlClient.SqlClient
    if (yield* nameTaken(actor, request.name, null)) return yield* duplicateName(request.name)
    const now = yield* Clock.currentTimeMillis
    const row: AgentRow = {
      id: newId("agt"),
      operator_id: actor.operatorId,
      name: request.name,
      description: request.description ?? null,
      accountability_mode: request.accountability_mode ?? AgentDefaults.accountability_mode,
      on_warning: request.on_warning ?? AgentDefaults.on_warning,
      on_critical: request.on_critical ?? AgentDefaults.on_critical,
      credential_access: request.credential_access ?? AgentDefaults.credential_access,
      icon_url: request.icon_url ?? null,
      status: "active",
      passport_blocked: 0,
      created_at: now,
      updated_at: now
    }
    yield* sql`INSERT INTO agents ${sql.insert({ ...row })}`
    return toAgent(row)
  }))

/** One page of the operator's agents, newest first. */
export const list = (actor: Actor, query: ListAgentsQuery) =>
  Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "list agents")
    const sql = yield* SqlClient.SqlClient
    const page = query.page ?? 1
    const limit = query.limit ?? AgentPageSize.default
    const rows = yield* sql<AgentRow>`
      SELECT * FROM agents WHERE operator_id = ${actor.operatorId}
      ORDER BY created_at DESC, rowid DESC LIMIT ${limit} OFFSET ${(page - 1) * limit}`
    const [count] = yield* sql<{ total: number }>`SELECT COUNT(*) AS total FROM agents WHERE operator_id = ${actor.operatorId}`
    const total = count?.total ?? 0
    return new AgentPage({ agents: rows.map(toAgent), page, limit, total, has_more: page * limit < total })
  })

/** One agent of the operator (an agent caller may read only itself). */
export const get = (actor: Actor, id: string) => Effect.map(findRow(actor, id), toAgent)

/** `agent.suspend` and `agent.activate` for status changes, else `agent.update`. */
const updateAction = (changes: UpdateAgentRequest) =>
  changes.status === "suspended" ? "agent.suspend" : changes.status === "active" ? "agent.activate" : "agent.update"

/** Changes the given fields. */
export const update = (actor: Actor, id: string, changes: UpdateAgentRequest) =>
  audited(actor, { action: updateAction(changes), agentId: (agent) => agent.id, agentIdOnFailure: id }, Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "update agents")
    const sql = yield* SqlClient.SqlClient
    const current = yield* findRow(actor, id)
    if (changes.name !== undefined && (yield* nameTaken(actor, changes.name, id))) {
      return yield* duplicateName(changes.name)
    }
    const now = yield* Clock.currentTimeMillis
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
    const next: AgentRow = { ...current, ...defined, updated_at: Math.max(now, current.updated_at) }
    yield* sql`UPDATE agents SET ${sql.update({ ...next }, ["id", "operator_id", "created_at"])} WHERE id = ${id}`
    return toAgent(next)
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
      const sql = yield* SqlClient.SqlClient
      yield* findRow(actor, id)
      const live = yield* sql<Revocation.PassportRef>`
        SELECT jti, agent_id, parent_jti, revoked_at FROM passports
        WHERE operator_id = ${actor.operatorId} AND agent_id = ${id} AND revoked_at IS NULL
        ORDER BY issued_at ASC, rowid ASC`
      const revocation = yield* Revocation.revoke(live, "agent_deleted")
      yield* sql`DELETE FROM agents WHERE id = ${id}`
      return { deleted: new DeletedAgent({ id, deleted: true }), revocation }
    })
  ).pipe(Effect.map(({ deleted }) => deleted))

/** Clears `passport_blocked`; says whether the agent was blocked. */
export const unblock = (actor: Actor, id: string) =>
  audited(actor, { action: "agent.unblock", agentId: () => id, agentIdOnFailure: id }, Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, "unblock agents")
    const sql = yield* SqlClient.SqlClient
    const current = yield* findRow(actor, id)
    const now = yield* Clock.currentTimeMillis
    const next: AgentRow = { ...current, passport_blocked: 0, updated_at: Math.max(now, current.updated_at) }
    yield* sql`UPDATE agents SET passport_blocked = 0, updated_at = ${next.updated_at} WHERE id = ${id}`
    return new UnblockedAgent({ agent: toAgent(next), was_blocked: current.passport_blocked === 1 })
  }))
