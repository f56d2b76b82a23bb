/**
 * The audit reads: the chain newest first, its head, its verification on the
 * server and its export. Operator only, and only on a plan with STACK's
 * controls (402 `CONTROLS_REQUIRED` otherwise). Reads are not audited.
 */
import {
  AuditExport,
  AuditExportSize,
  AuditPage,
  AuditVerifyMax,
  ChainBreakInfo,
  ChainHead,
  chainWalk,
  ChainVerification,
  CSV_COLUMNS,
  type ExportAuditQuery,
  GENESIS_HASH,
  type ListAuditQuery,
  type VerifyChainQuery
} from "@getstack/effect/api/Audit"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import type { Actor } from "../core/Audit.js"
import { entryHash } from "../core/Hash.js"
import * as Plan from "../core/Plan.js"
import * as Policy from "../core/Policy.js"
import * as Store from "./Store.js"

const allowed = (actor: Actor, what: string) =>
  Effect.zipRight(Policy.operatorOnly(actor, what), Plan.requireControls(what))

/** A page of the chain, newest first; `max_timestamp` is its latest timestamp. */
export const list = (actor: Actor, query: ListAuditQuery) =>
  Effect.gen(function*() {
    yield* allowed(actor, "read the audit chain")
    const page = yield* Store.page(actor.operatorId, query)
    const entries = page.items.map(Store.toEntry)
    return new AuditPage({
      entries,
      max_timestamp: entries.length === 0 ? null : Math.max(...entries.map((entry) => entry.timestamp)),
      next_cursor: page.next_cursor
    }, { disableValidation: true })
  })

/** The chain head: the latest `entry_hash`, the count and the latest timestamp. */
export const chainHead = (actor: Actor) =>
  Effect.gen(function*() {
    yield* allowed(actor, "read the audit chain head")
    const head = yield* Store.head(actor.operatorId)
    return new ChainHead({
      entry_hash: head?.entry_hash ?? null,
      count: head?.count ?? 0,
      max_timestamp: head?.timestamp ?? null
    }, { disableValidation: true })
  })

const millis = (time: DateTime.Utc | undefined) => time === undefined ? undefined : DateTime.toEpochMillis(time)

/** How many entries the walk reads at once: memory stays bounded whatever the limit. */
const BATCH = 2_000

/**
 * Walks the chain from `from` to `to` (both included), oldest first, at most
 * `limit` entries, with the contract's `chainWalk`: each entry's hash is
 * recomputed and its link checked, the first walked against the entry before
 * it. The first break ends the walk.
 */
export const verifyChain = (actor: Actor, query: VerifyChainQuery) =>
  Effect.gen(function*() {
    yield* allowed(actor, "verify the audit chain")
    const operatorId = actor.operatorId
    const range = yield* Store.range(operatorId, millis(query.from), millis(query.to))
    const limit = query.limit ?? AuditVerifyMax
    const previous = range.first > 0 ? yield* Store.before(operatorId, range.first) : undefined
    const walk = chainWalk(
      previous === undefined
        ? { prev_entry_hash: GENESIS_HASH }
        : { prev_entry_hash: previous.entry_hash, timestamp: previous.timestamp }
    )
    let afterSeq = range.first - 1
    let complete = false
    while (walk.count() < limit) {
      const rows = yield* Store.batch(operatorId, afterSeq, range.last, Math.min(BATCH, limit - walk.count()))
      for (const row of rows) {
        const broken = walk.check(row, entryHash(row))
        if (broken !== undefined) {
          return new ChainVerification({
            valid: false,
            first_break: new ChainBreakInfo({ entry_id: broken.entry_id, position: broken.index, reason: broken.reason }),
            checked: broken.index + 1
          }, { disableValidation: true })
        }
      }
      if (rows.length === 0) {
        complete = true
        break
      }
      afterSeq = rows[rows.length - 1]!.seq
    }
    // the limit was reached: whether entries of the range are left unwalked
    if (!complete) complete = (yield* Store.batch(operatorId, afterSeq, range.last, 1)).length === 0
    return new ChainVerification({ valid: true, first_break: null, checked: walk.count(), complete }, {
      disableValidation: true
    })
  })

/** A CSV field: empty for null, quoted when it holds a comma, a quote or a line break. */
const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return ""
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, "\"\"")}"` : text
}

/**
 * The entries from `from` to `to` (both included), oldest first: `limit` of
 * them after skipping `offset`. JSON answers the page and the next offset;
 * NDJSON one entry a line; CSV a header row and one entry a row.
 */
export const exportEntries = (actor: Actor, query: ExportAuditQuery, respondAs: (contentType: string) => void) =>
  Effect.gen(function*() {
    yield* allowed(actor, "export the audit chain")
    const range = yield* Store.range(actor.operatorId, millis(query.from), millis(query.to))
    const limit = query.limit ?? AuditExportSize.default
    const offset = query.offset ?? 0
    const rows = yield* Store.slice(actor.operatorId, range, limit, offset)
    const entries = rows.slice(0, limit).map(Store.toEntry)
    switch (query.format ?? "json") {
      case "json":
        return new AuditExport({
          entries,
          next_offset: rows.length > limit ? offset + limit : null
        }, { disableValidation: true })
      case "ndjson":
        respondAs("application/x-ndjson")
        return entries.map((entry) => `${JSON.stringify(entry)}\n`).join("")
      case "csv":
        respondAs("text/csv; charset=utf-8")
        return [CSV_COLUMNS.join(","), ...entries.map((entry) => CSV_COLUMNS.map((column) => csvField(entry[column])).join(","))]
          .map((line) => `${line}\r\n`)
          .join("")
    }
  })
