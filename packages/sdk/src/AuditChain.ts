/**
 * Verifies an audit chain on the client, without trusting the server: every
 * `entry_hash` is recomputed here from the entry's fields, and the chain is
 * walked with the contract's own rules (`chainWalk`, the rules the server's
 * `verify-chain` applies), so both give the same verdict on the same
 * entries. A trusted head — what `chainHead()` answered in an earlier run,
 * anchored elsewhere — also catches a chain cut short or rewritten with
 * consistently recomputed hashes.
 *
 * ```ts
 * const verdict = yield* AuditChain.fromNdjson(bytes).pipe(
 *   AuditChain.verify({ trustedHead: { entry_hash: pinned.entry_hash, count: pinned.count } })
 * )
 * ```
 *
 * Entries are read as a stream, a chunk at a time, and the walk stops at the
 * first break: memory does not grow with the chain. Hashing is synchronous
 * where the runtime has `node:crypto` (Node, Bun, Deno), and WebCrypto,
 * a chunk's entries at once, elsewhere.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import * as Stream from "effect/Stream"
import * as Audit from "./api/Audit.js"
import * as Sha256 from "./internal/sha256.js"

/**
 * What `verify` reads of an entry: the fields its hash covers and the hash.
 * An `AuditEntry` is one.
 *
 * @since 0.1.0
 * @category models
 */
export type Entry = Audit.HashedFields & { readonly entry_hash: string }

/**
 * A chain head anchored earlier (the `entry_hash` and `count` of a
 * `chainHead()` answer): the chain verified now must still hold that
 * `entry_hash` at position `count - 1`. `count: 0` pins nothing (the head of
 * an empty chain); a pin `verify` cannot check (`entry_hash: null` with a
 * positive count, or a count that is not a whole number) fails it.
 *
 * @since 0.1.0
 * @category models
 */
export interface TrustedHead {
  readonly entry_hash: string | null
  readonly count: number
}

/**
 * Options of `verify`.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  /**
   * A head anchored earlier. Positions count from the first entry walked:
   * pin a walk from genesis (the default `start`).
   */
  readonly trustedHead?: TrustedHead | undefined
  /**
   * Where the walk starts, for a range that does not begin at genesis: the
   * `entry_hash` and `timestamp` of the entry before the first one given.
   */
  readonly start?: Audit.ChainStart | undefined
  /**
   * The SHA-256 to hash with. `"auto"` (the default): the runtime's
   * synchronous one where it has one, else WebCrypto. `"webcrypto"`: always
   * WebCrypto (slower; the same verdicts).
   */
  readonly sha256?: "auto" | "webcrypto" | undefined
}

/**
 * The chain verifies: `count` entries walked, the last one's `entry_hash` is
 * `head` (the start's hash when no entry was given).
 *
 * @since 0.1.0
 * @category verdicts
 */
export class Valid extends Schema.TaggedClass<Valid>()("Valid", {
  head: Schema.String,
  count: Schema.Number
}) {}

/**
 * The chain does not verify: the first break, at position `index` (0 for the
 * first entry walked) of the entry `entry_id` (`null` when the chain is
 * truncated: `index` is then how many entries it holds).
 *
 * @since 0.1.0
 * @category verdicts
 */
export class Broken extends Schema.TaggedClass<Broken>()("Broken", {
  index: Schema.Number,
  entry_id: Schema.NullOr(Schema.String),
  reason: Audit.ChainBreakReason
}) {}

/**
 * The schema of a verdict, to store or send one.
 *
 * @since 0.1.0
 * @category verdicts
 */
export const Verdict = Schema.Union(Valid, Broken)

/**
 * What `verify` answers.
 *
 * @since 0.1.0
 * @category verdicts
 */
export type Verdict = Valid | Broken

/**
 * Whether the chain verifies.
 *
 * @since 0.1.0
 * @category guards
 */
export const isValid = (verdict: Verdict): verdict is Valid => verdict._tag === "Valid"

/**
 * Whether the chain does not verify.
 *
 * @since 0.1.0
 * @category guards
 */
export const isBroken = (verdict: Verdict): verdict is Broken => verdict._tag === "Broken"

/**
 * Folds a verdict: `onValid` or `onBroken`.
 *
 * @since 0.1.0
 * @category pattern matching
 */
export const match: {
  <A, B = A>(cases: {
    readonly onValid: (valid: Valid) => A
    readonly onBroken: (broken: Broken) => B
  }): (self: Verdict) => A | B
  <A, B = A>(self: Verdict, cases: {
    readonly onValid: (valid: Valid) => A
    readonly onBroken: (broken: Broken) => B
  }): A | B
} = dual(2, <A, B>(self: Verdict, cases: {
  readonly onValid: (valid: Valid) => A
  readonly onBroken: (broken: Broken) => B
}): A | B => self._tag === "Valid" ? cases.onValid(self) : cases.onBroken(self))

