/**
 * Skills: a marketplace of skills operators publish and every operator's
 * agents invoke; their invocations; and the request board.
 *
 * Who may do what: the publisher (the operator, or the publishing agent for
 * a skill that names one) updates, suspends and activates its skills; every
 * operator browses and gets active skills (a suspended one is the
 * publisher's to see: `SKILL_NOT_FOUND` to others). An invoker names one of
 * its operator's agents (an agent caller: itself, with a passport of its
 * own); its trust level is read from the identity claims the presented
 * passport binds, each checked live (revoked and expired claims do not
 * count): L1 needs an active `verified_human` or `verified_identity`, L2 an
 * active `verified_identity`. `passport_claims` never raises it.
 *
 * A sealed skill runs at once (`Execution`): its answer is the completed or
 * failed invocation. An open (or source) skill's invocation waits `pending`
 * for the publisher (the operator or any of its agents) to claim it, then
 * complete it with an output its `output_schema` accepts, or fail it. Each
 * step is one guarded update: of racing claimers exactly one wins. Inputs
 * and outputs are sealed by the vault, bound to their invocation.
 */
import {
  Compositions,
  type BrowseSkillsQuery,
  Invocation,
  InvocationPage,
  type InvokeSkillRequest,
  type ListInvocationsQuery,
  type ListOwnedQuery,
  type ListPendingQuery,
  type PublishSkillRequest,
  SkillPage,
  SkillRequest,
  type UpdateSkillRequest
} from "@getstack/effect/api/Skills"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AgentsStore from "../agents/Store.js"
import { type Actor, audited, refusalsAudited } from "../core/Audit.js"
import { excerpt, notFound, refuse } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as Schemas from "../core/JsonSchema.js"
import * as Paging from "../core/Paging.js"
import * as Policy from "../core/Policy.js"
import * as Vault from "../core/Vault.js"
import * as IdentityStore from "../identity/Store.js"
import * as Passports from "../passports/Passports.js"
import * as Composition from "./Composition.js"
import * as Execution from "./Execution.js"
import * as Store from "./Store.js"

type Action = "publish" | "update" | "suspend" | "activate" | "invoke" | "claim" | "complete" | "fail" | "request"

const spec = (action: Action) => ({ action: `skill.${action}`, layer: "skills" as const })

// ---------------------------------------------------------------------------
// sealing inputs and outputs

const binding = (id: string, part: "input" | "output") => `skill_invocations:${id}:${part}`

const seal = (id: string, part: "input" | "output", value: unknown) =>
  Effect.map(Vault.VaultKey, (key) => Vault.seal(key, JSON.stringify(value), binding(id, part)))

const unseal = (id: string, part: "input" | "output", sealed: Uint8Array | null) =>
  Effect.flatMap(Vault.VaultKey, (key) => {
    if (sealed === null) return Effect.succeed(null as unknown)
    const text = Vault.open(key, sealed, binding(id, part))
    return text === undefined
      ? Effect.dieMessage(`the vault cannot open the ${part} of invocation ${id}`)
      : Effect.succeed(JSON.parse(text) as unknown)
  })

const time = (millis: number | null) => millis === null ? null : DateTime.unsafeMake(millis)

/** An invocation as the contract shows it, its input and output opened. */
const toInvocation = (row: Store.InvocationRow) =>
  Effect.gen(function*() {
    return new Invocation({
      id: row.id,
      skill_id: row.skill_id,
      status: row.status,
      agent_id: row.agent_id,
      input: yield* unseal(row.id, "input", row.input),
      output: yield* unseal(row.id, "output", row.output),
      error: row.error,
      claimed_by: row.claimed_by,
      created_at: DateTime.unsafeMake(row.created_at),
      claimed_at: time(row.claimed_at),
      completed_at: time(row.completed_at)
    }, { disableValidation: true })
  })

// ---------------------------------------------------------------------------
// checks

/** A schema the skill is published with, compiled; or `INVALID_REQUEST` naming which. */
const compiled = (field: "input_schema" | "output_schema", schema: unknown) => {
  const result = Schemas.compile(JSON.stringify(schema))
  return result.ok
    ? Effect.succeed(result.validate)
    : refuse("INVALID_REQUEST", `${field} is not a JSON Schema Ajv compiles: ${result.message}`, {
      fields: { [field]: `does not compile: ${result.message}` }
    })
}

