/**
 * The `Idempotency-Key` store: per operator and key, the request it was first
 * used for and the answer it got, replayed for 24 hours. A key is stored only
 * with its answer, in the transaction of the action it answers. The answer's
 * body is sealed by the vault, bound to its key (it may hold a secret: a
 * passport's token, a drop-off's payload); a body stored in the clear by an
 * older emulator is replayed as it is.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { StackFailure } from "../core/Failure.js"
import * as Vault from "../core/Vault.js"

/** How long a key is remembered. */
export const RETENTION_MS = 24 * 60 * 60 * 1000

/** Longest key accepted. */
export const MAX_KEY_LENGTH = 255

/** A stored answer. */
export interface StoredAnswer {
  readonly status: number
  readonly body: string
  readonly shouldRetry: boolean | undefined
}

/** What a keyed request answers: the answer, and whether it is a replay of the first one. */
export interface Outcome {
  readonly answer: StoredAnswer
  readonly replayed: boolean
}

interface KeyRow {
  readonly request_hash: string
  readonly status: number | null
  readonly body: string | Uint8Array | null
  readonly should_retry: number | null
}

/** The row a stored answer's body is bound to. */
const binding = (operatorId: string, key: string) => `idempotency_keys:${operatorId}:${key}`

/**
 * Serves a request made with an `Idempotency-Key`, in ONE transaction: looks
 * the key up for the operator, replays the stored answer when the same
 * request was made before, and otherwise runs `execute` (the action, whose
 * own transactions nest in this one) and stores its answer with the key. A
 * crash at any point therefore leaves either nothing, and a retry runs the
 * request, or the action with its answer, and a retry gets that answer
 * again: never a key held without an answer, never an action whose answer is
 * lost. Requests with the same key wait for each other (SQLite has one
 * writer). The key used for another request is `IDEMPOTENCY_KEY_REUSED`.
 */
export const run = <E, R>(
  operatorId: string,
  key: string,
  requestHash: string,
  execute: Effect.Effect<StoredAnswer, E, R>
): Effect.Effect<Outcome, E | StackFailure | SqlError.SqlError, R | SqlClient.SqlClient | Vault.VaultKey> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(Effect.gen(function*() {
      const vaultKey = yield* Vault.VaultKey
      const now = yield* Clock.currentTimeMillis
      yield* sql`DELETE FROM idempotency_keys WHERE created_at < ${now - RETENTION_MS}`
      const [row] = yield* sql<KeyRow>`
        SELECT request_hash, status, body, should_retry FROM idempotency_keys
        WHERE operator_id = ${operatorId} AND key = ${key}`
      if (row !== undefined && row.request_hash !== requestHash) {
        return yield* new StackFailure({
          code: "IDEMPOTENCY_KEY_REUSED",
          message: "this Idempotency-Key was already used for a different request",
          retryable: false
        })
      }
      if (row !== undefined && row.status !== null && row.body !== null) {
        const body = typeof row.body === "string" ? row.body : Vault.open(vaultKey, row.body, binding(operatorId, key))
        if (body === undefined) return yield* Effect.dieMessage(`the vault cannot open the stored answer of an Idempotency-Key`)
        const answer: StoredAnswer = {
          status: row.status,
          body,
          shouldRetry: row.should_retry === null ? undefined : row.should_retry === 1
        }
        return { answer, replayed: true }
      }
      // a key without an answer can only be left by an older emulator that crashed: its request never finished
      if (row !== undefined) yield* sql`DELETE FROM idempotency_keys WHERE operator_id = ${operatorId} AND key = ${key}`
      const answer = yield* execute
      yield* sql`INSERT INTO idempotency_keys ${
        sql.insert({
          operator_id: operatorId,
          key,
          request_hash: requestHash,
          status: answer.status,
          body: Vault.seal(vaultKey, answer.body, binding(operatorId, key)),
          should_retry: answer.shouldRetry === undefined ? null : answer.shouldRetry ? 1 : 0,
          created_at: now
        })
      }`
      return { answer, replayed: false }
    })))