/** `chainWalk` plus the trusted head's position check. */
const makeWalker = (options: VerifyOptions | undefined) => {
  const walk = Audit.chainWalk(options?.start)
  const pin = options?.trustedHead !== undefined && options.trustedHead.count > 0 ? options.trustedHead : undefined
  let pinChecked = false
  const check = (entry: Entry, computedHash: string): Audit.ChainBreak | undefined => {
    const broken = walk.check(entry, computedHash)
    if (broken !== undefined || pin === undefined || walk.count() !== pin.count) return broken
    pinChecked = true
    return entry.entry_hash === pin.entry_hash
      ? undefined
      : { index: pin.count - 1, entry_id: entry.entry_id, reason: "hash_mismatch" }
  }
  return {
    checkSync: (chunk: Chunk.Chunk<Entry>, hash: Sha256.SyncSha256): Audit.ChainBreak | undefined => {
      const entries = Chunk.toReadonlyArray(chunk)
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!
        const broken = check(entry, hash(Audit.hashInput(entry)))
        if (broken !== undefined) return broken
      }
      return undefined
    },
    checkAsync: (chunk: Chunk.Chunk<Entry>): Effect.Effect<Audit.ChainBreak | undefined> => {
      const entries = Chunk.toReadonlyArray(chunk)
      return Effect.map(
        Effect.promise(() => Promise.all(entries.map((entry) => Sha256.webCrypto(Audit.hashInput(entry))))),
        (hashes) => {
          for (let i = 0; i < entries.length; i++) {
            const broken = check(entries[i]!, hashes[i]!)
            if (broken !== undefined) return broken
          }
          return undefined
        }
      )
    },
    verdict: (broken: Audit.ChainBreak | undefined): Verdict =>
      broken !== undefined
        ? new Broken(broken)
        : pin !== undefined && !pinChecked
        ? new Broken({ index: walk.count(), entry_id: null, reason: "truncated" })
        : new Valid({ head: walk.head(), count: walk.count() })
  }
}

/**
 * What `verify` reads: entries oldest first, as a `Stream` or an `Iterable`.
 *
 * @since 0.1.0
 * @category models
 */
export type Entries = Stream.Stream<Entry, unknown, unknown> | Iterable<Entry>

/**
 * The error of a stream of entries (`never` for an `Iterable`).
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorOf<S extends Entries> = [S] extends [Stream.Stream<Entry, infer E, infer _R>] ? E : never

/**
 * The requirements of a stream of entries (`never` for an `Iterable`).
 *
 * @since 0.1.0
 * @category models
 */
export type ContextOf<S extends Entries> = [S] extends [Stream.Stream<Entry, infer _E, infer R>] ? R : never

const isStream = (u: unknown): u is Stream.Stream<unknown, unknown, unknown> =>
  Predicate.hasProperty(u, Stream.StreamTypeId)

/**
 * Verifies a chain given oldest first, as a `Stream` (read a chunk at a
 * time, never collected) or an `Iterable`: recomputes each `entry_hash` from
 * `hashInput(entry)`, walks with `chainWalk` and, given a `trustedHead`,
 * checks that the entry at its position has its `entry_hash` (a chain that
 * ends before it is `truncated`; entries after it are verified as usual).
 * Stops at the first break. Fails only if the stream does.
 *
 * @since 0.1.0
 * @category verification
 */
export const verify: {
  (options?: VerifyOptions): <S extends Entries>(entries: S) => Effect.Effect<Verdict, ErrorOf<S>, ContextOf<S>>
  <S extends Entries>(entries: S, options?: VerifyOptions): Effect.Effect<Verdict, ErrorOf<S>, ContextOf<S>>
} = dual(
  (args) => isStream(args[0]) || Predicate.isIterable(args[0]),
  <E, R>(entries: Stream.Stream<Entry, E, R> | Iterable<Entry>, options?: VerifyOptions): Effect.Effect<Verdict, E, R> =>
    Effect.suspend(() => {
      const walker = makeWalker(options)
      const chunks = Stream.chunks(isStream(entries) ? entries : Stream.fromIterable(entries))
      const hash = options?.sha256 === "webcrypto" ? undefined : Sha256.sync
      const firstBreak = hash !== undefined
        ? Stream.runFoldWhile(
          chunks,
          undefined as Audit.ChainBreak | undefined,
          Predicate.isUndefined,
          (_, chunk) => walker.checkSync(chunk, hash)
        )
        : Stream.runFoldWhileEffect(
          chunks,
          undefined as Audit.ChainBreak | undefined,
          Predicate.isUndefined,
          (_, chunk) => walker.checkAsync(chunk)
        )
      return Effect.map(firstBreak, walker.verdict)
    })
)

/**
 * A line of an NDJSON export that is not an `AuditEntry`: its number
 * (1-based, blank lines counted), why, and its first characters (`reason`
 * and `excerpt` hold at most 200 characters each).
 *
 * @since 0.1.0
 * @category errors
 */
export class AuditChainParseError extends Schema.TaggedError<AuditChainParseError>()("AuditChainParseError", {
  line: Schema.Number,
  reason: Schema.String,
  excerpt: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `line ${this.line} of the NDJSON export is not an audit entry: ${this.reason}`
  }
}

const MAX_TEXT = 200