/** `SCHEMA_VALIDATION_FAILED` for a value that breaks a skill's schema (`what`: "input" or "output"). */
const checked = (schemaText: string, value: unknown, what: "input" | "output", skillId: string) =>
  Schemas.conforms(schemaText, value, { value: what, schema: `the ${what}_schema of skill ${skillId}` })

/** The violations of a value against a schema, as one line (for a failed sealed run). */
const violationsOf = (schemaText: string, value: unknown): string | undefined => {
  const schema = Schemas.compile(schemaText)
  if (!schema.ok) return "the output_schema no longer compiles"
  const { errors, total } = Schemas.check(schema.validate, value)
  if (total === 0) return undefined
  return `the output does not match the output_schema: ${errors.slice(0, 5).map((e) => `${e.path || "output"} ${e.message}`).join("; ")}${
    total > 5 ? ` (and ${total - 5} more)` : ""
  }`
}

const skillNotFound = (id: string) => refuse("SKILL_NOT_FOUND", `skill ${excerpt(id)} not found`)
const invocationNotFound = (id: string) => refuse("INVOCATION_NOT_FOUND", `invocation ${excerpt(id)} not found`)

/** Whether the caller publishes the skill: its operator, and for an agent caller, the agent that published it. */
const publishes = (actor: Actor, row: Store.SkillRow): boolean =>
  row.operator_id === actor.operatorId && Policy.actsFor(actor, row.agent_id)

/** A skill the caller may see: any active one, its operator's suspended ones; else `SKILL_NOT_FOUND`. */
const visible = (actor: Actor, id: string) =>
  Effect.flatMap(Store.byId(id), (row) =>
    row === undefined || (row.status !== "active" && row.operator_id !== actor.operatorId) ? skillNotFound(id) : Effect.succeed(row))

/** A skill the caller publishes; another's it can see is `FORBIDDEN`. */
const ownSkill = (actor: Actor, id: string, what: string) =>
  Effect.flatMap(visible(actor, id), (row) =>
    publishes(actor, row) ? Effect.succeed(row) : refuse("FORBIDDEN", `only the publisher of skill ${row.id} may ${what} it`))

/** A transform is for sealed skills only. */
const transformFor = (mode: string, transform: unknown) =>
  transform === undefined || transform === null
    ? Effect.succeed(null)
    : mode !== "sealed"
    ? refuse("INVALID_REQUEST", "a transform is for sealed skills only", { fields: { transform: "only with execution_mode sealed" } })
    : Effect.succeed(JSON.stringify(transform))

const json = (value: unknown) => JSON.stringify(value)

// ---------------------------------------------------------------------------
// the skills

/** Publishes a skill: its schemas compiled, its name and version new for the operator. */
export const publish = (actor: Actor, request: PublishSkillRequest) =>
  audited(
    actor,
    { ...spec("publish"), agentId: (skill) => skill.agent_id ?? null, agentIdOnFailure: request.agent_id },
    Effect.gen(function*() {
      const agentId = request.agent_id ?? actor.agentId
      if (agentId !== null) {
        yield* Policy.requireSelf(actor, agentId, "publish skills")
        if ((yield* AgentsStore.ofOperator(actor.operatorId, agentId)) === undefined) return yield* notFound("agent", agentId)
      }
      yield* compiled("input_schema", request.input_schema)
      yield* compiled("output_schema", request.output_schema)
      const transform = yield* transformFor(request.execution_mode, request.transform)
      if ((yield* Store.byNameVersion(actor.operatorId, request.name, request.version)) !== undefined) {
        return yield* refuse("CONFLICT", `skill ${request.name} ${request.version} is already published: publish another version`)
      }
      const now = yield* Clock.currentTimeMillis
      const row: Store.SkillRow = {
        id: newId("skl"),
        operator_id: actor.operatorId,
        agent_id: agentId,
        name: request.name,
        description: request.description,
        version: request.version,
        input_schema: json(request.input_schema),
        output_schema: json(request.output_schema),
        trust_level_required: request.trust_level_required ?? "L0",
        tags: json([...new Set(request.tags ?? [])]),
        price_per_invocation: request.price_per_invocation ?? 0,
        execution_mode: request.execution_mode,
        credential_mode: request.credential_mode ?? "none",
        required_credentials: json(request.required_credentials ?? []),
        execution_steps: json(request.execution_steps ?? []),
        transform,
        status: "active",
        invocation_count: 0,
        created_at: now,
        updated_at: now
      }
      yield* Store.insert(row)
      return Store.toSkill(row, actor.operatorId)
    })
  )

