/**
 * Pagination, shared by every list. A list is read newest first by one sort
 * column (an integer or text that is never null), ties broken by rowid
 * (insertion order). A page is asked for by number (`page`, read with
 * `OFFSET`) or by the previous page's `next_cursor` (`cursor`, read by
 * keyset: its cost does not grow with the pages before it). Each page says
 * whether more follow and gives the cursor of the next; `total` is counted
 * only for a page asked by number.
 *
 * Each list needs an index on its filter's columns then its sort column, e.g.
 * `(operator_id, created_at)`: SQLite ends every index entry with the rowid,
 * so the index serves the order, the tie-break and the seek.
 *
 * A cursor is opaque to clients: it names the list, its operator and filter
 * (as a digest) and the sort key and rowid of the row it follows. A cursor
 * that is not one, or one given for another list, operator or filter, is
 * refused `INVALID_REQUEST` naming `cursor`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { refuse, type StackFailure } from "./Failure.js"

/** What a list query asks for; left out, the first page of the default size. */
export interface Query {
  readonly page?: number | undefined
  readonly limit?: number | undefined
  /** A previous page's `next_cursor`: the page after it. */
  readonly cursor?: string | undefined
}

/** One page of items, as every list answers it. */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly page: number
  readonly limit: number
  /** Counted only for a page asked by number (not by cursor). */
  readonly total?: number
  readonly has_more: boolean
  /** The cursor of the next page; null on the last. */
  readonly next_cursor: string | null
}

/** Where a page is read from. */
export interface Source {
  /**
   * What a cursor is good for: the list's name, then every value its rows
   * are filtered by, e.g. `["missions", operatorId, status]`.
   */
  readonly scope: ReadonlyArray<string | undefined>
  readonly table: string
  /** The filter, e.g. sql`operator_id = ${id}`. */
  readonly where: Statement.Fragment
  /** The column the list is sorted by, newest (largest) first; never null. */
  readonly sortBy: string
}

type Key = number | string

const ROWID = "_paging_rowid"

const CursorJson = Schema.parseJson(Schema.Tuple(
  Schema.Literal(1),
  Schema.String,
  Schema.Union(Schema.Number, Schema.String),
  Schema.Int,
  Schema.Int.pipe(Schema.greaterThanOrEqualTo(2))
))
const decodeCursorJson = Schema.decodeUnknownOption(CursorJson)

/** Where a cursor points: after the row of this sort key and rowid, on this page. */
interface After {
  readonly key: Key
  readonly rowid: number
  readonly page: number
}

const digestOf = (scope: ReadonlyArray<string | undefined>): string =>
  createHash("sha256").update(JSON.stringify(scope)).digest("base64url").slice(0, 22)

const encode = (digest: string, after: After): string =>
  Buffer.from(JSON.stringify([1, digest, after.key, after.rowid, after.page])).toString("base64url")

const badField = (field: "cursor" | "page", reason: string) =>
  refuse("INVALID_REQUEST", `invalid request: ${field}`, { fields: { [field]: reason } })

const decode = (cursor: string, digest: string): Effect.Effect<After, StackFailure> => {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor)
    ? decodeCursorJson(Buffer.from(cursor, "base64url").toString("utf8"))
    : Option.none()
  if (Option.isNone(decoded)) return badField("cursor", "is not a cursor this server gave")
  const [, scope, key, rowid, page] = decoded.value
  if (scope !== digest) return badField("cursor", "was given for another list, operator or filter")
  return Effect.succeed({ key, rowid, page })
}

/**
 * One page of the rows of `source`, `defaultLimit` of them unless the query
 * says how many: by keyset after `query.cursor`, else by `query.page`.
 */
export const select = <Row extends object>(
  query: Query,
  defaultLimit: number,
  source: (sql: SqlClient.SqlClient) => Source,
  options: {
    /** Whether a page asked by number counts `total` (a list whose answer has no total need not). */
    readonly count?: boolean | undefined
  } = {}
): Effect.Effect<Page<Row>, SqlError.SqlError | StackFailure, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { scope, sortBy, table, where } = source(sql)
    const digest = digestOf(scope)
    if (query.cursor !== undefined && query.page !== undefined) {
      return yield* badField("page", "must not be given with cursor")
    }
    const after = query.cursor === undefined ? undefined : yield* decode(query.cursor, digest)
    const page = after?.page ?? query.page ?? 1
    const limit = query.limit ?? defaultLimit
    const sort = sql(sortBy)
    const filter = after === undefined ? where : sql.and([where, sql`(${sort}, rowid) < (${after.key}, ${after.rowid})`])
    const offset = after === undefined ? (page - 1) * limit : 0
    const rows = yield* sql<Row & { readonly [ROWID]: number }>`
      SELECT *, rowid AS ${sql(ROWID)} FROM ${sql(table)} WHERE ${filter}
      ORDER BY ${sort} DESC, rowid DESC LIMIT ${limit + 1} OFFSET ${offset}`
    const has_more = rows.length > limit
    const last = has_more ? rows[limit - 1] : undefined
    const next_cursor = last === undefined
      ? null
      : encode(digest, { key: (last as Record<string, unknown>)[sortBy] as Key, rowid: last[ROWID], page: page + 1 })
    const items = rows.slice(0, limit).map(({ [ROWID]: _, ...row }) => row as unknown as Row)
    if (after !== undefined || options.count === false) return { items, page, limit, has_more, next_cursor }
    const [count] = yield* sql<{ total: number }>`SELECT COUNT(*) AS total FROM ${sql(table)} WHERE ${where}`
    return { items, page, limit, total: count?.total ?? 0, has_more, next_cursor }
  })

/** A page with each item mapped. */
export const map = <A, B>(page: Page<A>, f: (a: A) => B): Page<B> => ({ ...page, items: page.items.map(f) })
