/**
 * The request board's matching and composition, pure.
 *
 * A request's candidates are active skills that carry one of its tags, or
 * whose name or description holds one of the words of its description (at
 * least 4 letters, not a common word); the newest `MAX_CANDIDATES` of them.
 *
 * Skill A's output FITS skill B's input when every property B's
 * `input_schema` requires is a property of A's `output_schema` with a
 * compatible `type` (B's type left out accepts any; A's `integer` fits B's
 * `number`; A's types must all be among B's), and at least one property
 * flows (B requires one, or A's output and B's input share a property
 * name). A chain of one to three distinct candidates, each fitting the
 * next, is suggested when it covers at least one request tag and, when
 * longer than one, more tags than each of its skills alone. Score: the
 * share of the request's tags covered. Best first: score, then the shorter
 * chain; at most `MAX_SUGGESTIONS`.
 */
import type { Composition as CompositionSchema } from "@getstack/effect/api/Skills"
import type { SkillRow } from "./Store.js"
import { tagsOf } from "./Store.js"

/** How many skills a request's matches name. */
export const MAX_MATCHES = 20

/** How many candidates the composition search considers. */
export const MAX_CANDIDATES = 30

/** How many chains a suggestion answers. */
export const MAX_SUGGESTIONS = 10

/** The longest chain suggested. */
export const MAX_CHAIN = 3

const COMMON = new Set(["that", "this", "with", "from", "into", "need", "needs", "want", "some", "them", "then", "than", "what", "which", "have", "will", "would", "should", "could", "about", "their", "there", "skill", "skills", "agent", "agents"])

/** The words of a description a search looks for: at least 4 letters, not common, at most 10. */
export const wordsOf = (description: string): ReadonlyArray<string> =>
  [...new Set(description.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length >= 4 && !COMMON.has(word)))].slice(0, 10)

/** The parts of a JSON Schema object that fitting reads. */
export type JsonSchema = {
  readonly properties?: Record<string, { readonly type?: unknown } | undefined>
  readonly required?: ReadonlyArray<string>
  readonly [keyword: string]: unknown
}

const typesOf = (property: { readonly type?: unknown } | undefined): ReadonlyArray<string> | undefined =>
  property === undefined || property.type === undefined
    ? undefined
    : Array.isArray(property.type)
    ? property.type.filter((type): type is string => typeof type === "string")
    : typeof property.type === "string"
    ? [property.type]
    : undefined

/** Whether a produced property's type is accepted where another is expected. */
const compatible = (produced: { readonly type?: unknown } | undefined, expected: { readonly type?: unknown } | undefined): boolean => {
  const accepted = typesOf(expected)
  if (accepted === undefined) return true
  const given = typesOf(produced)
  if (given === undefined || given.length === 0) return false
  return given.every((type) => accepted.includes(type) || (type === "integer" && accepted.includes("number")))
}

const propertiesOf = (schema: JsonSchema): Record<string, { readonly type?: unknown } | undefined> =>
  schema.properties !== null && typeof schema.properties === "object" ? schema.properties : {}

/** Whether an output schema fits an input schema (see the module's description). */
export const fits = (output: JsonSchema, input: JsonSchema): boolean => {
  const produced = propertiesOf(output)
  const expected = propertiesOf(input)
  const required = Array.isArray(input.required) ? input.required.filter((name): name is string => typeof name === "string") : []
  const flows = required.length > 0 || Object.keys(expected).some((name) => Object.prototype.hasOwnProperty.call(produced, name))
  return flows && required.every((name) =>
    Object.prototype.hasOwnProperty.call(produced, name) && compatible(produced[name], expected[name])
  )
}

/** Suggested chains over the candidates, best first. */
export const suggest = (
  requestTags: ReadonlyArray<string>,
  candidates: ReadonlyArray<SkillRow>
): Array<typeof CompositionSchema.Type> => {
  if (requestTags.length === 0) return []
  const skills = candidates.map((row) => ({
    id: row.id,
    tags: new Set(tagsOf(row)),
    input: JSON.parse(row.input_schema) as JsonSchema,
    output: JSON.parse(row.output_schema) as JsonSchema
  }))
  const fit = skills.map((from) => skills.map((to) => from !== to && fits(from.output, to.input)))
  const coverOf = (chain: ReadonlyArray<number>) => requestTags.filter((tag) => chain.some((index) => skills[index]!.tags.has(tag)))
  const suggestions: Array<{ readonly chain: ReadonlyArray<number>; readonly covers: ReadonlyArray<string> }> = []
  const extend = (chain: ReadonlyArray<number>) => {
    const covers = coverOf(chain)
    const adds = chain.length === 1 || chain.every((index) => coverOf([index]).length < covers.length)
    if (covers.length > 0 && adds) suggestions.push({ chain, covers })
    if (chain.length === MAX_CHAIN) return
    const last = chain[chain.length - 1]!
    skills.forEach((_, next) => {
      if (fit[last]![next] && !chain.includes(next)) extend([...chain, next])
    })
  }
  skills.forEach((_, index) => extend([index]))
  const score = (covers: ReadonlyArray<string>) => Math.round((covers.length / requestTags.length) * 1000) / 1000
  return suggestions
    .sort((a, b) =>
      b.covers.length - a.covers.length || a.chain.length - b.chain.length ||
      a.chain.map((i) => skills[i]!.id).join().localeCompare(b.chain.map((i) => skills[i]!.id).join())
    )
    .slice(0, MAX_SUGGESTIONS)
    .map(({ chain, covers }) => ({ skills: chain.map((index) => skills[index]!.id), covers, score: score(covers) }))
}
