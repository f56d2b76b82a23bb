import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as OAuth from "../api/OAuth.js"
import { type ApiKeyAuth, type OAuthAuth, type SessionAuth, toRedacted } from "../Auth.js"
import { AuthenticationError, ConnectionError, InternalServerError, TimeoutError } from "../StackError.js"

/** Errors a token lookup can produce. */
export type TokenError = AuthenticationError | ConnectionError | InternalServerError | TimeoutError

/** Where the bearer token of each attempt comes from. */
export interface TokenSource {
  readonly token: Effect.Effect<Redacted.Redacted<string>, TokenError>
  /**
   * After a 401 with `used`: forget it. Returns whether one more attempt with a
   * fresh token makes sense.
   */
  readonly invalidate: (used: Redacted.Redacted<string>) => Effect.Effect<boolean>
  /** The token, when it never changes (an API key, a session): sent without a lookup per attempt. */
  readonly constant?: Redacted.Redacted<string> | undefined
}

const constant = (token: Redacted.Redacted<string>): TokenSource => ({
  token: Effect.succeed(token),
  invalidate: () => Effect.succeed(false),
  constant: token
})

/** Refresh this long before the access token expires. */
const EXPIRY_SKEW_MS = 10_000
const REFRESH_TIMEOUT = "30 seconds"

/** The `exp` of a JWT, in epoch ms, if the token is a JWT that has one. */
export const jwtExpiry = (token: string): number | undefined => {
  const payload = token.split(".")[1]
  if (payload === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")))
    return typeof claims === "object" && claims !== null && "exp" in claims && typeof claims.exp === "number"
      ? claims.exp * 1000
      : undefined
  } catch {
    return undefined
  }
}

interface AccessToken {
  readonly token: Redacted.Redacted<string>
  readonly expiresAt: number | undefined
}

interface OAuthState {
  readonly access: Option.Option<AccessToken>
  readonly refreshToken: Redacted.Redacted<string>
  /** Bumped by every invalidation: a refresh started before it is not installed. */
  readonly generation: number
}

interface InFlight {
  readonly generation: number
  readonly deferred: Deferred.Deferred<Redacted.Redacted<string>, TokenError>
}

const decodeTokenResponse = Schema.decodeUnknown(Schema.parseJson(OAuth.TokenResponse))
const decodeTokenError = Schema.decodeUnknownOption(Schema.parseJson(OAuth.TokenErrorResponse))

/**
 * The OAuth token source: refreshes an expired token and after a 401, once for
 * all concurrent callers; refreshes run one at a time so each uses the latest
 * (rotated) refresh token; an invalidation wins over a refresh in flight.
 */