/** One page of the marketplace: the active skills of every operator. */
export const browse = (actor: Actor, query: BrowseSkillsQuery) =>
  Effect.map(Store.browse(query), (page) => {
    const { items, ...rest } = Paging.map(page, (row) => Store.toSkill(row, actor.operatorId))
    return new SkillPage({ skills: items, ...rest }, { disableValidation: true })
  })

/** One page of the operator's own skills, of any status. */
export const listOwned = (actor: Actor, query: ListOwnedQuery) =>
  Effect.map(Store.owned(actor.operatorId, query), (page) => {
    const { items, ...rest } = Paging.map(page, (row) => Store.toSkill(row, actor.operatorId))
    return new SkillPage({ skills: items, ...rest }, { disableValidation: true })
  })

/** A skill: any active one; a suspended one to its operator only. */
export const get = (actor: Actor, id: string) => Effect.map(visible(actor, id), (row) => Store.toSkill(row, actor.operatorId))

/** Changes a skill's description, version, schemas (compiled again), tags, price, trust level or transform. */
export const update = (actor: Actor, id: string, request: UpdateSkillRequest) =>
  audited(
    actor,
    { ...spec("update"), agentId: (skill) => skill.agent_id ?? null },
    Effect.gen(function*() {
      const row = yield* ownSkill(actor, id, "update")
      if (request.input_schema !== undefined) yield* compiled("input_schema", request.input_schema)
      if (request.output_schema !== undefined) yield* compiled("output_schema", request.output_schema)
      const transform = request.transform === undefined ? undefined : yield* transformFor(row.execution_mode, request.transform)
      if (request.version !== undefined && request.version !== row.version) {
        if ((yield* Store.byNameVersion(row.operator_id, row.name, request.version)) !== undefined) {
          return yield* refuse("CONFLICT", `skill ${row.name} ${request.version} is already published`)
        }
      }
      const now = yield* Clock.currentTimeMillis
      const fields: Partial<Store.SkillRow> = {
        ...(request.description === undefined ? {} : { description: request.description }),
        ...(request.version === undefined ? {} : { version: request.version }),
        ...(request.input_schema === undefined ? {} : { input_schema: json(request.input_schema) }),
        ...(request.output_schema === undefined ? {} : { output_schema: json(request.output_schema) }),
        ...(request.tags === undefined ? {} : { tags: json([...new Set(request.tags)]) }),
        ...(request.price_per_invocation === undefined ? {} : { price_per_invocation: request.price_per_invocation }),
        ...(request.trust_level_required === undefined ? {} : { trust_level_required: request.trust_level_required }),
        ...(transform === undefined ? {} : { transform }),
        updated_at: now
      }
      yield* Store.update(row.id, fields)
      return Store.toSkill({ ...row, ...fields }, actor.operatorId)
    })
  )

/** Suspends or activates a skill (its publisher); a skill already so answers as it is. */
const setStatus = (actor: Actor, id: string, status: "active" | "suspended") =>
  Effect.gen(function*() {
    const verb = status === "active" ? "activate" : "suspend"
    const row = yield* refusalsAudited(actor, spec(verb), ownSkill(actor, id, verb))
    if (row.status === status) return Store.toSkill(row, actor.operatorId)
    return yield* audited(
      actor,
      { ...spec(verb), agentId: () => row.agent_id },
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* Store.update(row.id, { status, updated_at: now })
        return Store.toSkill({ ...row, status, updated_at: now }, actor.operatorId)
      })
    )
  })

/** Suspends a skill: no longer browsable, its invocations refused (`SKILL_SUSPENDED`). */
export const suspend = (actor: Actor, id: string) => setStatus(actor, id, "suspended")

/** Activates a suspended skill again. */
export const activate = (actor: Actor, id: string) => setStatus(actor, id, "active")

// ---------------------------------------------------------------------------
// trust

