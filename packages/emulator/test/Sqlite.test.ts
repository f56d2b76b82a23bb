import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as Sqlite from "../src/core/Sqlite.js"

/** A client over a fresh in-memory database with one table. */
const withTable = <A, E>(body: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`
    return yield* body(sql)
  }).pipe(Effect.provide(Sqlite.layer(":memory:")))

const names = (sql: SqlClient.SqlClient) =>
  Effect.map(sql<{ name: string }>`SELECT name FROM items ORDER BY id`, (rows) => rows.map((row) => row.name))

describe("the emulator's SQL client", () => {
  it.effect("runs statements, helpers and @effect/sql's own paths on one connection", () =>
    withTable((sql) =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO items ${sql.insert([{ name: "a" }, { name: "b" }])}`
        yield* sql.unsafe("INSERT INTO items (name) VALUES (?)", ["c"])
        expect(yield* names(sql)).toEqual(["a", "b", "c"])
        expect(yield* sql`SELECT name FROM items WHERE name IN ${sql.in(["a", "c"])} ORDER BY id`.values)
          .toEqual([["a"], ["c"]])
        const inserted = yield* sql`INSERT INTO items (name) VALUES (${"d"}) RETURNING id`
        expect(inserted).toEqual([{ id: 4 }])
      })
    ))

  it.effect("a statement can be read as a stream of its rows", () =>
    withTable((sql) =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO items ${sql.insert([{ name: "a" }, { name: "b" }, { name: "c" }])}`
        const streamed = yield* Stream.runCollect(sql<{ name: string }>`SELECT name FROM items ORDER BY id`.stream)
        expect(Chunk.toReadonlyArray(streamed).map((row) => row.name)).toEqual(["a", "b", "c"])
      })
    ))

  it.effect("a bad statement fails with SqlError, and the next one runs", () =>
    withTable((sql) =>
      Effect.gen(function*() {
        const prepared = yield* Effect.flip(sql`SELECT nope FROM items`)
        expect(prepared).toBeInstanceOf(SqlError)
        yield* sql`INSERT INTO items (name) VALUES (${"a"})`
        const executed = yield* Effect.flip(sql`INSERT INTO items (name) VALUES (${"a"})`)
        expect(executed).toBeInstanceOf(SqlError)
        expect(executed.message).toBe("Failed to execute statement")
        expect(yield* names(sql)).toEqual(["a"])
      })
    ))

  it.effect("a transaction commits on success and rolls back on failure; a nested one is a savepoint", () =>
    withTable((sql) =>
      Effect.gen(function*() {
        yield* sql.withTransaction(sql`INSERT INTO items (name) VALUES (${"kept"})`)
        const failed = yield* sql.withTransaction(
          Effect.zipRight(sql`INSERT INTO items (name) VALUES (${"dropped"})`, Effect.fail("refused"))
        ).pipe(Effect.exit)
        expect(failed).toEqual(Exit.fail("refused"))
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO items (name) VALUES (${"outer"})`
          const inner = yield* sql.withTransaction(
            Effect.zipRight(sql`INSERT INTO items (name) VALUES (${"inner"})`, Effect.fail("inner refused"))
          ).pipe(Effect.exit)
          expect(Exit.isFailure(inner)).toBe(true)
          yield* sql.withTransaction(sql`INSERT INTO items (name) VALUES (${"inner kept"})`)
        }))
        expect(yield* names(sql)).toEqual(["kept", "outer", "inner kept"])
      })
    ))

  it.effect("a statement made outside an open transaction waits for its end, and never joins it", () =>
    withTable((sql) =>
      Effect.gen(function*() {
        const inside = yield* Deferred.make<void>()
        const proceed = yield* Deferred.make<void>()
        const transaction = yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO items (name) VALUES (${"uncommitted"})`
          yield* Deferred.succeed(inside, undefined)
          yield* Deferred.await(proceed)
          return yield* Effect.fail("rolled back")
        })).pipe(Effect.exit, Effect.fork)
        yield* Deferred.await(inside)
        const outside = yield* Effect.fork(Effect.zipRight(sql`INSERT INTO items (name) VALUES (${"outside"})`, names(sql)))
        yield* Effect.yieldNow({ priority: 1 })
        expect(outside.unsafePoll()).toBeNull()
        yield* Deferred.succeed(proceed, undefined)
        expect(yield* Fiber.join(transaction)).toEqual(Exit.fail("rolled back"))
        // the outside write ran after the rollback, not inside the transaction
        expect(yield* Fiber.join(outside)).toEqual(["outside"])
      })
    ))

  it.effect("a transaction interrupted while it waits for the connection leaves it usable", () =>
    withTable((sql) =>
      Effect.gen(function*() {
        const inside = yield* Deferred.make<void>()
        const proceed = yield* Deferred.make<void>()
        const first = yield* sql.withTransaction(Effect.gen(function*() {
          yield* Deferred.succeed(inside, undefined)
          yield* Deferred.await(proceed)
          yield* sql`INSERT INTO items (name) VALUES (${"first"})`
        })).pipe(Effect.fork)
        yield* Deferred.await(inside)
        const waiting = yield* Effect.fork(sql.withTransaction(sql`INSERT INTO items (name) VALUES (${"never"})`))
        const waitingRead = yield* Effect.fork(names(sql))
        yield* Effect.yieldNow({ priority: 1 })
        yield* Fiber.interrupt(waiting)
        yield* Fiber.interrupt(waitingRead)
        yield* Deferred.succeed(proceed, undefined)
        yield* Fiber.join(first)
        yield* sql.withTransaction(sql`INSERT INTO items (name) VALUES (${"after"})`)
        expect(yield* names(sql)).toEqual(["first", "after"])
      })
    ))
})
