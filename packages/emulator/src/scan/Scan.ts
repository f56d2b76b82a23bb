/**
 * Content scanning: the detector (`Detector.ts`) run on what an agent
 * retrieved, counted against the operator's monthly quota (403
 * `TIER_LIMIT_EXCEEDED` past it). A suspicious or critical verdict raises a
 * `prompt_injection` security event (a warning, or critical) on the agent the
 * content is for, whose detail names the pattern and the field. Neither the
 * audit entry (`scan.content`, with the body's SHA-256 as every entry) nor
 * the event keeps the content.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { ScanMatch, type ScanRequest, ScanResult, ScanUsage } from "@getstack/effect/api/Scan"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { type Actor, audited } from "../core/Audit.js"
import { excerpt, refuse } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as Plan from "../core/Plan.js"
import * as Signals from "../core/Signals.js"
import * as AgentsStore from "../agents/Store.js"
import { CATALOG_VERSION, scanContent } from "./Detector.js"

/** The calendar month (UTC) of a time: `2026-12`. */
const monthOf = (millis: number) => new Date(millis).toISOString().slice(0, 7)

/** Counts one scan against the operator's quota for the month, or refuses it. */
const count = (operatorId: string, month: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const quota = yield* Plan.ScanQuota
    const counted = yield* sql<{ used: number }>`
      INSERT INTO scan_usage (operator_id, month, used) VALUES (${operatorId}, ${month}, 1)
      ON CONFLICT (operator_id, month) DO UPDATE SET used = used + 1 WHERE used < ${quota}
      RETURNING used`
    if (counted.length === 0 || counted[0]!.used > quota) {
      return yield* refuse("TIER_LIMIT_EXCEEDED", `the monthly scan quota (${quota}) is used up for ${month}`)
    }
  })

/** The agent a scan is for: the calling agent, or the operator's agent it names. */
const agentOf = (actor: Actor, request: ScanRequest) =>
  Effect.gen(function*() {
    if (actor.agentId !== null) {
      if (request.agent_id !== undefined && request.agent_id !== actor.agentId) {
        return yield* refuse("FORBIDDEN", "an agent scans content for itself only")
      }
      return actor.agentId
    }
    if (request.agent_id === undefined) return null
    const agent = yield* AgentsStore.ofOperator(actor.operatorId, request.agent_id)
    if (agent === undefined) return yield* refuse("NOT_FOUND", `agent ${excerpt(request.agent_id)} not found`)
    return agent.id
  })

/** Scans content: the verdict and its match, counted against the quota. */
export const scan = (actor: Actor, request: ScanRequest) =>
  audited(
    actor,
    {
      action: "scan.content",
      agentId: (result) => result.agentId,
      agentIdOnFailure: request.agent_id ?? null
    },
    Effect.gen(function*() {
      const agentId = yield* agentOf(actor, request)
      const startedAt = yield* Clock.currentTimeMillis
      yield* count(actor.operatorId, monthOf(startedAt))
      const verdict = scanContent(request.content)
      const scanId = newId("scn")
      if (verdict.verdict !== "clean" && verdict.match !== null) {
        yield* Signals.raise({
          operatorId: actor.operatorId,
          agentId,
          passportJti: null,
          type: "prompt_injection",
          severity: verdict.verdict === "critical" ? "critical" : "warning",
          detail: `${verdict.verdict}: pattern ${verdict.match.pattern_id}${
            verdict.match.field_path === null ? "" : ` in field ${excerpt(verdict.match.field_path)}`
          } (scan ${scanId})`
        })
      }
      const endedAt = yield* Clock.currentTimeMillis
      return {
        agentId,
        result: new ScanResult({
          verdict: verdict.verdict,
          match: verdict.match === null ? null : new ScanMatch(verdict.match, { disableValidation: true }),
          scan_id: scanId,
          duration_ms: Math.max(0, endedAt - startedAt),
          catalog_version: CATALOG_VERSION
        }, { disableValidation: true })
      }
    })
  ).pipe(Effect.map((scanned) => scanned.result))

/** This month's scans of the operator, its quota and its plan. */
export const usage = (actor: Actor) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const month = monthOf(yield* Clock.currentTimeMillis)
    const [row] = yield* sql<{ used: number }>`
      SELECT used FROM scan_usage WHERE operator_id = ${actor.operatorId} AND month = ${month}`
    return new ScanUsage({ month, used: row?.used ?? 0, quota: yield* Plan.ScanQuota, plan: Plan.PLAN_NAME }, {
      disableValidation: true
    })
  })
