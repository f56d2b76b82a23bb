/**
 * The aggregate: one layer that provides every STACK service, and a `Stack`
 * service whose fields mirror the Python client (`stack.agents.register(…)`).
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Agents from "./Agents.js"
import * as Audit from "./Audit.js"
import * as Auth from "./Auth.js"
import * as AgentKeyStore from "./internal/agentKeyStore.js"
import * as Credentials from "./Credentials.js"
import * as CredentialsFile from "./internal/credentialsFile.js"
import * as Identity from "./Identity.js"
import * as Dropoffs from "./Dropoffs.js"
import * as Missions from "./Missions.js"
import * as Notifications from "./Notifications.js"
import * as Passports from "./Passports.js"
import * as Proxy from "./Proxy.js"
import * as Reviews from "./Reviews.js"
import * as Scan from "./Scan.js"
import * as SecurityEvents from "./SecurityEvents.js"
import * as ConnectedServices from "./Services.js"
import * as Skills from "./Skills.js"
import * as StackClient from "./StackClient.js"
import { CredentialsFileError, CredentialsNotFoundError } from "./StackError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly agents: Agents.Service
  readonly passports: Passports.Service
  readonly missions: Missions.Service
  readonly audit: Audit.Service
  readonly securityEvents: SecurityEvents.Service
  readonly reviews: Reviews.Service
  readonly scan: Scan.Service
  readonly notifications: Notifications.Service
  readonly services: ConnectedServices.Service
  readonly credentials: Credentials.Service
  readonly dropoffs: Dropoffs.Service
  readonly proxy: Proxy.Service
  readonly identity: Identity.Service
  readonly skills: Skills.Service
  readonly client: StackClient.Service
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Stack extends Context.Tag("@getstack/effect/Stack")<Stack, Service>() {}

/**
 * Every service tag a Stack layer provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | Stack
  | StackClient.StackClient
  | Agents.Agents
  | Passports.Passports
  | Missions.Missions
  | Audit.Audit
  | SecurityEvents.SecurityEvents
  | Reviews.Reviews
  | Scan.Scan
  | Notifications.Notifications
  | ConnectedServices.Services
  | Credentials.Credentials
  | Dropoffs.Dropoffs
  | Proxy.Proxy
  | Identity.Identity
  | Skills.Skills

/**
 * Client options besides auth.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientOptions = Omit<StackClient.Options, "auth">

const servicesLayer: Layer.Layer<Exclude<Services, StackClient.StackClient>, never, StackClient.StackClient> = Layer.effect(
  Stack,
  Effect.gen(function*() {
    return {
      agents: yield* Agents.Agents,
      passports: yield* Passports.Passports,
      missions: yield* Missions.Missions,
      audit: yield* Audit.Audit,
      securityEvents: yield* SecurityEvents.SecurityEvents,
      reviews: yield* Reviews.Reviews,
      scan: yield* Scan.Scan,
      notifications: yield* Notifications.Notifications,
      services: yield* ConnectedServices.Services,
      credentials: yield* Credentials.Credentials,
      dropoffs: yield* Dropoffs.Dropoffs,
      proxy: yield* Proxy.Proxy,
      identity: yield* Identity.Identity,
      skills: yield* Skills.Skills,
      client: yield* StackClient.StackClient
    }
  })
).pipe(Layer.provideMerge(Layer.mergeAll(
    Agents.layer,
    Passports.layer,
    Missions.layer,
    Audit.layer,
    SecurityEvents.layer,
    Reviews.layer,
    Scan.layer,
    Notifications.layer,
    ConnectedServices.layer,
    Credentials.layer,
    Proxy.layer,
    Identity.layer,
    Dropoffs.layer,
    Skills.layer
  )))

/**
 * Every service over a client with the given auth strategy.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAuth = (
  auth: Auth.Auth,
  options: ClientOptions = {}
): Layer.Layer<Services, never, HttpClient.HttpClient> =>
  servicesLayer.pipe(Layer.provideMerge(StackClient.layer({ ...options, auth })))

/**
 * Every service, authenticated with an operator API key.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: ClientOptions & { readonly apiKey: Redacted.Redacted<string> | string }
): Layer.Layer<Services, never, HttpClient.HttpClient> => {
  const { apiKey, ...rest } = options
  return layerAuth(Auth.apiKey(apiKey), rest)
}

/**
 * Every service, authenticated with a dashboard session JWT.
 *
 * @since 0.1.0
 * @category layers
 */
export const fromSession = (
  token: Redacted.Redacted<string> | string,
  options: ClientOptions = {}
): Layer.Layer<Services, never, HttpClient.HttpClient> => layerAuth(Auth.session(token), options)

/**
 * Every service, authenticated with OAuth: the access token is refreshed when
 * it expires and after a 401.
 *
 * @since 0.1.0
 * @category layers
 */
export const fromOAuth = (
  oauth: Auth.OAuthOptions,
  options: ClientOptions = {}
): Layer.Layer<Services, never, HttpClient.HttpClient> => layerAuth(Auth.oauth(oauth), options)

/**
 * Where `layerConfig` looks for credentials.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigOptions extends ClientOptions {
  /** An explicit API key; wins over everything else. */
  readonly apiKey?: Config.Config<Redacted.Redacted<string>> | undefined
  /** Defaults to `~/.stack/credentials.json`. */
  readonly credentialsPath?: string | undefined
}

const homeDirectory = Config.string("HOME").pipe(Config.orElse(() => Config.string("USERPROFILE")), Config.option)

