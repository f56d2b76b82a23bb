/**
 * Where agent keys are kept: the layout of a stored key, the store's
 * interface, and the store of a directory (`~/.stack/agents`), one file per
 * agent, mode 0600.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { CredentialsFileError } from "../StackError.js"

/**
 * An agent's key as stored in `~/.stack/agents/<agent_id>.json` (mode 0600).
 * STACK's docs do not give the layout; this is the SDK's.
 */
export const StoredAgentKey = /* @__PURE__ */ Schema.Struct({
  agent_id: Schema.String,
  key_id: /* @__PURE__ */ Schema.optional(Schema.String),
  /** The Ed25519 private key as a JWK (kty OKP, crv Ed25519, x, d). */
  private_key: /* @__PURE__ */ Schema.Struct({
    kty: /* @__PURE__ */ Schema.Literal("OKP"),
    crv: /* @__PURE__ */ Schema.Literal("Ed25519"),
    x: Schema.String,
    d: Schema.String
  }),
  enrolled_at: Schema.String
})
export type StoredAgentKey = typeof StoredAgentKey.Type

/** Where agent keys are kept. */
export interface AgentKeyStore {
  readonly describe: (agentId: string) => string
  readonly load: (agentId: string) => Effect.Effect<Option.Option<StoredAgentKey>, CredentialsFileError>
  readonly save: (key: StoredAgentKey) => Effect.Effect<void, CredentialsFileError>
}

const decodeStored = /* @__PURE__ */ Schema.decodeUnknown(/* @__PURE__ */ Schema.parseJson(StoredAgentKey))
const encodeStored = /* @__PURE__ */ Schema.encodeSync(/* @__PURE__ */ Schema.parseJson(StoredAgentKey, { space: 2 }))

/** Agent ids are file names here: keep them to what STACK's ids look like. */
const safeAgentId = /^[A-Za-z0-9_-]{1,128}$/

/** A key store in a directory, one file per agent, mode 0600. */
export const fileStore = (directory: string): Effect.Effect<AgentKeyStore, never, FileSystem.FileSystem> =>
  Effect.map(FileSystem.FileSystem, (fs) => {
    const pathOf = (agentId: string) => `${directory.replace(/\/+$/, "")}/${agentId}.json`
    const fail = (agentId: string, message: string) =>
      new CredentialsFileError({ message: `${pathOf(agentId)}: ${message}`, path: pathOf(agentId) })
    const checked = (agentId: string) =>
      safeAgentId.test(agentId) ? Effect.void : Effect.fail(fail(agentId, "not a valid agent id"))
    return {
      describe: pathOf,
      load: (agentId) =>
        Effect.gen(function*() {
          yield* checked(agentId)
          const path = pathOf(agentId)
          if (!(yield* fs.exists(path).pipe(Effect.mapError((e) => fail(agentId, e.message))))) return Option.none()
          const text = yield* fs.readFileString(path).pipe(Effect.mapError((e) => fail(agentId, e.message)))
          const key = yield* decodeStored(text).pipe(Effect.mapError(() => fail(agentId, "not a valid agent key file")))
          if (key.agent_id !== agentId) return yield* Effect.fail(fail(agentId, `holds the key of ${key.agent_id}`))
          return Option.some(key)
        }),
      save: (key) =>
        Effect.gen(function*() {
          yield* checked(key.agent_id)
          const path = pathOf(key.agent_id)
          const temporary = `${path}.${crypto.randomUUID()}.tmp`
          yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 })
          yield* fs.writeFileString(temporary, encodeStored(key), { mode: 0o600 })
          yield* fs.chmod(temporary, 0o600)
          yield* fs.rename(temporary, path)
        }).pipe(Effect.mapError((e) => e._tag === "CredentialsFileError" ? e : fail(key.agent_id, e.message)))
    }
  })
