/**
 * The audit service: STACK's tamper-evident chain of what every agent did.
 *
 * Every endpoint of `AuditEndpoints` is a method of the same name (`list`,
 * `chainHead`, `verifyChain`, `export`); `listAll` streams a listing page by
 * page, `tail` streams new entries as they are written, and `exportAll`
 * streams a whole export. To verify a chain without trusting the server,
 * feed `exportAll` to `AuditChain.verify`.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Api from "./api/Audit.js"
import { streamOf } from "./internal/pagination.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"
import { ResponseDecodeError } from "./StackError.js"

type E = typeof Api.AuditEndpoints

/**
 * What `listAll` and `tail` narrow the chain to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Filter {
  readonly agent_id?: string | undefined
  readonly passport_jti?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TailOptions extends Filter {
  /**
   * Epoch ms: entries from this time on. Left out: the entries written after
   * the tail starts (after the chain head's timestamp, by STACK's clock).
   */
  readonly since?: number | undefined
  /** How long to wait between polls. Left out: 2 seconds, as STACK's CLI polls. */
  readonly interval?: Duration.DurationInput | undefined
  /** Entries asked for per request (1 to 100). Left out: 100. */
  readonly pageSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExportOptions {
  /** From this time on (included). */
  readonly from?: DateTime.Utc | undefined
  /** Up to this time (included). */
  readonly to?: DateTime.Utc | undefined
  /** Entries per request (1 to 50,000). Left out: 2,000. */
  readonly pageSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /** Every entry matching, newest first, page by page as the stream is read. */
  readonly listAll: (
    options?: Filter & { readonly since?: number | undefined; readonly pageSize?: number | undefined }
  ) => Stream.Stream<Api.AuditEntry, ErrorsOf<E["list"]>>
  /**
   * The entries written from `since` on (left out: those written after the
   * tail starts), oldest
   * first, polling every `interval` with the `since` watermark, for as long
   * as the stream is read. No entry is emitted twice and none is skipped,
   * even when several share a timestamp or more arrive between two polls
   * than a page holds.
   */
  readonly tail: (options?: TailOptions) => Stream.Stream<Api.AuditEntry, ErrorsOf<E["list"] | E["chainHead"]>>
  /** Every entry from `from` to `to`, oldest first, exported in JSON page by page as the stream is read. */
  readonly exportAll: (options?: ExportOptions) => Stream.Stream<Api.AuditEntry, ErrorsOf<E["export"]>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Audit extends Context.Tag("@getstack/effect/Audit")<Audit, Service>() {}

/** Where a tail is: the latest timestamp emitted, and the entries emitted at that timestamp. */
interface Watermark {
  readonly timestamp: number
  readonly seen: ReadonlySet<string>
}

/**
 * The entries after a watermark, oldest first, and the watermark after them.
 * The query asks from one millisecond before the watermark, so entries at the
 * watermark come back whether STACK's `since` includes its bound or not; the
 * ones already emitted are left out by id.
 */
const after = (
  entries: ReadonlyArray<Api.AuditEntry>,
  mark: Watermark
): readonly [ReadonlyArray<Api.AuditEntry>, Watermark] => {
  const fresh = entries
    .filter((entry) => entry.timestamp > mark.timestamp || (entry.timestamp === mark.timestamp && !mark.seen.has(entry.entry_id)))
    .reverse()
    .sort((a, b) => a.timestamp - b.timestamp)
  if (fresh.length === 0) return [fresh, mark]
  const latest = fresh[fresh.length - 1]!.timestamp
  const atLatest = fresh.filter((entry) => entry.timestamp === latest).map((entry) => entry.entry_id)
  return [fresh, { timestamp: latest, seen: new Set(latest === mark.timestamp ? [...mark.seen, ...atLatest] : atLatest) }]
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.gen(function*() {
  const client = yield* StackClient
  const calls = methods(client, Api.AuditEndpoints)

  const listAll: Service["listAll"] = (options = {}) => {
    const limit = options.pageSize ?? Api.AuditPageSize.max
    const { pageSize: _, ...filter } = options
    return streamOf((at) => calls.list({ ...filter, limit, ...at }), (page) => page.entries, limit, { cursorOnly: true })
  }

  const tail: Service["tail"] = (options = {}) => {
    const interval = Duration.decode(options.interval ?? "2 seconds")
    const poll = (mark: Watermark) =>
      Effect.map(
        Stream.runCollect(
          listAll({
            agent_id: options.agent_id,
            passport_jti: options.passport_jti,
            pageSize: options.pageSize,
            since: Math.max(0, mark.timestamp - 1)
          })
        ),
        (entries) => after(Chunk.toReadonlyArray(entries), mark)
      )
    // from now on, by STACK's clock: what the chain holds at its head's time is passed over, not emitted
    const start: Effect.Effect<Watermark, ErrorsOf<E["list"] | E["chainHead"]>> = options.since === undefined
      ? Effect.flatMap(calls.chainHead(), (head) =>
        Effect.map(poll({ timestamp: head.max_timestamp ?? 0, seen: new Set() }), ([, mark]) => mark))
      : Effect.succeed({ timestamp: options.since, seen: new Set() })
    return Stream.unwrap(Effect.map(start, (mark) =>
      Stream.unfoldChunkEffect(
        { mark, first: true },
        ({ first, mark }) =>
          Effect.map(
            first ? poll(mark) : Effect.zipRight(Effect.sleep(interval), poll(mark)),
            ([entries, next]) => Option.some([Chunk.fromIterable(entries), { mark: next, first: false }] as const)
          )
      )))
  }

  const exportAll: Service["exportAll"] = (options = {}) => {
    const limit = options.pageSize ?? Api.AuditExportSize.default
    return Stream.paginateChunkEffect(0, (offset) =>
      Effect.flatMap(
        calls.export({ format: "json", from: options.from, to: options.to, limit, offset }),
        (page) =>
          typeof page === "string"
            ? Effect.fail(
              new ResponseDecodeError({
                message: "an export asked in JSON was answered as text",
                status: 200,
                method: "GET",
                url: Api.AuditEndpoints.export.path,
                body: Redacted.make(page.slice(0, 200))
              })
            )
            : Effect.succeed(
              [
                Chunk.fromIterable(page.entries),
                page.next_offset === null || page.entries.length === 0 ? Option.none() : Option.some(page.next_offset)
              ] as const
            )
      ))
  }

  return { ...calls, listAll, tail, exportAll }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Audit, never, StackClient> = Layer.effect(Audit, make)
