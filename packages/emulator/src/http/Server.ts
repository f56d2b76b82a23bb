/**
 * The emulator's Node `http.Server`. Node's HTTP parser refuses some requests
 * before any route sees them (malformed framing, oversized headers, unknown
 * methods, `Expect` it does not meet, `CONNECT`); by default it answers those
 * with an empty body or closes the connection. Here every one gets STACK's
 * error body with its 4xx, and a body announced larger than the emulator
 * accepts is refused before the client sends it.
 */
import type { ErrorBody } from "@getstack/effect/api/Errors"
import * as Http from "node:http"
import * as Net from "node:net"
import type { Duplex } from "node:stream"
import { newId } from "../core/Ids.js"
import { MAX_BODY_BYTES } from "./Input.js"

/** Largest request line plus headers accepted, in bytes: Node's default, named. */
export const MAX_HEADER_BYTES = 16 * 1024

/** How long a connection refused by the parser is kept open for its answer to be read. */
const LINGER_MS = 5_000

/** A refusal made below the routes: status, STACK's code and a message. */
interface Refusal {
  readonly status: number
  readonly code: string
  readonly message: string
  readonly headers?: Readonly<Record<string, string>>
}

const bodyOf = (refusal: Refusal): string => {
  const body: ErrorBody = { error: { code: refusal.code, message: refusal.message } }
  return JSON.stringify(body)
}

const headersOf = (refusal: Refusal, body: string): Record<string, string> => ({
  "content-type": "application/json",
  "content-length": String(Buffer.byteLength(body)),
  "x-request-id": newId("req"),
  "connection": "close",
  ...refusal.headers
})

/** A refusal as raw HTTP/1.1, for a socket no `ServerResponse` owns. */
const rawResponse = (refusal: Refusal): string => {
  const body = bodyOf(refusal)
  const head = Object.entries(headersOf(refusal, body)).map(([name, value]) => `${name}: ${value}\r\n`).join("")
  return `HTTP/1.1 ${refusal.status} ${Http.STATUS_CODES[refusal.status] ?? ""}\r\n${head}\r\n${body}`
}

/** Answers a request with a refusal through its own response, closing the connection after it. */
const refuseWith = (response: Http.ServerResponse, refusal: Refusal): void => {
  const body = bodyOf(refusal)
  response.writeHead(refusal.status, headersOf(refusal, body))
  response.end(body)
}

/** Closes a refused connection after `LINGER_MS`, however little of its answer the client reads. */
const linger = (socket: Duplex): void => {
  if (socket instanceof Net.Socket) socket.setTimeout(LINGER_MS, () => socket.destroy())
}

const invalid = (message: string): Refusal => ({ status: 400, code: "INVALID_REQUEST", message })

/** What the emulator answers for an error of Node's HTTP parser. */
export const parserRefusal = (error: Error & { readonly code?: string; readonly reason?: string }): Refusal => {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        code: "INVALID_REQUEST",
        message: `the request line and headers are larger than ${MAX_HEADER_BYTES} bytes`
      }
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, code: "PAYLOAD_TOO_LARGE", message: "the chunk extensions of the request body are too large" }
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, code: "REQUEST_TIMEOUT", message: "the request was not received in time" }
    case "HPE_INVALID_METHOD":
      return invalid("the request method is not one this server knows")
    case "HPE_INVALID_EOF_STATE":
      return invalid("the connection ended before the request did (a body shorter than its Content-Length?)")
    default:
      // llhttp's reason: "Duplicate Content-Length", "Invalid character in chunk size", …
      return invalid(`the request is not valid HTTP/1.1: ${(error.reason ?? error.code ?? "malformed").slice(0, 200)}`)
  }
}

/**
 * Creates the emulator's `http.Server` (not yet listening): serve the emulator
 * on it with `NodeHttpServer.layer(() => createServer(), { port })` (what
 * `Emulator.layerServer` does). On top of Node's defaults it answers, with
 * STACK's error body:
 *
 * - a request Node cannot parse: 400 `INVALID_REQUEST` (431 for headers over
 *   `MAX_HEADER_BYTES`, 408 when it is not received in time), then closes;
 * - `Expect` other than `100-continue`: 417;
 * - `Expect: 100-continue` with a `Content-Length` over the body limit: 413
 *   `PAYLOAD_TOO_LARGE`, without asking for the body;
 * - `CONNECT`: 405 `METHOD_NOT_ALLOWED`.
 */
export const createServer = (options: Http.ServerOptions = {}): Http.Server => {
  const server = Http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, ...options })
  // the request being answered on each connection, with its response
  const inFlight = new WeakMap<Duplex, { readonly request: Http.IncomingMessage; readonly response: Http.ServerResponse }>()
  // connections whose requests Node could not parse: "waiting" while an answer in progress finishes, then "answered"
  const refused = new WeakMap<Duplex, "waiting" | "answered">()

  server.on("request", (request: Http.IncomingMessage, response: Http.ServerResponse) => {
    const socket = request.socket
    const current = { request, response }
    inFlight.set(socket, current)
    response.once("close", () => {
      if (inFlight.get(socket) === current) inFlight.delete(socket)
    })
  })

  server.on("checkContinue", (request: Http.IncomingMessage, response: Http.ServerResponse) => {
    if (Number(request.headers["content-length"] ?? "0") > MAX_BODY_BYTES) {
      return refuseWith(response, {
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
        message: `the request body is larger than ${MAX_BODY_BYTES} bytes`
      })
    }
    response.writeContinue()
    server.emit("request", request, response)
  })

  server.on("checkExpectation", (request: Http.IncomingMessage, response: Http.ServerResponse) =>
    refuseWith(response, {
      status: 417,
      code: "INVALID_REQUEST",
      message: `Expect: ${String(request.headers["expect"]).slice(0, 100)} is not supported; only 100-continue is`
    }))

  server.on("connect", (_request: Http.IncomingMessage, socket: Duplex) => {
    socket.on("error", () => socket.destroy())
    socket.end(rawResponse({
      status: 405,
      code: "METHOD_NOT_ALLOWED",
      message: "CONNECT is not supported: this is not a proxy",
      headers: { allow: "GET, POST, PATCH, DELETE" }
    }))
    linger(socket)
  })

  server.on("clientError", (error: Error & { readonly code?: string }, socket: Duplex) => {
    try {
      onClientError(error, socket)
    } catch {
      // never let a refusal take the server down
      socket.destroy()
    }
  })

  const onClientError = (error: Error & { readonly code?: string }, socket: Duplex): void => {
    const state = refused.get(socket)
    // a further error once refused (the client ending the connection, more bytes): finish closing it
    if (state !== undefined) return void (state === "answered" && socket.end())
    refused.set(socket, "answered")
    if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy()
    const refusal = parserRefusal(error)
    const answer = () => {
      refused.set(socket, "answered")
      if (socket.writable) socket.end(rawResponse(refusal))
      else socket.destroy()
      linger(socket)
    }
    const current = inFlight.get(socket)
    if (current === undefined) return answer()
    // the error is in the body of the request being answered: answer it with the refusal, unless its answer has begun
    if (!current.request.complete && !current.response.headersSent) {
      refuseWith(current.response, refusal)
      return linger(socket)
    }
    // otherwise the answer in progress is sent first; a request that follows it is refused after it
    refused.set(socket, "waiting")
    current.response.once("close", () => {
      if (current.request.complete) return answer()
      refused.set(socket, "answered")
      socket.destroy()
    })
  }

  return server
}
