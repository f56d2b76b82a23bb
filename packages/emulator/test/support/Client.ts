/**
 * A small fetch-style client that speaks to the emulator's wire directly (raw
 * bodies, any header, forged tokens), over the in-process handler — no port,
 * no socket — or over real HTTP with `requester(fetch, …)`.
 */
import { Emulator } from "@getstack/emulator"
import { expect } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto"
import { mkdtempSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A decoded answer. JSON bodies are loosely typed: tests check their shape. */
export interface Reply {
  readonly status: number
  readonly json: any
  readonly text: string
  readonly headers: Headers
}

/** Checks STACK's error body, with its status and code, and the request id every answer carries. */
export const expectError = (reply: Pick<Reply, "status" | "json" | "headers">, status: number, code: string) => {
  expect(reply.status, JSON.stringify(reply.json)).toBe(status)
  expect(reply.json?.error?.code).toBe(code)
  expect(typeof reply.json?.error?.message).toBe("string")
  expect(reply.headers.get("x-request-id")).toMatch(/^req_/)
}

/** What a request carries besides method and path. */
export interface CallOptions {
  readonly json?: unknown
  readonly body?: string
  readonly headers?: Record<string, string>
  /** The bearer token; the default operator's API key when left out, none when null. */
  readonly auth?: string | null
}

/** 2026-01-01T00:00:00Z: where the TestClock starts in these tests. */
export const T0 = Date.parse("2026-01-01T00:00:00.000Z")

/**
 * A database file in a new temporary directory, and whether its bytes (or
 * its WAL's) hold a text: for tests that a secret never reaches the disk.
 */
export const databaseFile = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const filename = join(dir, "stack.db")
  const bytesHold = (text: string) =>
    [filename, `${filename}-wal`].some((file) => {
      try {
        return readFileSync(file).includes(Buffer.from(text))
      } catch {
        return false
      }
    })
  /** Runs one statement on the file behind the emulator's back (as an older emulator would have written); answers the rows changed. */
  const write = (statement: string, ...params: Array<unknown>) => {
    const db = new SqliteDatabase(filename)
    try {
      return db.prepare(statement).run(...params).changes
    } finally {
      db.close()
    }
  }
  return { dir, filename, bytesHold, write }
}

// better-sqlite3 ships no types: what the tests use of it
const SqliteDatabase = createRequire(import.meta.url)("better-sqlite3") as new(file: string) => {
  prepare(sql: string): { run(...params: Array<unknown>): { changes: number } }
  close(): void
}

/** Runs `body` against a fresh in-memory emulator, its clock the test's TestClock set to `T0`. */
export const withEmulator = <A, E, R>(body: Effect.Effect<A, E, R>, options: Emulator.Options = {}) =>
  Effect.zipRight(TestClock.setTime(T0), Effect.provide(body, Emulator.layer(options)))

/**
 * A fetch-style request function: `send` answers a `Request` (the emulator's
 * in-process handler, or `fetch` for a real server), `base` prefixes the path,
 * and `key` is the default bearer token.
 */
export const requester = (send: (request: Request) => Promise<Response>, base: string, key: string) =>
  (method: string, path: string, options: CallOptions = {}) =>
    Effect.promise(async (): Promise<Reply> => {
      const headers: Record<string, string> = { ...options.headers }
      if (options.auth !== null) headers.authorization = `Bearer ${options.auth ?? key}`
      let body = options.body
      if (options.json !== undefined) {
        body = JSON.stringify(options.json)
        headers["content-type"] ??= "application/json"
      }
      const response = await send(new Request(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }))
      const text = await response.text()
      let json: any
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: response.status, json, text, headers: response.headers }
    })

