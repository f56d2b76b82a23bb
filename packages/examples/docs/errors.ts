/**
 * Snippets of docs/errors.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Agents, Passports, StackClient, StackError } from "@getstack/effect"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
// ---

// --- catch-tag
export const findAgent = (id: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.get(id).pipe(
      Effect.map(Option.some),
      Effect.catchTag("NotFoundError", () => Effect.succeedNone)
    )
  })
// ---

// --- catch-tags
export const registerOnce = (name: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.register({ name }).pipe(
      Effect.map((agent) => `registered ${agent.id}`),
      Effect.catchTags({
        ConflictError: () => Effect.succeed(`${name} already exists`),
        BadRequestError: (error) => Effect.succeed(`rejected (${error.code}): ${error.message}`),
        RateLimitError: (error) =>
          Effect.succeed(`rate limited; the server asked to wait ${error.retryAfterMs ?? "?"} ms`)
      })
    )
  })
// ---

// --- codes
export const getWithKeyCheck = (id: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.get(id).pipe(
      Effect.catchTag("AuthenticationError", (error) =>
        error.code === "INVALID_API_KEY"
          ? Effect.dieMessage("the configured API key is wrong")
          : Effect.fail(error))
    )
  })
// ---

// --- describe
export const describe = (error: StackError.StackError): string => {
  switch (error._tag) {
    case "ConnectionError":
    case "TimeoutError":
      return `${error.method} ${error.url}: ${error.message}`
    case "RequestEncodeError":
      return `not sent: ${error.fields.join(", ")} do not match the contract`
    case "ResponseDecodeError":
      return `unexpected body from ${error.url} (request ${error.requestId ?? "?"})`
    case "CredentialsNotFoundError":
      return `no credentials; searched ${error.searched.join(", ")}`
    case "CredentialsFileError":
      return `bad credentials file ${error.path}`
    default:
      return `${error.status} ${error.code}: ${error.message} (request ${error.requestId ?? "?"})`
  }
}
// ---

// --- log-request-id
export const logged = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.tapError((error) =>
      StackError.isHttpStatusError(error)
        ? Console.error(`STACK said ${error.status} ${error.code}, request id ${error.requestId}`)
        : Effect.void
    )
  )
// ---

// --- passport-codes
export const checkIn = (jti: string, services: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const passports = yield* Passports.Passports
    return yield* passports.checkpoint(jti, { services_used: services, actions_count: services.length }).pipe(
      Effect.map((result) => `checked in, ${result.signals?.length ?? 0} signal(s)`),
      Effect.catchTags({
        AuthenticationError: (error) =>
          error.code === "PASSPORT_REVOKED" || error.code === "PASSPORT_EXPIRED"
            ? Effect.succeed(`the passport is over (${error.code}): issue a new one`)
            : Effect.fail(error),
        NotFoundError: (error) =>
          error.code === "CHECKPOINT_NOT_AVAILABLE"
            ? Effect.succeed("a standard passport has no checkpoints")
            : Effect.fail(error),
        ConflictError: (error) =>
          error.code === "MISSION_NOT_ACTIVE" ? Effect.succeed("its mission is over") : Effect.fail(error)
      })
    )
  })
// ---

// --- outcome-unknown
export const registerReconciled = (name: string) =>
  Effect.gen(function*() {
    const agents = yield* Agents.Agents
    return yield* agents.register({ name }).pipe(
      // a timeout, a dropped connection or a 5xx after the write was sent: STACK may have performed it
      Effect.catchIf(StackError.isOutcomeUnknown, (error) =>
        Effect.gen(function*() {
          yield* Console.warn(`register ${name}: outcome unknown after ${error.attempts} attempt(s)`)
          const existing = yield* agents.listAll().pipe(Stream.filter((agent) => agent.name === name), Stream.runHead)
          if (Option.isSome(existing)) return existing.value
          // not there: send it again under the same key, which a server that honours it runs at most once
          return yield* agents.register({ name }).pipe(StackClient.withCallOptions({ idempotencyKey: error.idempotencyKey }))
        }))
    )
  })
// ---
