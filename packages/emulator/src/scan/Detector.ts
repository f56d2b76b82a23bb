/**
 * The prompt-injection detector behind `POST /v1/scan`: a versioned catalog
 * of patterns, each tested against normalised variants of a text (folded to
 * plain lower-case Latin, leetspeak undone, spaced-out letters joined,
 * reversed, and base64 / hex / percent-encoded / Unicode-tag segments decoded),
 * and a verdict from what matched. Pure and synchronous; every step is bounded
 * (the first 64 KiB of a field, a few decoded segments, regexes without nested
 * ambiguous quantifiers), so hostile content cannot make a scan slow. The
 * patterns are in `Catalog.ts`.
 */
import { catalog, type Pattern, type Severity } from "./Catalog.js"

export { catalog, CATALOG_VERSION, type Category, type Pattern, type Severity } from "./Catalog.js"

/** What a scan concludes: `clean`, `suspicious` (one plain match) or `critical`. */
export type Level = "clean" | Severity

/** One text a pattern is tested against, and how it was derived from the input. */
export interface Variant {
  readonly text: string
  /** `base`, or the steps that produced it: `leet`, `separated`, `reversed`, `base64`, `percent+reversed`, … */
  readonly how: string
}

/** The match a verdict rests on. */
export interface Match {
  readonly pattern_id: string
  /** At most `MAX_EXCERPT` characters around the match, never cutting a surrogate pair. */
  readonly excerpt: string
  /** The field of an object (a key) or array (an index) it was found in; `null` for a string. */
  readonly field_path: string | null
}

/** What `scanText` and `scanContent` answer. */
export interface Verdict {
  readonly verdict: Level
  /** The most severe match, first found; `null` when clean. */
  readonly match: Match | null
  /** How many distinct catalog patterns matched. */
  readonly matches: number
}


/** How much of each field (or of a string content) is considered, in UTF-16 code units. */
export const MAX_FIELD_CHARS = 65_536

/** How many fields of an object or array content are scanned (the first ones). */
export const MAX_FIELDS = 1_000

/** How many characters of a whole content are considered, over all its fields. */
export const MAX_CONTENT_CHARS = 1_048_576

/** How many decoded segments one field may add (at most one level of nesting below the first). */
export const MAX_SEGMENTS = 16

/** How many characters the decoded segments of one field may add in all. */
export const MAX_DECODED_CHARS = 65_536

/** The longest excerpt a match carries. */
export const MAX_EXCERPT = 80

const MAX_DEPTH = 2


