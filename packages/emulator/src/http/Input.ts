/**
 * A request's input, read within bounds: the body's raw bytes under a cap,
 * strict UTF-8, JSON nested no deeper than a fixed depth, and only
 * well-formed strings in body, path and query. Whatever a caller sends is
 * refused with a 4xx before it can overflow the stack, go unanswered or be
 * stored as text that does not read back.
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import { excerpt, StackFailure } from "../core/Failure.js"

/** Largest request body accepted, in bytes as received: 1 MB. */
export const MAX_BODY_BYTES = 1024 * 1024

/** Deepest nesting of arrays and objects accepted in a JSON body. */
export const MAX_DEPTH = 64

/** How much of a refused body is still read (and discarded) so that the refusal reaches the client. */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES

/** A body read and parsed: its text (hashed for idempotency and the audit chain) and its JSON. */
export interface JsonBody {
  readonly text: string
  readonly json: unknown
}

const tooLarge = () =>
  new StackFailure({ code: "PAYLOAD_TOO_LARGE", message: `the request body is larger than ${MAX_BODY_BYTES} bytes` })

const invalidBody = (message: string, field: string) =>
  new StackFailure({ code: "INVALID_REQUEST", message, details: { fields: { body: field } } })

const unreadable = () => invalidBody("the request body could not be read", "could not be read")

/**
 * Reads and discards the rest of a body that will not be used, so that the
 * connection stays usable and the refusal is not lost to a reset; past
 * `MAX_DRAIN_BYTES` the connection is closed instead.
 */
const drain = (source: Readable) => {
  let drained = 0
  source.on("data", (chunk: Buffer) => {
    drained += chunk.byteLength
    if (drained > MAX_DRAIN_BYTES) source.destroy()
  })
  source.resume()
}

/** The bytes of a Node request body, counted as they arrive; over the cap, the rest is drained, never reset. */
const readNode = (source: Readable): Effect.Effect<Uint8Array, StackFailure> =>
  Effect.async<Uint8Array, StackFailure>((resume) => {
    if (source.readableEnded || source.destroyed) return resume(Effect.fail(unreadable()))
    // a request whose answer was already sent is not told when its connection closes: its socket is
    const socket = (source as { readonly socket?: Readable | null }).socket ?? undefined
    const chunks: Array<Buffer> = []
    let size = 0
    const cleanup = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
      source.off("close", onError)
      socket?.off("close", onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk)
      cleanup()
      drain(source)
      resume(Effect.fail(tooLarge()))
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks, size)))
    }
    const onError = () => {
      cleanup()
      resume(Effect.fail(unreadable()))
    }
    source.on("data", onData)
    source.once("end", onEnd)
    source.once("error", onError)
    source.once("close", onError)
    socket?.once("close", onError)
    return Effect.sync(cleanup)
  })

