import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/**
 * Which page of a listing to fetch: its number (1 for the first), and the
 * previous page's `next_cursor` when it gave one.
 */
export interface PageRequest {
  readonly page: number
  readonly cursor?: string | undefined
}

/** One page of a listing: its items, and which page to fetch after it, if any. */
export interface Fetched<A> {
  readonly items: ReadonlyArray<A>
  readonly next: Option.Option<PageRequest>
}

/** The query fields that ask for a page: its cursor when there is one, else its number. */
export const queryOf = (request: PageRequest): { readonly page: number } | { readonly cursor: string } =>
  request.cursor === undefined ? { page: request.page } : { cursor: request.cursor }

/**
 * Every item of a listing, from page 1 on, fetching the next page only when
 * the stream is read that far and the previous one said another follows.
 */
export const paginate = <A, E>(fetchPage: (request: PageRequest) => Effect.Effect<Fetched<A>, E>): Stream.Stream<A, E> =>
  Stream.paginateEffect<PageRequest, ReadonlyArray<A>, E, never>(
    { page: 1 },
    (request) => Effect.map(fetchPage(request), ({ items, next }) => [items, next] as const)
  ).pipe(Stream.flatMap(Stream.fromIterable))

/**
 * One page of a listing and the page after it: none when `next_cursor` is
 * `null` or `has_more` is false; else by `next_cursor` when the answer has
 * one, by the next number otherwise. An answer that says neither goes on
 * while pages come back full.
 */
export const pageOf = <A>(
  items: ReadonlyArray<A>,
  answer: { readonly has_more?: boolean | undefined; readonly next_cursor?: string | null | undefined },
  request: PageRequest,
  limit: number
): Fetched<A> => {
  const cursor = answer.next_cursor
  const more = cursor !== null && (answer.has_more ?? (cursor !== undefined || items.length >= limit))
  return {
    items,
    next: more ? Option.some({ page: request.page + 1, cursor: cursor ?? undefined }) : Option.none()
  }
}

/** Where a page is, as a listing's query asks for it: its number, or the previous page's cursor. */
export type Position = { readonly page?: number; readonly cursor?: string }

/**
 * Every item of a listing endpoint, as a stream: `fetch` asks for the page at
 * a position (the caller adds its filters and the page size, `limit`), and
 * `items` reads the page's items. A listing that pages by cursor only
 * (`cursorOnly`) ends where a page gives no `next_cursor`.
 */
export const streamOf = <P extends { readonly has_more?: boolean | undefined; readonly next_cursor?: string | null | undefined }, A, E>(
  fetch: (position: Position) => Effect.Effect<P, E>,
  items: (page: P) => ReadonlyArray<A>,
  limit: number,
  options: { readonly cursorOnly?: boolean } = {}
): Stream.Stream<A, E> =>
  paginate((request) =>
    Effect.map(
      fetch(options.cursorOnly === true ? (request.cursor === undefined ? {} : { cursor: request.cursor }) : queryOf(request)),
      (page) =>
        pageOf(
          items(page),
          options.cursorOnly === true ? { has_more: page.has_more, next_cursor: page.next_cursor ?? null } : page,
          request,
          limit
        )
    )
  )
