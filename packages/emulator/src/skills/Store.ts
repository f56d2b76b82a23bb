/**
 * Skills, their invocations and the request board, as stored. Times are
 * epoch milliseconds; tags and other lists JSON arrays; schemas and
 * transforms JSON text; an invocation's input and output sealed by the
 * vault. Every change of an invocation's status is guarded by the status it
 * leaves, so that of racing changes exactly one happens.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import {
  type BrowseSkillsQuery,
  type ListInvocationsQuery,
  type ListPendingQuery,
  Skill,
  SkillPageSize
} from "@getstack/effect/api/Skills"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Paging from "../core/Paging.js"

/** A row of `skills`. */
export interface SkillRow {
  readonly id: string
  readonly operator_id: string
  readonly agent_id: string | null
  readonly name: string
  readonly description: string
  readonly version: string
  readonly input_schema: string
  readonly output_schema: string
  readonly trust_level_required: "L0" | "L1" | "L2"
  readonly tags: string
  readonly price_per_invocation: number
  readonly execution_mode: "sealed" | "open" | "source"
  readonly credential_mode: string
  readonly required_credentials: string
  readonly execution_steps: string
  readonly transform: string | null
  readonly status: "active" | "suspended"
  readonly invocation_count: number
  readonly created_at: number
  readonly updated_at: number
}

/** A row of `skill_invocations`. */
export interface InvocationRow {
  readonly id: string
  readonly skill_id: string
  readonly invoker_operator_id: string
  readonly skill_operator_id: string
  readonly agent_id: string
  readonly passport_jti: string | null
  readonly status: "pending" | "claimed" | "completed" | "failed"
  readonly input: Uint8Array
  readonly output: Uint8Array | null
  readonly error: string | null
  readonly claimed_by: string | null
  readonly created_at: number
  readonly claimed_at: number | null
  readonly completed_at: number | null
}

/** A row of `skill_requests`. */
export interface RequestRow {
  readonly id: string
  readonly operator_id: string
  readonly description: string
  readonly tags: string
  readonly status: string
  readonly matches: string
  readonly created_at: number
}

/** A skill's tags. */
export const tagsOf = (row: { readonly tags: string }): ReadonlyArray<string> => JSON.parse(row.tags) as Array<string>

const json = (text: string) => JSON.parse(text) as unknown

/** A skill as the contract shows it to `viewer` (an operator id): the implementation only to its publisher. */
export const toSkill = (row: SkillRow, viewer: string): Skill => {
  const owned = row.operator_id === viewer
  return new Skill({
    id: row.id,
    name: row.name,
    description: row.description,
    execution_mode: row.execution_mode,
    trust_level_required: row.trust_level_required,
    price_per_invocation: row.price_per_invocation,
    average_rating: null,
    invocation_count: row.invocation_count,
    version: row.version,
    input_schema: json(row.input_schema) as Record<string, unknown>,
    output_schema: json(row.output_schema) as Record<string, unknown>,
    tags: tagsOf(row),
    credential_mode: row.credential_mode,
    required_credentials: json(row.required_credentials) as Skill["required_credentials"],
    ...(owned
      ? { execution_steps: json(row.execution_steps) as Array<unknown>, transform: row.transform === null ? null : json(row.transform) }
      : {}),
    status: row.status,
    publisher_id: row.operator_id,
    agent_id: row.agent_id,
    owned,
    created_at: DateTime.unsafeMake(row.created_at),
    updated_at: DateTime.unsafeMake(row.updated_at)
  }, { disableValidation: true })
}

const sqlOf = SqlClient.SqlClient

/** A skill by id, of any operator and status. */
export const byId = (id: string) =>
  Effect.map(Effect.flatMap(sqlOf, (sql) => sql<SkillRow>`SELECT * FROM skills WHERE id = ${id}`), (rows) => rows[0])

/** The operator's skill of that name and version, if any. */
export const byNameVersion = (operatorId: string, name: string, version: string) =>
  Effect.map(
    Effect.flatMap(sqlOf, (sql) =>
      sql<SkillRow>`SELECT * FROM skills WHERE operator_id = ${operatorId} AND name = ${name} AND version = ${version}`),
    (rows) => rows[0]
  )