const RANK = { L0: 0, L1: 1, L2: 2 } as const

/**
 * The trust level the identity claims a passport binds give, each read now:
 * a claim revoked or expired since the passport was issued counts for nothing.
 */
export const trustOf = (operatorId: string, claims: ReadonlyArray<{ readonly claim_id: string }>) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    let level: keyof typeof RANK = "L0"
    for (const bound of claims) {
      const row = yield* IdentityStore.claim(operatorId, bound.claim_id)
      if (row === undefined || IdentityStore.claimStatusOf(row, now) !== "active") continue
      if (row.claim_type === "verified_identity") level = "L2"
      else if (row.claim_type === "verified_human" && level === "L0") level = "L1"
    }
    return level
  })

/** The passport an invocation presents, checked (the invoking agent's), and the trust level its claims give. */
const invokerOf = (actor: Actor, skill: Store.SkillRow, request: InvokeSkillRequest) =>
  Effect.gen(function*() {
    yield* Policy.requireSelf(actor, request.agent_id, "invoke skills")
    if ((yield* AgentsStore.ofOperator(actor.operatorId, request.agent_id)) === undefined) {
      return yield* notFound("agent", request.agent_id)
    }
    if (request.passport_token === undefined) {
      if (Policy.isAgent(actor)) {
        return yield* refuse("INVALID_REQUEST", "an agent invokes with a passport of its own: send passport_token", {
          fields: { passport_token: "required of an agent" }
        })
      }
      return { jti: null, level: "L0" as const }
    }
    const { claims, row } = yield* Passports.presentedForUse(
      actor,
      Redacted.value(request.passport_token),
      `for an invocation of skill ${skill.id}`
    )
    if (row.agent_id !== request.agent_id) {
      return yield* refuse("FORBIDDEN", `passport ${row.jti} is not the invoking agent's (${request.agent_id})`)
    }
    return { jti: row.jti, level: yield* trustOf(actor.operatorId, claims.stk.identity_claims) }
  })

// ---------------------------------------------------------------------------
// invocations

/** Records the end of a sealed run: completed with its output, or failed (in the invoker's chain). */
const settleSealed = (actor: Actor, invocation: Store.InvocationRow, outcome: Execution.Outcome, outputSchema: string) =>
  Effect.gen(function*() {
    const verdict: Execution.Outcome = outcome.ok
      ? (() => {
        const violations = violationsOf(outputSchema, outcome.output)
        return violations === undefined ? outcome : { ok: false, error: excerpt(violations, 1000) }
      })()
      : outcome
    return yield* audited(
      actor,
      { ...spec(verdict.ok ? "complete" : "fail"), agentId: () => invocation.agent_id },
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (verdict.ok) {
          const sealed = yield* seal(invocation.id, "output", verdict.output)
          yield* Store.complete(invocation.id, sealed, now, "pending")
        } else {
          yield* Store.fail(invocation.id, verdict.error, now)
        }
        return yield* toInvocation((yield* Store.invocation(invocation.id)) ?? invocation)
      })
    )
  })

/**
 * Invokes a skill as one of the operator's agents: the skill active, the
 * invoker's trust level enough, the input valid. A sealed skill runs at once
 * (the answer is the finished invocation); any other waits `pending`.
 */
