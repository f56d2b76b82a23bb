/**
 * How a sealed skill runs in the emulator, without ever evaluating code: a
 * handler registered with the emulator under the skill's name
 * (`Emulator.Options.skillHandlers`), else the skill's declarative
 * `transform`, a JSON template whose strings of the form `"{{/pointer}}"`
 * (the whole string) become the value at that JSON Pointer (RFC 6901) in
 * the input, `null` when there is none. Declared `execution_steps` (scripts,
 * LLM calls) are never run.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import { excerpt } from "../core/Failure.js"

/**
 * A sealed skill's implementation, registered with the emulator: the input
 * (already checked against the skill's `input_schema`) to the output, as a
 * value, a promise or an effect. A throw, a rejection or a failure fails the
 * invocation.
 */
export type SkillHandler = (input: unknown) => Effect.Effect<unknown, unknown> | Promise<unknown> | unknown

/** The registered handlers, by skill name, and how long one may run. */
export interface Settings {
  readonly handlers: Readonly<Record<string, SkillHandler>>
  readonly timeoutMs: number
}

/** How sealed skills run, in the app's context. */
export class SkillSettings extends Context.Tag("@getstack/emulator/SkillSettings")<SkillSettings, Settings>() {}

/** No handlers; a handler may run 30 seconds. */
export const defaultSettings: Settings = { handlers: {}, timeoutMs: 30_000 }

const POINTER = /^\{\{((?:\/[^]*)?)\}\}$/

/** The value at a JSON Pointer (RFC 6901) in `document`, or `undefined`. */
export const resolvePointer = (document: unknown, pointer: string): unknown => {
  if (pointer === "") return document
  let at: unknown = document
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined
      at = at[Number(token)]
    } else if (at !== null && typeof at === "object" && Object.prototype.hasOwnProperty.call(at, token)) {
      at = (at as Record<string, unknown>)[token]
    } else {
      return undefined
    }
    if (at === undefined) return undefined
  }
  return at
}

/** A transform applied to an input: every `"{{/pointer}}"` string replaced by the input's value there (`null` if none). */
export const applyTransform = (template: unknown, input: unknown): unknown => {
  if (typeof template === "string") {
    const match = POINTER.exec(template)
    return match === null ? template : resolvePointer(input, match[1]!) ?? null
  }
  if (Array.isArray(template)) return template.map((item) => applyTransform(item, input))
  if (template !== null && typeof template === "object") {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, applyTransform(value, input)]))
  }
  return template
}

/** What running a sealed skill gave: its output as JSON, or why it failed. */
export type Outcome = { readonly ok: true; readonly output: unknown } | { readonly ok: false; readonly error: string }

const failed = (error: string): Outcome => ({ ok: false, error: excerpt(error, 1000) })

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : excerpt(JSON.stringify(error) ?? String(error), 200)

/** The output as JSON (a value JSON cannot carry fails the run). */
const asJson = (value: unknown): Outcome => {
  try {
    const text = JSON.stringify(value)
    return text === undefined ? failed("the handler answered no JSON value") : { ok: true, output: JSON.parse(text) as unknown }
  } catch (error) {
    return failed(`the handler's answer is not JSON: ${messageOf(error)}`)
  }
}

/** Runs a handler on the input, within the timeout; never fails, never dies. */
const runHandler = (name: string, handler: SkillHandler, input: unknown, timeoutMs: number): Effect.Effect<Outcome> =>
  Effect.suspend(() => {
    const answer = handler(input)
    if (Effect.isEffect(answer)) return answer as Effect.Effect<unknown, unknown>
    if (answer !== null && typeof answer === "object" && typeof (answer as PromiseLike<unknown>).then === "function") {
      return Effect.tryPromise({ try: () => answer as Promise<unknown>, catch: (error) => error })
    }
    return Effect.succeed(answer)
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.millis(timeoutMs),
      onTimeout: () => new Error(`the handler of skill ${name} did not answer within ${timeoutMs} ms`)
    }),
    Effect.map(asJson),
    Effect.catchAllCause((cause) => {
      const error = Cause.squash(cause)
      return Effect.succeed(failed(`the handler of skill ${name} failed: ${messageOf(error)}`))
    })
  )

/**
 * Runs a sealed skill on its input: its registered handler, else its
 * transform; neither is a failed run saying so.
 */
export const run = (skill: { readonly name: string; readonly transform: string | null }, input: unknown): Effect.Effect<Outcome, never, SkillSettings> =>
  Effect.flatMap(SkillSettings, (settings) => {
    const handler = Object.prototype.hasOwnProperty.call(settings.handlers, skill.name) ? settings.handlers[skill.name] : undefined
    if (handler !== undefined) return runHandler(skill.name, handler, input, settings.timeoutMs)
    if (skill.transform !== null) return Effect.succeed(asJson(applyTransform(JSON.parse(skill.transform), input)))
    return Effect.succeed(failed(
      `skill ${skill.name} is sealed and has no implementation the emulator can run: publish it with a transform, or register a handler (skillHandlers); execution_steps are never run`
    ))
  })
