/**
 * `AuditChain` verifies a chain without trusting the server. The chains here
 * are built with `node:crypto` and the hashed string written out from the
 * contract's description, independently of the code under test. Every
 * verdict is computed four ways (an array and a `Stream` in small chunks,
 * each with the runtime's synchronous SHA-256 and with WebCrypto) and the
 * four must agree.
 */
import { describe, expect, it } from "@effect/vitest"
import { AuditEntry, GENESIS_HASH } from "@getstack/effect/api/Audit"
import * as AuditChain from "@getstack/effect/AuditChain"
import * as Sha256 from "@getstack/effect/internal/sha256"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Equal from "effect/Equal"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")

type Fields = ConstructorParameters<typeof AuditEntry>[0]
type Draft = Omit<Fields, "prev_entry_hash" | "entry_hash">
type Linked = Omit<Fields, "entry_hash">

/** The string STACK hashes, written out from the contract: these keys, this order. */
const hashed = (entry: Linked) =>
  JSON.stringify({
    entry_id: entry.entry_id,
    timestamp: entry.timestamp,
    operator_id: entry.operator_id,
    agent_id: entry.agent_id,
    layer: entry.layer,
    action: entry.action,
    outcome: entry.outcome,
    prev_entry_hash: entry.prev_entry_hash
  })

const LAYERS = ["vault", "proxy", "dropoff", "skills", "system"] as const
const OUTCOMES = ["success", "failure", "pending", "blocked"] as const
const T0 = 1_700_000_000_000

const draft = (i: number): Draft => ({
  entry_id: `aud_${String(i).padStart(6, "0")}`,
  timestamp: T0 + i * 1000,
  trace_id: i % 2 === 0 ? null : `trc_${i}`,
  operator_id: "op_test",
  agent_id: i % 3 === 0 ? null : `agt_${i % 4}`,
  passport_jti: null,
  layer: LAYERS[i % LAYERS.length]!,
  action: i % 4 === 1 ? "proxy.request ✓ café 日本" : "vault.read",
  outcome: OUTCOMES[i % OUTCOMES.length]!,
  duration_ms: i,
  payload_hash: null,
  error_code: null,
  error_message: null
})

/** Links and hashes entries, oldest first, from `prev`. */
const link = (drafts: ReadonlyArray<Draft>, prev = GENESIS_HASH): Array<AuditEntry> =>
  drafts.map((fields) => {
    const linked = { ...fields, prev_entry_hash: prev }
    const entry = new AuditEntry({ ...linked, entry_hash: sha256(hashed(linked)) })
    prev = entry.entry_hash
    return entry
  })

const drafts = (n: number) => Array.from({ length: n }, (_, i) => draft(i))
const N = 10
const chain = link(drafts(N))

/** `entries` with the one at `index` replaced by `change(entry)` (as it is: no hash recomputed). */
const changed = (entries: ReadonlyArray<AuditEntry>, index: number, change: (entry: AuditEntry) => Partial<Fields>) =>
  entries.map((entry, i) => i === index ? new AuditEntry({ ...entry, ...change(entry) }) : entry)

