/**
 * What the operator's plan includes. STACK sells "controls" (the audit
 * chain's reads, mission listings, …) as a paid feature and answers 402
 * `CONTROLS_REQUIRED` on a plan without them. The emulator has every feature
 * unless started without controls (`Emulator.layer({ controls: false })`,
 * `stack-emulator --no-controls`), so that the typed 402 can be tested.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { refuse, type StackFailure } from "./Failure.js"

/** Whether the plan includes STACK's controls; on unless provided otherwise. */
export class Controls extends Context.Reference<Controls>()("@getstack/emulator/Controls", {
  defaultValue: () => true
}) {}

/** Refuses `feature` with 402 `CONTROLS_REQUIRED` on a plan without controls. */
export const requireControls = (feature: string): Effect.Effect<void, StackFailure> =>
  Effect.flatMap(
    Controls,
    (enabled) => enabled ? Effect.void : refuse("CONTROLS_REQUIRED", `${feature} needs STACK's controls, which this plan does not include`)
  )

/** Scans an operator may run in a calendar month (UTC): STACK's monthly quota, 10,000 unless provided otherwise. */
export class ScanQuota extends Context.Reference<ScanQuota>()("@getstack/emulator/ScanQuota", {
  defaultValue: () => 10_000
}) {}

/** The plan's name, as `scan.usage` reports it. */
export const PLAN_NAME = "emulator"
