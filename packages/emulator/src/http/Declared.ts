/**
 * The check that every refusal an endpoint answers has a status its contract
 * declares (`endpoint.errorSchema`), so that the contract, the SDK's error
 * types and the emulator cannot drift apart unnoticed. Off by default; tests
 * turn it on, and an undeclared refusal then answers 500 `INTERNAL_ERROR`
 * naming the endpoint, status and code.
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as AST from "effect/SchemaAST"
import { StackFailure } from "../core/Failure.js"
import { statusOf } from "./Status.js"

/** Whether served endpoints check their refusals against the statuses they declare; off unless provided. */
export class CheckDeclaredErrors extends Context.Reference<CheckDeclaredErrors>()(
  "@getstack/emulator/CheckDeclaredErrors",
  { defaultValue: () => false }
) {}

/**
 * Statuses any endpoint may answer without declaring them: 401 (credentials),
 * 413 and 415 (the body as a whole), 429 and every 5xx.
 */
export const isAlwaysAllowed = (status: number): boolean =>
  status === 401 || status === 413 || status === 415 || status === 429 || status >= 500

const collect = (ast: AST.AST, into: Set<number>): Set<number> => {
  if (AST.isUnion(ast)) for (const member of ast.types) collect(member, into)
  else if (!AST.isNeverKeyword(ast)) into.add(HttpApiSchema.getStatusErrorAST(ast))
  return into
}

const declaredCache = new WeakMap<object, ReadonlySet<number>>()

/** The error statuses an endpoint declares, read from the members of its error schema. */
export const declaredStatuses = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any): ReadonlySet<number> => {
  let declared = declaredCache.get(endpoint)
  if (declared === undefined) {
    const { errorSchema } = endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
    declared = collect(errorSchema.ast, new Set())
    declaredCache.set(endpoint, declared)
  }
  return declared
}

/**
 * What an endpoint answers instead of `failure` when the contract does not
 * declare its status: `INTERNAL_ERROR`, naming the endpoint, the status and
 * the code. `undefined` when the status is declared or always allowed.
 */
export const undeclared = (
  endpoint: HttpApiEndpoint.HttpApiEndpoint.Any,
  failure: StackFailure
): StackFailure | undefined => {
  const status = statusOf(failure)
  if (isAlwaysAllowed(status) || declaredStatuses(endpoint).has(status)) return undefined
  const { method, name, path } = endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
  const declared = [...declaredStatuses(endpoint)].sort((a, b) => a - b)
  return new StackFailure({
    code: "INTERNAL_ERROR",
    message: `undeclared refusal: endpoint ${name} (${method} ${path}) answered ${status} ${failure.code}, ` +
      `which its contract does not declare (declared: ${declared.join(", ") || "none"})`,
    details: { endpoint: name, method, path, status, code: failure.code, declared },
    retryable: false
  })
}

/**
 * The refusal to send for `failure`: itself, unless `CheckDeclaredErrors` is
 * on and its status is undeclared — then the error is logged and the answer
 * is `undeclared`'s.
 */
export const check = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any, failure: StackFailure): Effect.Effect<StackFailure> =>
  Effect.flatMap(CheckDeclaredErrors, (enabled) => {
    const replacement = enabled ? undeclared(endpoint, failure) : undefined
    return replacement === undefined
      ? Effect.succeed(failure)
      : Effect.as(Effect.annotateLogs(Effect.logError(replacement.message), "refusal", failure.message), replacement)
  })
