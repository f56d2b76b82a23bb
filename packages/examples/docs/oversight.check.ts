/**
 * Runs the snippets of docs/audit.md, docs/security-events.md and
 * docs/reviews.md against the in-process emulator, and prints what they
 * return, one line per snippet. docs/check.ts runs it.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { Agents, AuditChain, Passports, type StackError } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { join } from "node:path"
import * as AuditPage from "./audit.js"
import * as ReviewsPage from "./reviews.js"
import * as SecurityEventsPage from "./security-events.js"

/** The emulator stands in for the human who grants an approval. */
const approver = Effect.map(Emulator.Emulator, (emulator) => (held: StackError.ApprovalRequiredError) =>
  Effect.orDie(emulator.decideApproval(emulator.operatorId, held.approvalId, "approved")))

/** A verdict in a few words. */
const summary = AuditChain.match({
  onValid: (valid) => `${valid.count} entries`,
  onBroken: (broken) => `${broken.reason} at ${broken.index}`
})

const audit = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const passports = yield* Passports.Passports
  const agent = yield* agents.register({ name: "audited-bot", accountability_mode: "logged" })
  yield* agents.update(agent.id, { status: "suspended" })
  // refused (the agent is suspended): a failure entry
  yield* Effect.flip(passports.issue({ agent_id: agent.id, intent: { summary: "x", services: ["slack"] } }))
  yield* agents.update(agent.id, { status: "active" })

  const recent = yield* AuditPage.recentActivity(agent.id)
  yield* Console.log(`audit.recentActivity: latest ${recent.latest}, refused ${recent.refused.join("; ")}`)
  yield* Console.log(`audit.sinceYesterday: ${(yield* AuditPage.sinceYesterday).entries.length} entries`)

  const since = yield* Clock.currentTimeMillis
  const tail = yield* Effect.fork(AuditPage.nextActions(2, since))
  const other = yield* agents.register({ name: "tailed-bot" })
  yield* agents.delete(other.id)
  yield* Console.log(`audit.nextActions: ${(yield* Fiber.join(tail)).join(", ")}`)

  const shipped: Array<string> = []
  const forwarding = yield* Effect.fork(AuditPage.forward((entry) => Effect.sync(() => shipped.push(entry.action))))
  // the tail's first read: what the chain holds then is passed over
  yield* Effect.sleep("300 millis")
  yield* agents.update(agent.id, { description: "forwarded" })
  yield* Effect.suspend(() => shipped.length > 0 ? Effect.void : Effect.fail("nothing shipped yet")).pipe(
    Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("5 seconds")))
  )
  yield* Fiber.interrupt(forwarding)
  yield* Console.log(`audit.forward: shipped ${shipped.join(", ")}`)

  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "stack-audit-docs-" })
  const headFile = join(dir, "head.json")
  const pinned = yield* AuditPage.anchorHead(headFile)
  const read = yield* AuditPage.readAnchor(headFile)
  yield* Console.log(`audit.anchorHead/readAnchor: ${read.count} entries, same head ${read.entry_hash === pinned.entry_hash}`)
  yield* Console.log(`audit.serverCheck: ${yield* AuditPage.serverCheck}`)

  const formats = yield* AuditPage.exportFormats
  yield* Console.log(
    `audit.exportFormats: ${formats.ndjson.trim().split("\n").length} NDJSON lines, CSV header ${formats.csv.split("\r\n")[0]}`
  )
  const counts = yield* AuditPage.actionsSince(DateTime.unsafeMake(0))
  yield* Console.log(`audit.actionsSince: ${counts.size} kinds of action`)

  const archiveFile = join(dir, "chain.ndjson")
  yield* Console.log(`audit.archive: ${yield* AuditPage.archive(archiveFile)} entries`)
  const fromFile = yield* AuditPage.verifyArchive(archiveFile, pinned)
  yield* Console.log(`audit.verifyArchive: ${fromFile._tag} (${summary(fromFile)})`)
  yield* Console.log(`audit.verifyAgainst: ${yield* AuditPage.verifyAgainst(pinned)}`)

  // the archive tampered with: an action changed, then the end cut off
  const lines = (yield* fs.readFileString(archiveFile)).trimEnd().split("\n")
  const changed = lines.map((line, i) => i === 1 ? line.replace(/"action":"[^"]*"/, "\"action\":\"agent.delete\"") : line)
  yield* fs.writeFileString(join(dir, "changed.ndjson"), `${changed.join("\n")}\n`)
  const cut = yield* AuditPage.verifyArchive(join(dir, "changed.ndjson"), pinned)
  yield* fs.writeFileString(join(dir, "cut.ndjson"), `${lines.slice(0, -1).join("\n")}\n`)
  const truncated = yield* AuditPage.verifyArchive(join(dir, "cut.ndjson"), pinned)
  yield* Console.log(`audit.verifyArchive tampered: ${summary(cut)}; cut short: ${summary(truncated)}`)
}).pipe(Effect.scoped, Effect.provide(Layer.merge(Emulator.layerStack(), NodeFileSystem.layer)))

