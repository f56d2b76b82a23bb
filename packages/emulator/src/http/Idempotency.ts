/**
 * The `Idempotency-Key` store: per operator and key, the request it was first
 * used for and the answer it got, replayed for 24 hours.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { StackFailure } from "../core/Failure.js"

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

/** A request seen before: its first answer. */
export interface Replay {
  readonly _tag: "Replay"
  readonly answer: StoredAnswer
}

/** A request not seen before: it was reserved and must be completed or released. */
export interface Fresh {
  readonly _tag: "Fresh"
}

interface KeyRow {
  readonly request_hash: string
  readonly status: number | null
  readonly body: string | null
  readonly should_retry: number | null
  readonly created_at: number
}

/**
 * Looks a key up for an operator: the stored answer when the same request was
 * made before, a conflict when the key was used for another request or while
 * its first request is still running, otherwise a reservation.
 */
export const begin = (operatorId: string, key: string, requestHash: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      yield* sql`DELETE FROM idempotency_keys WHERE created_at < ${now - RETENTION_MS}`
      const [row] = yield* sql<KeyRow>`
        SELECT request_hash, status, body, should_retry, created_at FROM idempotency_keys
        WHERE operator_id = ${operatorId} AND key = ${key}`
      if (row === undefined) {
        yield* sql`INSERT INTO idempotency_keys ${sql.insert({
          operator_id: operatorId,
          key,
          request_hash: requestHash,
          created_at: now
        })}`
        return { _tag: "Fresh" } as Fresh | Replay
      }
      if (row.request_hash !== requestHash) {
        return yield* new StackFailure({
          code: "IDEMPOTENCY_KEY_REUSED",
          message: "this Idempotency-Key was already used for a different request",
          retryable: false
        })
      }
      if (row.status === null || row.body === null) {
        return yield* new StackFailure({
          code: "IDEMPOTENCY_KEY_IN_USE",
          message: "a request with this Idempotency-Key is still being processed",
          retryable: true
        })
      }
      const answer: StoredAnswer = {
        status: row.status,
        body: row.body,
        shouldRetry: row.should_retry === null ? undefined : row.should_retry === 1
      }
      return { _tag: "Replay", answer } as Fresh | Replay
    })))

/** Stores the answer of a reserved request. */
export const complete = (operatorId: string, key: string, answer: StoredAnswer) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`UPDATE idempotency_keys
        SET status = ${answer.status}, body = ${answer.body},
            should_retry = ${answer.shouldRetry === undefined ? null : answer.shouldRetry ? 1 : 0}
        WHERE operator_id = ${operatorId} AND key = ${key}`)

/** Forgets a reservation whose request did not finish, so it may be retried. */
export const release = (operatorId: string, key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`DELETE FROM idempotency_keys WHERE operator_id = ${operatorId} AND key = ${key} AND status IS NULL`)
