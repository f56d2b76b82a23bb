/**
 * The floor `bench/server.mjs` measures the emulator against: the same four
 * endpoints written with nothing but `node:http`, `node:crypto` and
 * `better-sqlite3`, running the emulator's SQL on a copy of its schema, in the
 * same journal mode. No validation beyond what the SQL needs, no framework.
 *
 *   node floor.mjs --template migrated.db [--db memory|FILE] [--port 0]
 *
 * `--template` is a database the emulator migrated (`stack-emulator operators
 * create --db …`): its schema and rows (the operator and its hashed API key)
 * are copied into the floor's own database, in memory (as the emulator's
 * default) or in FILE, in WAL mode (as the emulator opens a file). Prints
 * `floor listening on http://…` once it listens.
 */
import Database from "better-sqlite3"
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto"
import * as Http from "node:http"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({
  options: {
    template: { type: "string" },
    db: { type: "string", default: "memory" },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" }
  }
})
if (args.template === undefined) throw new Error("--template is required")

// ---------------------------------------------------------------------------
// the database: the emulator's schema and rows, in the emulator's journal mode

const db = new Database(args.db === "memory" ? ":memory:" : args.db)
// as @effect/sql-sqlite-node's SqliteClient does (a no-op in memory), then Database.ts
db.pragma("journal_mode = WAL")
db.pragma("foreign_keys = ON")
db.prepare("ATTACH DATABASE ? AS template").run(args.template)
const objects = db.prepare(
  "SELECT type, name, sql FROM template.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
).all()
db.transaction(() => {
  for (const { sql } of objects) db.exec(sql)
  for (const { name, type } of objects) {
    if (type === "table") db.exec(`INSERT INTO main."${name}" SELECT * FROM template."${name}"`)
  }
})()
db.exec("DETACH DATABASE template")

// ---------------------------------------------------------------------------
// what the emulator's core does per request, without Effect

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const newId = (prefix) => {
  const out = []
  while (out.length < 24) {
    for (const byte of randomBytes(48)) if (byte < 248 && out.length < 24) out.push(ALPHABET[byte % 62])
  }
  return `${prefix}_${out.join("")}`
}
const sha256Hex = (text) => createHash("sha256").update(text).digest("hex")
const iso = (ms) => new Date(ms).toISOString()
const GENESIS_HASH = "0".repeat(64)
const ISSUER = "https://api.getstack.run"

