/**
 * Callers' JSON Schemas, compiled: patterns run on RE2 (linear time, the
 * same answers as JavaScript's RegExp for what both run), a pattern RE2
 * cannot run and an oversized schema are refused at compile, and errors stay
 * bounded.
 */
import { describe, expect, it } from "@effect/vitest"
import * as JsonSchema from "../src/core/JsonSchema.js"

/** Compiles a schema, failing the test when it does not compile. */
const compiled = (schema: unknown) => {
  const result = JsonSchema.compile(JSON.stringify(schema))
  if (!result.ok) throw new Error(`does not compile: ${result.message}`)
  return result.validate
}

/** The reason a schema does not compile, failing the test when it does. */
const refusal = (schema: unknown) => {
  const result = JsonSchema.compile(JSON.stringify(schema))
  if (result.ok) throw new Error(`compiles: ${JSON.stringify(schema)}`)
  return result.message
}

/** A schema of `depth` levels: arrays of arrays of … strings. */
const nested = (depth: number): unknown => depth <= 1 ? { type: "string" } : { type: "array", items: nested(depth - 1) }

/** A value of `nested(depth)`. */
const nestedValue = (depth: number): unknown => depth <= 1 ? "x" : [nestedValue(depth - 1)]

describe("JSON Schema patterns on RE2", () => {
  it("a pattern that backtracks catastrophically in JavaScript answers at once, with the right result", () => {
    const validate = compiled({ type: "string", pattern: "^(a+)+$" })
    const evil = `${"a".repeat(40)}!`
    expect(JsonSchema.check(validate, evil)).toEqual({
      total: 1,
      errors: [{ path: "", keyword: "pattern", message: "must match pattern \"^(a+)+$\"" }]
    })
    expect(JsonSchema.check(validate, "a".repeat(100_000)).total).toBe(0)
    const keys = compiled({ type: "object", patternProperties: { "^(x+x+)+y$": { type: "number" } } })
    expect(JsonSchema.check(keys, { [`${"x".repeat(40)}y`]: "no", [`${"x".repeat(40)}`]: "ignored" }).errors)
      .toEqual([{ path: `/${"x".repeat(40)}y`, keyword: "type", message: "must be number" }])
  })

  it("ordinary patterns answer as JavaScript's RegExp does, each pattern of a schema its own", () => {
    const validate = compiled({
      type: "object",
      properties: {
        phone: { type: "string", pattern: "^\\d{3}-\\d{4}$" },
        code: { type: "string", pattern: "^[A-Z]{2}\\/\\u00e9$" },
        word: { type: "string", pattern: "^\\p{L}+$" },
        year: { type: "string", pattern: "^(?<year>\\d{4})$" },
        anywhere: { type: "string", pattern: "ab" }
      },
      patternProperties: { "^x-": { type: "string", pattern: "^[a-z]+$" } }
    })
    const valid = { phone: "555-1234", code: "FR/é", word: "été", year: "2026", anywhere: "--ab--", "x-tag": "ok" }
    expect(JsonSchema.check(validate, valid)).toEqual({ errors: [], total: 0 })
    const invalid = { phone: "555-12345", code: "fr/é", word: "été1", year: "26", anywhere: "a-b", "x-tag": "NO" }
    const { errors, total } = JsonSchema.check(validate, invalid)
    expect(total).toBe(6)
    expect(errors.map((e) => [e.path, e.keyword])).toEqual([
      ["/phone", "pattern"],
      ["/code", "pattern"],
      ["/word", "pattern"],
      ["/year", "pattern"],
      ["/anywhere", "pattern"],
      ["/x-tag", "pattern"]
    ])
    for (const [field, value] of Object.entries(valid)) {
      const pattern = field === "x-tag" ? "^[a-z]+$" : (compiledPatterns as Record<string, string>)[field]!
      expect(new RegExp(pattern, "u").test(value), field).toBe(true)
      expect(new RegExp(pattern, "u").test((invalid as Record<string, string>)[field]!), field).toBe(false)
    }
  })

  it("a lookaround or a backreference is refused at compile, naming the pattern and why", () => {
    const cases = [
      ["^(?=a)a$", "a lookahead"],
      ["^(?!a)b$", "a lookahead"],
      ["(?<=a)b", "a lookbehind"],
      ["(?<!a)b", "a lookbehind"],
      ["^(a)\\1$", "a backreference"],
      ["^(?<x>a)\\k<x>$", "a backreference"]
    ] as const
    for (const [pattern, construct] of cases) {
      const message = refusal({ type: "string", pattern })
      expect(message).toContain(JSON.stringify(pattern))
      expect(message).toContain(`uses ${construct}`)
    }
    expect(refusal({ patternProperties: { "^(?=x)": { type: "number" } } })).toContain("uses a lookahead")
    // written as text, not as the constructs: accepted
    expect(JsonSchema.check(compiled({ pattern: "^\\(\\?=\\\\1[(?=]$" }), "(?=\\1(").total).toBe(0)
    // not a regular expression at all, or one RE2 has no syntax for: refused, still by the pattern
    expect(refusal({ pattern: "[" })).toMatch(/Invalid regular expression/)
    expect(refusal({ pattern: "a{1001}" })).toMatch(/^pattern "a\{1001\}" is not supported by RE2/)
  })
})

describe("JSON Schema bounds", () => {
  it("at most MAX_SCHEMA_DEPTH levels and MAX_SCHEMA_VALUES values", () => {
    const deepest = compiled(nested(JsonSchema.MAX_SCHEMA_DEPTH))
    expect(JsonSchema.check(deepest, nestedValue(JsonSchema.MAX_SCHEMA_DEPTH)).total).toBe(0)
    expect(JsonSchema.check(deepest, nestedValue(JsonSchema.MAX_SCHEMA_DEPTH - 1)).total).toBe(1)
    expect(refusal(nested(JsonSchema.MAX_SCHEMA_DEPTH + 1))).toBe(`the schema nests deeper than ${JsonSchema.MAX_SCHEMA_DEPTH} levels`)
    const enumOf = (n: number) => ({ enum: Array.from({ length: n }, (_, i) => `v${i}`) })
    // the schema object, its enum array, and the values
    const fits = compiled(enumOf(JsonSchema.MAX_SCHEMA_VALUES - 2))
    expect(JsonSchema.check(fits, "v0").total).toBe(0)
    expect(JsonSchema.check(fits, "w").total).toBe(1)
    expect(refusal(enumOf(JsonSchema.MAX_SCHEMA_VALUES - 1))).toBe(`the schema holds more than ${JsonSchema.MAX_SCHEMA_VALUES} values`)
  })
})

const compiledPatterns = {
  phone: "^\\d{3}-\\d{4}$",
  code: "^[A-Z]{2}\\/\\u00e9$",
  word: "^\\p{L}+$",
  year: "^(?<year>\\d{4})$",
  anywhere: "ab"
}
