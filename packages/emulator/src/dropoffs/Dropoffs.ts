/**
 * Drop-offs: one payload handed from an agent (`from_agent`) to one or more
 * others (`to_agents`), checked against the drop-off's JSON Schema (Ajv),
 * held sealed by the vault (bound to its row) and erased once collected or
 * expired. One way: `created → deposited → collected | expired | failed`.
 *
 * Who may do what: the operator anything on its drop-offs; an agent creates
 * drop-offs from itself, deposits into its own with a passport of its own
 * (`passport_token` or `passport_jti`), collects those it is a recipient of,
 * expires its own, and sees those it sends or receives. Another operator's
 * drop-off, or one an agent is no party to, is `NOT_FOUND`.
 *
 * Expiry runs on the emulator's `Clock`, lazily: a read, deposit, collect or
 * list after `expires_at` expires the drop-off first (audited as
 * `dropoff.expire`), and `expire` does it on demand. Either way
 * `dropoff.expired` is emitted exactly once. Every change is one guarded
 * update, so of racing collectors exactly one wins.
 */
import {
  CollectedDropoff,
  type CreateDropoffRequest,
  type DepositRequest,
  DropoffPage,
  DropoffTtl,
  type ListDropoffsQuery
} from "@getstack/effect/api/Dropoffs"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AgentsStore from "../agents/Store.js"
import { type Actor, audited, refusalsAudited } from "../core/Audit.js"
import * as Events from "../core/Events.js"
import { notFound, refuse } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as Paging from "../core/Paging.js"
import * as Policy from "../core/Policy.js"
import * as Vault from "../core/Vault.js"
import * as Passports from "../passports/Passports.js"
import * as Schemas from "../core/JsonSchema.js"
import * as Store from "./Store.js"

/** The row a drop-off's payload is bound to. */
const binding = (id: string) => `dropoffs:${id}`

/** Seals a payload for its drop-off. */
export const sealPayload = (id: string, payload: unknown) =>
  Effect.map(Vault.VaultKey, (key) => Vault.seal(key, JSON.stringify(payload), binding(id)))

/** Opens a deposited drop-off's payload (which the vault's key, checked at start, always opens). */
export const openPayload = (row: Store.DropoffRow) =>
  Effect.flatMap(Vault.VaultKey, (key) => {
    const text = row.payload === null ? undefined : Vault.open(key, row.payload, binding(row.id))
    return text === undefined
      ? Effect.dieMessage(`the vault cannot open the payload of drop-off ${row.id}`)
      : Effect.succeed(JSON.parse(text) as unknown)
  })

const spec = (action: "create" | "deposit" | "collect" | "expire") => ({ action: `dropoff.${action}`, layer: "dropoff" as const })

/** Whether the caller is a party to the drop-off: the operator, its sender or one of its recipients. */
const isParty = (actor: Actor, row: Store.DropoffRow): boolean =>
  actor.agentId === null || actor.agentId === row.from_agent || Store.recipients(row).includes(actor.agentId)

/** Expires an open drop-off and emits `dropoff.expired`, once: whether this call did. Run it in a transaction. */
const expireNow = (row: Store.DropoffRow, reason: "ttl" | "on_demand") =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const expired = yield* Store.expire(row.id, now)
    if (expired) {
      yield* Events.emit({
        operatorId: row.operator_id,
        type: "dropoff.expired",
        severity: "warning",
        data: {
          dropoff_id: row.id,
          from_agent: row.from_agent,
          to_agents: Store.recipients(row),
          previous_status: row.status,
          reason,
          expired_at: new Date(now).toISOString()
        }
      })
    }
    return expired
  })

/** Expires a drop-off whose time is up (audited as `dropoff.expire`); the row as it is now. */
const settle = (actor: Actor, row: Store.DropoffRow) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (!Store.isOpen(row) || now < row.expires_at) return row
    yield* audited(actor, { ...spec("expire"), agentId: () => row.from_agent }, expireNow(row, "ttl"))
    return (yield* Store.byId(row.operator_id, row.id)) ?? row
  })

/** One of the operator's drop-offs the caller is a party to, expired first if its time is up; else `NOT_FOUND`. */
const find = (actor: Actor, id: string) =>
  Effect.gen(function*() {
    const row = yield* Store.byId(actor.operatorId, id)
    if (row === undefined || !isParty(actor, row)) return yield* notFound("drop-off", id)
    return yield* settle(actor, row)
  })

