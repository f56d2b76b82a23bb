/**
 * The proxy: a call to a third-party service made for an agent, under its
 * passport, with the connection's stored credential. The pipeline, in
 * STACK's order:
 *
 * 1. the passport (`X-Passport-Token`) verifies, is the caller's (an agent's
 *    own), live (401 `PASSPORT_EXPIRED` / `PASSPORT_REVOKED`);
 * 2. the service is in its scope: a connection it claims, or a service its
 *    intent names that is granted to its agent. Otherwise 403 `FORBIDDEN`,
 *    and a `credential_outside_scope` security signal (critical for an
 *    enforced passport, a warning otherwise), which survives the refusal;
 * 3. the connection is active, still granted, and proxying is on;
 * 4. the URL's host is one the service's calls may go to (the catalog's,
 *    over https, or the `proxyHosts` allow-list an emulator is given, so that
 *    tests point it at local servers);
 * 5. a call but a GET names its operation (`authority_request_id`): the same
 *    id with the same request answers the first outcome again without
 *    calling the upstream; with another request it is 409 `CONFLICT`; while
 *    the first is in flight, or when its outcome was never recorded (a
 *    crash), it is 409 and is not sent again;
 * 6. the mission the passport is bound to is not paused by a cap (409
 *    `MISSION_PAUSED`); the call is counted against its caps once it went
 *    out, and the call that reaches one pauses (or closes) it (`Caps.ts`);
 * 7. the caller's auth headers are stripped and the credential injected;
 * 8. the request goes out (30 s timeout, 10 MB answer cap, redirects not
 *    followed); a failure is 502 `UPSTREAM_ERROR` /
 *    `UPSTREAM_RESPONSE_TOO_LARGE` or 504 `UPSTREAM_TIMEOUT`, recorded under
 *    the id like any outcome;
 * 9. the answer is scanned for prompt injection (a `prompt_injection`
 *    security event on the agent when not clean), and the call is audited as
 *    `credential.proxy` (layer `vault`) with its duration.
 *
 * The upstream call runs outside any transaction: the database is never held
 * while a service answers.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { PassportClaims } from "@getstack/effect/api/Passports"
import { ProxyResponse, ProxyScan, type ProxyRequest } from "@getstack/effect/api/Proxy"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { type Actor, recordIn, refusalsAudited, transact } from "../core/Audit.js"
import { excerpt, refuse, StackFailure } from "../core/Failure.js"
import { canonical, sha256Hex } from "../core/Hash.js"
import * as Signals from "../core/Signals.js"
import * as Passports from "../passports/Passports.js"
import type * as PassportsStore from "../passports/Store.js"
import { scanContent } from "../scan/Detector.js"
import * as Catalog from "../services/Catalog.js"
import * as Services from "../services/Services.js"
import * as ServicesStore from "../services/Store.js"
import * as Caps from "./Caps.js"

/** How the proxy reaches services: the extra hosts each may call, the timeout and the answer cap. */
export interface Settings {
  /** Hosts (`host` or `host:port`, `*.` for subdomains) a service's calls may also go to, over http or https. */
  readonly hosts: Readonly<Record<string, ReadonlyArray<string>>>
  readonly timeoutMs: number
  readonly maxResponseBytes: number
}

/** The proxy's settings, in the app's context. */
export class ProxySettings extends Context.Tag("@getstack/emulator/ProxySettings")<ProxySettings, Settings>() {}

/** STACK's: 30 s, 10 MB. */
export const defaultSettings: Settings = { hosts: {}, timeoutMs: 30_000, maxResponseBytes: 10 * 1024 * 1024 }

/** How long an `authority_request_id` is remembered. */
export const RETENTION_MS = 7 * 24 * 60 * 60 * 1000

/** Headers never forwarded from the caller: its own credentials, and those of the connection itself. */
const STRIPPED = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-api-key",
  "x-passport-token",
  "host",
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect"
])

/** Headers of the upstream's answer not passed back. */
const UNANSWERED = new Set(["set-cookie", "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"])

/** How much of a text answer the detector reads. */
const SCANNED_CHARS = 1024 * 1024

type Claim = PassportClaims["stk"]["services"][number]

