import * as Clock from "effect/Clock"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type * as MissionsApi from "../api/Missions.js"
import * as Api from "../api/Passports.js"
import type * as ProxyApi from "../api/Proxy.js"
import type * as Proxy from "../Proxy.js"
import { currentCallOptions, type Methods } from "../StackClient.js"
import { RequestEncodeError } from "../StackError.js"
import { decodeJwt } from "./jose.js"

/** The passport calls a scoped passport makes, and the proxy its `request` goes through. */
type PassportCalls = Methods<typeof Api.PassportsEndpoints> & {
  readonly proxy: (input: Proxy.RequestInput) => Effect.Effect<ProxyApi.ProxyResponse, Proxy.RequestError>
}
type MissionCalls = Methods<typeof MissionsApi.MissionsEndpoints>

type CheckpointError = Effect.Effect.Error<ReturnType<PassportCalls["checkpoint"]>>

/**
 * A checkpoint interval: one of STACK's presets, a Python-style string
 * (`"5m"`, `"90s"`, `"1h"`, `"1m30s"`), or a duration. STACK accepts 60 s to 1 h.
 */
export type CheckpointIntervalInput =
  | "frequent"
  | "standard"
  | "relaxed"
  | "marathon"
  | `${number}${"s" | "m" | "h"}`
  | `${number}m${number}s`
  | `${number}h${number}m`
  | `${number}h${number}s`
  | `${number}h${number}m${number}s`
  | Duration.DurationInput

/** What keeping a passport alive needs: its interval and lifetime. */
interface KeepAliveOptions {
  /** Default `standard` (5 minutes). */
  readonly checkpoint_interval?: CheckpointIntervalInput | undefined
  /** How long each closing step (checkout, revoke, complete) may take. Default 10 s. */
  readonly finalizerTimeout?: Duration.DurationInput | undefined
}

/** Options of a scoped passport (`passports.mission`). */
export interface MissionOptions extends KeepAliveOptions {
  readonly agent_id: string
  /** What the agent means to do (the intent summary, at most 500 characters). */
  readonly intent: string
  /** The services it means to use. */
  readonly services: ReadonlyArray<string>
  readonly ttl_seconds?: number | undefined
  readonly scopes?: ReadonlyArray<Api.ScopeGrant> | undefined
  /** A live STACK mission to bind the passport to. */
  readonly mission_id?: string | undefined
  readonly will_delegate?: boolean | undefined
}

/** Options of a scoped STACK mission (`missions.scoped`): `missions.start`'s fields, and how to keep its passport alive. */
export interface ScopedMissionOptions extends KeepAliveOptions {
  readonly agent_id: string
  readonly intent_summary: string
  readonly intent_services?: ReadonlyArray<string> | undefined
  /** The mission's lifetime. */
  readonly ttl_seconds?: number | undefined
  readonly passport_ttl_seconds?: number | undefined
  readonly scopes?: ReadonlyArray<Api.ScopeGrant> | undefined
  /** Caps on what the mission's proxied calls may use; a reached one pauses or closes it. */
  readonly limits?: MissionsApi.MissionLimits | undefined
}

/** An action recorded with `log`. */
export interface LoggedAction {
  readonly service: string
  readonly action: string
  readonly target: string | undefined
}

/** The handle of a running scoped passport. */
export interface MissionHandle {
  readonly jti: string
  /** The current token: checkpoints of enforced passports and refreshes re-sign it. */
  readonly token: Effect.Effect<Redacted.Redacted<string>>
  readonly expiresAt: Effect.Effect<DateTime.Utc>
  /** Records an action; the next checkpoint reports it. */
  readonly log: (service: string, action: string, target?: string) => Effect.Effect<void>
  /** Sends a checkpoint now with what was logged since the previous one. Checkpoints also go out on their own, a little before each interval ends. */
  readonly checkpoint: Effect.Effect<Api.CheckpointResult, CheckpointError>
  /** Every action logged so far. */
  readonly actions: Effect.Effect<ReadonlyArray<LoggedAction>>
  /**
   * A call through STACK's proxy under this passport (its current token),
   * logged as an action of its service (`action`, or the method and path)
   * once it is answered. A mission paused by a cap fails it at once with a
   * `MissionPausedError`.
   */
  readonly request: (
    input: Omit<Proxy.RequestInput, "passport_token">,
    action?: string
  ) => Effect.Effect<ProxyApi.ProxyResponse, Proxy.RequestError>
}

