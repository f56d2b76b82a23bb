import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Api from "../api/Passports.js"
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
          Effect.logError(`mission ${jti}: ${name} failed; the passport may outlive the mission`, cause)
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
        mission_id: options.mission_id,
        checkpoint_interval_seconds: seconds,
        intent: { summary: options.intent, services: options.services, will_delegate: options.will_delegate }
      }),
      (passport, exit) => close(passport.jti, exit)
    )
    const current = yield* Ref.make({ token: Redacted.make(issued.token), expiresAt: issued.expires_at })

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
      yield* Ref.set(current, { token: Redacted.make(result.token), expiresAt: result.expires_at })
      return result
    })

    const everyInterval = Effect.sleep(Duration.seconds(checkpointPeriod(seconds))).pipe(
      Effect.zipRight(checkpoint),
      Effect.catchIf(
        (error) => error._tag === "NotFoundError" && error.code === "CHECKPOINT_NOT_AVAILABLE",
        (error) => Effect.logDebug("checkpoints are not available for this passport; stopping them").pipe(
          Effect.zipRight(Effect.fail(error))
        )
      ),
      Effect.catchIf(
        (error) => !(error._tag === "NotFoundError" && error.code === "CHECKPOINT_NOT_AVAILABLE"),
        (error) => Effect.logWarning(`mission ${issued.jti}: checkpoint failed; its counts go with the next one`, error)
      ),
      Effect.forever,
      Effect.ignore
    )
    yield* Effect.forkScoped(everyInterval)

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
