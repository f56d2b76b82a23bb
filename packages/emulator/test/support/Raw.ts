/**
 * Raw HTTP/1.1 over `node:net`, for what fetch cannot send: malformed
 * framing, lying lengths, `CONNECT`, pipelined requests. Answers are parsed
 * as they arrive; a connection reset before they are all in fails the call.
 */
import * as Net from "node:net"

/** One parsed answer. */
export interface RawReply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: any
}

/** What a connection received: its final answers in order (1xx left out), and whether the server closed it. */
export interface RawExchange {
  readonly replies: ReadonlyArray<RawReply>
  /** Interim answers seen (100 Continue…). */
  readonly interim: ReadonlyArray<number>
  readonly closedByServer: boolean
}

const HEAD_END = Buffer.from("\r\n\r\n")

/** Parses one answer at the start of `buffer`: the answer and the bytes it used, or undefined while incomplete. */
const parseOne = (buffer: Buffer): { readonly reply: RawReply; readonly used: number } | undefined => {
  const headEnd = buffer.indexOf(HEAD_END)
  if (headEnd < 0) return undefined
  const [statusLine, ...lines] = buffer.subarray(0, headEnd).toString("latin1").split("\r\n")
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1])
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(":")
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let offset = headEnd + HEAD_END.length
  let body: Buffer
  if (status < 200) {
    body = Buffer.alloc(0)
  } else if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
    const parts: Array<Buffer> = []
    for (;;) {
      const lineEnd = buffer.indexOf("\r\n", offset)
      if (lineEnd < 0) return undefined
      const size = parseInt(buffer.subarray(offset, lineEnd).toString("latin1"), 16)
      if (buffer.length < lineEnd + 2 + size + 2) return undefined
      parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size))
      offset = lineEnd + 2 + size + 2
      if (size === 0) break
    }
    body = Buffer.concat(parts)
  } else {
    const length = Number(headers["content-length"] ?? "0")
    if (buffer.length < offset + length) return undefined
    body = buffer.subarray(offset, offset + length)
    offset += length
  }
  const text = body.toString("utf8")
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { reply: { status, headers, text, json }, used: offset }
}

/** Options of `exchange`. */
export interface ExchangeOptions {
  /** How many final answers to wait for (default 1). */
  readonly replies?: number
  /** Half-close the connection once everything is written (the client sends no more). */
  readonly halfClose?: boolean
  /** Give up waiting after this long, returning what came (default 5 s). */
  readonly timeoutMs?: number
}

/**
 * Writes `parts` in order on a new connection to 127.0.0.1:`port` and
 * collects the answers. Resolves once `replies` final answers are in, the
 * server closes the connection, or the timeout passes; rejects on a reset
 * or a write the server refused before they are in.
 */
export const exchange = (
  port: number,
  parts: ReadonlyArray<string | Uint8Array> | string | Uint8Array,
  options: ExchangeOptions = {}
): Promise<RawExchange> =>
  new Promise((resolve, reject) => {
    const wanted = options.replies ?? 1
    const socket = Net.connect(port, "127.0.0.1")
    const replies: Array<RawReply> = []
    const interim: Array<number> = []
    let pending = Buffer.alloc(0)
    let done = false
    const finish = (closedByServer: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ replies, interim, closedByServer })
    }
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5_000)
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk])
      for (let parsed = parseOne(pending); parsed !== undefined; parsed = parseOne(pending)) {
        pending = pending.subarray(parsed.used)
        if (parsed.reply.status < 200) interim.push(parsed.reply.status)
        else replies.push(parsed.reply)
      }
      if (replies.length >= wanted) finish(false)
    })
    socket.on("end", () => finish(true))
    socket.on("error", (error) => {
      if (done) return
      done = true
      clearTimeout(timer)
      reject(new Error(`the connection failed after ${replies.length} answer(s): ${error.message}`))
    })
    const list = typeof parts === "string" || parts instanceof Uint8Array ? [parts] : parts
    for (const part of list) socket.write(part)
    if (options.halfClose) socket.end()
  })

/** A request's head: request line and headers, CRLF-terminated, ending with the empty line. */
export const head = (requestLine: string, headers: Readonly<Record<string, string | number>>): string =>
  `${requestLine}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`

/** A body in chunked framing, in chunks of `size` bytes, with its last chunk. */
export const chunked = (body: Uint8Array, size = 64 * 1024): Array<Uint8Array> => {
  const parts: Array<Uint8Array> = []
  for (let offset = 0; offset < body.length; offset += size) {
    const chunk = body.subarray(offset, offset + size)
    parts.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]))
  }
  parts.push(Buffer.from("0\r\n\r\n"))
  return parts
}