/** The handle of a running scoped STACK mission. */
export interface ScopedMissionHandle extends MissionHandle {
  readonly missionId: string
  /** The output the mission is completed with when the scope succeeds (validated by STACK). */
  readonly setOutput: (output: unknown) => Effect.Effect<void>
}

const presets = {
  frequent: Api.CheckpointInterval.frequent,
  standard: Api.CheckpointInterval.standard,
  relaxed: Api.CheckpointInterval.relaxed,
  marathon: Api.CheckpointInterval.marathon
} as const

const pythonStyle = /^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$/i

/** The interval in whole seconds, or why it is not one. */
export const intervalSeconds = (input: CheckpointIntervalInput | undefined): Either.Either<number, string> => {
  if (input === undefined) return Either.right(Api.CheckpointInterval.default)
  if (typeof input === "string") {
    if (input in presets) return Either.right(presets[input as keyof typeof presets])
    const match = pythonStyle.exec(input)
    if (match !== null && (match[1] ?? match[2] ?? match[3]) !== undefined) {
      return Either.right(Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0))
    }
  }
  return Option.match(Duration.decodeUnknown(input), {
    onNone: () =>
      Either.left(`checkpoint_interval must be a preset (frequent, standard, relaxed, marathon), a string such as "5m", or a duration`),
    onSome: (duration) => Either.right(Math.round(Duration.toSeconds(duration)))
  })
}

const interval = (options: KeepAliveOptions) =>
  Either.mapLeft(
    intervalSeconds(options.checkpoint_interval),
    (message) => new RequestEncodeError({ method: "POST", url: "(scoped mission)", fields: ["checkpoint_interval"], message })
  )

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
        ? Effect.logDebug(`passport ${jti}: ${what} stopped (${error._tag} ${error.code ?? ""})`)
        : Effect.logWarning(`passport ${jti}: ${what} failed; trying again next round`, error)
    ),
    Effect.catchIf((error) => !isFinal(error), () => Effect.void),
    Effect.forever,
    Effect.ignore
  )

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

/**
 * A call the mission makes on its own (a checkpoint, a refresh, a closing
 * step) gets a key of its own, whatever `withCallOptions` the mission was
 * started with.
 */
const ownKey = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locallyWith(effect, currentCallOptions, ({ idempotencyKey: _, ...options }) => options)

/** Finalizers run uninterruptibly: a step is made interruptible again so its timeout can stop it; its failure is logged. */
const closingStep = (timeout: Duration.DurationInput) =>
(jti: string, name: string, next: string, effect: Effect.Effect<unknown, unknown>) =>
  effect.pipe(
    ownKey,
    Effect.interruptible,
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new Error(`${name} took longer than ${Duration.format(timeout)}`)
    }),
    Effect.tapErrorCause((cause) => Effect.logError(`passport ${jti}: ${name} failed; ${next}`, cause)),
    Effect.either,
    Effect.map(Either.isRight),
    Effect.annotateLogs({ passport_jti: jti, step: name })
  )

/**
 * Keeps an issued passport alive for the length of the scope: checkpoints a
 * little before each interval ends, refreshes a passport that is not enforced
 * before it expires, and stops both once the passport is dead.
 */