const sql = {
  operatorByKey: db.prepare(`
    SELECT o.id AS id, o.name AS name FROM api_keys k JOIN operators o ON o.id = k.operator_id
    WHERE k.key_hash = ? AND k.revoked_at IS NULL`),
  agent: db.prepare("SELECT * FROM agents WHERE id = ? AND operator_id = ?"),
  grantsOfAgent: db.prepare(`SELECT g.*, c.provider, c.status FROM service_grants g
    JOIN service_connections c ON c.id = g.connection_id
    WHERE g.agent_id = ? AND c.status != 'disconnected' ORDER BY c.created_at, c.rowid`),
  nameTaken: db.prepare("SELECT 1 FROM agents WHERE operator_id = ? AND name = ? AND id IS NOT ?"),
  insertAgent: db.prepare(`INSERT INTO agents (id, operator_id, name, description, accountability_mode, on_warning,
    on_critical, credential_access, icon_url, status, passport_blocked, profile, key_mode, created_at, updated_at)
    VALUES (@id, @operator_id, @name, @description, @accountability_mode, @on_warning, @on_critical,
    @credential_access, @icon_url, @status, @passport_blocked, @profile, @key_mode, @created_at, @updated_at)`),
  lastEntry: db.prepare(`SELECT entry_hash, timestamp FROM audit_entries
    WHERE operator_id = ? ORDER BY seq DESC LIMIT 1`),
  insertEntry: db.prepare(`INSERT INTO audit_entries (entry_id, timestamp, trace_id, operator_id, agent_id,
    passport_jti, layer, action, outcome, duration_ms, payload_hash, error_code, error_message, prev_entry_hash,
    entry_hash) VALUES (@entry_id, @timestamp, @trace_id, @operator_id, @agent_id, @passport_jti, @layer, @action,
    @outcome, @duration_ms, @payload_hash, @error_code, @error_message, @prev_entry_hash, @entry_hash)`),
  passport: db.prepare("SELECT * FROM passports WHERE jti = ?"),
  insertPassport: db.prepare(`INSERT INTO passports (jti, operator_id, agent_id, parent_jti, session_id, mission_id,
    delegation_depth, accountability, intent_services, checkpoint_interval, claims, token, issued_at, expires_at,
    refreshed_at, last_checkpoint_at, checked_out_at, revoked_at, revoke_reason) VALUES (@jti, @operator_id,
    @agent_id, @parent_jti, @session_id, @mission_id, @delegation_depth, @accountability, @intent_services,
    @checkpoint_interval, @claims, @token, @issued_at, @expires_at, @refreshed_at, @last_checkpoint_at,
    @checked_out_at, @revoked_at, @revoke_reason)`),
  purgeKeys: db.prepare("DELETE FROM idempotency_keys WHERE created_at < ?"),
  key: db.prepare(`SELECT request_hash, status, body, should_retry FROM idempotency_keys
    WHERE operator_id = ? AND key = ?`),
  insertKey: db.prepare(`INSERT INTO idempotency_keys (operator_id, key, request_hash, status, body, should_retry,
    created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
}

class Refusal extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

const authenticate = (request) => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")
  const operator = match === null ? undefined : sql.operatorByKey.get(sha256Hex(match[1]))
  if (operator === undefined) throw new Refusal(401, "INVALID_API_KEY", "the API key is not valid")
  return operator
}

const toAgent = (row) => ({
  id: row.id,
  name: row.name,
  accountability_mode: row.accountability_mode,
  on_warning: row.on_warning,
  on_critical: row.on_critical,
  credential_access: row.credential_access,
  status: row.status,
  passport_blocked: row.passport_blocked === 1,
  description: row.description,
  icon_url: row.icon_url,
  operator_id: row.operator_id,
  profile: row.profile,
  key_mode: row.key_mode,
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at)
})

/** AuditLog.append: the entry hashes the operator's previous one. */
const appendEntry = (ctx, entry) => {
  const last = sql.lastEntry.get(ctx.operatorId)
  const now = Date.now()
  const fields = {
    entry_id: newId("aud"),
    timestamp: Math.max(now, last?.timestamp ?? 0),
    trace_id: ctx.requestId,
    operator_id: ctx.operatorId,
    agent_id: entry.agentId,
    passport_jti: entry.passportJti ?? null,
    layer: entry.layer,
    action: entry.action,
    outcome: "success",
    duration_ms: Math.max(0, now - ctx.startedAt),
    payload_hash: ctx.payloadHash,
    error_code: null,
    error_message: null,
    prev_entry_hash: last?.entry_hash ?? GENESIS_HASH
  }
  const hashInput = JSON.stringify({
    entry_id: fields.entry_id,
    timestamp: fields.timestamp,
    operator_id: fields.operator_id,
    agent_id: fields.agent_id,
    layer: fields.layer,
    action: fields.action,
    outcome: fields.outcome,
    prev_entry_hash: fields.prev_entry_hash
  })
  sql.insertEntry.run({ ...fields, entry_hash: sha256Hex(hashInput) })
}

const register = db.transaction((ctx, request) => {
  if (sql.nameTaken.get(ctx.operatorId, request.name, null) !== undefined) {
    throw new Refusal(409, "CONFLICT", `an agent named ${request.name} already exists`)
  }
  const now = Date.now()
  const row = {
    id: newId("agt"),
    operator_id: ctx.operatorId,
    name: request.name,
    description: request.description ?? null,
    accountability_mode: request.accountability_mode ?? "enforced",
    on_warning: request.on_warning ?? "notify",
    on_critical: request.on_critical ?? "block",
    credential_access: request.credential_access ?? "direct",
    icon_url: request.icon_url ?? null,
    status: "active",
    passport_blocked: 0,
    profile: request.profile ?? null,
    key_mode: request.key_mode ?? null,
    created_at: now,
    updated_at: now
  }
  sql.insertAgent.run(row)
  appendEntry(ctx, { agentId: row.id, layer: "system", action: "agent.register" })
  return toAgent(row)
})

// the passport signing key, and compact JWTs signed with it
const signingKey = generateKeyPairSync("ed25519")
const { x } = signingKey.publicKey.export({ format: "jwk" })
const kid = createHash("sha256").update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x })).digest("base64url")
const base64url = (text) => Buffer.from(text).toString("base64url")
const signJwt = (payload) => {
  const input = `${base64url(JSON.stringify({ alg: "EdDSA", typ: "JWT", kid }))}.${base64url(JSON.stringify(payload))}`
  return `${input}.${sign(null, Buffer.from(input), signingKey.privateKey).toString("base64url")}`
}

const issue = db.transaction((ctx, request) => {
  const agent = sql.agent.get(request.agent_id, ctx.operatorId)
  if (agent === undefined) throw new Refusal(404, "NOT_FOUND", `agent ${request.agent_id} not found`)
  if (agent.status !== "active" || agent.passport_blocked === 1) {
    throw new Refusal(403, "AGENT_SUSPENDED", `agent ${agent.id} may not hold passports`)
  }
  if (agent.accountability_mode !== "standard" && request.intent === undefined) {
    throw new Refusal(400, "ACCOUNTABILITY_REQUIRED", `agent ${agent.id} needs an intent`)
  }
  const now = Date.now()
  const iat = Math.floor(now / 1000)
  const exp = iat + (request.ttl_seconds ?? 900)
  const jti = newId("pp")
  const stk = {
    operator_id: ctx.operatorId,
    agent_id: agent.id,
    agent_name: agent.name,
    // as the emulator: without requested scopes, every active grant of the agent, whole
    services: sql.grantsOfAgent.all(agent.id).filter((grant) => grant.status === "active").map((grant) => ({
      service_id: grant.provider,
      service_name: grant.provider,
      scopes: JSON.parse(grant.scopes),
      credential_ref: grant.connection_id
    })),
    identity_claims: [],
    delegation_depth: 0,
    session_id: newId("ses"),
    accountability: agent.accountability_mode,
    intent_summary: request.intent?.summary ?? null,
    intent_services: [...(request.intent?.services ?? [])],
    checkpoint_interval: null,
    mission_id: null,
    parent_jti: null
  }
  const token = signJwt({ iss: ISSUER, sub: agent.id, jti, iat, nbf: iat, exp, stk })
  sql.insertPassport.run({
    jti,
    operator_id: ctx.operatorId,
    agent_id: agent.id,
    parent_jti: null,
    session_id: stk.session_id,
    mission_id: null,
    delegation_depth: 0,
    accountability: stk.accountability,
    intent_services: JSON.stringify(stk.intent_services),
    checkpoint_interval: null,
    claims: JSON.stringify(stk),
    token,
    issued_at: now,
    expires_at: exp * 1000,
    refreshed_at: null,
    last_checkpoint_at: null,
    checked_out_at: null,
    revoked_at: null,
    revoke_reason: null
  })
  appendEntry(ctx, { agentId: agent.id, passportJti: jti, layer: "vault", action: "passport.issue" })
  return { token, jti, expires_at: iso(exp * 1000) }
})

const verifyPassport = (request) => {
  const invalid = (reason, message) => ({ valid: false, reason, message })
  const parts = typeof request.token === "string" ? request.token.split(".") : []
  if (parts.length !== 3) return invalid("malformed", "the token is not a compact JWT")
  const [h, p, s] = parts
  let header, claims
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"))
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"))
  } catch {
    return invalid("malformed", "the token is not a compact JWT")
  }
  if (header.alg !== "EdDSA") return invalid("invalid_signature", "the token is not signed EdDSA")
  if (header.kid !== undefined && header.kid !== kid) return invalid("unknown_key", "unknown key")
  const signature = Buffer.from(s, "base64url")
  if (signature.byteLength !== 64 || !verify(null, Buffer.from(`${h}.${p}`), signingKey.publicKey, signature)) {
    return invalid("invalid_signature", "the token's signature does not verify")
  }
  if (claims.iss !== ISSUER) return invalid("wrong_issuer", `the token's issuer is not ${ISSUER}`)
  const row = sql.passport.get(claims.jti)
  if (row === undefined) return invalid("unknown_passport", "this server has no record of the passport")
  const now = Date.now()
  if (claims.nbf !== undefined && claims.nbf * 1000 > now) return invalid("not_yet_valid", "the passport is not valid yet")
  if (row.revoked_at !== null) return invalid("revoked", "the passport was revoked")
  const expiresAt = Math.min(claims.exp * 1000, row.expires_at)
  if (now >= expiresAt) return invalid("expired", "the passport expired")
  return {
    valid: true,
    jti: claims.jti,
    agent_id: claims.stk.agent_id,
    agent_name: claims.stk.agent_name,
    operator_id: claims.stk.operator_id,
    scopes: claims.stk.services,
    intent_services: claims.stk.intent_services,
    expires_at: iso(expiresAt),
    claims
  }
}

const RETENTION_MS = 24 * 60 * 60 * 1000

/** Idempotency.run: key lookup, the action and its stored answer, in one transaction. */
const keyed = db.transaction((ctx, key, requestHash, action) => {
  const now = Date.now()
  sql.purgeKeys.run(now - RETENTION_MS)
  const row = sql.key.get(ctx.operatorId, key)
  if (row !== undefined) {
    if (row.request_hash !== requestHash) throw new Refusal(422, "IDEMPOTENCY_KEY_REUSED", "key reused")
    return { status: row.status, body: row.body }
  }
  const answer = action()
  sql.insertKey.run(ctx.operatorId, key, requestHash, answer.status, answer.body, null, now)
  return answer
})

// ---------------------------------------------------------------------------
// the server

const routes = {
  get: (ctx, id) => {
    const row = sql.agent.get(id, ctx.operatorId)
    if (row === undefined) throw new Refusal(404, "NOT_FOUND", `agent ${id} not found`)
    return { status: 200, body: JSON.stringify(toAgent(row)) }
  },
  register: (ctx, json) => ({ status: 201, body: JSON.stringify(register(ctx, json)) }),
  issue: (ctx, json) => ({ status: 201, body: JSON.stringify(issue(ctx, json)) })
}

const answer = (response, requestId, { status, body }) => {
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-request-id": requestId
  })
  response.end(body)
}