/** The refusal of a step the drop-off's status has passed. */
const passed = (row: Store.DropoffRow, step: string) =>
  row.status === "collected" && step === "collect"
    ? refuse("DROPOFF_ALREADY_COLLECTED", `drop-off ${row.id} was already collected`)
    : refuse("CONFLICT", `drop-off ${row.id} is ${row.status}: it cannot ${step}`)

/** The recipients a create request names: `to_agent` or `to_agents`, not both, without repeats. */
const recipientsOf = (request: CreateDropoffRequest) => {
  if (request.to_agent !== undefined && request.to_agents !== undefined) {
    return refuse("INVALID_REQUEST", "send to_agent or to_agents, not both", {
      fields: { to_agents: "not with to_agent" }
    })
  }
  const named = request.to_agents ?? (request.to_agent === undefined ? [] : [request.to_agent])
  if (named.length === 0) {
    return refuse("INVALID_REQUEST", "name the recipient: to_agent, or to_agents", {
      fields: { to_agent: "required (or to_agents)" }
    })
  }
  return Effect.succeed([...new Set(named)])
}

/** Creates a drop-off from one of the operator's agents (an agent caller: itself) to others of them. */
export const create = (actor: Actor, request: CreateDropoffRequest) =>
  audited(
    actor,
    { ...spec("create"), agentId: (dropoff) => dropoff.from_agent ?? null, agentIdOnFailure: request.from_agent },
    Effect.gen(function*() {
      yield* Policy.requireSelf(actor, request.from_agent, "create drop-offs")
      const recipients = yield* recipientsOf(request)
      for (const agentId of [request.from_agent, ...recipients]) {
        if ((yield* AgentsStore.ofOperator(actor.operatorId, agentId)) === undefined) return yield* notFound("agent", agentId)
      }
      const schemaText = JSON.stringify(request.schema)
      const compiled = Schemas.compile(schemaText)
      if (!compiled.ok) {
        return yield* refuse("INVALID_REQUEST", `schema is not a JSON Schema this server compiles: ${compiled.message}`, {
          fields: { schema: `does not compile: ${compiled.message}` }
        })
      }
      const now = yield* Clock.currentTimeMillis
      const ttl = request.ttl_seconds ?? DropoffTtl.default
      const row: Store.DropoffRow = {
        id: newId("dof"),
        operator_id: actor.operatorId,
        from_agent: request.from_agent,
        to_agents: JSON.stringify(recipients),
        json_schema: schemaText,
        ttl_seconds: ttl,
        on_expire: request.on_expire ?? null,
        status: "created",
        payload: null,
        deposit_jti: null,
        collected_by: null,
        created_at: now,
        expires_at: now + ttl * 1000,
        deposited_at: null,
        collected_at: null,
        expired_at: null
      }
      yield* Store.insert(row)
      return Store.toDropoff(row)
    })
  )

/** The passport a deposit presents, checked: required of an agent caller, and the sender's. */
const passportOf = (actor: Actor, row: Store.DropoffRow, request: DepositRequest) =>
  Effect.gen(function*() {
    const { passport_jti, passport_token } = request
    if (passport_jti !== undefined && passport_token !== undefined) {
      return yield* refuse("INVALID_REQUEST", "send passport_token or passport_jti, not both", {
        fields: { passport_jti: "not with passport_token" }
      })
    }
    if (passport_jti === undefined && passport_token === undefined) {
      if (Policy.isAgent(actor)) {
        return yield* refuse("INVALID_REQUEST", "an agent deposits with a passport of its own: send passport_token or passport_jti", {
          fields: { passport_token: "required of an agent (or passport_jti)" }
        })
      }
      return null
    }
    const use = `for a deposit into drop-off ${row.id}`
    const passport = passport_token !== undefined
      ? (yield* Passports.presentedForUse(actor, Redacted.value(passport_token), use)).row
      : yield* Passports.jtiPresentedForUse(actor, passport_jti!, use)
    if (passport.agent_id !== row.from_agent) {
      return yield* refuse("FORBIDDEN", `passport ${passport.jti} is not the sender's (${row.from_agent})`)
    }
    return passport.jti
  })