const oauth = (
  options: OAuthAuth["options"],
  baseUrl: string,
  httpClient: HttpClient.HttpClient
): Effect.Effect<TokenSource, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    // the base URL plus the path, like every other call (`new URL` would drop a path prefix of the base URL)
    const tokenUrl = options.tokenUrl ?? `${baseUrl.replace(/\/+$/, "")}${OAuth.tokenPath}`
    const initialAccess = options.accessToken === undefined ? Option.none<AccessToken>() : Option.some({
      token: toRedacted(options.accessToken),
      expiresAt: options.expiresAt ?? jwtExpiry(Redacted.value(toRedacted(options.accessToken)))
    })
    const state = yield* Ref.make<OAuthState>({
      access: initialAccess,
      refreshToken: toRedacted(options.refreshToken),
      generation: 0
    })
    const inFlight = yield* Ref.make<Option.Option<InFlight>>(Option.none())
    const lock = yield* Effect.makeSemaphore(1)

    const fail = (message: string, status: number, code = "OAUTH_REFRESH_FAILED") =>
      new AuthenticationError({ status, code, message, method: "POST", url: tokenUrl })

    const requestTokens = (refreshToken: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        const body: Record<string, string> = {
          grant_type: "refresh_token",
          refresh_token: Redacted.value(refreshToken),
          client_id: options.clientId
        }
        if (options.clientSecret !== undefined) body.client_secret = Redacted.value(toRedacted(options.clientSecret))
        const response = yield* httpClient.execute(
          HttpClientRequest.post(tokenUrl).pipe(
            HttpClientRequest.acceptJson,
            HttpClientRequest.bodyUrlParams(body)
          )
        ).pipe(
          Effect.mapError((cause) =>
            new ConnectionError({ message: `token refresh failed: ${cause.reason}`, method: "POST", url: tokenUrl })
          )
        )
        const text = yield* response.text.pipe(
          Effect.mapError(() =>
            new ConnectionError({ message: "token refresh: could not read the response", method: "POST", url: tokenUrl })
          )
        )
        if (response.status >= 400) {
          const reason = Option.match(decodeTokenError(text), {
            onNone: () => `token endpoint answered ${response.status}`,
            onSome: (e) => `token endpoint answered ${response.status} ${e.error}${e.error_description ? `: ${e.error_description}` : ""}`
          })
          // an outage of the token endpoint is not a credentials problem: it may be retried
          return yield* Effect.fail(
            response.status >= 500
              ? new InternalServerError({ status: response.status, code: `HTTP_${response.status}`, message: reason, method: "POST", url: tokenUrl })
              : fail(reason, response.status)
          )
        }
        return yield* decodeTokenResponse(text).pipe(
          Effect.mapError(() => fail("token endpoint answered with an unreadable body", response.status))
        )
      }).pipe(
        Effect.timeoutFail({
          duration: REFRESH_TIMEOUT,
          onTimeout: () =>
            new TimeoutError({ message: "token refresh timed out", method: "POST", url: tokenUrl, timeoutMs: 30_000 })
        })
      )

    const refresh = (generation: number) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const current = yield* Ref.get(state)
        const tokens = yield* requestTokens(current.refreshToken)
        const now = yield* Clock.currentTimeMillis
        const access: AccessToken = {
          token: Redacted.make(tokens.access_token),
          expiresAt: tokens.expires_in !== undefined ? now + tokens.expires_in * 1000 : jwtExpiry(tokens.access_token)
        }
        const refreshToken = tokens.refresh_token !== undefined
          ? Redacted.make(tokens.refresh_token)
          : current.refreshToken
        yield* Ref.update(state, (s) => ({
          access: s.generation === generation ? Option.some(access) : s.access,
          refreshToken,
          generation: s.generation
        }))
        if (options.onRefresh) {
          yield* options.onRefresh({ accessToken: access.token, refreshToken, expiresAt: access.expiresAt })
        }
        return access.token
      }))

    const isFresh = (access: AccessToken, now: number) =>
      access.expiresAt === undefined || access.expiresAt - EXPIRY_SKEW_MS > now

    const awaitRefresh = (generation: number) =>
      Effect.gen(function*() {
        const mine = yield* Deferred.make<Redacted.Redacted<string>, TokenError>()
        const [deferred, start] = yield* Ref.modify(inFlight, (current): [[InFlight["deferred"], boolean], Option.Option<InFlight>] =>
          Option.isSome(current) && current.value.generation === generation
            ? [[current.value.deferred, false], current]
            : [[mine, true], Option.some({ generation, deferred: mine })]
        )
        if (start) {
          yield* refresh(generation).pipe(
            Effect.exit,
            Effect.flatMap((exit) =>
              Ref.update(inFlight, (current) =>
                Option.isSome(current) && current.value.deferred === mine ? Option.none() : current
              ).pipe(Effect.zipRight(Deferred.done(mine, exit)))
            ),
            Effect.forkIn(scope)
          )
        }
        return yield* Deferred.await(deferred)
      })

    const token: Effect.Effect<Redacted.Redacted<string>, TokenError> = Effect.gen(function*() {
      while (true) {
        const current = yield* Ref.get(state)
        const now = yield* Clock.currentTimeMillis
        if (Option.isSome(current.access) && isFresh(current.access.value, now)) {
          return current.access.value.token
        }
        const refreshed = yield* awaitRefresh(current.generation)
        if ((yield* Ref.get(state)).generation === current.generation) return refreshed
      }
    })

    const invalidate = (used: Redacted.Redacted<string>) =>
      Ref.update(state, (s) =>
        Option.isSome(s.access) && Redacted.value(s.access.value.token) !== Redacted.value(used)
          ? s
          : { ...s, access: Option.none(), generation: s.generation + 1 }
      ).pipe(Effect.as(true))

    return { token, invalidate }
  })

/** The token source of an auth strategy. */
export const makeTokenSource = (
  auth: ApiKeyAuth | SessionAuth | OAuthAuth,
  baseUrl: string,
  httpClient: HttpClient.HttpClient
): Effect.Effect<TokenSource, never, Scope.Scope> => {
  switch (auth._tag) {
    case "ApiKey":
      return Effect.succeed(constant(auth.apiKey))
    case "Session":
      return Effect.succeed(constant(auth.token))
    case "OAuth":
      return oauth(auth.options, baseUrl, httpClient)
  }
}