export const invoke = (actor: Actor, id: string, request: InvokeSkillRequest) =>
  Effect.gen(function*() {
    const { invoker, skill } = yield* refusalsAudited(
      actor,
      { ...spec("invoke"), agentIdOnFailure: request.agent_id },
      Effect.gen(function*() {
        const skill = yield* Store.byId(id)
        if (skill === undefined) return yield* skillNotFound(id)
        if (skill.status !== "active") return yield* refuse("SKILL_SUSPENDED", `skill ${skill.id} is suspended`)
        const invoker = yield* invokerOf(actor, skill, request)
        if (RANK[invoker.level] < RANK[skill.trust_level_required]) {
          return yield* refuse(
            "TRUST_LEVEL_INSUFFICIENT",
            `skill ${skill.id} requires ${skill.trust_level_required}; the invoker's passport gives ${invoker.level}`,
            { required: skill.trust_level_required, actual: invoker.level }
          )
        }
        if (request.input === undefined) {
          return yield* refuse("INVALID_REQUEST", "send the input", { fields: { input: "required" } })
        }
        yield* checked(skill.input_schema, request.input, "input", skill.id)
        return { invoker, skill }
      })
    )
    const created = yield* audited(
      actor,
      { ...spec("invoke"), agentId: (row) => row.agent_id, passportJti: () => invoker.jti },
      Effect.gen(function*() {
        const invocationId = newId("sinv")
        const row: Store.InvocationRow = {
          id: invocationId,
          skill_id: skill.id,
          invoker_operator_id: actor.operatorId,
          skill_operator_id: skill.operator_id,
          agent_id: request.agent_id,
          passport_jti: invoker.jti,
          status: "pending",
          input: yield* seal(invocationId, "input", request.input),
          output: null,
          error: null,
          claimed_by: null,
          created_at: yield* Clock.currentTimeMillis,
          claimed_at: null,
          completed_at: null
        }
        yield* Store.insertInvocation(row)
        yield* Store.countInvocation(skill.id)
        return row
      })
    )
    if (skill.execution_mode !== "sealed") return yield* toInvocation(created)
    const outcome = yield* Execution.run(skill, request.input)
    return yield* settleSealed(actor, created, outcome, skill.output_schema)
  })

/** An invocation the caller may see: its operator's (an agent's own), or one of its operator's skills'; else `INVOCATION_NOT_FOUND`. */
const visibleInvocation = (actor: Actor, id: string) =>
  Effect.flatMap(Store.invocation(id), (row) =>
    row !== undefined &&
      ((row.invoker_operator_id === actor.operatorId && Policy.actsFor(actor, row.agent_id)) ||
        row.skill_operator_id === actor.operatorId)
      ? Effect.succeed(row)
      : invocationNotFound(id))

/** An invocation of one of the caller's open skills: the provider's to work on. */
const providedInvocation = (actor: Actor, id: string, what: string) =>
  Effect.gen(function*() {
    const row = yield* visibleInvocation(actor, id)
    if (row.skill_operator_id !== actor.operatorId) {
      return yield* refuse("FORBIDDEN", `only the publisher of skill ${row.skill_id} may ${what} its invocations`)
    }
    const skill = yield* Store.byId(row.skill_id)
    if (skill === undefined) return yield* Effect.dieMessage(`invocation ${row.id} has no skill`)
    if (skill.execution_mode === "sealed") {
      return yield* refuse("INVOCATION_INVALID_STATE", `invocation ${row.id} is of a sealed skill: STACK runs it`, { status: row.status })
    }
    return { row, skill }
  })

const invalidState = (row: Store.InvocationRow, step: string) =>
  refuse("INVOCATION_INVALID_STATE", `invocation ${row.id} is ${row.status}: it cannot ${step}`, { status: row.status })

/** Claims a pending invocation of one of the caller's skills: of racing claimers, exactly one wins. */
export const claim = (actor: Actor, id: string) =>
  Effect.gen(function*() {
    const { row } = yield* refusalsAudited(actor, spec("claim"), providedInvocation(actor, id, "claim"))
    return yield* audited(
      actor,
      { ...spec("claim"), agentId: () => actor.agentId },
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (!(yield* Store.claim(row.id, actor.agentId, now))) {
          const current = (yield* Store.invocation(row.id)) ?? row
          return yield* refuse("INVOCATION_NOT_PENDING", `invocation ${row.id} is ${current.status}: only a pending one is claimed`, {
            status: current.status
          })
        }
        return yield* toInvocation((yield* Store.invocation(row.id)) ?? row)
      })
    )
  })

/** Completes a claimed invocation with an output its skill's `output_schema` accepts (else it stays claimed). */
export const complete = (actor: Actor, id: string, output: unknown) =>
  Effect.gen(function*() {
    const { row, skill } = yield* refusalsAudited(actor, spec("complete"), providedInvocation(actor, id, "complete"))
    return yield* audited(
      actor,
      { ...spec("complete"), agentId: () => actor.agentId ?? row.claimed_by },
      Effect.gen(function*() {
        if (row.status !== "claimed") return yield* invalidState(row, "be completed (claim it first)")
        if (!Policy.actsFor(actor, row.claimed_by)) {
          return yield* refuse("FORBIDDEN", `invocation ${row.id} was claimed by another agent`)
        }
        if (output === undefined) return yield* refuse("INVALID_REQUEST", "send the output", { fields: { output: "required" } })
        yield* checked(skill.output_schema, output, "output", skill.id)
        const now = yield* Clock.currentTimeMillis
        if (!(yield* Store.complete(row.id, yield* seal(row.id, "output", output), now))) {
          return yield* invalidState((yield* Store.invocation(row.id)) ?? row, "be completed")
        }
        return yield* toInvocation((yield* Store.invocation(row.id)) ?? row)
      })
    )
  })

