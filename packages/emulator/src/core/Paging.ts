/**
 * Page/limit pagination, shared by every list: the 1-based page and page size
 * a query asks for, the rows of that page and the total they are taken from.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Effect from "effect/Effect"

/** What a list query asks for; left out, the first page of the default size. */
export interface Query {
  readonly page?: number | undefined
  readonly limit?: number | undefined
}

/** One page of items, as every list answers it. */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly page: number
  readonly limit: number
  readonly total: number
  readonly has_more: boolean
}

/** Where a page is read from: `SELECT * FROM <from> ORDER BY <orderBy>`. */
export interface Source {
  /** The table and its filter, e.g. sql`agents WHERE operator_id = ${id}`. */
  readonly from: Statement.Fragment
  readonly orderBy: Statement.Fragment
}

/**
 * One page of the rows of `source`, `defaultLimit` of them unless the query
 * says how many, with the total the page is taken from.
 */
export const select = <Row extends object>(
  query: Query,
  defaultLimit: number,
  source: (sql: SqlClient.SqlClient) => Source
): Effect.Effect<Page<Row>, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { from, orderBy } = source(sql)
    const page = query.page ?? 1
    const limit = query.limit ?? defaultLimit
    const items = yield* sql<Row>`SELECT * FROM ${from} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${(page - 1) * limit}`
    const [count] = yield* sql<{ total: number }>`SELECT COUNT(*) AS total FROM ${from}`
    const total = count?.total ?? 0
    return { items, page, limit, total, has_more: page * limit < total }
  })

/** A page with each item mapped. */
export const map = <A, B>(page: Page<A>, f: (a: A) => B): Page<B> => ({ ...page, items: page.items.map(f) })
