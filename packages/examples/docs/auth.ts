/**
 * Snippets of docs/auth.md. Every block of that page is copied from this file;
 * nothing here runs on import.
 */
// --- imports
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Agents, Auth, Stack } from "@getstack/effect"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
// ---

// --- api-key
export const fromKey = (key: Redacted.Redacted<string>) =>
  Stack.layer({ apiKey: key }).pipe(Layer.provide(FetchHttpClient.layer))

export const fromConfig = Layer.unwrapEffect(
  Effect.map(Config.redacted("STACK_API_KEY"), (apiKey) => Stack.layer({ apiKey }))
).pipe(Layer.provide(FetchHttpClient.layer))
// ---

// --- session
export const forSession = (jwt: Redacted.Redacted<string>) =>
  Stack.fromSession(jwt).pipe(Layer.provide(FetchHttpClient.layer))
// ---

// --- oauth
export const forOAuth = (
  tokens: { readonly accessToken: string; readonly refreshToken: string },
  saveRefreshToken: (token: string) => Promise<void>
) =>
  Stack.fromOAuth({
    clientId: "my-client",
    clientSecret: Redacted.make("…"),
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    onRefresh: (refreshed) =>
      Effect.tryPromise(() => saveRefreshToken(Redacted.value(refreshed.refreshToken))).pipe(
        Effect.catchAll((error) => Effect.logWarning("could not store the rotated refresh token", error))
      )
  }).pipe(Layer.provide(FetchHttpClient.layer))
// ---

// --- layer-auth
export const withStrategy = (auth: Auth.Auth) =>
  Stack.layerAuth(auth, { timeout: "20 seconds" }).pipe(Layer.provide(FetchHttpClient.layer))

export const keyLayer = withStrategy(Auth.apiKey("sk_live_..."))
// ---

// --- zero-config
export const StackLive = Stack.layerConfig().pipe(
  Layer.provide(Layer.merge(FetchHttpClient.layer, NodeFileSystem.layer))
)

export const main = Effect.gen(function*() {
  const agents = yield* Agents.Agents
  const page = yield* agents.list()
  yield* Console.log(`${page.total ?? page.agents.length} agent(s)`)
}).pipe(
  Effect.provide(StackLive),
  Effect.catchTag("CredentialsNotFoundError", (error) =>
    Console.error(`No STACK credentials. Looked in:\n  ${error.searched.join("\n  ")}`)),
  Effect.catchTag("CredentialsFileError", (error) => Console.error(`Unreadable ${error.path}: ${error.message}`))
)
// ---

// --- resolve-auth
export const whichCredentials = Stack.resolveAuth({ credentialsPath: "./.stack/credentials.json" }).pipe(
  Effect.map(({ auth, baseUrl }) => ({ strategy: auth._tag, baseUrlFromFile: baseUrl })),
  Effect.provide(NodeFileSystem.layer)
)
// ---

// --- host-rule
/** Which credentials would be sent to `baseUrl`, from the file at `credentialsPath` or STACK_API_KEY. */
export const credentialsFor = (baseUrl: string, credentialsPath: string) =>
  Stack.resolveAuth({ baseUrl, credentialsPath }).pipe(
    Effect.map(({ auth }) => `${auth._tag} for ${baseUrl}`),
    Effect.catchTag("CredentialsNotFoundError", (error) =>
      Effect.succeed(`nothing for ${baseUrl}; searched ${error.searched.join(", ")}`)),
    Effect.provide(NodeFileSystem.layer)
  )
// ---