/** Fails a pending or claimed invocation of one of the caller's skills, saying why. */
export const fail = (actor: Actor, id: string, error: string) =>
  Effect.gen(function*() {
    const { row } = yield* refusalsAudited(actor, spec("fail"), providedInvocation(actor, id, "fail"))
    return yield* audited(
      actor,
      { ...spec("fail"), agentId: () => actor.agentId ?? row.claimed_by },
      Effect.gen(function*() {
        if (row.status === "claimed" && !Policy.actsFor(actor, row.claimed_by)) {
          return yield* refuse("FORBIDDEN", `invocation ${row.id} was claimed by another agent`)
        }
        const now = yield* Clock.currentTimeMillis
        if (!(yield* Store.fail(row.id, error, now))) {
          return yield* invalidState((yield* Store.invocation(row.id)) ?? row, "fail")
        }
        return yield* toInvocation((yield* Store.invocation(row.id)) ?? row)
      })
    )
  })

/** An invocation: the invoker's operator's (an agent's own) or the publisher's. */
export const getInvocation = (actor: Actor, id: string) => Effect.flatMap(visibleInvocation(actor, id), toInvocation)

const invocationPage = (page: Paging.Page<Store.InvocationRow>) =>
  Effect.map(Effect.forEach(page.items, toInvocation), (invocations) => {
    const { items: _, ...rest } = page
    return new InvocationPage({ invocations, ...rest }, { disableValidation: true })
  })

/** One page of the invocations the caller made, newest first. */
export const listInvocations = (actor: Actor, query: ListInvocationsQuery) =>
  Effect.flatMap(Store.invocationsOf(actor.operatorId, actor.agentId, query), invocationPage)

/** One page of the pending invocations of the caller's skills, newest first. */
export const listPending = (actor: Actor, query: ListPendingQuery) =>
  Effect.flatMap(Store.pendingOf(actor.operatorId, query), invocationPage)

// ---------------------------------------------------------------------------
// the request board

const toRequest = (row: Store.RequestRow) =>
  new SkillRequest({
    id: row.id,
    description: row.description,
    tags: Store.tagsOf(row),
    status: row.status,
    matches: JSON.parse(row.matches) as Array<string>,
    created_at: DateTime.unsafeMake(row.created_at)
  }, { disableValidation: true })

/** Posts a need to the board: matched at once to the active skills that share a tag or a word of it. */
export const postRequest = (actor: Actor, request: { readonly description: string; readonly tags?: ReadonlyArray<string> | undefined }) =>
  audited(
    actor,
    { ...spec("request"), agentId: () => null },
    Effect.gen(function*() {
      const tags = [...new Set(request.tags ?? [])]
      const candidates = yield* Store.candidates(tags, Composition.wordsOf(request.description), Composition.MAX_MATCHES)
      const row: Store.RequestRow = {
        id: newId("sreq"),
        operator_id: actor.operatorId,
        description: request.description,
        tags: json(tags),
        status: "open",
        matches: json(candidates.map((skill) => skill.id)),
        created_at: yield* Clock.currentTimeMillis
      }
      yield* Store.insertRequest(row)
      return toRequest(row)
    })
  )

/** Chains of one to three active skills that compose and cover the request's tags, best first. */
export const suggestComposition = (actor: Actor, id: string) =>
  Effect.gen(function*() {
    const row = yield* Store.request(actor.operatorId, id)
    if (row === undefined) return yield* notFound("skill request", id)
    const tags = Store.tagsOf(row)
    const candidates = yield* Store.candidates(tags, Composition.wordsOf(row.description), Composition.MAX_CANDIDATES)
    return new Compositions({ request_id: row.id, compositions: Composition.suggest(tags, candidates) }, { disableValidation: true })
  })