/** The origin a base URL names (`https://api.getstack.run`), or the URL itself when it does not parse. */
const originOf = (url: string): string => {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/**
 * Finds credentials with no arguments: the explicit `apiKey` option, then
 * `~/.stack/credentials.json` (an API key, or OAuth tokens whose rotated
 * refresh token is written back), then `STACK_API_KEY`. The file's
 * credentials belong to its `base_url` (STACK's hosted API when it names
 * none): when `baseUrl` names another host, the file is passed over, so a
 * credential is never sent to a host it was not issued for. Fails with
 * `CredentialsNotFoundError` naming each place searched.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveAuth = (
  options: Pick<ConfigOptions, "apiKey" | "credentialsPath"> & {
    /** Where the credentials will be sent, when already known (an option or `STACK_BASE_URL`). */
    readonly baseUrl?: string | undefined
  } = {}
): Effect.Effect<
  { readonly auth: Auth.Auth; readonly baseUrl: string | undefined },
  CredentialsNotFoundError | CredentialsFileError,
  FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const searched: Array<string> = []
    if (options.apiKey !== undefined) {
      searched.push("the apiKey option")
      const key = yield* Effect.option(options.apiKey)
      if (Option.isSome(key)) return { auth: Auth.apiKey(key.value), baseUrl: undefined }
    }
    const home = yield* Effect.orElseSucceed(homeDirectory, Option.none)
    const path = options.credentialsPath ??
      Option.getOrUndefined(Option.map(home, (dir) => `${dir.replace(/\/+$/, "")}/.stack/credentials.json`))
    if (path !== undefined) {
      searched.push(path)
      const file = yield* CredentialsFile.read(path)
      if (Option.isSome(file)) {
        const issuedFor = originOf(file.value.base_url ?? StackClient.DEFAULT_BASE_URL)
        if (options.baseUrl === undefined || originOf(options.baseUrl) === issuedFor) {
          const fs = yield* FileSystem.FileSystem
          return { auth: CredentialsFile.toAuth(path, file.value, fs), baseUrl: file.value.base_url }
        }
        searched[searched.length - 1] = `${path} (passed over: its credentials are for ${issuedFor}, not ${originOf(options.baseUrl)})`
      }
    } else {
      searched.push("~/.stack/credentials.json (no HOME)")
    }
    searched.push("the STACK_API_KEY environment variable")
    const envKey = yield* Effect.orElseSucceed(Config.option(Config.redacted("STACK_API_KEY")), Option.none)
    if (Option.isSome(envKey)) return { auth: Auth.apiKey(envKey.value), baseUrl: undefined }
    return yield* Effect.fail(
      new CredentialsNotFoundError({
        message: `no STACK credentials found; searched: ${searched.join(", ")}`,
        searched
      })
    )
  })

/**
 * Every service, with credentials found by `resolveAuth`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: ConfigOptions = {}
): Layer.Layer<
  Services,
  CredentialsNotFoundError | CredentialsFileError,
  HttpClient.HttpClient | FileSystem.FileSystem
> => {
  const { apiKey, credentialsPath, ...rest } = options
  return Layer.unwrapEffect(
    Effect.gen(function*() {
      // the option, then STACK_BASE_URL, then the credentials file
      const target = rest.baseUrl ?? Option.getOrUndefined(yield* StackClient.baseUrlFromEnvironment)
      const { auth, baseUrl } = yield* resolveAuth({ apiKey, credentialsPath, baseUrl: target })
      return layerAuth(auth, { ...rest, baseUrl: target ?? baseUrl })
    })
  )
}

/**
 * Options of `asAgent`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AsAgentOptions extends ConfigOptions {
  /**
   * The operator's credentials, for the first enrollment; found like
   * `layerConfig` does when left out, and not needed once the key is stored.
   */
  readonly operator?: Auth.Auth | undefined
  /** Where agent keys live; defaults to `~/.stack/agents`. */
  readonly keyDirectory?: string | undefined
}

/**
 * Every service, acting as an agent: requests are signed by the agent's own
 * Ed25519 key, generated and enrolled with the operator's credentials on first
 * use and kept in `~/.stack/agents/<agent_id>.json` (mode 0600). STACK limits
 * an agent to what belongs to it.
 *
 * @since 0.1.0
 * @category layers
 */
export const asAgent = (
  agentId: string,
  options: AsAgentOptions = {}
): Layer.Layer<
  Services,
  CredentialsNotFoundError | CredentialsFileError,
  HttpClient.HttpClient | FileSystem.FileSystem
> => {
  const { apiKey, credentialsPath, operator, keyDirectory, ...rest } = options
  return Layer.unwrapEffect(
    Effect.gen(function*() {
      const home = yield* Effect.orElseSucceed(homeDirectory, Option.none)
      const directory = keyDirectory ??
        `${Option.getOrElse(home, () => ".").replace(/\/+$/, "")}/.stack/agents`
      const store = yield* AgentKeyStore.fileStore(directory)
      const target = rest.baseUrl ?? Option.getOrUndefined(yield* StackClient.baseUrlFromEnvironment)
      // the operator's credentials are needed only to enroll a key that is not stored yet
      const resolved = operator !== undefined ? undefined : yield* resolveAuth({ apiKey, credentialsPath, baseUrl: target }).pipe(
        Effect.map(Option.some),
        Effect.catchTag("CredentialsNotFoundError", (error) =>
          Effect.flatMap(store.load(agentId), (stored) =>
            Option.isSome(stored) ? Effect.succeed(Option.none()) : Effect.fail(error)))
      )
      const found = resolved === undefined ? undefined : Option.getOrUndefined(resolved)
      return layerAuth(
        Auth.agentKey({ agentId, operator: operator ?? found?.auth, store }),
        { ...rest, baseUrl: target ?? found?.baseUrl }
      )
    })
  )
}