/** The bytes of any other request body (the in-process handler's `Request`), counted as they arrive. */
const readStream = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Uint8Array, StackFailure> =>
  Effect.suspend(() => {
    const source = request.source as { readonly body?: unknown }
    if (source.body === null) return Effect.succeed(new Uint8Array())
    const chunks: Array<Uint8Array> = []
    let size = 0
    return request.stream.pipe(
      Stream.mapError(unreadable),
      Stream.runForEach((chunk) => {
        size += chunk.byteLength
        if (size > MAX_BODY_BYTES) return Effect.fail(tooLarge())
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.zipRight(Effect.sync(() => Buffer.concat(chunks, size)))
    )
  })

/** A request body's raw bytes, refused with 413 past `MAX_BODY_BYTES` as sent (chunked or not). */
export const readBytes = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Uint8Array, StackFailure> => {
  const source = request.source
  const declared = Number(request.headers["content-length"] ?? "0")
  if (declared > MAX_BODY_BYTES) {
    if (source instanceof Readable) drain(source)
    return Effect.fail(tooLarge())
  }
  return source instanceof Readable ? readNode(source) : readStream(request)
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Whether JSON text nests arrays and objects deeper than `max`. It scans the
 * text (brackets outside strings) rather than parsing it, so that no depth
 * of input can exhaust the stack here or anywhere after.
 */
export const nestsDeeperThan = (text: string, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** A UTF-16 surrogate that is not half of a pair: text no UTF-8 store can keep. */
const LONE_SURROGATE = /\p{Cs}/u

/** A JSON escape of a surrogate (`\ud83d`), the only way a lone one gets into text decoded as strict UTF-8. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/** Whether a string is well-formed Unicode (`String.prototype.isWellFormed`). */
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text)

const MAX_FIELD_NAME = 200

/**
 * Where a parsed JSON value holds a string (or key) that is not well-formed
 * Unicode: the dotted path of the first one, or `undefined`. The value is no
 * deeper than `MAX_DEPTH`, so recursion is bounded.
 */
export const malformedStringAt = (value: unknown, path: string): string | undefined => {
  if (typeof value === "string") return isWellFormed(value) ? undefined : path
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = malformedStringAt(value[i], path === "" ? String(i) : `${path}.${i}`)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (!isWellFormed(key)) return path
      const found = malformedStringAt(item, path === "" ? key : `${path}.${key}`)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** `INVALID_REQUEST` for a field whose text is not well-formed Unicode. */
const malformed = (field: string) => {
  const name = excerpt(field || "body", MAX_FIELD_NAME)
  return new StackFailure({
    code: "INVALID_REQUEST",
    message: `invalid request: ${name}`,
    details: { fields: { [name]: "must be well-formed Unicode (a lone surrogate is not)" } }
  })
}

/**
 * The refusal of path or query parameters holding text that is not
 * well-formed Unicode, naming the parameter; `undefined` when all are.
 */
export const malformedParam = (
  params: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
): StackFailure | undefined => {
  for (const name of Object.keys(params)) {
    if (!isWellFormed(name)) return malformed("query")
    const value = params[name]
    if (typeof value === "string" ? !isWellFormed(value) : value?.some((item) => !isWellFormed(item))) {
      return malformed(name)
    }
  }
  return undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Reads a JSON body: 415 unless it is sent as JSON, 413 past
 * `MAX_BODY_BYTES`, 400 for invalid UTF-8, malformed JSON, nesting deeper
 * than `MAX_DEPTH`, a body that is not an object, or a string that is not
 * well-formed Unicode. An empty body is `{}`.
 */
export const readJson = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<JsonBody, StackFailure> => {
  const contentType = request.headers["content-type"]
  if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType)) {
    return Effect.fail(new StackFailure({ code: "UNSUPPORTED_MEDIA_TYPE", message: "send the body as application/json" }))
  }
  return Effect.flatMap(readBytes(request), parseJson)
}

/** A body's bytes as a JSON object (see `readJson`). */
const parseJson = (bytes: Uint8Array): Effect.Effect<JsonBody, StackFailure> => {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return Effect.fail(invalidBody("the request body is not valid UTF-8", "must be UTF-8"))
  }
  if (text.trim() === "") return Effect.succeed({ text, json: {} })
  if (nestsDeeperThan(text, MAX_DEPTH)) {
    return Effect.fail(invalidBody(
      `the request body nests arrays and objects deeper than ${MAX_DEPTH} levels`,
      `must nest at most ${MAX_DEPTH} levels`
    ))
  }
  let json: unknown
  try {
    json = JSON.parse(text) as unknown
  } catch {
    return Effect.fail(invalidBody("the request body is not valid JSON", "must be valid JSON"))
  }
  if (!isRecord(json)) return Effect.fail(invalidBody("the request body must be a JSON object", "must be a JSON object"))
  // strict UTF-8 has no lone surrogates: only a \uD800–\uDFFF escape can make one
  const field = SURROGATE_ESCAPE.test(text) ? malformedStringAt(json, "") : undefined
  return field !== undefined ? Effect.fail(malformed(field)) : Effect.succeed({ text, json })
}
