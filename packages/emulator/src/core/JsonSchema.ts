/**
 * JSON Schemas as Ajv (draft-07) compiles them, for every service that takes
 * one from its caller (drop-offs, skills): a schema that does not compile is
 * refused where it is given, and a value is checked against it where it
 * arrives. Compiled validators are kept for the most recent
 * schemas, each in an Ajv of its own (so that two schemas with one `$id`
 * never meet).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv"
import { excerpt } from "../core/Failure.js"

/** How many compiled schemas are kept. */
const CACHED = 100

/** How many of Ajv's errors a refusal names. */
export const MAX_ERRORS = 20

const cache = new Map<string, ValidateFunction>()

/** A schema, compiled; or why it does not compile. */
export type Compiled =
  | { readonly ok: true; readonly validate: ValidateFunction }
  | { readonly ok: false; readonly message: string }

/** Compiles a schema's JSON text (kept among the most recent). */
export const compile = (text: string): Compiled => {
  const cached = cache.get(text)
  if (cached !== undefined) {
    cache.delete(text)
    cache.set(text, cached)
    return { ok: true, validate: cached }
  }
  try {
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(
      JSON.parse(text) as Record<string, unknown>
    )
    cache.set(text, validate)
    if (cache.size > CACHED) cache.delete(cache.keys().next().value!)
    return { ok: true, validate }
  } catch (error) {
    return { ok: false, message: excerpt(error instanceof Error ? error.message : String(error), 200) }
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
