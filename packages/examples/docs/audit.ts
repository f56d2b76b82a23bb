/**
 * Snippets of docs/audit.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import * as FileSystem from "@effect/platform/FileSystem"
import { Api, Audit, AuditChain } from "@getstack/effect"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
// ---

// --- list
export const recentActivity = (agentId: string) =>
  Effect.gen(function*() {
    const audit = yield* Audit.Audit
    const page = yield* audit.list({ limit: 20 })
    for (const entry of page.entries) {
      yield* Console.log(`${new Date(entry.timestamp).toISOString()} ${entry.action} ${entry.outcome}`)
    }
    // every entry of one agent, newest first, page after page
    const refused = yield* audit.listAll({ agent_id: agentId }).pipe(
      Stream.filter((entry) => entry.outcome === "failure"),
      Stream.map((entry) => `${entry.action}: ${entry.error_code}`),
      Stream.runCollect
    )
    return { latest: page.max_timestamp, refused: Chunk.toReadonlyArray(refused) }
  })
// ---

// --- since
export const sinceYesterday = Effect.gen(function*() {
  const audit = yield* Audit.Audit
  const yesterday = DateTime.toEpochMillis(DateTime.subtract(yield* DateTime.now, { days: 1 }))
  // `since` is epoch milliseconds, and keeps the entries at or after it
  const page = yield* audit.list({ since: yesterday, limit: 100 })
  yield* Console.log(`${page.entries.length} entries since yesterday${page.next_cursor ? ", and more" : ""}`)
  return page
})
// ---

// --- tail
export const nextActions = (count: number, since?: number) =>
  Effect.gen(function*() {
    const audit = yield* Audit.Audit
    const actions = yield* audit.tail({ since, interval: "500 millis" }).pipe(
      Stream.map((entry) => `${entry.action} ${entry.outcome}`),
      Stream.take(count),
      Stream.runCollect
    )
    return Chunk.toReadonlyArray(actions)
  })

/** Sends every entry written from now on to `ship` (a SIEM, a log pipeline), for as long as it runs. */
export const forward = (ship: (entry: Api.Audit.AuditEntry) => Effect.Effect<void>) =>
  Effect.flatMap(Audit.Audit, (audit) => Stream.runForEach(audit.tail(), ship))
// ---

// --- head
export const anchorHead = (path: string) =>
  Effect.gen(function*() {
    const audit = yield* Audit.Audit
    const fs = yield* FileSystem.FileSystem
    const head = yield* audit.chainHead()
    // keep it where whoever can rewrite the chain cannot: another system, another account
    yield* fs.writeFileString(path, JSON.stringify(Schema.encodeSync(Api.Audit.ChainHead)(head)))
    yield* Console.log(`${head.count} entries, head ${head.entry_hash ?? "(empty chain)"}`)
    return head
  })

export const readAnchor = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
    Effect.flatMap(Schema.decode(Schema.parseJson(Api.Audit.ChainHead)))
  )
// ---

// --- verify-server
export const serverCheck = Effect.gen(function*() {
  const audit = yield* Audit.Audit
  const lastWeek = DateTime.subtract(yield* DateTime.now, { days: 7 })
  const verdict = yield* audit.verifyChain({ from: lastWeek })
  if (verdict.valid) {
    yield* Console.log(`the last week verifies: ${verdict.checked ?? "?"} entries`)
  } else {
    const at = verdict.first_break
    yield* Console.log(`broken at ${at?.entry_id} (position ${at?.position}): ${at?.reason}`)
  }
  return verdict.valid
})
// ---

// --- export
export const exportFormats = Effect.gen(function*() {
  const audit = yield* Audit.Audit
  const json = yield* audit.export({ format: "json", limit: 100 })
  // NDJSON and CSV come back as the body's text; JSON as a page
  if (typeof json !== "string") {
    yield* Console.log(`${json.entries.length} entries, the next page at offset ${json.next_offset}`)
  }
  const ndjson = yield* audit.export({ format: "ndjson", limit: 100 })
  const csv = yield* audit.export({ format: "csv", limit: 100, offset: 0 })
  return { ndjson: String(ndjson), csv: String(csv) }
})
// ---

// --- export-all
export const actionsSince = (from: DateTime.Utc) =>
  Effect.gen(function*() {
    const audit = yield* Audit.Audit
    const counts = yield* audit.exportAll({ from }).pipe(
      Stream.runFold(new Map<string, number>(), (counts, entry) => counts.set(entry.action, (counts.get(entry.action) ?? 0) + 1))
    )
    for (const [action, count] of counts) yield* Console.log(`${action}: ${count}`)
    return counts
  })
// ---

// --- archive
/** Writes the whole chain to an NDJSON file, 50,000 entries a request; answers how many. */
export const archive = (path: string) =>
  Effect.gen(function*() {
    const audit = yield* Audit.Audit
    const fs = yield* FileSystem.FileSystem
    const pageSize = 50_000
    yield* fs.writeFileString(path, "")
    let written = 0
    while (true) {
      const text = yield* audit.export({ format: "ndjson", limit: pageSize, offset: written })
      if (typeof text !== "string") return yield* Effect.dieMessage("asked for NDJSON, got JSON")
      yield* fs.writeFileString(path, text, { flag: "a" })
      const lines = text.split("\n").length - 1
      written += lines
      if (lines < pageSize) return written
    }
  })
// ---

// --- verify-client
export const verifyAgainst = (pinned: Api.Audit.ChainHead) =>
  Effect.gen(function*() {
    const audit = yield* Audit.Audit
    const verdict = yield* AuditChain.verify(audit.exportAll({ pageSize: 50_000 }), { trustedHead: pinned })
    return AuditChain.match(verdict, {
      onValid: ({ count, head }) => `intact: ${count} entries, head ${head}`,
      onBroken: ({ entry_id, index, reason }) => `broken at position ${index} (${entry_id ?? "missing"}): ${reason}`
    })
  })
// ---

// --- verify-file
export const verifyArchive = (path: string, pinned: AuditChain.TrustedHead) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    // read a chunk at a time: memory does not grow with the file
    const verdict = yield* AuditChain.fromNdjson(fs.stream(path)).pipe(AuditChain.verify({ trustedHead: pinned }))
    if (AuditChain.isBroken(verdict)) yield* Console.log(`${path}: ${verdict.reason} at position ${verdict.index}`)
    return verdict
  })
// ---

// --- controls
export const headIfControls = Effect.flatMap(Audit.Audit, (audit) => audit.chainHead()).pipe(
  Effect.map(Option.some),
  Effect.catchTag("PaymentRequiredError", (error) =>
    error.code === "CONTROLS_REQUIRED"
      ? Effect.as(Console.log("this plan has no controls: the audit chain cannot be read"), Option.none())
      : Effect.fail(error))
)
// ---