const keepAlive = (
  calls: PassportCalls,
  issued: { readonly jti: string; readonly token: Redacted.Redacted<string>; readonly expires_at: DateTime.Utc },
  seconds: number,
  ttlSeconds: number | undefined,
  progress: Ref.Ref<Progress>
): Effect.Effect<MissionHandle, never, Scope.Scope> =>
  Effect.gen(function*() {
    const current = yield* Ref.make({ token: issued.token, expiresAt: issued.expires_at })

    const checkpoint = ownKey(Effect.gen(function*() {
      const pending = yield* Ref.modify(progress, (p) => [
        { services: [...p.pendingServices], count: p.pendingCount },
        { ...p, pendingServices: new Set<string>(), pendingCount: 0 }
      ])
      const result = yield* calls.checkpoint(issued.jti, { services_used: pending.services, actions_count: pending.count }).pipe(
        Effect.tapError(() =>
          Ref.update(progress, (p) => ({
            ...p,
            pendingServices: new Set([...pending.services, ...p.pendingServices]),
            pendingCount: p.pendingCount + pending.count
          }))
        )
      )
      if (result.token !== undefined && result.expires_at !== undefined) {
        yield* Ref.set(current, { token: result.token, expiresAt: result.expires_at })
      }
      return result
    }))

    yield* Effect.forkScoped(ownKey(
      untilFinal(issued.jti, "checkpoints", Effect.zipRight(Effect.sleep(Duration.seconds(checkpointPeriod(seconds))), Effect.asVoid(checkpoint)))
    ))
    if (accountabilityOf(Redacted.value(issued.token)) !== "enforced") {
      // enforced passports live on through their checkpoints; the others are refreshed a little before they expire
      const marginMs = Math.max(5, Math.round((ttlSeconds ?? Api.PassportTtl.default) * 0.1)) * 1000
      yield* Effect.forkScoped(ownKey(untilFinal(
        issued.jti,
        "refreshes",
        Effect.gen(function*() {
          const { expiresAt } = yield* Ref.get(current)
          const now = yield* Clock.currentTimeMillis
          // at least a second between rounds, so a failing refresh near expiry does not spin
          yield* Effect.sleep(Duration.millis(Math.max(1000, expiresAt.epochMillis - marginMs - now)))
          const latest = yield* Ref.get(current)
          const refreshed = yield* calls.refresh({ token: latest.token, ttl_seconds: ttlSeconds })
          yield* Ref.set(current, { token: refreshed.token, expiresAt: refreshed.expires_at })
        })
      )))
    }

    const log = (service: string, action: string, target?: string) =>
      Ref.update(progress, (p) => ({
        pendingServices: new Set([...p.pendingServices, service]),
        pendingCount: p.pendingCount + 1,
        allServices: new Set([...p.allServices, service]),
        log: [...p.log, { service, action, target }]
      }))
    return {
      jti: issued.jti,
      token: Effect.map(Ref.get(current), (c) => c.token),
      expiresAt: Effect.map(Ref.get(current), (c) => c.expiresAt),
      log,
      checkpoint,
      actions: Effect.map(Ref.get(progress), (p) => p.log),
      request: (input, action) =>
        Effect.gen(function*() {
          const { token } = yield* Ref.get(current)
          const answer = yield* calls.proxy({ ...input, passport_token: token })
          yield* log(input.service, action ?? input.method, input.url)
          return answer
        })
    }
  })

const noProgress: Progress = { pendingServices: new Set(), pendingCount: 0, allServices: new Set(), log: [] }

const checkoutReport = (progress: Progress, outcome: string) => ({
  services_used: [...progress.allServices],
  actions_count: progress.log.length,
  summary: `mission ${outcome}`
})

/** What both scoped forms start with: the interval, the closing step and the progress record. */
const prepare = (options: KeepAliveOptions) =>
  Effect.gen(function*() {
    return {
      seconds: yield* interval(options),
      step: closingStep(options.finalizerTimeout ?? Duration.seconds(10)),
      progress: yield* Ref.make(noProgress)
    }
  })