const clip = (text: string): string => {
  if (text.length <= MAX_TEXT) return text
  let end = MAX_TEXT - 1
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}

type Guard = (u: unknown) => boolean

/** A type check for the ASTs JSON decodes without transforming, else `undefined`. */
const guardOf = (ast: AST.AST): Guard | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return Predicate.isString
    case "NumberKeyword":
      return Predicate.isNumber
    case "BooleanKeyword":
      return Predicate.isBoolean
    case "UndefinedKeyword":
      return Predicate.isUndefined
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "Union": {
      if (ast.types.every((member) => member._tag === "Literal")) {
        const literals = new Set<unknown>(ast.types.map((member) => (member as AST.Literal).literal))
        return (u) => literals.has(u)
      }
      const members = ast.types.map(guardOf)
      if (!members.every(Predicate.isNotUndefined)) return undefined
      if (members.length === 2) {
        const [first, second] = members as [Guard, Guard]
        return (u) => first(u) || second(u)
      }
      return (u) => members.some((member) => member(u))
    }
    default:
      return undefined
  }
}

/**
 * What `Schema.decodeUnknown(AuditEntry)` answers, for the inputs it accepts
 * as they are (`undefined` for any other: the Schema then decides), with
 * checks derived from its AST. The Schema's decode, and `AuditEntry`'s
 * constructor, cost ~20× these checks: most of a verification's time.
 * The entry is built as the `Class` decode builds it (`new AuditEntry(props,
 * true)`: no defaults to merge, then `Data.Class`'s `Object.assign` of the
 * props), without its constructor; the tests compare the two, so a change of
 * `AuditEntry` or of `effect` that makes them differ fails there.
 */
const fastDecoder = ((): ((u: unknown) => Audit.AuditEntry | undefined) | undefined => {
  const ast = Audit.AuditEntry.ast
  if (ast._tag !== "Transformation" || ast.from._tag !== "TypeLiteral" || ast.from.indexSignatures.length > 0) {
    return undefined
  }
  const fields: Array<{ readonly name: string; readonly guard: Guard; readonly optional: boolean }> = []
  for (const property of ast.from.propertySignatures) {
    const guard = guardOf(property.type)
    const field: unknown = (Audit.AuditEntry.fields as Record<PropertyKey, unknown>)[property.name]
    const hasDefault = Schema.isPropertySignature(field) &&
      (field.ast._tag === "PropertySignatureDeclaration" ? field.ast.defaultValue : field.ast.to.defaultValue) !==
        undefined
    if (guard === undefined || !Predicate.isString(property.name) || hasDefault) return undefined
    fields.push({ name: property.name, guard, optional: property.isOptional })
  }
  const prototype: object = Audit.AuditEntry.prototype
  return (u) => {
    if (typeof u !== "object" || u === null) return undefined
    const input = u as Record<string, unknown>
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!
      const value = input[field.name]
      if (value === undefined && !Object.hasOwn(input, field.name) ? !field.optional : !field.guard(value)) {
        return undefined
      }
    }
    const entry = Object.create(prototype) as Record<string, unknown>
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i]!.name
      const value = input[name]
      if (value !== undefined || Object.hasOwn(input, name)) entry[name] = value
    }
    return entry as unknown as Audit.AuditEntry
  }
})()

const decodeEntry = Schema.decodeUnknownEither(Audit.AuditEntry)

const describeIssue = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return error.message
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
}

const decodeLine = (text: string, line: number): Either.Either<Audit.AuditEntry, AuditChainParseError> => {
  const fail = (reason: string) => Either.left(new AuditChainParseError({ line, reason: clip(reason), excerpt: clip(text) }))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return fail(`not JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  const fast = fastDecoder?.(json)
  if (fast !== undefined) return Either.right(fast)
  return Either.match(decodeEntry(json), { onLeft: (error) => fail(describeIssue(error)), onRight: Either.right })
}

/**
 * Reads an NDJSON export (`export({ format: "ndjson" })`, or a file of one)
 * as entries, oldest first: UTF-8 bytes split into lines wherever the chunks
 * end, blank lines skipped, each line `JSON.parse`d and decoded with
 * `AuditEntry`. A line that is not an entry fails the stream with an
 * `AuditChainParseError`, after the entries before it.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromNdjson = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Audit.AuditEntry, E | AuditChainParseError, R> =>
  Stream.suspend(() => {
    let line = 0
    return bytes.pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.chunks,
      Stream.flatMap((lines) => {
        const texts = Chunk.toReadonlyArray(lines)
        const entries: Array<Audit.AuditEntry> = []
        for (let i = 0; i < texts.length; i++) {
          const text = texts[i]!
          line++
          if (text.trim().length === 0) continue
          const decoded = decodeLine(text, line)
          if (Either.isLeft(decoded)) {
            return Stream.concat(Stream.fromChunk(Chunk.unsafeFromArray(entries)), Stream.fail(decoded.left))
          }
          entries.push(decoded.right)
        }
        return Stream.fromChunk(Chunk.unsafeFromArray(entries))
      })
    )
  })
