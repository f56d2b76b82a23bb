/**
 * Preloaded (`node --import`) into an emulator child process by the crash
 * tests: the process kills itself with SIGKILL, as `kill -9` would, when it
 * is about to run the first SQL statement matching `STACK_TEST_CRASH_AT`
 * after one matching `STACK_TEST_CRASH_ARM` has run (armed from the start
 * when that is unset). Nothing else changes: the statement never runs, and
 * nothing after it.
 */
import { createRequire } from "node:module"

interface Statement {
  run(...params: ReadonlyArray<unknown>): unknown
  all(...params: ReadonlyArray<unknown>): unknown
  get(...params: ReadonlyArray<unknown>): unknown
}

interface DatabaseClass {
  readonly prototype: { prepare(this: unknown, sql: string): Statement }
}

const at = process.env["STACK_TEST_CRASH_AT"]
const arm = process.env["STACK_TEST_CRASH_ARM"]

if (at !== undefined) {
  const crashAt = new RegExp(at, "i")
  const armAt = arm === undefined ? undefined : new RegExp(arm, "i")
  let armed = armAt === undefined
  // the emulator's better-sqlite3, resolved as its SQLite client resolves it
  const Database = createRequire(import.meta.url)("better-sqlite3") as DatabaseClass
  const prepare = Database.prototype.prepare
  Database.prototype.prepare = function(this: unknown, sql: string) {
    const statement = prepare.call(this, sql)
    const crashes = crashAt.test(sql)
    const arms = armAt?.test(sql) ?? false
    if (!crashes && !arms) return statement
    for (const method of ["run", "all", "get"] as const) {
      const original = statement[method]
      statement[method] = function(this: Statement, ...params: Array<unknown>) {
        if (crashes && armed) process.kill(process.pid, "SIGKILL")
        const result = original.apply(this, params)
        if (arms) armed = true
        return result
      }
    }
    return statement
  }
}
