/**
 * Operators and their API keys (stored hashed).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { refuse } from "./Failure.js"
import { sha256Hex } from "./Hash.js"
import { newApiKey, newId } from "./Ids.js"

/** The caller a request is made for. */
export interface Operator {
  readonly id: string
  readonly name: string
}

/** An operator together with a key that authenticates as it. */
export interface OperatorWithKey {
  readonly operator: Operator
  readonly apiKey: Redacted.Redacted<string>
}

/** What an API key looks like: `sk_live_…` or `sk_test_…`. */
export const KEY_PATTERN = /^sk_(live|test)_[A-Za-z0-9_]{8,200}$/

/** Creates an operator with an API key (`apiKey` when given, else a new `sk_test_…`). */
export const create = (options: { readonly name?: string | undefined; readonly apiKey?: string | undefined } = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const key = options.apiKey ?? newApiKey()
    if (!KEY_PATTERN.test(key)) {
      return yield* Effect.dieMessage("an API key must look like sk_live_… or sk_test_… (8 or more characters after it)")
    }
    const now = yield* Clock.currentTimeMillis
    const operator: Operator = { id: newId("op"), name: options.name ?? "operator" }
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`INSERT INTO operators ${sql.insert({ id: operator.id, name: operator.name, created_at: now })}`
      yield* addKey(operator.id, key)
    }))
    return { operator, apiKey: Redacted.make(key) } satisfies OperatorWithKey
  })

/** Adds an API key to an operator. */
export const addKey = (operatorId: string, key: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    yield* sql`INSERT INTO api_keys ${sql.insert({
      key_hash: sha256Hex(key),
      operator_id: operatorId,
      key_prefix: key.slice(0, 12),
      created_at: now
    })}`
  })

/** The operators a key belongs to (one, or none): the key not revoked, looked up by its hash. */
const operatorsByKey = (sql: SqlClient.SqlClient, key: string) =>
  sql<Operator>`
    SELECT o.id AS id, o.name AS name FROM api_keys k JOIN operators o ON o.id = k.operator_id
    WHERE k.key_hash = ${sha256Hex(key)} AND k.revoked_at IS NULL`

/** The operator a key belongs to, if any. */
export const findByKey = (key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(operatorsByKey(sql, key), (rows) => Option.fromNullable(rows[0])))

/**
 * The operator an API key authenticates, or `INVALID_API_KEY` for a token
 * that is not one of this server's keys. Read from the database on every
 * request: a revoked key is refused at once.
 */
export const authenticate = (token: string) =>
  token.startsWith("sk_")
    ? Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.flatMap(operatorsByKey(sql, token), (rows) =>
        rows[0] !== undefined ? Effect.succeed(rows[0]) : refuse("INVALID_API_KEY", "the API key is not valid")))
    : refuse("INVALID_API_KEY", "the bearer token is not an API key this server knows")

/** The operator `apiKey` belongs to, else a new operator of its own with that key. */
export const ensureOwn = (apiKey: string, name?: string) =>
  Effect.flatMap(findByKey(apiKey), (existing) =>
    Option.isSome(existing)
      ? Effect.succeed({ operator: existing.value, apiKey: Redacted.make(apiKey) } satisfies OperatorWithKey)
      : create({ name, apiKey }))

/**
 * The default operator: the one `apiKey` belongs to, else the one remembered in
 * the database (with a new key, as keys are stored hashed), else a new one.
 */
export const ensureDefault = (apiKey: string | undefined) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    if (apiKey !== undefined) {
      const existing = yield* findByKey(apiKey)
      if (Option.isSome(existing)) return { operator: existing.value, apiKey: Redacted.make(apiKey) }
    }
    const [remembered] = yield* sql<Operator>`
      SELECT o.id AS id, o.name AS name FROM settings s JOIN operators o ON o.id = s.value
      WHERE s.key = 'default_operator'`
    if (remembered !== undefined) {
      const key = apiKey ?? newApiKey()
      yield* addKey(remembered.id, key)
      return { operator: remembered, apiKey: Redacted.make(key) }
    }
    const created = yield* create({ name: "default", apiKey })
    yield* sql`INSERT INTO settings ${sql.insert({ key: "default_operator", value: created.operator.id })}`
    return created
  })