const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`

/** The verdict on `entries`, the same four ways, or the test fails. */
const verdictOf = (entries: ReadonlyArray<AuditChain.Entry>, options: AuditChain.VerifyOptions = {}) =>
  Effect.gen(function*() {
    const asStream = () => Stream.fromIterable(entries).pipe(Stream.rechunk(3))
    const verdicts = [
      yield* AuditChain.verify(entries, options),
      yield* AuditChain.verify(asStream(), options),
      yield* AuditChain.verify(entries, { ...options, sha256: "webcrypto" }),
      yield* AuditChain.verify(asStream(), { ...options, sha256: "webcrypto" })
    ]
    for (const verdict of verdicts.slice(1)) expect(verdict).toStrictEqual(verdicts[0])
    return verdicts[0]!
  })

const valid = (head: string, count: number) => new AuditChain.Valid({ head, count })
const broken = (index: number, entry_id: string | null, reason: AuditChain.Broken["reason"]) =>
  new AuditChain.Broken({ index, entry_id, reason })

describe("internal/sha256", () => {
  const inputs = [
    "",
    "abc",
    "résumé 日本 🔐",
    "lone high \ud800 surrogate",
    "lone low \udc00 surrogate",
    "\udbff",
    "🔐".slice(0, 1) + "cut pair"
  ]

  it("the runtime's synchronous SHA-256 is found in Node", () => {
    expect(Sha256.sync).toBeTypeOf("function")
    expect(Sha256.sync!("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  })

  it.effect("the synchronous and the WebCrypto paths give the same hex, lone surrogates included", () =>
    Effect.gen(function*() {
      expect(inputs.length).toBeGreaterThan(0)
      for (const input of inputs) {
        const viaWebCrypto = yield* Effect.promise(() => Sha256.webCrypto(input))
        expect(Sha256.sync!(input), JSON.stringify(input)).toBe(viaWebCrypto)
        expect(viaWebCrypto, JSON.stringify(input)).toBe(sha256(input))
        expect(viaWebCrypto).toMatch(/^[0-9a-f]{64}$/)
      }
    }))

  it("a lone surrogate is U+FFFD for TextEncoder and Node's utf8 alike; hashInput never holds one", () => {
    const lone = "a\ud800b"
    expect(Buffer.from(new TextEncoder().encode(lone))).toStrictEqual(Buffer.from(lone, "utf8"))
    expect(Buffer.from(lone, "utf8")).toStrictEqual(Buffer.from("a\ufffdb", "utf8"))
    expect(Sha256.sync!(lone)).toBe(Sha256.sync!("a\ufffdb"))
    // JSON.stringify escapes lone surrogates, so the string STACK hashes is always well-formed
    expect(JSON.stringify(lone)).toBe("\"a\\ud800b\"")
  })
})

describe("AuditChain.verify", () => {
  it.effect("a valid chain is Valid, with its head and count", () =>
    Effect.gen(function*() {
      expect(chain.length).toBe(N)
      expect(yield* verdictOf(chain)).toStrictEqual(valid(chain[N - 1]!.entry_hash, N))
      expect(yield* verdictOf([])).toStrictEqual(valid(GENESIS_HASH, 0))
    }))

  const tampers: ReadonlyArray<readonly [keyof Fields, (entry: AuditEntry) => Partial<Fields>, AuditChain.Broken["reason"]]> = [
    ["entry_id", (e) => ({ entry_id: `${e.entry_id}x` }), "hash_mismatch"],
    ["timestamp", (e) => ({ timestamp: e.timestamp + 1 }), "hash_mismatch"],
    ["operator_id", () => ({ operator_id: "op_other" }), "hash_mismatch"],
    ["agent_id", (e) => ({ agent_id: e.agent_id === null ? "agt_x" : null }), "hash_mismatch"],
    ["layer", (e) => ({ layer: e.layer === "vault" ? "system" : "vault" }), "hash_mismatch"],
    ["action", (e) => ({ action: `${e.action}!` }), "hash_mismatch"],
    ["outcome", (e) => ({ outcome: e.outcome === "success" ? "failure" : "success" }), "hash_mismatch"],
    ["prev_entry_hash", (e) => ({ prev_entry_hash: flip(e.prev_entry_hash) }), "link_mismatch"],
    ["entry_hash", (e) => ({ entry_hash: flip(e.entry_hash) }), "hash_mismatch"]
  ]
  const positions = [0, Math.floor(N / 2), N - 1]

  it.effect("every change to a hashed field, first, middle or last, is found at that entry", () =>
    Effect.gen(function*() {
      expect(tampers.length * positions.length).toBe(27)
      for (const [field, change, reason] of tampers) {
        for (const at of positions) {
          const tampered = changed(chain, at, change)
          expect(tampered[at]![field], `${field} at ${at}`).not.toStrictEqual(chain[at]![field])
          expect(yield* verdictOf(tampered), `${field} at ${at}`).toStrictEqual(broken(at, tampered[at]!.entry_id, reason))
        }
      }
    }))

  it.effect("the fields the hash does not cover may change without a break", () =>
    Effect.gen(function*() {
      const tampered = changed(chain, 3, () => ({ trace_id: "trc_other", duration_ms: 999, error_message: "x" }))
      expect(yield* verdictOf(tampered)).toStrictEqual(valid(chain[N - 1]!.entry_hash, N))
    }))

  it.effect("an entry changed and rehashed breaks the link of the next one; the last one only a trusted head catches", () =>
    Effect.gen(function*() {
      const rehashed = (at: number) =>
        changed(chain, at, (e) => {
          const fields = { ...e, action: "vault.delete" }
          return { action: fields.action, entry_hash: sha256(hashed(fields)) }
        })
      for (const at of [0, Math.floor(N / 2)]) {
        expect(yield* verdictOf(rehashed(at)), `at ${at}`).toStrictEqual(broken(at + 1, chain[at + 1]!.entry_id, "link_mismatch"))
      }
      const last = rehashed(N - 1)
      expect(yield* verdictOf(last)).toStrictEqual(valid(last[N - 1]!.entry_hash, N))
      const trustedHead = { entry_hash: chain[N - 1]!.entry_hash, count: N }
      expect(yield* verdictOf(last, { trustedHead })).toStrictEqual(broken(N - 1, chain[N - 1]!.entry_id, "hash_mismatch"))
    }))

  it.effect("timestamps going backwards are out_of_order; equal timestamps are fine", () =>
    Effect.gen(function*() {
      const backwards = link(drafts(N).map((d, i) => i === 6 ? { ...d, timestamp: T0 + 5 * 1000 - 1 } : d))
      expect(yield* verdictOf(backwards)).toStrictEqual(broken(6, backwards[6]!.entry_id, "out_of_order"))
      const equal = link(drafts(N).map((d) => ({ ...d, timestamp: T0 })))
      expect(yield* verdictOf(equal)).toStrictEqual(valid(equal[N - 1]!.entry_hash, N))
    }))

  it.effect("an entry removed in the middle breaks the link; an end cut off only a trusted head catches", () =>
    Effect.gen(function*() {
      const removed = chain.filter((_, i) => i !== 5)
      expect(yield* verdictOf(removed)).toStrictEqual(broken(5, chain[6]!.entry_id, "link_mismatch"))

      const cut = chain.slice(0, 7)
      expect(yield* verdictOf(cut)).toStrictEqual(valid(chain[6]!.entry_hash, 7))
      const trustedHead = { entry_hash: chain[N - 1]!.entry_hash, count: N }
      expect(yield* verdictOf(cut, { trustedHead })).toStrictEqual(broken(7, null, "truncated"))
      expect(yield* verdictOf([], { trustedHead })).toStrictEqual(broken(0, null, "truncated"))
      expect(yield* verdictOf(chain, { trustedHead })).toStrictEqual(valid(chain[N - 1]!.entry_hash, N))
    }))

  it.effect("a chain rewritten with consistent hashes breaks at the trusted head's position", () =>
    Effect.gen(function*() {
      const rewritten = link(drafts(N).map((d, i) => i === 3 ? { ...d, action: "vault.delete" } : d))
      expect(yield* verdictOf(rewritten)).toStrictEqual(valid(rewritten[N - 1]!.entry_hash, N))
      const head = { entry_hash: chain[N - 1]!.entry_hash, count: N }
      expect(yield* verdictOf(rewritten, { trustedHead: head })).toStrictEqual(broken(N - 1, chain[N - 1]!.entry_id, "hash_mismatch"))

      // a head pinned when the chain held 5 entries; it has grown since
      const earlier = { entry_hash: chain[4]!.entry_hash, count: 5 }
      expect(yield* verdictOf(chain, { trustedHead: earlier })).toStrictEqual(valid(chain[N - 1]!.entry_hash, N))
      expect(yield* verdictOf(rewritten, { trustedHead: earlier })).toStrictEqual(broken(4, chain[4]!.entry_id, "hash_mismatch"))
      // entries after the pinned position are verified as usual
      const after = changed(chain, 7, (e) => ({ outcome: e.outcome === "success" ? "failure" : "success" }))
      expect(yield* verdictOf(after, { trustedHead: earlier })).toStrictEqual(broken(7, chain[7]!.entry_id, "hash_mismatch"))
    }))

  it.effect("a trusted head of count 0 accepts any chain", () =>
    Effect.gen(function*() {
      const trustedHead = { entry_hash: null, count: 0 }
      const rewritten = link(drafts(N).map((d) => ({ ...d, operator_id: "op_other" })))
      expect(yield* verdictOf(chain, { trustedHead })).toStrictEqual(valid(chain[N - 1]!.entry_hash, N))
      expect(yield* verdictOf(rewritten, { trustedHead })).toStrictEqual(valid(rewritten[N - 1]!.entry_hash, N))
      expect(yield* verdictOf([], { trustedHead })).toStrictEqual(valid(GENESIS_HASH, 0))
    }))

  it.effect("a range that does not begin at genesis verifies from its start", () =>
    Effect.gen(function*() {
      const range = chain.slice(5)
      const start = { prev_entry_hash: chain[4]!.entry_hash, timestamp: chain[4]!.timestamp }
      expect(yield* verdictOf(range, { start })).toStrictEqual(valid(chain[N - 1]!.entry_hash, N - 5))
      expect(yield* verdictOf([], { start })).toStrictEqual(valid(chain[4]!.entry_hash, 0))
      expect(yield* verdictOf(range)).toStrictEqual(broken(0, chain[5]!.entry_id, "link_mismatch"))
      const later = { ...start, timestamp: chain[5]!.timestamp + 1 }
      expect(yield* verdictOf(range, { start: later })).toStrictEqual(broken(0, chain[5]!.entry_id, "out_of_order"))
      // a trusted head's position counts from the first entry walked
      const trustedHead = { entry_hash: chain[N - 1]!.entry_hash, count: N - 5 }
      expect(yield* verdictOf(range, { start, trustedHead })).toStrictEqual(valid(chain[N - 1]!.entry_hash, N - 5))
    }))

  it.effect("arrays, lazy iterables and streams in any chunking give the same verdicts, with either SHA-256", () =>
    Effect.gen(function*() {
      const scenarios: Array<readonly [ReadonlyArray<AuditEntry>, AuditChain.VerifyOptions]> = [
        [chain, {}],
        [changed(chain, 2, (e) => ({ action: `${e.action}?` })), {}],
        [chain.slice(0, 4), { trustedHead: { entry_hash: chain[N - 1]!.entry_hash, count: N } }],
        [chain.filter((_, i) => i !== 8), {}]
      ]
      const tags = new Set<string>()
      for (const [entries, options] of scenarios) {
        const expected = yield* verdictOf(entries, options)
        tags.add(expected._tag)
        function* lazily() {
          yield* entries
        }
        for (const sha256 of ["auto", "webcrypto"] as const) {
          expect(yield* AuditChain.verify(lazily(), { ...options, sha256 })).toStrictEqual(expected)
          for (const size of [1, 2, 64]) {
            const stream = Stream.fromIterable(entries).pipe(Stream.rechunk(size))
            expect(yield* AuditChain.verify(stream, { ...options, sha256 })).toStrictEqual(expected)
          }
        }
      }
      expect([...tags].sort()).toStrictEqual(["Broken", "Valid"])
    }))

  it.effect("stops at the first break: the stream is not read past its chunk", () =>
    Effect.gen(function*() {
      const tampered = changed(chain, 2, (e) => ({ entry_hash: flip(e.entry_hash) }))
      for (const sha256 of ["auto", "webcrypto"] as const) {
        const stream = Stream.concat(Stream.fromIterable(tampered), Stream.die("read past the first break"))
        expect(yield* AuditChain.verify(stream, { sha256 })).toStrictEqual(broken(2, chain[2]!.entry_id, "hash_mismatch"))
      }
    }))

  it.effect("pipes data-last, with or without options; a failing stream fails the verification", () =>
    Effect.gen(function*() {
      const trustedHead = { entry_hash: chain[N - 1]!.entry_hash, count: N }
      expect(yield* Stream.fromIterable(chain).pipe(AuditChain.verify())).toStrictEqual(valid(chain[N - 1]!.entry_hash, N))
      expect(yield* Stream.fromIterable(chain).pipe(AuditChain.verify({ trustedHead }))).toStrictEqual(
        valid(chain[N - 1]!.entry_hash, N)
      )
      const failing = Stream.concat(Stream.fromIterable(chain), Stream.fail("disk gone" as const))
      expect(yield* Effect.flip(AuditChain.verify(failing))).toBe("disk gone")
    }))

  it("isValid, isBroken and match tell the verdicts apart", () => {
    const verdicts: Array<AuditChain.Verdict> = [valid("h", 1), broken(0, "aud_1", "link_mismatch")]
    expect(verdicts.map(AuditChain.isValid)).toStrictEqual([true, false])
    expect(verdicts.map(AuditChain.isBroken)).toStrictEqual([false, true])
    const describe = AuditChain.match({ onValid: (v) => `valid ${v.count}`, onBroken: (b) => `${b.reason} at ${b.index}` })
    expect(verdicts.map(describe)).toStrictEqual(["valid 1", "link_mismatch at 0"])
    expect(AuditChain.match(verdicts[0]!, { onValid: () => 1, onBroken: () => 2 })).toBe(1)
    expect(Schema.decodeUnknownSync(AuditChain.Verdict)(Schema.encodeSync(AuditChain.Verdict)(verdicts[1]!))).toStrictEqual(
      verdicts[1]
    )
  })
})

const utf8 = new TextEncoder()

/** `bytes` cut every `size` bytes, each piece a chunk of its own. */
const pieces = (bytes: Uint8Array, cuts: ReadonlyArray<number>) =>
  Stream.fromIterable([0, ...cuts].map((from, i) => bytes.subarray(from, cuts[i] ?? bytes.length))).pipe(
    Stream.rechunk(1)
  )
const every = (bytes: Uint8Array, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) - 1 }, (_, i) => (i + 1) * size)

const parseFailure = (text: string) =>
  Effect.flip(Stream.runDrain(AuditChain.fromNdjson(Stream.make(utf8.encode(text)))))

describe("AuditChain.fromNdjson", () => {
  const ndjson = chain.map((entry, i) => JSON.stringify(entry) + (i % 3 === 0 ? "\r\n" : "\n")).join("") + "\n  \n"
  const bytes = utf8.encode(ndjson)

  it.effect("decodes an export cut anywhere, inside a multi-byte character too, and it verifies", () =>
    Effect.gen(function*() {
      const multiByte = bytes.findIndex((byte) => byte >= 0xe0)
      expect(multiByte).toBeGreaterThan(0)
      const cutsList = [[multiByte + 1], [multiByte + 2, multiByte + 3], every(bytes, 1), every(bytes, 7), every(bytes, 64), []]
      for (const cuts of cutsList) {
        const entries = yield* Stream.runCollect(AuditChain.fromNdjson(pieces(bytes, cuts)))
        expect(Chunk.toReadonlyArray(entries)).toStrictEqual(chain)
        expect(yield* AuditChain.verify(AuditChain.fromNdjson(pieces(bytes, cuts)))).toStrictEqual(
          valid(chain[N - 1]!.entry_hash, N)
        )
      }
    }))

  it.effect("decodes each line exactly as Schema.decodeUnknown(AuditEntry) does", () =>
    Effect.gen(function*() {
      const lines = [
        { ...chain[0] },
        { ...chain[1], span_id: "spn_1", parent_span_id: null },
        { ...chain[2], span_id: null },
        { ...chain[3], unknown_field: { nested: true }, another: 1 }
      ].map((fields) => JSON.stringify(fields))
      const decoded = yield* Stream.runCollect(AuditChain.fromNdjson(Stream.make(utf8.encode(lines.join("\n")))))
      expect(decoded.length).toBe(lines.length)
      for (const [i, entry] of Chunk.toReadonlyArray(decoded).entries()) {
        const expected = Schema.decodeUnknownSync(AuditEntry)(JSON.parse(lines[i]!))
        expect(entry).toBeInstanceOf(AuditEntry)
        expect(entry).toStrictEqual(expected)
        expect(Equal.equals(entry, expected)).toBe(true)
        expect(Object.keys(entry).sort()).toStrictEqual(Object.keys(expected).sort())
      }
    }))

  it.effect("a line that is not an entry fails with its line number, after the entries before it", () =>
    Effect.gen(function*() {
      const good = chain.slice(0, 3).map((entry) => JSON.stringify(entry))
      const text = [...good, "", "{not json"].join("\n")
      const results = yield* Stream.runCollect(Stream.either(AuditChain.fromNdjson(Stream.make(utf8.encode(text)))))
      const [rights, lefts] = [Chunk.filterMap(results, Either.getRight), Chunk.filterMap(results, Either.getLeft)]
      expect(Chunk.toReadonlyArray(rights)).toStrictEqual(chain.slice(0, 3))
      expect(lefts.length).toBe(1)
      const error = Chunk.unsafeHead(lefts)
      expect(error).toBeInstanceOf(AuditChain.AuditChainParseError)
      expect(error._tag).toBe("AuditChainParseError")
      expect(error.line).toBe(5)
      expect(error.reason).toMatch(/^not JSON/)
      expect(error.excerpt).toBe("{not json")
      expect(error.message).toContain("line 5")

      const { entry_id: _, ...withoutId } = chain[1]!
      const missing = yield* parseFailure([good[0], JSON.stringify(withoutId)].join("\n"))
      expect([missing.line, missing.reason]).toStrictEqual([2, "entry_id: is missing"])
      const badLayer = yield* parseFailure(JSON.stringify({ ...chain[0], layer: "kernel" }))
      expect(badLayer.line).toBe(1)
      expect(badLayer.reason).toMatch(/^layer: /)
      expect((yield* parseFailure("\n\n42\n")).line).toBe(3)
    }))

  it.effect("the error holds at most 200 characters of a long line", () =>
    Effect.gen(function*() {
      const long = JSON.stringify({ ...chain[0], outcome: "x".repeat(10_000) })
      const badValue = yield* parseFailure(long)
      const badJson = yield* parseFailure(`{"entry_id": "${"y".repeat(10_000)}`)
      for (const error of [badValue, badJson]) {
        expect(error.line).toBe(1)
        expect(error.reason.length).toBeGreaterThan(0)
        expect(error.reason.length).toBeLessThanOrEqual(200)
        expect(error.excerpt.length).toBeLessThanOrEqual(200)
        expect(error.message.length).toBeLessThan(400)
      }
    }))

  it.effect("a parse error fails verify in its error channel", () =>
    Effect.gen(function*() {
      const text = [JSON.stringify(chain[0]), "[]"].join("\n")
      const error = yield* Effect.flip(AuditChain.verify(AuditChain.fromNdjson(Stream.make(utf8.encode(text)))))
      expect(error._tag).toBe("AuditChainParseError")
      expect(error.line).toBe(2)
    }))

  it.effect("verifies 200,000 entries produced on the fly, never holding them all", () =>
    Effect.gen(function*() {
      const total = 200_000
      const perPiece = 500
      /** NDJSON bytes, `perPiece` entries at a time, made when pulled. */
      const bytes = Stream.unfold({ next: 0, prev: GENESIS_HASH }, ({ next, prev }) => {
        if (next >= total) return Option.none()
        let text = ""
        for (let i = next; i < Math.min(next + perPiece, total); i++) {
          const linked = { ...draft(i), prev_entry_hash: prev }
          prev = sha256(hashed(linked))
          text += JSON.stringify({ ...linked, entry_hash: prev }) + "\n"
        }
        return Option.some([utf8.encode(text), { next: next + perPiece, prev }] as const)
      })
      const verdict = yield* AuditChain.verify(AuditChain.fromNdjson(bytes))
      expect(AuditChain.isValid(verdict)).toBe(true)
      expect(verdict).toMatchObject({ _tag: "Valid", count: total })
    }), 60_000)
})