/** Stores a new skill. */
export const insert = (row: SkillRow) =>
  Effect.flatMap(sqlOf, (sql) => Effect.asVoid(sql`INSERT INTO skills ${sql.insert({ ...row })}`))

/** Writes a skill's changed fields (and `updated_at`). */
export const update = (id: string, fields: Partial<Omit<SkillRow, "id" | "operator_id">>) =>
  Effect.flatMap(sqlOf, (sql) => Effect.asVoid(sql`UPDATE skills SET ${sql.update(fields)} WHERE id = ${id}`))

/** Counts one more invocation of a skill. */
export const countInvocation = (id: string) =>
  Effect.flatMap(sqlOf, (sql) => Effect.asVoid(sql`UPDATE skills SET invocation_count = invocation_count + 1 WHERE id = ${id}`))

/** The text a search looks in: name and description, lowercased (SQLite's `lower` is ASCII-only, so both sides are). */
const searchWhere = (sql: SqlClient.SqlClient, search: string): Statement.Fragment =>
  sql`instr(lower(name || ' ' || description), ${search.toLowerCase()}) > 0`

/** The tags a browse names: a comma-separated list, or the parameter repeated; trimmed, without empties and repeats. */
export const tagsOfQuery = (tags: BrowseSkillsQuery["tags"]): ReadonlyArray<string> =>
  [...new Set((typeof tags === "string" ? [tags] : tags ?? []).flatMap((item) => item.split(",")).map((tag) => tag.trim()).filter((tag) => tag !== ""))]

/** The levels invocable at `level`: those requiring it or less. */
export const levelsUpTo = (level: "L0" | "L1" | "L2"): ReadonlyArray<string> => ["L0", "L1", "L2"].slice(0, Number(level[1]) + 1)

/**
 * One page of the marketplace: active skills of every operator, newest
 * first (index `skills_by_status`), kept by the text, every tag named and
 * the trust level.
 */
export const browse = (query: BrowseSkillsQuery) =>
  Paging.select<SkillRow>(query, SkillPageSize.default, (sql) => {
    const tags = tagsOfQuery(query.tags)
    const filters: Array<Statement.Fragment> = [sql`status = 'active'`]
    if (query.search !== undefined && query.search.trim() !== "") filters.push(searchWhere(sql, query.search.trim()))
    for (const tag of tags) filters.push(sql`EXISTS (SELECT 1 FROM json_each(skills.tags) WHERE value = ${tag})`)
    if (query.trust_level !== undefined) filters.push(sql`trust_level_required IN ${sql.in(levelsUpTo(query.trust_level))}`)
    return {
      scope: ["skills.browse", query.search?.trim().toLowerCase(), JSON.stringify(tags), query.trust_level],
      table: "skills",
      where: sql.and(filters),
      sortBy: "created_at"
    }
  }, { count: false })

/** One page of the operator's own skills, newest first, of any status or one (indexes `skills_by_operator*`). */
export const owned = (operatorId: string, query: { readonly status?: string | undefined; readonly limit?: number | undefined; readonly cursor?: string | undefined }) =>
  Paging.select<SkillRow>(query, SkillPageSize.default, (sql) => ({
    scope: ["skills.owned", operatorId, query.status],
    table: "skills",
    where: query.status === undefined
      ? sql`operator_id = ${operatorId}`
      : sql`operator_id = ${operatorId} AND status = ${query.status}`,
    sortBy: "created_at"
  }), { count: false })

/**
 * The request board's candidates: up to `max` active skills, newest first,
 * that carry one of `tags` or whose name or description holds one of
 * `words`.
 */
export const candidates = (tags: ReadonlyArray<string>, words: ReadonlyArray<string>, max: number) =>
  Effect.flatMap(sqlOf, (sql) => {
    const matching: Array<Statement.Fragment> = [
      ...(tags.length === 0 ? [] : [sql`EXISTS (SELECT 1 FROM json_each(skills.tags) WHERE value IN ${sql.in(tags)})`]),
      ...words.map((word) => searchWhere(sql, word))
    ]
    if (matching.length === 0) return Effect.succeed([] as ReadonlyArray<SkillRow>)
    return sql<SkillRow>`
      SELECT * FROM skills WHERE status = 'active' AND (${sql.or(matching)})
      ORDER BY created_at DESC, rowid DESC LIMIT ${max}`
  })