/** The connection a call of `service` under this passport goes through, or a refusal with the scope signal. */
const connectionFor = (actor: Actor, row: PassportsStore.PassportRow, claims: PassportClaims, service: string) =>
  Effect.gen(function*() {
    const stk = claims.stk
    const claimed = stk.services.find((claim: Claim) => claim.service_id === service)
    const connectionId = claimed?.credential_ref ?? null
    const connection = connectionId !== null
      ? yield* ServicesStore.connection(actor.operatorId, connectionId)
      : stk.intent_services.includes(service)
      ? yield* ServicesStore.newestActiveOfAgent(row.agent_id, service)
      : undefined
    if (claimed === undefined && !stk.intent_services.includes(service)) {
      yield* transact(Signals.raise({
        operatorId: actor.operatorId,
        agentId: row.agent_id,
        passportJti: row.jti,
        type: "credential_outside_scope",
        severity: stk.accountability === "enforced" ? "critical" : "warning",
        detail: `a proxied call to ${excerpt(service)} outside the passport's scope`
      }))
      return yield* refuse("FORBIDDEN", `passport ${row.jti} does not cover ${excerpt(service)}`, { reason: "service_not_in_scope" })
    }
    if (connection === undefined || connection.status !== "active") {
      return yield* refuse("FORBIDDEN", `no active ${excerpt(service)} connection is granted to agent ${row.agent_id}`, {
        reason: "no_connection"
      })
    }
    if ((yield* ServicesStore.grant(connection.id, row.agent_id)) === undefined && row.delegation_depth === 0) {
      return yield* refuse("FORBIDDEN", `connection ${connection.id} is no longer granted to agent ${row.agent_id}`, {
        reason: "grant_revoked"
      })
    }
    if (connection.proxy_enabled !== 1) {
      return yield* refuse("FORBIDDEN", `proxying is off for connection ${connection.id}`, { reason: "proxy_disabled" })
    }
    return connection
  })

/** The upstream URL, if its host is one the service may call. */
const targetOf = (entry: Catalog.Entry, settings: Settings, request: ProxyRequest) =>
  Effect.gen(function*() {
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return yield* refuse("INVALID_REQUEST", "url must be an absolute URL", { fields: { url: "must be an absolute URL" } })
    }
    const host = url.host.toLowerCase()
    const extra = settings.hosts[entry.id] ?? []
    const allowed = (url.protocol === "https:" && Catalog.hostAllowed(entry.hosts, host)) ||
      ((url.protocol === "https:" || url.protocol === "http:") && Catalog.hostAllowed(extra, host))
    if (!allowed) {
      return yield* refuse("FORBIDDEN", `${excerpt(url.host)} is not a host ${entry.id} calls may go to`, {
        reason: "host_not_allowed",
        allowed_hosts: [...entry.hosts, ...extra]
      })
    }
    if (url.username !== "" || url.password !== "") {
      return yield* refuse("INVALID_REQUEST", "url must not carry credentials", { fields: { url: "must not carry credentials" } })
    }
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.append(key, value)
    return url
  })

/** The request headers sent upstream: the caller's minus any credential, the service's own, and the injected one. */
const upstreamHeaders = (entry: Catalog.Entry, request: ProxyRequest, secret: Services.Secret) => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const lower = name.toLowerCase()
    if (!STRIPPED.has(lower) && !lower.startsWith("x-stack-")) headers[lower] = value
  }
  Object.assign(headers, entry.headers)
  const injection = entry.injection
  if (injection.kind === "basic" && "credentials" in secret) {
    const user = secret.credentials[injection.user] ?? ""
    const password = secret.credentials[injection.password] ?? ""
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
  } else if ("credential" in secret) {
    if (injection.kind === "header") headers[injection.name.toLowerCase()] = secret.credential
    else headers.authorization = `Bearer ${secret.credential}`
  }
  if (request.body !== undefined && typeof request.body !== "string") headers["content-type"] ??= "application/json"
  return headers
}

/** An upstream failure, recorded under the operation's id like any outcome. */
const upstreamFailure = (code: "UPSTREAM_ERROR" | "UPSTREAM_TIMEOUT" | "UPSTREAM_RESPONSE_TOO_LARGE", message: string) =>
  new StackFailure({ code, message, retryable: false })

interface UpstreamAnswer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly bytes: Buffer
}