const noControls = Effect.gen(function*() {
  const head = yield* AuditPage.headIfControls
  yield* Console.log(`audit.headIfControls without controls: ${Option.isNone(head) ? "none" : "a head"}`)
}).pipe(Effect.provide(Emulator.layerStack({ controls: false })))

const securityEvents = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const passports = yield* Passports.Passports
  // on_critical: block, the default
  const agent = yield* agents.register({ name: "scope-bot", accountability_mode: "enforced" })
  const passport = yield* passports.issue({ agent_id: agent.id, intent: { summary: "Send the invoices", services: ["stripe"] } })
  yield* passports.checkpoint(passport.jti, { services_used: ["stripe", "gmail"], actions_count: 3 })
  yield* passports.revoke({ jti: passport.jti, reason: "used gmail" })
  // a revoked passport presented again
  yield* passports.verify({ token: passport.token })

  const critical = yield* SecurityEventsPage.openEvents
  yield* Console.log(`security-events.openEvents: ${critical.length} critical`)
  const refused = yield* SecurityEventsPage.issueOrExplain(agent.id)
  yield* Console.log(`security-events.issueOrExplain: ${Option.isNone(refused) ? "blocked" : "issued"}`)
  yield* Console.log(`security-events.resolveAgentEvents: ${yield* SecurityEventsPage.resolveAgentEvents(agent.id)} resolved`)
  yield* Console.log(`security-events.resolveAgentEvents again: ${yield* SecurityEventsPage.resolveAgentEvents(agent.id)} resolved`)
  const approve = yield* approver
  yield* agents.unblock(agent.id).pipe(
    Effect.catchTag("ApprovalRequiredError", (held) =>
      Effect.zipRight(approve(held), agents.unblock(agent.id, { governance_approval_id: held.approvalId })))
  )
  const issued = yield* SecurityEventsPage.issueOrExplain(agent.id)
  yield* Console.log(`security-events.issueOrExplain after unblock: ${Option.isSome(issued) ? "issued" : "blocked"}`)
}).pipe(Effect.provide(Emulator.layerStack()))

const reviews = Effect.gen(function*() {
  const first = yield* ReviewsPage.flaggedCheckout("billing-bot")
  const listed = yield* ReviewsPage.toReview
  yield* Console.log(`reviews.toReview: ${listed.flagged.length} flagged, ${listed.blocked.length} blocked`)
  const describe = (decided: ReadonlyArray<{ readonly review: { readonly status: string }; readonly agent_blocked: boolean }>) =>
    decided.map((d) => `${d.review.status} (agent blocked ${d.agent_blocked})`).join(", ")
  yield* Console.log(`reviews.triage allowing gmail: ${describe(yield* ReviewsPage.triage(["stripe", "gmail"]))}`)
  const second = yield* ReviewsPage.flaggedCheckout("mailer-bot")
  yield* Console.log(`reviews.triage: ${describe(yield* ReviewsPage.triage(["stripe"]))}`)
  yield* Console.log(`reviews.toReview after: ${(yield* ReviewsPage.toReview).blocked.length} blocked`)

  const third = yield* ReviewsPage.flaggedCheckout("retired-bot")
  const stopped = yield* ReviewsPage.approveButStop(third, yield* approver)
  yield* Console.log(
    `reviews.approveButStop: ${stopped.review.status}, block_future ${stopped.review.block_future}, agent blocked ${stopped.agent_blocked}`
  )
  yield* Console.log(`reviews.flaggedCheckout: ${[first, second, third].every((id) => id.startsWith("cout_"))}`)
}).pipe(Effect.provide(Emulator.layerStack()))

/** Every snippet of the three pages that runs against the emulator. */
export const check: Effect.Effect<void, unknown, never> = audit.pipe(
  Effect.zipRight(noControls),
  Effect.zipRight(securityEvents),
  Effect.zipRight(reviews)
)