const handle = (request, response, text) => {
  const requestId = newId("req")
  try {
    const startedAt = Date.now()
    const url = request.url ?? ""
    if (request.method === "POST" && url === "/v1/passports/verify") {
      return answer(response, requestId, { status: 200, body: JSON.stringify(verifyPassport(JSON.parse(text))) })
    }
    const operator = authenticate(request)
    const ctx = { operatorId: operator.id, requestId, startedAt, payloadHash: text === "" ? null : sha256Hex(text) }
    if (request.method === "GET" && url.startsWith("/v1/agents/")) {
      return answer(response, requestId, routes.get(ctx, decodeURIComponent(url.slice("/v1/agents/".length))))
    }
    const name = request.method !== "POST"
      ? undefined
      : url === "/v1/agents/register"
      ? "register"
      : url === "/v1/passports/issue"
      ? "issue"
      : undefined
    if (name === undefined) throw new Refusal(404, "NOT_FOUND", `no route for ${request.method} ${url}`)
    const json = JSON.parse(text)
    const key = request.headers["idempotency-key"]
    if (key === undefined) return answer(response, requestId, routes[name](ctx, json))
    const requestHash = sha256Hex(`${request.method} ${url}\n${text}`)
    return answer(response, requestId, keyed(ctx, key, requestHash, () => routes[name](ctx, json)))
  } catch (error) {
    const refusal = error instanceof Refusal ? error : new Refusal(500, "INTERNAL_ERROR", String(error))
    answer(response, requestId, {
      status: refusal.status,
      body: JSON.stringify({ error: { code: refusal.code, message: refusal.message } })
    })
  }
}

const server = Http.createServer((request, response) => {
  const chunks = []
  request.on("data", (chunk) => chunks.push(chunk))
  request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")))
})
server.listen(Number(args.port), args.host, () => {
  const { port } = server.address()
  const mode = db.pragma("journal_mode", { simple: true })
  console.log(`floor listening on http://${args.host}:${port} (journal_mode ${mode})`)
})
process.on("SIGTERM", () => server.close(() => db.close()))