/** Sends the request and reads the answer, up to the cap. */
const send = (url: URL, request: ProxyRequest, headers: Record<string, string>, settings: Settings) =>
  Effect.tryPromise({
    try: async (signal): Promise<UpstreamAnswer> => {
      const response = await fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined || request.method === "GET"
          ? null
          : typeof request.body === "string"
          ? request.body
          : JSON.stringify(request.body),
        redirect: "manual",
        signal: AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs)])
      })
      const chunks: Array<Buffer> = []
      let size = 0
      if (response.body !== null) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength
          if (size > settings.maxResponseBytes) {
            throw upstreamFailure(
              "UPSTREAM_RESPONSE_TOO_LARGE",
              `${url.host} answered more than ${settings.maxResponseBytes} bytes`
            )
          }
          chunks.push(Buffer.from(chunk))
        }
      }
      const answered: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        if (!UNANSWERED.has(name)) answered[name] = value
      })
      return { status: response.status, headers: answered, bytes: Buffer.concat(chunks) }
    },
    catch: (cause) => {
      if (cause instanceof StackFailure) return cause
      const name = (cause as { name?: string }).name
      return name === "TimeoutError"
        ? upstreamFailure("UPSTREAM_TIMEOUT", `${url.host} did not answer within ${settings.timeoutMs / 1000} s`)
        : upstreamFailure("UPSTREAM_ERROR", `${url.host} could not be reached: ${excerpt(String((cause as Error).cause ?? cause), 200)}`)
    }
  })

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The answer's body as the contract gives it: parsed JSON, text, or base64. */
const bodyOf = (answer: UpstreamAnswer): { readonly body: unknown; readonly encoding: "json" | "text" | "base64" } => {
  let text: string
  try {
    text = utf8.decode(answer.bytes)
  } catch {
    return { body: answer.bytes.toString("base64"), encoding: "base64" }
  }
  if (/^application\/([\w.+-]+\+)?json/i.test(answer.headers["content-type"] ?? "")) {
    try {
      return { body: JSON.parse(text), encoding: "json" }
    } catch {
      // a JSON content type over a body that is not: given as text
    }
  }
  return { body: text, encoding: "text" }
}

interface OperationRow {
  readonly request_hash: string
  readonly state: "pending" | "done"
  readonly answer: string | null
  readonly failure_code: string | null
  readonly failure_message: string | null
}

const encodeResponse = Schema.encodeSync(ProxyResponse)
const decodeResponse = Schema.decodeUnknownSync(ProxyResponse)

/**
 * Reserves an operation's id for this request, or answers what it already
 * stands for: the first outcome (replayed), or a conflict.
 */
const reserve = (actor: Actor, id: string, requestHash: string) =>
  transact(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    yield* sql`DELETE FROM proxy_operations WHERE created_at < ${now - RETENTION_MS}`
    const [row] = yield* sql<OperationRow>`
      SELECT request_hash, state, answer, failure_code, failure_message FROM proxy_operations
      WHERE operator_id = ${actor.operatorId} AND authority_request_id = ${id}`
    if (row === undefined) {
      yield* sql`INSERT INTO proxy_operations ${
        sql.insert({ operator_id: actor.operatorId, authority_request_id: id, request_hash: requestHash, state: "pending", created_at: now })
      }`
      return undefined
    }
    if (row.request_hash !== requestHash) {
      return yield* new StackFailure({
        code: "CONFLICT",
        message: `authority_request_id ${excerpt(id)} names another request`,
        details: { reason: "authority_request_conflict" },
        retryable: false
      })
    }
    if (row.state === "pending") {
      return yield* new StackFailure({
        code: "CONFLICT",
        message: `the operation ${excerpt(id)} is in flight, or its outcome is unknown: it is not sent again`,
        details: { reason: "outcome_unknown" },
        retryable: false
      })
    }
    if (row.failure_code !== null) {
      return yield* new StackFailure({ code: row.failure_code, message: row.failure_message ?? "", retryable: false })
    }
    return new ProxyResponse({ ...decodeResponse(JSON.parse(row.answer!)), replayed: true }, { disableValidation: true })
  }))

/** Records an operation's outcome under its id (in the transaction of its audit entry). */
const settle = (actor: Actor, id: string, outcome: ProxyResponse | StackFailure) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    outcome instanceof StackFailure
      ? sql`UPDATE proxy_operations SET state = 'done', failure_code = ${outcome.code}, failure_message = ${outcome.message}
          WHERE operator_id = ${actor.operatorId} AND authority_request_id = ${id}`
      : sql`UPDATE proxy_operations SET state = 'done', answer = ${JSON.stringify(encodeResponse(outcome))}
          WHERE operator_id = ${actor.operatorId} AND authority_request_id = ${id}`)