/** The client for the emulator in context. */
export const client = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  const key = Redacted.value(emulator.apiKey)
  const call = requester((request) => emulator.handler(request), "http://emulator.test", key)
  const post = (path: string, json: unknown = {}, options: Omit<CallOptions, "json"> = {}) =>
    call("POST", path, { ...options, json })
  const get = (path: string, options: CallOptions = {}) => call("GET", path, options)

  /** Registers an agent and returns its id. */
  const agent = (name: string, mode: "enforced" | "logged" | "standard" = "standard", auth?: string) =>
    Effect.map(
      post("/v1/agents/register", { name, accountability_mode: mode }, auth === undefined ? {} : { auth }),
      (reply) => {
        if (reply.status !== 201) throw new Error(`register ${name}: ${reply.status} ${reply.text}`)
        return reply.json.id as string
      }
    )

  /** Issues a passport, failing the test unless it is issued. */
  const issue = (body: Record<string, unknown>, options: Omit<CallOptions, "json"> = {}) =>
    Effect.map(post("/v1/passports/issue", body, options), (reply) => {
      if (reply.status !== 201) throw new Error(`issue: ${reply.status} ${reply.text}`)
      return reply.json as { token: string; jti: string; expires_at: string }
    })

  /** Delegates a passport, failing the test unless it is delegated. */
  const delegate = (body: Record<string, unknown>, options: Omit<CallOptions, "json"> = {}) =>
    Effect.map(post("/v1/passports/delegate", body, options), (reply) => {
      if (reply.status !== 201) throw new Error(`delegate: ${reply.status} ${reply.text}`)
      return reply.json as { token: string; jti: string; expires_at: string }
    })

  const verify = (token: string, serviceId?: string) =>
    Effect.map(
      post("/v1/passports/verify", serviceId === undefined ? { token } : { token, service_id: serviceId }, { auth: null }),
      (reply) => reply.json
    )

  /** The default operator's audit entries written by `effect`. */
  const auditOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const before = (yield* emulator.auditChain(emulator.operatorId)).length
      const result = yield* effect
      const entries = (yield* emulator.auditChain(emulator.operatorId)).slice(before)
      return { result, entries }
    })

  /**
   * POSTs `body` to `path` as an operation STACK holds for a human: the 403
   * `GOVERNANCE_APPROVAL_REQUIRED` is approved through the emulator, and the
   * same body is sent again with its `governance_approval_id`.
   */
  const postApproved = (path: string, body: Record<string, unknown> = {}, options: Omit<CallOptions, "json"> = {}) =>
    Effect.gen(function*() {
      const held = yield* post(path, body, options)
      if (held.status !== 403 || held.json?.error?.code !== "GOVERNANCE_APPROVAL_REQUIRED") return held
      const approvalId = held.json.error.details.approval_id as string
      yield* Effect.orDie(emulator.decideApproval(emulator.operatorId, approvalId, "approved"))
      return yield* post(path, { ...body, governance_approval_id: approvalId }, options)
    })

  /** Unblocks an agent, approving the governance hold on the way. */
  const unblock = (agentId: string) => postApproved(`/v1/agents/${agentId}/unblock`)

  /**
   * Connects a service of the catalog with a secret (`oauth_token`, or
   * `credentials` for a multi-field service) and grants it to `agents`
   * with the connection's scopes; returns the connection's id.
   */
  const connect = (
    service: string,
    scopes: ReadonlyArray<string>,
    options: { readonly agents?: ReadonlyArray<string>; readonly secret?: string | Record<string, string> } = {}
  ) =>
    Effect.gen(function*() {
      const secret = options.secret ?? `${service}-token-${Math.random().toString(36).slice(2)}`
      const connected = yield* post("/v1/services/connect", {
        service_id: service,
        scopes,
        ...(typeof secret === "string" ? { oauth_token: secret } : { credentials: secret })
      })
      if (connected.status !== 201) throw new Error(`connect ${service}: ${connected.status} ${connected.text}`)
      const connectionId = connected.json.id as string
      for (const agentId of options.agents ?? []) {
        const granted = yield* post(`/v1/services/connected/${connectionId}/grants`, { agent_id: agentId, scopes })
        if (granted.status !== 200) throw new Error(`grant ${connectionId}: ${granted.status} ${granted.text}`)
      }
      return connectionId
    })

  return { emulator, key, call, post, get, agent, issue, delegate, verify, auditOf, postApproved, unblock, connect }
})

/** A JWT's header and payload, decoded without verification. */
export const decodeJwt = (token: string) => {
  const [header, payload, signature] = token.split(".") as [string, string, string]
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, "base64url")
  }
}

/** A compact JWT signed EdDSA with `privateKey`. */
export const signJwt = (privateKey: KeyObject, header: object, payload: object) => {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${
    Buffer.from(JSON.stringify(payload)).toString("base64url")
  }`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`
}

/** A new Ed25519 key pair for an agent, with its public JWK. */
export const agentKeyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519")
  const { x } = publicKey.export({ format: "jwk" })
  return { privateKey, publicKey, jwk: { kty: "OKP", crv: "Ed25519", x: x! } }
}

/** The agent JWT an SDK would send: `{alg: EdDSA}`, iss stack-sdk, aud stack:agent, 60 s. */
export const agentJwt = (
  privateKey: KeyObject,
  agentId: string,
  nowMs: number,
  overrides: Record<string, unknown> = {}
) => {
  const iat = Math.floor(nowMs / 1000)
  return signJwt(privateKey, { alg: "EdDSA", typ: "JWT" }, {
    iss: "stack-sdk",
    sub: agentId,
    aud: "stack:agent",
    iat,
    nbf: iat,
    exp: iat + 60,
    ...overrides
  })
}

/** The base64url Ed25519 signature of a challenge's UTF-8 bytes. */
export const signChallenge = (privateKey: KeyObject, challenge: string) =>
  sign(null, Buffer.from(challenge, "utf8"), privateKey).toString("base64url")

/** Registers an agent and enrolls a fresh key for it; returns the id, the key pair and a JWT maker. */
export const enrolled = (name: string, mode: "enforced" | "logged" | "standard" = "standard") =>
  Effect.gen(function*() {
    const { agent, post } = yield* client
    const agentId = yield* agent(name, mode)
    const keys = agentKeyPair()
    const challenge = yield* post(`/v1/agents/${agentId}/enrollment-challenge`)
    if (challenge.status !== 201) throw new Error(challenge.text)
    const enroll = yield* post(`/v1/agents/${agentId}/enroll`, {
      public_key: keys.jwk,
      challenge_id: challenge.json.challenge_id,
      signed_challenge: signChallenge(keys.privateKey, challenge.json.challenge)
    })
    if (enroll.status !== 201) throw new Error(enroll.text)
    const jwt = (overrides: Record<string, unknown> = {}) =>
      Effect.map(Clock.currentTimeMillis, (now) => agentJwt(keys.privateKey, agentId, now, overrides))
    return { agentId, keys, jwt, enrollment: enroll.json }
  })
