import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Auth from "../Auth.js"
import { CredentialsFileError } from "../StackError.js"

/**
 * The layout of `~/.stack/credentials.json`. STACK's docs do not give it; the
 * SDK reads an API key, or OAuth tokens (written by a login), and writes the
 * rotated refresh token back after every refresh.
 */
export const CredentialsFile = Schema.Struct({
  api_key: Schema.optional(Schema.String),
  client_id: Schema.optional(Schema.String),
  client_secret: Schema.optional(Schema.String),
  access_token: Schema.optional(Schema.String),
  refresh_token: Schema.optional(Schema.String),
  expires_at: Schema.optional(Schema.Number),
  token_url: Schema.optional(Schema.String),
  base_url: Schema.optional(Schema.String)
})
export type CredentialsFile = typeof CredentialsFile.Type

const decode = Schema.decodeUnknown(Schema.parseJson(CredentialsFile))

/** The public client id the SDK uses when the file names none. */
export const DEFAULT_CLIENT_ID = "getstack-sdk"

/** Reads the file; `None` when it does not exist. */
export const read = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const fail = (message: string) => new CredentialsFileError({ message: `${path}: ${message}`, path })
    const exists = yield* fs.exists(path).pipe(Effect.mapError((e) => fail(e.message)))
    if (!exists) return Option.none<CredentialsFile>()
    const text = yield* fs.readFileString(path).pipe(Effect.mapError((e) => fail(e.message)))
    const file = yield* decode(text).pipe(Effect.mapError(() => fail("not a valid credentials file")))
    if (file.api_key === undefined && file.refresh_token === undefined) {
      return yield* Effect.fail(fail("holds neither api_key nor refresh_token"))
    }
    return Option.some(file)
  })

/**
 * Updates fields of the file atomically (temporary file, then rename), mode
 * 0600, keeping every other field as it is now on disk — fields the SDK does
 * not know included, since other tools write this file too. A field given as
 * `undefined` is removed.
 */
export const update = (path: string, fields: Partial<CredentialsFile>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const current = yield* fs.readFileString(path).pipe(
      Effect.map((text): unknown => JSON.parse(text)),
      Effect.orElseSucceed((): unknown => ({}))
    )
    const base = typeof current === "object" && current !== null && !Array.isArray(current) ? current : {}
    const temporary = `${path}.${crypto.randomUUID()}.tmp`
    const next: Record<string, unknown> = { ...base, ...fields }
    for (const [key, value] of Object.entries(fields)) if (value === undefined) delete next[key]
    yield* fs.writeFileString(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
    yield* fs.chmod(temporary, 0o600)
    yield* fs.rename(temporary, path)
  })

/** The auth strategy a credentials file describes. */
export const toAuth = (path: string, file: CredentialsFile, fs: FileSystem.FileSystem): Auth.Auth => {
  if (file.refresh_token === undefined) return Auth.apiKey(file.api_key ?? "")
  return Auth.oauth({
    clientId: file.client_id ?? DEFAULT_CLIENT_ID,
    clientSecret: file.client_secret,
    accessToken: file.access_token,
    refreshToken: file.refresh_token,
    expiresAt: file.expires_at,
    tokenUrl: file.token_url,
    onRefresh: (tokens) =>
      update(path, {
        access_token: Redacted.value(tokens.accessToken),
        refresh_token: Redacted.value(tokens.refreshToken),
        expires_at: tokens.expiresAt
      }).pipe(
        Effect.provideService(FileSystem.FileSystem, fs),
        Effect.catchAll((error) => Effect.logWarning(`could not store the rotated refresh token in ${path}`, error.message))
      )
  })
}