/** Scans a text answer; a match raises a `prompt_injection` event on the agent. */
const scanAnswer = (actor: Actor, row: PassportsStore.PassportRow, service: string, body: unknown, encoding: string) =>
  Effect.gen(function*() {
    if (encoding === "base64") return null
    const verdict = scanContent(typeof body === "string" ? body.slice(0, SCANNED_CHARS) : body)
    if (verdict.verdict === "clean" || verdict.match === null) return new ProxyScan({ verdict: "clean", pattern_id: null })
    yield* Signals.raise({
      operatorId: actor.operatorId,
      agentId: row.agent_id,
      passportJti: row.jti,
      type: "prompt_injection",
      severity: verdict.verdict === "critical" ? "critical" : "warning",
      detail: `${verdict.verdict}: pattern ${verdict.match.pattern_id} in a proxied answer from ${excerpt(service)}`
    })
    return new ProxyScan({ verdict: verdict.verdict, pattern_id: verdict.match.pattern_id })
  })

/** Makes a proxied call (see the module's doc for the pipeline). */
export const request = (actor: Actor, passportToken: Redacted.Redacted<string>, request: ProxyRequest) =>
  Effect.gen(function*() {
    const settings = yield* ProxySettings
    const spec = { action: "credential.proxy", layer: "vault" as const, agentIdOnFailure: actor.agentId }
    // the checks before the upstream call: refused calls are audited as failures
    const checked = yield* refusalsAudited(
      actor,
      spec,
      Effect.gen(function*() {
        const { claims, row } = yield* Passports.presentedForUse(actor, Redacted.value(passportToken))
        const entry = Catalog.entry(request.service)
        if (entry === undefined) {
          return yield* refuse("INVALID_REQUEST", `${excerpt(request.service)} is not a service of the catalog`, {
            fields: { service: "not a service of the catalog" }
          })
        }
        const connection = yield* connectionFor(actor, row, claims, entry.id)
        const url = yield* targetOf(entry, settings, request)
        const id = request.authority_request_id
        if (id === undefined && request.method !== "GET") {
          return yield* refuse("INVALID_REQUEST", `a ${request.method} through the proxy needs an authority_request_id`, {
            fields: { authority_request_id: "required for every method but GET" }
          })
        }
        yield* Caps.admit(row)
        return { row, entry, connection, url, id }
      })
    )
    const { connection, entry, id, row, url } = checked
    const requestHash = sha256Hex(canonical([
      request.service,
      request.method,
      request.url,
      request.headers ?? {},
      request.query ?? {},
      request.body ?? null,
      request.cost_cents ?? 0
    ]))
    if (id !== undefined) {
      const replay = yield* reserve(actor, id, requestHash)
      if (replay !== undefined) return replay
    }
    const secret = yield* Services.openSecret(connection)
    const startedAt = yield* Clock.currentTimeMillis
    const sent = yield* Effect.either(send(url, request, upstreamHeaders(entry, request, secret), settings))
    const endedAt = yield* Clock.currentTimeMillis
    const recorded = (outcome: ProxyResponse | StackFailure) =>
      Effect.zipRight(
        id === undefined ? Effect.void : settle(actor, id, outcome),
        Caps.count(actor, row, {
          cents: request.cost_cents ?? 0,
          ms: endedAt - startedAt,
          bytes: sent._tag === "Right" ? sent.right.bytes.length : 0
        })
      )
    if (sent._tag === "Left") {
      const failure = sent.left
      yield* transact(Effect.zipRight(
        recordIn(actor, { ...spec, agentId: row.agent_id, passportJti: row.jti, outcome: "failure", failure }),
        recorded(failure)
      ))
      return yield* failure
    }
    const { body, encoding } = bodyOf(sent.right)
    // the call's entry first, then what its use did to its mission (a pause is audited after it)
    return yield* transact(Effect.gen(function*() {
      const response = new ProxyResponse({
        status: sent.right.status,
        headers: sent.right.headers,
        body,
        body_encoding: encoding,
        duration_ms: endedAt - startedAt,
        authority_request_id: id ?? null,
        replayed: false,
        scan: yield* scanAnswer(actor, row, entry.id, body, encoding)
      }, { disableValidation: true })
      yield* recordIn(actor, { ...spec, agentId: row.agent_id, passportJti: row.jti })
      yield* recorded(response)
      return response
    }))
  })
