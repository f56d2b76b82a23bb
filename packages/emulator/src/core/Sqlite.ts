/**
 * The emulator's SQL client: @effect/sql's `SqlClient` over one
 * better-sqlite3 connection, which runs the emulator's own statements and
 * transactions in a few fiber steps.
 *
 * Through @effect/sql's general machinery (`@effect/sql-sqlite-node`) a
 * statement costs ~120 fiber operations (a span, a scope, the connection's
 * semaphore, the prepared statement cache) and a transaction ~150: more than
 * SQLite takes to run them, and most of what a request to the emulator cost.
 * Here a statement made with the client's `sql` tag is compiled by
 * @effect/sql, then runs on the connection in ~6 (its `commit`, what an
 * effect runs, is replaced), and a transaction takes ~60. Everything else
 * (`sql.unsafe`, `raw`, `values`, `reserve`, the migrator) goes through
 * @effect/sql unchanged, on the same connection and the same lock. None of
 * it makes spans.
 *
 * The lock keeps a transaction to itself: a statement made outside a
 * transaction waits while one is open; statements inside it (whose context
 * carries `SqlClient.TransactionConnection`) run at once. Nested
 * transactions are savepoints, committed with their outermost one, as in
 * @effect/sql. Not supported: `SqlClient.SafeIntegers`, row transforms.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createRequire } from "node:module"

/** What the emulator uses of a better-sqlite3 prepared statement. */
interface PreparedStatement {
  readonly reader: boolean
  all(...params: ReadonlyArray<unknown>): Array<object>
  run(...params: ReadonlyArray<unknown>): unknown
  raw(raw: boolean): PreparedStatement
}

/** What the emulator uses of a better-sqlite3 database. */
interface Database {
  prepare(sql: string): PreparedStatement
  pragma(pragma: string): unknown
  close(): void
}

// better-sqlite3 is CommonJS and ships no types: the constructor, typed as far as used here
const Sqlite = createRequire(import.meta.url)("better-sqlite3") as new(filename: string) => Database

/** How many prepared statements are kept (the oldest goes first). */
const MAX_PREPARED = 500

/** Opens the connection, WAL for a file (as `@effect/sql-sqlite-node` does), closed with the scope. */
const open = (filename: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const db = new Sqlite(filename)
      db.pragma("journal_mode = WAL")
      return db
    }),
    (db) => Effect.sync(() => db.close())
  )

/**
 * A SQL client over the SQLite database `filename` (a path, or `:memory:`),
 * closed with the scope.
 */