/** Deposits the payload of a created drop-off: the sender's (with its passport) or the operator's, checked against the schema. */
export const deposit = (actor: Actor, id: string, request: DepositRequest) =>
  Effect.gen(function*() {
    const { jti, row } = yield* refusalsAudited(
      actor,
      spec("deposit"),
      Effect.gen(function*() {
        const row = yield* find(actor, id)
        if (!Policy.actsFor(actor, row.from_agent)) {
          return yield* refuse("FORBIDDEN", `only the sender of drop-off ${row.id} deposits into it`)
        }
        return { row, jti: yield* passportOf(actor, row, request) }
      })
    )
    return yield* audited(
      actor,
      { ...spec("deposit"), agentId: () => row.from_agent, agentIdOnFailure: row.from_agent, passportJti: () => jti },
      Effect.gen(function*() {
        if (row.status !== "created") return yield* passed(row, "take a deposit")
        if (request.payload === undefined) {
          return yield* refuse("INVALID_REQUEST", "send the payload", { fields: { payload: "required" } })
        }
        // a schema stored by an older emulator that this one refuses (a lookahead, say) is CONFLICT: no deposit fits it
        yield* Schemas.conforms(row.json_schema, request.payload, { value: "payload", schema: `the schema of drop-off ${row.id}` })
        const now = yield* Clock.currentTimeMillis
        const sealed = yield* sealPayload(row.id, request.payload)
        if (!(yield* Store.deposit(row.id, sealed, jti, now))) {
          const current = yield* Store.byId(row.operator_id, row.id)
          return yield* passed(current ?? row, "take a deposit")
        }
        return Store.toDropoff({ ...row, status: "deposited", deposit_jti: jti, deposited_at: now })
      })
    )
  })

/** Collects a deposited drop-off's payload, once: a recipient (or the operator). The payload is erased. */
export const collect = (actor: Actor, id: string) =>
  Effect.gen(function*() {
    const row = yield* refusalsAudited(
      actor,
      spec("collect"),
      Effect.gen(function*() {
        const row = yield* find(actor, id)
        if (actor.agentId !== null && !Store.recipients(row).includes(actor.agentId)) {
          return yield* refuse("FORBIDDEN", `only a recipient of drop-off ${row.id} collects it`)
        }
        return row
      })
    )
    return yield* audited(
      actor,
      { ...spec("collect"), agentId: (collected) => collected.collected_by ?? null },
      Effect.gen(function*() {
        const current = (yield* Store.byId(row.operator_id, row.id)) ?? row
        if (current.status !== "deposited") return yield* passed(current, "collect")
        const payload = yield* openPayload(current)
        const now = yield* Clock.currentTimeMillis
        if (!(yield* Store.collect(row.id, actor.agentId, now))) {
          return yield* passed((yield* Store.byId(row.operator_id, row.id)) ?? current, "collect")
        }
        return new CollectedDropoff({
          id: row.id,
          status: "collected",
          payload,
          collected_by: actor.agentId,
          collected_at: DateTime.unsafeMake(now)
        }, { disableValidation: true })
      })
    )
  })

/** A drop-off's status, never its payload. */
export const get = (actor: Actor, id: string) => Effect.map(find(actor, id), Store.toDropoff)

/** Expires every drop-off of the operator whose time is up. */
const sweep = (actor: Actor) =>
  Effect.gen(function*() {
    const overdue = yield* Store.overdue(actor.operatorId, yield* Clock.currentTimeMillis)
    for (const row of overdue) yield* settle(actor, row)
  })

/** One page of the drop-offs the caller sees, newest first by `created_at`, optionally of one status. */
export const list = (actor: Actor, query: ListDropoffsQuery) =>
  Effect.gen(function*() {
    yield* sweep(actor)
    const { items, ...page } = Paging.map(yield* Store.page(actor.operatorId, actor.agentId, query), Store.toDropoff)
    return new DropoffPage({ dropoffs: items, ...page }, { disableValidation: true })
  })

/**
 * Expires a drop-off on demand: its sender (or the operator). One already
 * expired answers as it is; one collected or failed is `CONFLICT`.
 */
export const expire = (actor: Actor, id: string) =>
  Effect.gen(function*() {
    const row = yield* refusalsAudited(
      actor,
      spec("expire"),
      Effect.gen(function*() {
        const row = yield* Store.byId(actor.operatorId, id)
        if (row === undefined || !isParty(actor, row)) return yield* notFound("drop-off", id)
        if (!Policy.actsFor(actor, row.from_agent)) {
          return yield* refuse("FORBIDDEN", `only the sender of drop-off ${row.id} expires it`)
        }
        return row
      })
    )
    if (row.status === "expired") return Store.toDropoff(row)
    return yield* audited(
      actor,
      { ...spec("expire"), agentId: () => row.from_agent },
      Effect.gen(function*() {
        if (!Store.isOpen(row) || !(yield* expireNow(row, "on_demand"))) {
          const current = (yield* Store.byId(row.operator_id, row.id)) ?? row
          if (current.status === "expired") return Store.toDropoff(current)
          return yield* passed(current, "expire")
        }
        return Store.toDropoff((yield* Store.byId(row.operator_id, row.id)) ?? row)
      })
    )
  })