/** `passports.mission`: issue, keep alive, and on close check out, then revoke. */
export const passportMission = (
  calls: PassportCalls,
  options: MissionOptions
): Effect.Effect<MissionHandle, Effect.Effect.Error<ReturnType<PassportCalls["issue"]>>, Scope.Scope> =>
  Effect.gen(function*() {
    const { progress, seconds, step } = yield* prepare(options)
    const issued = yield* Effect.acquireRelease(
      calls.issue({
        agent_id: options.agent_id,
        ttl_seconds: options.ttl_seconds,
        scopes: options.scopes,
        mission_ids: options.mission_id === undefined ? undefined : [options.mission_id],
        checkpoint_interval_seconds: seconds,
        intent: { summary: options.intent, services: options.services, will_delegate: options.will_delegate }
      }),
      ({ jti }, exit) =>
        Effect.gen(function*() {
          const outcome = outcomeOf(exit)
          yield* step(jti, "checkout", "the passport is revoked next", calls.checkout(jti, checkoutReport(yield* Ref.get(progress), outcome)))
          yield* step(jti, "revoke", "the passport may outlive the mission", calls.revoke({ jti, reason: `mission ${outcome}` }))
        })
    )
    // kept alive by fibers of the scope, closed (interrupted) before the passport is checked out
    return yield* keepAlive(calls, issued, seconds, options.ttl_seconds, progress)
  })

/**
 * `missions.scoped`: start the mission and its passport, keep the passport
 * alive, and on close check it out, then complete the mission with its output
 * (success) or revoke it (failure, interruption) — either revokes every
 * passport bound to it. Should that transition fail, the passport is revoked
 * directly.
 */
export const scopedMission = (
  missions: MissionCalls,
  passports: PassportCalls,
  options: ScopedMissionOptions
): Effect.Effect<ScopedMissionHandle, Effect.Effect.Error<ReturnType<MissionCalls["start"]>>, Scope.Scope> =>
  Effect.gen(function*() {
    const { progress, seconds, step } = yield* prepare(options)
    const output = yield* Ref.make<Option.Option<unknown>>(Option.none())
    const started = yield* Effect.acquireRelease(
      missions.start({
        agent_id: options.agent_id,
        intent_summary: options.intent_summary,
        intent_services: options.intent_services,
        ttl_seconds: options.ttl_seconds,
        passport_ttl_seconds: options.passport_ttl_seconds,
        checkpoint_interval_seconds: seconds,
        scopes: options.scopes,
        limits: options.limits
      }),
      (started, exit) =>
        Effect.gen(function*() {
          const outcome = outcomeOf(exit)
          const missionId = started.mission_id
          const handle = { jti: started.passport.jti }
          yield* step(handle.jti, "checkout", `mission ${missionId} is closed next`, passports.checkout(handle.jti, checkoutReport(yield* Ref.get(progress), outcome)))
          const completed = Exit.isSuccess(exit) && (yield* step(
            handle.jti,
            "complete",
            `mission ${missionId} is revoked instead`,
            Effect.flatMap(Ref.get(output), (value) => missions.complete(missionId, Option.isSome(value) ? { output: value.value } : {}))
          ))
          const closed = completed || (yield* step(
            handle.jti,
            "revoke mission",
            "its passport is revoked directly",
            missions.revoke(missionId, { reason: "operator_initiated_clean", notes: `scope ${outcome}` })
          ))
          if (!closed) {
            yield* step(handle.jti, "revoke", "the passport may outlive the scope", passports.revoke({ jti: handle.jti, reason: `mission ${outcome}` }))
          }
        })
    )
    const alive = yield* keepAlive(passports, started.passport, seconds, options.passport_ttl_seconds, progress)
    return { ...alive, missionId: started.mission_id, setOutput: (value: unknown) => Ref.set(output, Option.some(value)) }
  })