export const make = (filename: string): Effect.Effect<SqlClient.SqlClient, never, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const db = yield* open(filename)
    const prepared = new Map<string, PreparedStatement>()

    /** The prepared statement of `sql`, kept for the next time. */
    const prepare = (sql: string): PreparedStatement => {
      let statement = prepared.get(sql)
      if (statement === undefined) {
        statement = db.prepare(sql)
        if (prepared.size >= MAX_PREPARED) prepared.delete(prepared.keys().next().value!)
        prepared.set(sql, statement)
      }
      return statement
    }

    /** Runs `sql` at once: its rows (a writing statement's `run` result when `raw`). */
    const execute = (sql: string, params: ReadonlyArray<unknown>, raw: boolean): Effect.Effect<ReadonlyArray<object>, SqlError> => {
      let statement: PreparedStatement
      try {
        statement = prepare(sql)
      } catch (cause) {
        return Effect.fail(new SqlError({ cause, message: "Failed to prepare statement " }))
      }
      try {
        if (statement.reader) return Effect.succeed(statement.all(...params))
        const result = statement.run(...params)
        return Effect.succeed(raw ? result as ReadonlyArray<object> : [])
      } catch (cause) {
        return Effect.fail(new SqlError({ cause, message: "Failed to execute statement" }))
      }
    }

    const executeValues = (sql: string, params: ReadonlyArray<unknown>) =>
      Effect.try({
        try: () => {
          const statement = prepare(sql)
          if (!statement.reader) {
            statement.run(...params)
            return []
          }
          try {
            return statement.raw(true).all(...params) as ReadonlyArray<ReadonlyArray<unknown>>
          } finally {
            statement.raw(false)
          }
        },
        catch: (cause) => new SqlError({ cause, message: "Failed to execute statement" })
      })

    const connection: SqlConnection.Connection = {
      execute: (sql, params, transformRows) =>
        transformRows === undefined
          ? Effect.suspend(() => execute(sql, params, false))
          : Effect.map(Effect.suspend(() => execute(sql, params, false)), transformRows),
      executeRaw: (sql, params) => Effect.suspend(() => execute(sql, params, true)),
      executeValues,
      executeUnprepared: (sql, params, transformRows) =>
        transformRows === undefined
          ? Effect.suspend(() => execute(sql, params ?? [], false))
          : Effect.map(Effect.suspend(() => execute(sql, params ?? [], false)), transformRows),
      // the rows are read at once (better-sqlite3 is synchronous), then streamed
      executeStream: (sql, params, transformRows) =>
        Stream.flatMap(
          Stream.fromEffect(Effect.suspend(() => execute(sql, params, false))),
          (rows) => Stream.fromIterable(transformRows === undefined ? rows : transformRows(rows))
        )
    }

    // the connection's lock: held by an open transaction, and for the moment of a statement made outside one
    const lock = yield* Effect.makeSemaphore(1)
    let transactionOpen = false
    /** Takes the lock for a transaction: call it uninterruptibly, restoring interruption for the wait. */
    const takeForTransaction = (restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>) =>
      Effect.zipRight(restore(lock.take(1)), Effect.sync(() => (transactionOpen = true)))
    const releaseFromTransaction = Effect.zipRight(Effect.sync(() => (transactionOpen = false)), lock.release(1))

    const base = yield* SqlClient.make({
      acquirer: lock.withPermits(1)(Effect.succeed(connection)),
      transactionAcquirer: Effect.uninterruptibleMask((restore) =>
        Effect.as(
          Effect.zipRight(takeForTransaction(restore), Effect.addFinalizer(() => releaseFromTransaction)),
          connection
        )
      ),
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes: [["db.system.name", "sqlite"]]
    })

    const inTransaction = (context: Context.Context<never>) =>
      Context.getOption(context, SqlClient.TransactionConnection)

    /** Runs a statement of the client's `sql` tag: at once, unless another fiber's transaction is open. */
    const run = <A>(statement: Statement.Statement<A>): Effect.Effect<ReadonlyArray<A>, SqlError> =>
      Effect.withFiberRuntime((fiber) => {
        const [sql, params] = statement.compile()
        // the rows are what the statement says they are (`sql<Row>`…): SQL itself is not typed
        const rows = () => execute(sql, params, false) as Effect.Effect<ReadonlyArray<A>, SqlError>
        return transactionOpen && inTransaction(fiber.currentContext)._tag === "None"
          ? lock.withPermits(1)(Effect.suspend(rows))
          : rows()
      })

    /** A transaction's own statement (BEGIN, COMMIT…): its failure is a defect, as in @effect/sql. */
    const exec = (sql: string) => Effect.orDie(Effect.suspend(() => execute(sql, [], false)))

    /** Runs `effect` in a transaction: a savepoint inside another one. */
    const withTransaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<A, E | SqlError, R>((fiber) => {
          const context = fiber.currentContext
          const outer = inTransaction(context)
          const id = outer._tag === "Some" ? outer.value[1] + 1 : 0
          const inside = Context.add(context, SqlClient.TransactionConnection, [connection, id] as const)
          // `Effect.locally` in three steps, not twenty: the region is uninterruptible and `exit` catches everything
          const body = FiberRef.set(FiberRef.currentContext, inside).pipe(
            Effect.zipRight(Effect.exit(restore(effect))),
            Effect.zipLeft(FiberRef.set(FiberRef.currentContext, context))
          )
          if (id > 0) {
            return Effect.flatMap(Effect.zipRight(exec(`SAVEPOINT effect_sql_${id}`), body), (exit) =>
              Exit.isSuccess(exit) ? exit : Effect.zipRight(exec(`ROLLBACK TO SAVEPOINT effect_sql_${id}`), exit))
          }
          return Effect.zipRight(
            takeForTransaction(restore),
            Effect.ensuring(
              Effect.flatMap(Effect.zipRight(exec("BEGIN"), body), (exit) =>
                Effect.zipRight(exec(Exit.isSuccess(exit) ? "COMMIT" : "ROLLBACK"), exit)),
              releaseFromTransaction
            )
          )
        })
      )

    const tag = base as unknown as (strings: unknown, ...args: Array<unknown>) => unknown
    const client = Object.assign(
      function sql(strings: unknown, ...args: Array<unknown>) {
        const made = tag(strings, ...args)
        // a template makes a statement (anything else, an identifier): it runs through `run`, as an effect commits
        if (Array.isArray(strings) && "raw" in strings) {
          const statement = made as Statement.Statement<unknown>
          Object.defineProperty(statement, "commit", { value: () => run(statement) })
        }
        return made
      },
      base,
      { withTransaction }
    ) as unknown as SqlClient.SqlClient
    ;(client as { safe: unknown }).safe = client
    return client
  })

/**
 * The `SqlClient` over the SQLite database `filename` (a path, or
 * `:memory:`).
 */
export const layer = (filename: string): Layer.Layer<SqlClient.SqlClient> =>
  Layer.scoped(SqlClient.SqlClient, make(filename)).pipe(Layer.provide(Reactivity.layer))
