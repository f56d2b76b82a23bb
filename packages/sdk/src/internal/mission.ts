import * as Clock from "effect/Clock"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Api from "../api/Passports.js"
import { decodeJwt } from "./jose.js"
import type { Service } from "../Passports.js"

/** What the scoped mission needs of the passports service. */
type PassportCalls = Omit<Service, "mission">

type CheckpointError = Effect.Effect.Error<ReturnType<PassportCalls["checkpoint"]>>
type IssueError = Effect.Effect.Error<ReturnType<PassportCalls["issue"]>>

/** A checkpoint interval: one of STACK's presets, or a duration (60 s to 1 h). */
export type CheckpointIntervalInput = "frequent" | "standard" | "relaxed" | "marathon" | Duration.DurationInput

/** Options of a scoped mission. */
export interface MissionOptions {
  readonly agent_id: string
  /** What the agent means to do (the intent summary, at most 500 characters). */
  readonly intent: string
  /** The services it means to use. */
  readonly services: ReadonlyArray<string>
  /** Default `standard` (5 minutes). */
  readonly checkpoint_interval?: CheckpointIntervalInput | undefined
  readonly ttl_seconds?: number | undefined
  readonly scopes?: ReadonlyArray<Api.ScopeGrant> | undefined
  readonly mission_id?: string | undefined
  readonly will_delegate?: boolean | undefined
  /** How long each closing step (checkout, revoke) may take. Default 10 s. */
  readonly finalizerTimeout?: Duration.DurationInput | undefined
}

/** An action recorded with `log`. */
export interface LoggedAction {
  readonly service: string
  readonly action: string
  readonly target: string | undefined
}

/** The handle of a running mission. */
export interface MissionHandle {
  readonly jti: string
  /** The current token: checkpoints of enforced passports re-sign it. */
  readonly token: Effect.Effect<Redacted.Redacted<string>>
  readonly expiresAt: Effect.Effect<DateTime.Utc>
  /** Records an action; the next checkpoint reports it. */
  readonly log: (service: string, action: string, target?: string) => Effect.Effect<void>
  /** Sends a checkpoint now with what was logged since the previous one. Checkpoints also go out on their own, a little before each interval ends. */
  readonly checkpoint: Effect.Effect<Api.CheckpointResult, CheckpointError>
  /** Every action logged so far. */
  readonly actions: Effect.Effect<ReadonlyArray<LoggedAction>>
}

const presets = {
  frequent: Api.CheckpointInterval.frequent,
  standard: Api.CheckpointInterval.standard,
  relaxed: Api.CheckpointInterval.relaxed,
  marathon: Api.CheckpointInterval.marathon
} as const

/** The interval in whole seconds. */
export const intervalSeconds = (input: CheckpointIntervalInput | undefined): number =>
  typeof input === "string" && input in presets
    ? presets[input as keyof typeof presets]
    : input === undefined
    ? Api.CheckpointInterval.default
    : Math.round(Duration.toSeconds(Duration.decode(input as Duration.DurationInput)))

/**
 * How often checkpoints go out: a little before each interval ends (10 %, at
 * least 5 s), since an enforced passport dies at the end of its interval.
 */
export const checkpointPeriod = (intervalSeconds: number): number =>
  intervalSeconds - Math.max(5, Math.round(intervalSeconds * 0.1))

/** Failures after which no checkpoint or refresh can succeed. */
const isFinal = (error: { readonly _tag: string; readonly code?: string }) =>
  (error._tag === "NotFoundError" && error.code === "CHECKPOINT_NOT_AVAILABLE") ||
  (error._tag === "AuthenticationError" && (error.code === "PASSPORT_REVOKED" || error.code === "PASSPORT_EXPIRED")) ||
  (error._tag === "ConflictError" && error.code === "MISSION_NOT_ACTIVE")

/** Repeats `step` until it fails for good; other failures are logged and the next round tries again. */
const untilFinal = <E extends { readonly _tag: string; readonly code?: string }>(
  jti: string,
  what: string,
  step: Effect.Effect<void, E>
) =>
  step.pipe(
    Effect.tapError((error) =>
      isFinal(error)
        ? Effect.logDebug(`mission ${jti}: ${what} stopped (${error._tag} ${error.code ?? ""})`)
        : Effect.logWarning(`mission ${jti}: ${what} failed; trying again next round`, error)
    ),
    Effect.catchIf((error) => !isFinal(error), () => Effect.void),
    Effect.forever,
    Effect.ignore
  )

/** Checkpoints a little before each interval ends. */
const checkpointEvery = <E extends { readonly _tag: string; readonly code?: string }>(
  jti: string,
  intervalSeconds: number,
  checkpoint: Effect.Effect<unknown, E>
) =>
  untilFinal(jti, "checkpoints", Effect.zipRight(Effect.sleep(Duration.seconds(checkpointPeriod(intervalSeconds))), Effect.asVoid(checkpoint)))

/** Refreshes the passport a little before it expires (10 % of its lifetime, at least 5 s). */
const refreshBeforeExpiry = <E extends { readonly _tag: string; readonly code?: string }>(
  jti: string,
  ttlSeconds: number | undefined,
  current: Effect.Effect<{ readonly expiresAt: DateTime.Utc }>,
  refresh: Effect.Effect<void, E>
) => {
  const marginMs = Math.max(5, Math.round((ttlSeconds ?? Api.PassportTtl.default) * 0.1)) * 1000
  return untilFinal(
    jti,
    "refreshes",
    Effect.gen(function*() {
      const { expiresAt } = yield* current
      const now = yield* Clock.currentTimeMillis
      // at least a second between rounds, so a failing refresh near expiry does not spin
      yield* Effect.sleep(Duration.millis(Math.max(1000, expiresAt.epochMillis - marginMs - now)))
      yield* refresh
    })
  )
}

