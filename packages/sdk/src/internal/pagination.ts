import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/**
 * Every item of a page/limit listing (1-indexed pages), fetching the next page
 * only when the stream is read that far and the previous one said `has_more`.
 */
export const paginate = <A, E>(
  fetchPage: (page: number) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly hasMore: boolean }, E>
): Stream.Stream<A, E> =>
  Stream.paginateEffect(1, (page) =>
    Effect.map(fetchPage(page), ({ hasMore, items }) => [items, hasMore ? Option.some(page + 1) : Option.none<number>()] as const)
  ).pipe(Stream.flatMap(Stream.fromIterable))

/**
 * One page of a listing: its items, and whether another follows (`has_more`
 * when the answer says so, else whether the page came back full).
 */
export const pageOf = <A>(
  items: ReadonlyArray<A>,
  answer: { readonly has_more?: boolean | undefined },
  limit: number
): { readonly items: ReadonlyArray<A>; readonly hasMore: boolean } => ({
  items,
  hasMore: answer.has_more ?? items.length >= limit
})
