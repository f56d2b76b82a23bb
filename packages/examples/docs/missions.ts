/**
 * Snippets of docs/missions.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Missions, Passports } from "@getstack/effect"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
// ---

// --- scoped
export const processInvoices = (agentId: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const mission = yield* passports.mission({
        agent_id: agentId,
        intent: "Process invoices",
        services: ["slack", "stripe"]
      })
      yield* mission.log("slack", "read_channel", "#invoices")
      yield* mission.log("stripe", "create_invoice")
      return mission.jti
    })
  )
// ---

// --- scoped-token
/** The header STACK's proxy takes the passport from, for a client of your own (`mission.request` sends it for you). */
export const passportHeaders = (mission: Passports.MissionHandle) =>
  Effect.map(mission.token, (token) => ({ "x-passport-token": Redacted.value(token) }))
// ---

// --- scoped-options
export const nightlyReport = (agentId: string, missionId: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const mission = yield* passports.mission({
        agent_id: agentId,
        intent: "Compile the nightly report",
        services: ["github"],
        checkpoint_interval: "frequent",
        ttl_seconds: 3600,
        mission_id: missionId,
        finalizerTimeout: "3 seconds"
      })
      yield* mission.log("github", "list_issues", "acme/api")
      yield* mission.log("github", "list_pulls", "acme/api")
      // report now rather than at the next interval
      const checkpoint = yield* mission.checkpoint
      for (const signal of checkpoint.signals ?? []) yield* Console.log(`${signal.severity}: ${signal.detail}`)
      return (yield* mission.actions).length
    })
  )
// ---

// --- scoped-failure
export const failingWork = (agentId: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const passports = yield* Passports.Passports
      const mission = yield* passports.mission({ agent_id: agentId, intent: "Import the ledger", services: ["s3"] })
      yield* mission.log("s3", "get_object", "ledger.csv")
      return yield* Effect.fail("the ledger is corrupt" as const)
    })
  ).pipe(
    // the passport is checked out ("mission failed") and revoked before this runs
    Effect.catchAll((reason) => Console.error(`import failed: ${reason}`))
  )
// ---

// --- missions-scoped
export const postDigest = (agentId: string, channels: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function*() {
      const missions = yield* Missions.Missions
      const mission = yield* missions.scoped({
        agent_id: agentId,
        intent_summary: "Post the weekly digest",
        intent_services: ["slack"],
        ttl_seconds: 3600,
        checkpoint_interval: "5m"
      })
      if (channels.length === 0) return yield* Effect.fail("no channel to post to" as const)
      for (const channel of channels) yield* mission.log("slack", "post_message", channel)
      // the mission is completed with this output when the scope succeeds
      yield* mission.setOutput({ posted_to: channels })
      return mission.missionId
    })
  )
// ---

// --- start
export const startWeeklyReport = (agentId: string) =>
  Effect.gen(function*() {
    const missions = yield* Missions.Missions
    const request = {
      agent_id: agentId,
      intent_summary: "Send the weekly report",
      intent_services: ["slack"],
      ttl_seconds: 3600,
      passport_ttl_seconds: 600
    }
    const started = yield* missions.start(request)
    // a retry after a crash: same mission, same passport
    const again = yield* missions.start(request)
    yield* Console.log(`${started.mission_id}: same passport again ${again.passport.jti === started.passport.jti}`)
    return started
  })
// ---

// --- open
export const openThenIssue = (agentId: string) =>
  Effect.gen(function*() {
    const missions = yield* Missions.Missions
    const passports = yield* Passports.Passports
    const mission = yield* missions.open({
      agent_id: agentId,
      intent_summary: "Reconcile March",
      intent_services: ["stripe"],
      ttl_seconds: 7200
    })
    // no intent: the passport takes the mission's
    const passport = yield* passports.issue({ agent_id: agentId, mission_ids: [mission.id] })
    return { mission, passport }
  })
// ---

// --- get-list
export const missionReport = Effect.gen(function*() {
  const missions = yield* Missions.Missions
  const active = yield* missions.listAll({ status: "active" }).pipe(
    Stream.map((mission) => mission.intent_summary ?? mission.id),
    Stream.runCollect
  )
  const page = yield* missions.list({ page: 1, limit: 10, status: "completed" })
  yield* Console.log(`active: ${Chunk.join(active, "; ")}; ${page.total ?? page.missions.length} completed`)
  return page
})

export const statusOf = (missionId: string) =>
  Effect.flatMap(Missions.Missions, (missions) => missions.get(missionId)).pipe(
    Effect.map((mission) => mission.status)
  )
// ---

// --- renew
export const freshPassport = (missionId: string) =>
  Effect.gen(function*() {
    const missions = yield* Missions.Missions
    return yield* missions.renew(missionId).pipe(
      Effect.map((renewed) => Option.some(renewed.passport)),
      Effect.catchTag("ConflictError", (error) =>
        error.code === "MISSION_NOT_ACTIVE" ? Effect.succeedNone : Effect.fail(error))
    )
  })
// ---

// --- complete-revoke
export const finish = (missionId: string) =>
  Effect.gen(function*() {
    const missions = yield* Missions.Missions
    const done = yield* missions.complete(missionId, { output: { reports_sent: 1 } })
    yield* Console.log(`${done.mission?.status ?? "completed"}: ${done.revoked_passports?.length ?? "?"} passport(s) revoked`)
    const again = yield* missions.complete(missionId)
    return again.transitioned
  })

export const stop = (missionId: string) =>
  Effect.flatMap(Missions.Missions, (missions) =>
    missions.revoke(missionId, { reason: "adversarial", notes: "asked for the payroll export" }))
// ---
