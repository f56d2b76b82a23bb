import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Public } from "@getstack/effect/api/Common"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { refuse, StackFailure } from "../src/core/Failure.js"
import * as Vault from "../src/core/Vault.js"
import * as Declared from "../src/http/Declared.js"
import * as Router from "../src/http/Router.js"
import { statusOf } from "../src/http/Status.js"

/** An error body declared with `status`, as the contract declares them. */
const errorWith = (status: number) =>
  Schema.Struct({ error: Schema.Unknown }).annotations(HttpApiSchema.annotations({ status, identifier: `Error${status}` }))

/** An endpoint of its own, so the test does not depend on what the contract declares today. */
const probe = HttpApiEndpoint.get("probe", "/v1/probe")
  .addSuccess(Schema.Struct({ ok: Schema.Boolean }))
  .addError(errorWith(400))
  .addError(errorWith(409))

const bare = HttpApiEndpoint.post("bare", "/v1/bare").addSuccess(Schema.Struct({ ok: Schema.Boolean }))

const failure = (code: string) => new StackFailure({ code, message: `refused with ${code}` })

describe("undeclared refusals", () => {
  it("reads the statuses an endpoint declares from its error schema", () => {
    expect([...Declared.declaredStatuses(probe)].sort()).toEqual([400, 409])
    expect([...Declared.declaredStatuses(bare)]).toEqual([])
  })

  it("a 404 on an endpoint that does not declare 404 becomes a 500 naming the endpoint, status and code", () => {
    const replaced = Declared.undeclared(probe, failure("NOT_FOUND"))
    expect(replaced).toBeInstanceOf(StackFailure)
    expect(replaced!.code).toBe("INTERNAL_ERROR")
    expect(statusOf(replaced!)).toBe(500)
    expect(replaced!.message).toContain("probe (GET /v1/probe)")
    expect(replaced!.message).toContain("404 NOT_FOUND")
    expect(replaced!.message).toContain("declared: 400, 409")
    expect(Declared.undeclared(bare, failure("FORBIDDEN"))?.message).toContain("403 FORBIDDEN")
  })

  it("declared statuses, 401, 413, 415, 429 and 5xx pass through", () => {
    for (const code of ["INVALID_REQUEST", "CONFLICT", "IDEMPOTENCY_KEY_REUSED"]) {
      expect(Declared.undeclared(probe, failure(code))).toBeUndefined()
    }
    for (const code of ["UNAUTHORIZED", "INVALID_API_KEY", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED", "INTERNAL_ERROR"]) {
      expect(Declared.undeclared(bare, failure(code))).toBeUndefined()
    }
  })

  it.effect("the check replaces an undeclared refusal only when it is on", () =>
    Effect.gen(function*() {
      const notFound = failure("NOT_FOUND")
      expect(yield* Declared.check(probe, notFound)).toBe(notFound)
      const checked = yield* Declared.check(probe, notFound).pipe(Effect.provideService(Declared.CheckDeclaredErrors, true))
      expect(checked.code).toBe("INTERNAL_ERROR")
      const declared = failure("CONFLICT")
      expect(yield* Declared.check(probe, declared).pipe(Effect.provideService(Declared.CheckDeclaredErrors, true)))
        .toBe(declared)
    }))

  it("a served endpoint answers an undeclared refusal with 500 INTERNAL_ERROR when the check is on", async () => {
    const endpoint = probe.annotate(Public, true)
    const route = Router.serve(endpoint, ({ urlParams: _ }) => refuse("NOT_FOUND", "no such probe"))
    const app = Effect.runSync(HttpRouter.toHttpApp(HttpRouter.fromIterable([route])))
    const handlerWith = (check: boolean) =>
      HttpApp.toWebHandler(app.pipe(
        Effect.provideService(Router.RequestId, "req_test"),
        Effect.provideService(Declared.CheckDeclaredErrors, check),
        Effect.provideService(Vault.VaultKey, Vault.keyOf(Vault.generateKey())),
        Effect.provide(SqliteClient.layer({ filename: ":memory:" })),
        Effect.orDie
      ))
    const answer = async (check: boolean) => {
      const response = await handlerWith(check)(new Request("http://emulator.test/v1/probe"))
      return { status: response.status, json: await response.json() as { error: { code: string; message: string } } }
    }
    const off = await answer(false)
    expect(off.status).toBe(404)
    expect(off.json.error).toMatchObject({ code: "NOT_FOUND", message: "no such probe" })
    const on = await answer(true)
    expect(on.status).toBe(500)
    expect(on.json.error.code).toBe("INTERNAL_ERROR")
    expect(on.json.error.message).toContain("probe (GET /v1/probe) answered 404 NOT_FOUND")
  })
})