const HOMOGLYPHS: Readonly<Record<string, string>> = {
  // Cyrillic
  "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
  "х": "x", "ь": "b", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
  "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y",
  "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I", "Ү": "Y",
  // Greek
  "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
  "Τ": "T", "Υ": "Y", "Χ": "X", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
  "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
  // Latin and Armenian look-alikes
  "ɡ": "g", "ı": "i", "ɩ": "i", "ȷ": "j", "ɑ": "a", "ո": "n", "ս": "u", "օ": "o", "ց": "g",
  // punctuation
  "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u201c": "\"", "\u201d": "\"", "\u201e": "\"",
  "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-"
}
const HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`, "g")
const INVISIBLE = /[\p{Cf}\u034f\u115f\u1160\u3164\uffa0]/gu
const LATIN_MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g
const LEET: ReadonlyArray<readonly [string, string]> = [["0", "o"], ["3", "e"], ["4", "a"], ["5", "s"], ["7", "t"], ["@", "a"], ["$", "s"]]
const LETTER = /\p{L}/u
const SPACE_RUN = /[^\S\n\r\v\f\u2028\u2029]+/g
const BREAK_RUN = / ?[\n\r\v\f\u2028\u2029]\s*/g

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff

const LETTERS = new Map<number, boolean>()
/** A BMP letter (an astral one, being two code units, never counts as a single letter). */
const isLetter = (code: number): boolean => {
  if (code < 0x80) return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a)
  if (code >= 0xd800 && code <= 0xdfff) return false
  let known = LETTERS.get(code)
  if (known === undefined) {
    known = LETTER.test(String.fromCharCode(code))
    if (LETTERS.size < 4096) LETTERS.set(code, known)
  }
  return known
}

/** The first `max` code units of a text, never ending inside a surrogate pair. */
const cap = (text: string, max: number): string =>
  text.length <= max ? text : text.slice(0, isHigh(text.charCodeAt(max - 1)) ? max - 1 : max)

/** NFKC with Latin diacritics dropped, invisible characters removed, homoglyphs mapped, lower case. */
const fold = (text: string): string =>
  text
    .normalize("NFKD")
    .replace(LATIN_MARKS, "")
    .normalize("NFC")
    .replace(INVISIBLE, "")
    .replace(HOMOGLYPH, (c) => HOMOGLYPHS[c] ?? c)
    .toLowerCase()

const collapse = (text: string): string => text.replace(SPACE_RUN, " ").replace(BREAK_RUN, "\n").trim()

const unleet = (text: string, one: string): string => {
  let out = text.replaceAll("1", one)
  for (const [from, to] of LEET) out = out.replaceAll(from, to)
  return out
}

/**
 * Joins letters spaced out by one non-letter each (`i.g.n.o.r.e`, `i g n o r e`):
 * runs of at least 4 such letters, and runs of 2 or 3 next to one (`a l l`
 * between two long runs). Within a run, whitespace where the run's first
 * separator was not whitespace marks a word break. Linear in the text.
 */
const joinSeparated = (text: string): string => {
  const n = text.length
  const letter = new Uint8Array(n)
  for (let i = 0; i < n; i++) letter[i] = isLetter(text.charCodeAt(i)) ? 1 : 0
  const single = (i: number) => i >= 0 && i < n && letter[i] === 1 && letter[i - 1] !== 1 && letter[i + 1] !== 1
  const runs: Array<{ start: number; end: number; count: number; joined: string }> = []
  let i = 0
  while (i < n) {
    if (!single(i)) {
      i++
      continue
    }
    const first = text[i + 1]
    const firstIsSpace = first !== undefined && /\s/.test(first)
    let joined = text[i]!
    let j = i
    let count = 1
    while (j + 2 < n && single(j + 2)) {
      const sep = text[j + 1]!
      if (!firstIsSpace && sep !== first && /\s/.test(sep)) joined += " "
      joined += text[j + 2]
      j += 2
      count++
    }
    if (count >= 2) runs.push({ start: i, end: j + 1, count, joined })
    i = j + 1
  }
  if (runs.length === 0) return text
  const long = runs.map((run) => run.count >= 4)
  const near = (a: number, b: number) => /^\s{1,4}$/.test(text.slice(runs[a]!.end, runs[b]!.start))
  const keep = runs.map((_, k) =>
    long[k] === true || (k > 0 && long[k - 1] === true && near(k - 1, k)) ||
    (k + 1 < runs.length && long[k + 1] === true && near(k, k + 1))
  )
  let out = ""
  let at = 0
  runs.forEach((run, k) => {
    if (!keep[k]) return
    out += text.slice(at, run.start) + run.joined
    at = run.end
  })
  return out + text.slice(at)
}

/** The text backwards, by code points. */
const reverse = (text: string): string => {
  const codes = new Uint16Array(text.length)
  for (let i = 0, j = text.length - 1; i < text.length; i++, j--) {
    const c = text.charCodeAt(i)
    if (isHigh(c) && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      codes[j - 1] = c
      codes[j] = text.charCodeAt(++i)
      j--
    } else {
      codes[j] = c
    }
  }
  return UTF16.decode(codes)
}

const UTF8 = new TextDecoder("utf-8", { fatal: true })
const UTF8_LENIENT = new TextDecoder("utf-8")
const UTF16 = new TextDecoder("utf-16le")

/** Mostly printable: at least 90% of the characters are neither control characters nor U+FFFD, and one is a letter. */
const printable = (text: string): boolean => {
  if (text.length === 0) return false
  let bad = 0
  let letters = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f) || c === 0xfffd) bad++
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c > 0xbf) letters++
  }
  return letters > 0 && bad <= text.length / 10
}

const decodeUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    const text = UTF8.decode(bytes)
    return printable(text) ? text : undefined
  } catch {
    return undefined
  }
}

const fromBase64 = (run: string): string | undefined => {
  const body = run.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/")
  if (body.length % 4 === 1) return undefined
  let binary: string
  try {
    binary = atob(body)
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return decodeUtf8(bytes)
}

const fromHex = (run: string): string | undefined => {
  const digits = run.replace(/\\x/gi, "")
  if (digits.length % 2 !== 0) return undefined
  const bytes = new Uint8Array(digits.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16)
  return decodeUtf8(bytes)
}

const fromPercent = (token: string): string | undefined => {
  const decoded = token.replace(/\+/g, " ").replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    const bytes = new Uint8Array(run.length / 3)
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(3 * i + 1, 3 * i + 3), 16)
    return UTF8_LENIENT.decode(bytes)
  })
  return printable(decoded) ? decoded : undefined
}

const fromTags = (run: string): string =>
  Array.from(run, (c) => String.fromCharCode(c.codePointAt(0)! - 0xe0000)).join("")

const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g
const HEX_RUN = /(?<![0-9a-fA-F])[0-9a-fA-F]{16,}(?![0-9a-fA-F])|(?:\\x[0-9a-fA-F]{2}){8,}/g
const PERCENT_ESCAPE = /%[0-9a-f]{2}/gi
const TAG_RUN = /[\u{e0020}-\u{e007e}]{4,}/gu

interface Budget {
  segments: number
  chars: number
}

/** The encoded segments of a text, decoded, in order: Unicode tags, base64, hex, percent-encoding. */
function* segments(raw: string): Generator<{ readonly kind: string; readonly text: string | undefined }> {
  for (const m of raw.matchAll(TAG_RUN)) yield { kind: "tags", text: fromTags(m[0]) }
  const visible = raw.replace(INVISIBLE, "")
  for (const m of visible.matchAll(BASE64_RUN)) yield { kind: "base64", text: fromBase64(m[0]) }
  for (const m of visible.matchAll(HEX_RUN)) yield { kind: "hex", text: fromHex(m[0]) }
  for (const token of visible.split(/\s+/)) {
    if (token.length >= 9 && (token.match(PERCENT_ESCAPE)?.length ?? 0) >= 3) yield { kind: "percent", text: fromPercent(token) }
  }
}

const variantsOf = (input: string, depth: number, budget: Budget, out: Array<Variant>, seen: Set<string>, prefix: string) => {
  const add = (text: string, how: string) => {
    if (text.length === 0 || seen.has(text)) return
    seen.add(text)
    out.push({ text, how: prefix === "" ? how : how === "base" ? prefix : `${prefix}+${how}` })
  }
  const raw = cap(input, MAX_FIELD_CHARS)
  const folded = fold(raw)
  const base = collapse(folded)
  add(base, "base")
  if (/[013457@$]/.test(base)) {
    add(unleet(base, "i"), "leet")
    if (base.includes("1")) add(unleet(base, "l"), "leet")
  }
  add(collapse(joinSeparated(folded)), "separated")
  add(reverse(base), "reversed")
  if (depth >= MAX_DEPTH) return
  for (const segment of segments(raw)) {
    if (budget.segments >= MAX_SEGMENTS || budget.chars >= MAX_DECODED_CHARS) return
    if (segment.text === undefined) continue
    const text = cap(segment.text, MAX_DECODED_CHARS - budget.chars)
    budget.segments++
    budget.chars += text.length
    variantsOf(text, depth + 1, budget, out, seen, prefix === "" ? segment.kind : `${prefix}+${segment.kind}`)
  }
}

/**
 * The texts the catalog is tested against, the first always the base: the
 * first 64 KiB, NFKC (Latin diacritics dropped), zero-width and other
 * invisible characters removed, Cyrillic / Greek / other look-alikes mapped
 * to Latin, lower case, whitespace collapsed. Then, when they differ:
 * leetspeak undone, spaced-out letters joined, the text reversed, and each
 * decoded segment (base64, hex, percent-encoding, Unicode tags; at most
 * `MAX_SEGMENTS`, one more level of decoding inside them) normalised again.
 */
export const normalise = (text: string): ReadonlyArray<Variant> => {
  const out: Array<Variant> = []
  variantsOf(text, 0, { segments: 0, chars: 0 }, out, new Set(), "")
  if (out.length === 0) out.push({ text: "", how: "base" })
  return out
}

interface Hit {
  readonly pattern: Pattern
  readonly field: string | null
  readonly original: string
  readonly variant: Variant
  readonly matched: string
}

/** At most `MAX_EXCERPT` code units of `text` from `start`, centred on `length` of them, never cutting a surrogate pair. */
const window = (text: string, start: number, length: number): string => {
  let from = length >= MAX_EXCERPT ? start : Math.max(0, start - Math.floor((MAX_EXCERPT - length) / 2))
  let to = Math.min(text.length, from + MAX_EXCERPT)
  from = Math.max(0, to - MAX_EXCERPT)
  if (from > 0 && isLow(text.charCodeAt(from))) from++
  if (to < text.length && isHigh(text.charCodeAt(to - 1))) to--
  return text.slice(from, to).trim()
}

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

const excerptOf = (hit: Hit): string => {
  const phrase = hit.matched.trim()
  if (hit.variant.how === "base" && phrase.length > 0) {
    const words = phrase.slice(0, 200).split(/\s+/).filter((word) => word.length > 0)
    const found = new RegExp(words.map(escape).join(String.raw`\s+`), "i").exec(cap(hit.original, MAX_FIELD_CHARS))
    if (found !== null) return window(hit.original, found.index, found[0].length)
  }
  return window(phrase, 0, MAX_EXCERPT)
}

const scanField = (field: string | null, original: string, hits: Array<Hit>) => {
  const variants = normalise(original)
  const found: Array<Hit & { readonly at: number; readonly index: number }> = []
  for (const pattern of catalog) {
    for (const [at, variant] of variants.entries()) {
      const m = pattern.test.exec(variant.text)
      if (m === null) continue
      found.push({ pattern, field, original, variant, matched: m[0], at, index: m.index })
      break
    }
  }
  found.sort((a, b) => a.at - b.at || a.index - b.index)
  hits.push(...found)
}

const stringified = (value: object): string => {
  try {
    return (JSON.stringify(value) ?? "").replace(/\\[nrt]/g, " ").replace(/\\"/g, "\"")
  } catch {
    return ""
  }
}

/** The strings of a content one level deep, with their field paths. */
const fieldsOf = (content: unknown): ReadonlyArray<readonly [string | null, string]> => {
  if (typeof content === "string") return [[null, content]]
  if (typeof content !== "object" || content === null) return []
  const entries: Array<readonly [string, unknown]> = []
  if (Array.isArray(content)) {
    for (let i = 0; i < content.length && entries.length < MAX_FIELDS; i++) entries.push([String(i), content[i]])
  } else {
    for (const key in content) {
      if (entries.length >= MAX_FIELDS) break
      if (Object.hasOwn(content, key)) entries.push([key, (content as Record<string, unknown>)[key]])
    }
  }
  const fields: Array<readonly [string, string]> = []
  let left = MAX_CONTENT_CHARS
  for (const [path, value] of entries) {
    if (left <= 0) break
    const text = typeof value === "string"
      ? value
      : typeof value === "object" && value !== null
      ? stringified(value)
      : undefined
    if (text === undefined) continue
    const considered = cap(text, Math.min(MAX_FIELD_CHARS, left))
    left -= considered.length
    fields.push([path, considered])
  }
  return fields
}

const obfuscated = (hit: Hit) => hit.variant.how !== "base"

/**
 * Scans a content: a string (its match's `field_path` is `null`), or an
 * object or array whose values are scanned one level deep (string values as
 * they are, nested objects and arrays as their JSON, numbers and booleans
 * ignored), a match naming its key or index. Any critical pattern makes it
 * `critical`; so do two distinct suspicious patterns, or a suspicious one
 * found only in an obfuscated variant (decoded, reversed, leetspeak, spaced
 * out); one plain suspicious pattern is `suspicious`.
 */
export const scanContent = (content: unknown): Verdict => {
  const hits: Array<Hit> = []
  for (const [path, text] of fieldsOf(content)) scanField(path, text, hits)
  if (hits.length === 0) return { verdict: "clean", match: null, matches: 0 }
  const severe = (hit: Hit) => hit.pattern.severity === "critical" || obfuscated(hit)
  const suspicious = new Set(hits.filter((hit) => hit.pattern.severity === "suspicious").map((hit) => hit.pattern.id))
  const critical = hits.some(severe) || suspicious.size >= 2
  const reported = hits.find(severe) ?? hits[0]!
  return {
    verdict: critical ? "critical" : "suspicious",
    match: { pattern_id: reported.pattern.id, excerpt: excerptOf(reported), field_path: reported.field },
    matches: new Set(hits.map((hit) => hit.pattern.id)).size
  }
}

/** Scans one text: `scanContent` of a string. */
export const scanText = (text: string): Verdict => scanContent(text)