/** The accountability mode a passport's token claims, read without verifying it. */
const accountabilityOf = (token: string): string | undefined =>
  Option.match(decodeJwt(token), {
    onNone: () => undefined,
    onSome: ({ payload }) => {
      const stk = typeof payload === "object" && payload !== null && "stk" in payload ? payload.stk : undefined
      return typeof stk === "object" && stk !== null && "accountability" in stk && typeof stk.accountability === "string"
        ? stk.accountability
        : undefined
    }
  })

interface Progress {
  readonly pendingServices: ReadonlySet<string>
  readonly pendingCount: number
  readonly allServices: ReadonlySet<string>
  readonly log: ReadonlyArray<LoggedAction>
}

const outcomeOf = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit) ? "completed" : Exit.isInterrupted(exit) ? "interrupted" : "failed"

/** The scoped mission. */
export const make = (
  passports: PassportCalls,
  options: MissionOptions
): Effect.Effect<MissionHandle, IssueError, Scope.Scope> =>
  Effect.gen(function*() {
    const seconds = intervalSeconds(options.checkpoint_interval)
    const finalizerTimeout = options.finalizerTimeout ?? Duration.seconds(10)
    const progress = yield* Ref.make<Progress>({
      pendingServices: new Set(),
      pendingCount: 0,
      allServices: new Set(),
      log: []
    })

    // finalizers run uninterruptibly: the step is made interruptible again so its timeout can stop it
    const step = (jti: string, name: string, effect: Effect.Effect<unknown, unknown>) =>
      effect.pipe(
        Effect.interruptible,
        Effect.timeoutFail({
          duration: finalizerTimeout,
          onTimeout: () => new Error(`${name} took longer than ${Duration.format(finalizerTimeout)}`)
        }),
        Effect.catchAllCause((cause) =>
          Effect.logError(
            name === "revoke"
              ? `mission ${jti}: revoke failed; the passport may outlive the mission`
              : `mission ${jti}: ${name} failed; the passport is revoked next`,
            cause
          )
        ),
        Effect.annotateLogs({ passport_jti: jti, step: name })
      )

    const close = (jti: string, exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function*() {
        const done = yield* Ref.get(progress)
        const outcome = outcomeOf(exit)
        yield* step(jti, "checkout", passports.checkout(jti, {
          services_used: [...done.allServices],
          actions_count: done.log.length,
          summary: `mission ${outcome}`
        }))
        yield* step(jti, "revoke", passports.revoke(jti, `mission ${outcome}`))
      })

    const issued = yield* Effect.acquireRelease(
      passports.issue({
        agent_id: options.agent_id,
        ttl_seconds: options.ttl_seconds,
        scopes: options.scopes,
        mission_ids: options.mission_id === undefined ? undefined : [options.mission_id],
        checkpoint_interval_seconds: seconds,
        intent: { summary: options.intent, services: options.services, will_delegate: options.will_delegate }
      }),
      (passport, exit) => close(passport.jti, exit)
    )
    const current = yield* Ref.make({ token: issued.token, expiresAt: issued.expires_at })

    const checkpoint = Effect.gen(function*() {
      const pending = yield* Ref.modify(progress, (p) => [
        { services: [...p.pendingServices], count: p.pendingCount },
        { ...p, pendingServices: new Set<string>(), pendingCount: 0 }
      ])
      const result = yield* passports.checkpoint(issued.jti, {
        services_used: pending.services,
        actions_count: pending.count
      }).pipe(
        Effect.tapError(() =>
          Ref.update(progress, (p) => ({
            ...p,
            pendingServices: new Set([...pending.services, ...p.pendingServices]),
            pendingCount: p.pendingCount + pending.count
          }))
        )
      )
      yield* Ref.set(current, { token: result.token, expiresAt: result.expires_at })
      return result
    })

    yield* Effect.forkScoped(checkpointEvery(issued.jti, seconds, checkpoint))
    if (accountabilityOf(Redacted.value(issued.token)) !== "enforced") {
      // enforced passports live on through their checkpoints; the others are refreshed before they expire
      const refresh = Effect.gen(function*() {
        const latest = yield* Ref.get(current)
        const refreshed = yield* passports.refresh(latest.token, options.ttl_seconds)
        yield* Ref.set(current, { token: refreshed.token, expiresAt: refreshed.expires_at })
      })
      yield* Effect.forkScoped(refreshBeforeExpiry(issued.jti, options.ttl_seconds, Ref.get(current), refresh))
    }

    return {
      jti: issued.jti,
      token: Effect.map(Ref.get(current), (c) => c.token),
      expiresAt: Effect.map(Ref.get(current), (c) => c.expiresAt),
      log: (service, action, target) =>
        Ref.update(progress, (p) => ({
          pendingServices: new Set([...p.pendingServices, service]),
          pendingCount: p.pendingCount + 1,
          allServices: new Set([...p.allServices, service]),
          log: [...p.log, { service, action, target }]
        })),
      checkpoint,
      actions: Effect.map(Ref.get(progress), (p) => p.log)
    }
  })