// ---------------------------------------------------------------------------
// invocations

/** An invocation by id. */
export const invocation = (id: string) =>
  Effect.map(
    Effect.flatMap(sqlOf, (sql) => sql<InvocationRow>`SELECT * FROM skill_invocations WHERE id = ${id}`),
    (rows) => rows[0]
  )

/** Stores a new invocation. */
export const insertInvocation = (row: InvocationRow) =>
  Effect.flatMap(sqlOf, (sql) => Effect.asVoid(sql`INSERT INTO skill_invocations ${sql.insert({ ...row })}`))

const changed = (rows: ReadonlyArray<unknown>) => rows.length === 1

/** Claims a pending invocation: whether this call did (of racing claimers, exactly one does). */
export const claim = (id: string, claimedBy: string | null, now: number) =>
  Effect.map(
    Effect.flatMap(sqlOf, (sql) =>
      sql<{ id: string }>`
        UPDATE skill_invocations SET status = 'claimed', claimed_by = ${claimedBy}, claimed_at = ${now}
        WHERE id = ${id} AND status = 'pending'
        RETURNING id`),
    changed
  )

/** Completes an invocation that is `from` (claimed, or pending for a sealed run) with its sealed output: whether this call did. */
export const complete = (id: string, output: Uint8Array, now: number, from: "claimed" | "pending" = "claimed") =>
  Effect.map(
    Effect.flatMap(sqlOf, (sql) =>
      sql<{ id: string }>`
        UPDATE skill_invocations SET status = 'completed', output = ${output}, completed_at = ${now}
        WHERE id = ${id} AND status = ${from}
        RETURNING id`),
    changed
  )

/** Fails an invocation that is pending or claimed: whether this call did. */
export const fail = (id: string, error: string, now: number) =>
  Effect.map(
    Effect.flatMap(sqlOf, (sql) =>
      sql<{ id: string }>`
        UPDATE skill_invocations SET status = 'failed', error = ${error}, completed_at = ${now}
        WHERE id = ${id} AND status IN ('pending', 'claimed')
        RETURNING id`),
    changed
  )

/**
 * One page of the invocations the operator made, newest first, optionally
 * of one skill and one status (indexes `skill_invocations_by_invoker*`);
 * for an agent, its own.
 */
export const invocationsOf = (operatorId: string, agentId: string | null, query: ListInvocationsQuery) =>
  Paging.select<InvocationRow>(query, SkillPageSize.default, (sql) => {
    const filters: Array<Statement.Fragment> = [sql`invoker_operator_id = ${operatorId}`]
    if (query.skill_id !== undefined) filters.push(sql`skill_id = ${query.skill_id}`)
    if (query.status !== undefined) filters.push(sql`status = ${query.status}`)
    if (agentId !== null) filters.push(sql`agent_id = ${agentId}`)
    return {
      scope: ["skills.invocations", operatorId, agentId ?? undefined, query.skill_id, query.status],
      table: "skill_invocations",
      where: sql.and(filters),
      sortBy: "created_at"
    }
  }, { count: false })

/** One page of the pending invocations of the operator's skills (of one skill when named), newest first (index `skill_invocations_by_publisher`). */
export const pendingOf = (operatorId: string, query: ListPendingQuery) =>
  Paging.select<InvocationRow>(query, SkillPageSize.default, (sql) => ({
    scope: ["skills.pending", operatorId, query.skill_id],
    table: "skill_invocations",
    where: query.skill_id === undefined
      ? sql`skill_operator_id = ${operatorId} AND status = 'pending'`
      : sql`skill_operator_id = ${operatorId} AND status = 'pending' AND skill_id = ${query.skill_id}`,
    sortBy: "created_at"
  }), { count: false })

// ---------------------------------------------------------------------------
// the request board

/** Stores a new request. */
export const insertRequest = (row: RequestRow) =>
  Effect.flatMap(sqlOf, (sql) => Effect.asVoid(sql`INSERT INTO skill_requests ${sql.insert({ ...row })}`))

/** One of the operator's requests. */
export const request = (operatorId: string, id: string) =>
  Effect.map(
    Effect.flatMap(sqlOf, (sql) => sql<RequestRow>`SELECT * FROM skill_requests WHERE id = ${id} AND operator_id = ${operatorId}`),
    (rows) => rows[0]
  )
