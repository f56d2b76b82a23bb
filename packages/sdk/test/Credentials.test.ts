import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Agents, Auth, Stack } from "@getstack/effect"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as FakeHttp from "./support/FakeHttp.js"

const FILE_KEY = "sk_test_FILEKEY_SECRET_1"
const ENV_KEY = "sk_test_ENVKEY_SECRET_2"
const EXPLICIT_KEY = "sk_test_EXPLICIT_SECRET_3"
const ENV_VARIABLE = "the STACK_API_KEY environment variable"

/** A fresh directory to serve as HOME, removed when the test's scope closes. */
const tempHome = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "stack-sdk-credentials-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const credentialsPathIn = (home: string) => join(home, ".stack", "credentials.json")

/** Writes `~/.stack/credentials.json` under `home` (mode 0644, to see the SDK tighten it). */
const writeCredentials = (home: string, contents: unknown) => {
  mkdirSync(join(home, ".stack"), { recursive: true })
  const path = credentialsPathIn(home)
  writeFileSync(path, typeof contents === "string" ? contents : JSON.stringify(contents), { mode: 0o644 })
  chmodSync(path, 0o644)
  return path
}

/** The config: HOME and environment variables exactly as given, nothing from the real environment. */
const withEnv = (env: Readonly<Record<string, string>>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const resolve = (options: Parameters<typeof Stack.resolveAuth>[0] = {}) =>
  Stack.resolveAuth(options).pipe(Effect.provide(NodeFileSystem.layer))

/** The key an `Auth` is, for API key auth. */
const apiKeyOf = (resolved: { readonly auth: Auth.Auth }) =>
  resolved.auth._tag === "ApiKey" ? Redacted.value(resolved.auth.apiKey) : undefined

/** Calls `agents.get` through `Stack.layerConfig(options)` over `fake`. */
const getThroughLayerConfig = (fake: FakeHttp.FakeHttp, options: Stack.ConfigOptions = {}) =>
  Effect.flatMap(Agents.Agents, (agents) => agents.get("agt_1")).pipe(
    Effect.provide(Stack.layerConfig(options).pipe(Layer.provide(Layer.merge(fake.layer, NodeFileSystem.layer))))
  )

const agentOk = () => FakeHttp.json(200, FakeHttp.agentJson())

describe("credential resolution", () => {
  it.scoped("an explicit apiKey option wins over the file and STACK_API_KEY", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      writeCredentials(home, { api_key: FILE_KEY })
      const env = withEnv({ HOME: home, STACK_API_KEY: ENV_KEY, MY_KEY: EXPLICIT_KEY })

      const fromSucceed = yield* resolve({ apiKey: Config.succeed(Redacted.make(EXPLICIT_KEY)) }).pipe(env)
      expect(apiKeyOf(fromSucceed)).toBe(EXPLICIT_KEY)
      expect(fromSucceed.baseUrl).toBeUndefined()

      const fromConfig = yield* resolve({ apiKey: Config.redacted("MY_KEY") }).pipe(env)
      expect(apiKeyOf(fromConfig)).toBe(EXPLICIT_KEY)

      const fake = FakeHttp.make(agentOk)
      yield* getThroughLayerConfig(fake, { apiKey: Config.redacted("MY_KEY") }).pipe(env)
      expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${EXPLICIT_KEY}`)
    }))

  it.scoped("an apiKey option whose config is missing falls through to the file", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      writeCredentials(home, { api_key: FILE_KEY })
      const resolved = yield* resolve({ apiKey: Config.redacted("MISSING_KEY") }).pipe(withEnv({ HOME: home }))
      expect(apiKeyOf(resolved)).toBe(FILE_KEY)
    }))

  it.scoped("~/.stack/credentials.json with an api_key wins over STACK_API_KEY; its base_url is used", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      writeCredentials(home, { api_key: FILE_KEY, base_url: "http://file.test:9000" })
      const env = withEnv({ HOME: home, STACK_API_KEY: ENV_KEY })

      const resolved = yield* resolve().pipe(env)
      expect(apiKeyOf(resolved)).toBe(FILE_KEY)
      expect(resolved.baseUrl).toBe("http://file.test:9000")

      const fake = FakeHttp.make(agentOk)
      yield* getThroughLayerConfig(fake).pipe(env)
      expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${FILE_KEY}`)
      expect(fake.requests[0]?.url).toBe("http://file.test:9000/v1/agents/agt_1")

      // the baseUrl option wins over the file's
      const other = FakeHttp.make(agentOk)
      yield* getThroughLayerConfig(other, { baseUrl: "http://option.test" }).pipe(env)
      expect(other.requests[0]?.url).toBe("http://option.test/v1/agents/agt_1")
    }))

  it.scoped("the credentialsPath option replaces ~/.stack/credentials.json", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      writeCredentials(home, { api_key: FILE_KEY })
      const elsewhere = join(home, "elsewhere.json")
      writeFileSync(elsewhere, JSON.stringify({ api_key: EXPLICIT_KEY }))
      const resolved = yield* resolve({ credentialsPath: elsewhere }).pipe(withEnv({ HOME: home }))
      expect(apiKeyOf(resolved)).toBe(EXPLICIT_KEY)

      // a credentialsPath that does not exist is searched, then STACK_API_KEY
      const missing = join(home, "missing.json")
      const fromEnv = yield* resolve({ credentialsPath: missing }).pipe(withEnv({ HOME: home, STACK_API_KEY: ENV_KEY }))
      expect(apiKeyOf(fromEnv)).toBe(ENV_KEY)
    }))

  it.scoped("STACK_API_KEY when there is no file", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const env = withEnv({ HOME: home, STACK_API_KEY: ENV_KEY })
      const resolved = yield* resolve().pipe(env)
      expect(apiKeyOf(resolved)).toBe(ENV_KEY)

      const fake = FakeHttp.make(agentOk)
      yield* getThroughLayerConfig(fake).pipe(env)
      expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${ENV_KEY}`)
      expect(fake.requests[0]?.url).toBe("https://api.getstack.run/v1/agents/agt_1")
    }))

  it.scoped("no credentials → CredentialsNotFoundError naming each place searched, in order", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const path = credentialsPathIn(home)

      const plain = yield* Effect.flip(resolve().pipe(withEnv({ HOME: home })))
      expect(plain._tag).toBe("CredentialsNotFoundError")
      expect(plain._tag === "CredentialsNotFoundError" && plain.searched).toEqual([path, ENV_VARIABLE])
      expect(plain.message).toContain(path)
      expect(plain.message).toContain("STACK_API_KEY")

      const withOption = yield* Effect.flip(resolve({ apiKey: Config.redacted("MISSING_KEY") }).pipe(withEnv({ HOME: home })))
      expect(withOption._tag === "CredentialsNotFoundError" && withOption.searched).toEqual([
        "the apiKey option",
        path,
        ENV_VARIABLE
      ])

      const noHome = yield* Effect.flip(resolve().pipe(withEnv({})))
      expect(noHome._tag === "CredentialsNotFoundError" && noHome.searched).toEqual([
        "~/.stack/credentials.json (no HOME)",
        ENV_VARIABLE
      ])

      // USERPROFILE serves when HOME is not set
      const windows = yield* Effect.flip(resolve().pipe(withEnv({ USERPROFILE: home })))
      expect(windows._tag === "CredentialsNotFoundError" && windows.searched).toEqual([path, ENV_VARIABLE])

      // layerConfig fails to build with the same error, and makes no request
      const fake = FakeHttp.make(agentOk)
      const fromLayer = yield* Effect.flip(getThroughLayerConfig(fake).pipe(withEnv({ HOME: home })))
      expect(fromLayer._tag).toBe("CredentialsNotFoundError")
      expect(fake.count()).toBe(0)
    }))

  const malformed: ReadonlyArray<readonly [string, string]> = [
    ["not JSON", `{"api_key": "${FILE_KEY}"`],
    ["JSON of the wrong shape", JSON.stringify({ api_key: FILE_KEY, expires_at: "tomorrow" })],
    ["a JSON array", JSON.stringify([FILE_KEY])],
    ["neither api_key nor refresh_token", JSON.stringify({ client_id: "cli_1", access_token: "at_SECRET" })]
  ]

  it.scoped.each(malformed)("a credentials file holding %s → CredentialsFileError (no fall-through, no secret)", ([, contents]) =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const path = writeCredentials(home, contents)
      const error = yield* Effect.flip(resolve().pipe(withEnv({ HOME: home, STACK_API_KEY: ENV_KEY })))
      expect(error._tag).toBe("CredentialsFileError")
      expect(error._tag === "CredentialsFileError" && error.path).toBe(path)
      expect(error.message).toContain(path)
      for (const [how, text] of FakeHttp.renderings(error)) {
        expect(text, how).not.toContain(FILE_KEY)
        expect(text, how).not.toContain("at_SECRET")
      }

      const fake = FakeHttp.make(agentOk)
      const fromLayer = yield* Effect.flip(getThroughLayerConfig(fake).pipe(withEnv({ HOME: home, STACK_API_KEY: ENV_KEY })))
      expect(fromLayer._tag).toBe("CredentialsFileError")
      expect(fake.count()).toBe(0)
    }))

  it.scoped("a credentials path that is a directory → CredentialsFileError", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      mkdirSync(credentialsPathIn(home), { recursive: true })
      const error = yield* Effect.flip(resolve().pipe(withEnv({ HOME: home })))
      expect(error._tag).toBe("CredentialsFileError")
    }))
})

describe("OAuth tokens in the credentials file", () => {
  const REFRESH_0 = "rt_FILE_REFRESH_SECRET_0"
  const rotated = (n: number) => `rt_ROTATED_SECRET_${n}`
  const access = (n: number) => `at_ACCESS_SECRET_${n}`

  /** A token endpoint that rotates the refresh token on every use, and an API that takes the latest access token. */
  const oauthServer = (tokenUrl: string) => {
    const fake = FakeHttp.make((request, seen) => {
      const n = seen.filter((r) => r.url === tokenUrl).length
      if (request.url === tokenUrl) {
        return FakeHttp.json(200, { access_token: access(n), refresh_token: rotated(n), expires_in: 3600 })
      }
      return request.headers.authorization === `Bearer ${access(n)}`
        ? FakeHttp.json(200, FakeHttp.agentJson())
        : FakeHttp.stackError(401, "UNAUTHORIZED", "bad token")
    })
    return { fake, tokenCalls: () => fake.requests.filter((r) => r.url === tokenUrl) }
  }

  const readFile = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>
  const modeOf = (path: string) => statSync(path).mode & 0o777

  it.scoped("refreshes with the file's tokens and writes the rotated refresh token back, mode 0600", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const path = writeCredentials(home, {
        client_id: "cli_from_file",
        access_token: "at_EXPIRED_SECRET",
        refresh_token: REFRESH_0,
        expires_at: 0,
        email: "ops@example.com"
      })
      expect(modeOf(path)).toBe(0o644)
      const { fake, tokenCalls } = oauthServer("https://api.getstack.run/v1/oauth/token")
      const env = withEnv({ HOME: home, STACK_API_KEY: ENV_KEY })

      yield* Effect.flatMap(Agents.Agents, (agents) =>
        Effect.gen(function*() {
          yield* agents.get("agt_1")
          expect(tokenCalls()).toHaveLength(1)
          expect(Object.fromEntries(new URLSearchParams(tokenCalls()[0]?.body))).toEqual({
            grant_type: "refresh_token",
            refresh_token: REFRESH_0,
            client_id: "cli_from_file"
          })
          expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${access(1)}`)
          expect(readFile(path)).toEqual({
            client_id: "cli_from_file",
            email: "ops@example.com",
            access_token: access(1),
            refresh_token: rotated(1),
            expires_at: 3_600_000
          })
          expect(modeOf(path)).toBe(0o600)
          expect(readdirSync(join(home, ".stack"))).toEqual(["credentials.json"])

          // an hour later: the rotated token is used, and rotated again in the file
          yield* TestClock.adjust("1 hour")
          yield* agents.get("agt_1")
          expect(tokenCalls()).toHaveLength(2)
          expect(new URLSearchParams(tokenCalls()[1]?.body).get("refresh_token")).toBe(rotated(1))
          expect(readFile(path)).toMatchObject({ refresh_token: rotated(2), access_token: access(2) })
          expect(modeOf(path)).toBe(0o600)
        })
      ).pipe(
        Effect.provide(Stack.layerConfig().pipe(Layer.provide(Layer.merge(fake.layer, NodeFileSystem.layer)))),
        env
      )

      // a new process reads the rotated token from the file
      const resolved = yield* resolve().pipe(env)
      expect(resolved.auth._tag).toBe("OAuth")
      const refreshToken = resolved.auth._tag === "OAuth" ? resolved.auth.options.refreshToken : undefined
      expect(refreshToken === undefined ? undefined : Redacted.value(Auth.toRedacted(refreshToken))).toBe(rotated(2))
    }))

  it.scoped("a file without client_id uses the SDK's public client id; token_url and base_url are honoured", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      const path = writeCredentials(home, {
        refresh_token: REFRESH_0,
        token_url: "http://auth.test/oauth/token",
        base_url: "http://api.test"
      })
      const { fake, tokenCalls } = oauthServer("http://auth.test/oauth/token")
      yield* getThroughLayerConfig(fake).pipe(withEnv({ HOME: home }))
      expect(tokenCalls()).toHaveLength(1)
      expect(new URLSearchParams(tokenCalls()[0]?.body).get("client_id")).toBe("getstack-sdk")
      expect(fake.requests.at(-1)?.url).toBe("http://api.test/v1/agents/agt_1")
      // STACK_BASE_URL on the file's own host is honoured
      yield* getThroughLayerConfig(fake).pipe(withEnv({ HOME: home, STACK_BASE_URL: "http://api.test/" }))
      expect(fake.requests.at(-1)?.url).toBe("http://api.test/v1/agents/agt_1")
      // on another host, the file's credentials are never sent there: STACK_API_KEY is used instead
      const elsewhere = FakeHttp.make(() => FakeHttp.json(200, FakeHttp.agentJson()))
      yield* getThroughLayerConfig(elsewhere).pipe(
        withEnv({ HOME: home, STACK_BASE_URL: "http://env.test", STACK_API_KEY: "sk_test_env_key_0123" })
      )
      expect(elsewhere.requests.map((request) => request.url)).toEqual(["http://env.test/v1/agents/agt_1"])
      expect(elsewhere.requests[0]?.headers.authorization).toBe("Bearer sk_test_env_key_0123")
      expect(tokenCalls()).toHaveLength(1)
      expect(readFile(path)).toMatchObject({
        refresh_token: rotated(1),
        token_url: "http://auth.test/oauth/token",
        base_url: "http://api.test"
      })
      expect(modeOf(path)).toBe(0o600)
    }))

  it.scoped("a file without base_url belongs to STACK's hosted API: pointed at an emulator, it is passed over, and the search says why", () =>
    Effect.gen(function*() {
      const home = yield* tempHome
      writeCredentials(home, { api_key: "sk_live_hosted_secret_0123" })
      const error = yield* Effect.flip(
        Stack.resolveAuth({ baseUrl: "http://127.0.0.1:4010" }).pipe(Effect.provide(NodeFileSystem.layer), withEnv({ HOME: home }))
      )
      expect(error._tag).toBe("CredentialsNotFoundError")
      expect(error.message).toContain("passed over: its credentials are for https://api.getstack.run, not http://127.0.0.1:4010")
      expect(error.message).not.toContain("sk_live_hosted_secret")
      const hosted = yield* Stack.resolveAuth({ baseUrl: "https://api.getstack.run" }).pipe(
        Effect.provide(NodeFileSystem.layer),
        withEnv({ HOME: home })
      )
      expect(hosted.auth._tag).toBe("ApiKey")
    }))
})
