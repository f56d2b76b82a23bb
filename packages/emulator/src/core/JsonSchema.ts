/**
 * JSON Schemas as Ajv (draft-07) compiles them, for every service that takes
 * one from its caller (drop-offs, skills): a schema that does not compile is
 * refused where it is given, and a value is checked against it where it
 * arrives. Compiled validators are kept for the most recent
 * schemas, each in an Ajv of its own (so that two schemas with one `$id`
 * never meet).
 *
 * A caller's schema runs inside the emulator's one thread, so it is bounded:
 * at most `MAX_SCHEMA_DEPTH` levels and `MAX_SCHEMA_VALUES` values (Ajv's
 * compile time grows with both), and its `pattern`s and `patternProperties`
 * run on RE2 (`re2js`), whose matching time is linear in the input, not on
 * JavaScript's backtracking `RegExp`. A pattern must still be an ECMA-262
 * regular expression (as JSON Schema says); one RE2 cannot run in linear
 * time (a lookahead, a lookbehind, a backreference) is refused at compile.
 */
import { Ajv, type CodeOptions, type ErrorObject, type ValidateFunction } from "ajv"
import { RE2JS } from "re2js"
import * as Effect from "effect/Effect"
import { excerpt, refuse } from "./Failure.js"

/** How many compiled schemas are kept. */
const CACHED = 100

/** How many of Ajv's errors a refusal names. */
export const MAX_ERRORS = 20

/** How deeply a schema may nest objects and arrays (the schema itself is level 1). */
export const MAX_SCHEMA_DEPTH = 32

/** How many JSON values (objects, arrays, strings, numbers, booleans, nulls) a schema may hold. */
export const MAX_SCHEMA_VALUES = 2000

const cache = new Map<string, ValidateFunction>()

/** A schema, compiled; or why it does not compile. */
export type Compiled =
  | { readonly ok: true; readonly validate: ValidateFunction }
  | { readonly ok: false; readonly message: string }

/** Why a schema is too big to compile, if it is. */
const oversize = (schema: unknown): string | undefined => {
  let values = 0
  const stack: Array<[unknown, number]> = [[schema, 1]]
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!
    if (++values > MAX_SCHEMA_VALUES) return `the schema holds more than ${MAX_SCHEMA_VALUES} values`
    if (typeof value !== "object" || value === null) continue
    if (depth > MAX_SCHEMA_DEPTH) return `the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`
    for (const item of Array.isArray(value) ? value : Object.values(value)) stack.push([item, depth + 1])
  }
  return undefined
}

/**
 * The construct of an ECMA-262 pattern RE2 has no linear-time match for: a
 * lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) or a backreference (`\1`,
 * `\k<name>`). The pattern is known to compile as a `u` RegExp.
 */
const nonRegular = (pattern: string): string | undefined => {
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]
    if (ch === "\\") {
      const next = pattern[i + 1] ?? ""
      if (!inClass && (/[1-9]/.test(next) || next === "k")) return "a backreference"
      i++
    } else if (inClass) {
      if (ch === "]") inClass = false
    } else if (ch === "[") {
      inClass = true
    } else if (ch === "(" && /^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) {
      return pattern[i + 2] === "<" ? "a lookbehind" : "a lookahead"
    }
  }
  return undefined
}

const quoted = (pattern: string) => JSON.stringify(excerpt(pattern, 100))

/**
 * Ajv's `RegExpEngine` on RE2: each pattern is checked as the ECMA-262
 * regular expression JSON Schema says it is, then translated to RE2's
 * syntax and compiled; a pattern RE2 cannot run throws, which fails the
 * schema's compile. `test` searches anywhere in the string, as
 * `RegExp.prototype.test` does.
 */
export const re2: NonNullable<CodeOptions["regExp"]> = Object.assign(
  (pattern: string, flags: string) => {
    // a syntax error here names the pattern, as Ajv's default engine did
    new RegExp(pattern, flags)
    const construct = nonRegular(pattern)
    if (construct !== undefined) {
      throw new Error(
        `pattern ${quoted(pattern)} uses ${construct}: patterns run on RE2, in linear time, without lookarounds or backreferences`
      )
    }
    let compiled: RE2JS
    try {
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
    } catch (error) {
      throw new Error(
        `pattern ${quoted(pattern)} is not supported by RE2: ${excerpt(error instanceof Error ? error.message : String(error), 100)}`
      )
    }
    return {
      test: (text: string) => compiled.test(text),
      // Ajv shares one compiled pattern between the places of a schema that name it, by this key
      toString: () => `/${pattern}/${flags}`
    }
  },
  { code: "re2" }
)

/** Compiles a schema's JSON text (kept among the most recent). */
export const compile = (text: string): Compiled => {
  const cached = cache.get(text)
  if (cached !== undefined) {
    cache.delete(text)
    cache.set(text, cached)
    return { ok: true, validate: cached }
  }
  try {
    const schema = JSON.parse(text) as Record<string, unknown>
    const tooBig = oversize(schema)
    if (tooBig !== undefined) return { ok: false, message: tooBig }
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false, code: { regExp: re2 } }).compile(schema)
    cache.set(text, validate)
    if (cache.size > CACHED) cache.delete(cache.keys().next().value!)
    return { ok: true, validate }
  } catch (error) {
    return { ok: false, message: excerpt(error instanceof Error ? error.message : String(error), 300) }
  }
}

/** One violation, as `SCHEMA_VALIDATION_FAILED` names it. */
export interface Violation {
  readonly path: string
  readonly keyword: string
  readonly message: string
}

const violationOf = (error: ErrorObject): Violation => ({
  path: excerpt(error.instancePath, 200),
  keyword: error.keyword,
  message: excerpt(error.message ?? error.keyword, 200)
})

/** The violations of `payload` (at most `MAX_ERRORS` of them), and how many there were; none when it is valid. */
export const check = (validate: ValidateFunction, payload: unknown): { readonly errors: ReadonlyArray<Violation>; readonly total: number } => {
  if (validate(payload)) return { errors: [], total: 0 }
  const errors = validate.errors ?? []
  return { errors: errors.slice(0, MAX_ERRORS).map(violationOf), total: errors.length }
}

/**
 * Checks a value against a stored schema's JSON text: 400
 * `SCHEMA_VALIDATION_FAILED` naming the first violation (its `details`: the
 * violations and how many there were) when it breaks it; 409 `CONFLICT` when
 * the stored schema is no longer accepted (one an older emulator stored, with
 * a lookahead, say). `value` names the value ("the payload"), `schema` the
 * schema ("the schema of drop-off dof_…").
 */
export const conforms = (schemaText: string, value: unknown, names: { readonly value: string; readonly schema: string }) => {
  const compiled = compile(schemaText)
  if (!compiled.ok) return refuse("CONFLICT", `${names.schema} is no longer accepted: ${compiled.message}`)
  const { errors, total } = check(compiled.validate, value)
  if (total === 0) return Effect.void
  return refuse(
    "SCHEMA_VALIDATION_FAILED",
    `the ${names.value} does not match ${names.schema}: ${excerpt(`${errors[0]!.path || names.value} ${errors[0]!.message}`, 200)}${
      total > 1 ? ` (and ${total - 1} more)` : ""
    }`,
    { errors, total }
  )
}
