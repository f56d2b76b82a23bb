/**
 * The STACK emulator: a local STACK over SQLite that speaks the same wire
 * contract as the hosted one. Use it in-process (no port) or as a server.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpAppModule from "@effect/platform/HttpApp"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { AuditEntry } from "@getstack/effect/api/Audit"
import * as Fetch from "@getstack/effect/Fetch"
import * as Stack from "@getstack/effect/Stack"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Http from "node:http"
import * as AgentsStore from "./agents/Store.js"
import { transact } from "./core/Audit.js"
import * as AuditLog from "./core/AuditLog.js"
import * as Events from "./core/Events.js"
import * as Governance from "./core/Governance.js"
import * as Operators from "./core/Operators.js"
import * as Signals from "./core/Signals.js"
import * as Vault from "./core/Vault.js"
import { newId } from "./core/Ids.js"
import * as Identity from "./identity/Identity.js"
import * as Database from "./Database.js"
import * as App from "./http/App.js"
import * as Serve from "./http/Serve.js"
import * as Server from "./http/Server.js"
import * as Delivery from "./notifications/Delivery.js"
import * as ProxyModule from "./proxy/Proxy.js"
import * as Signing from "./passports/Signing.js"
import * as Execution from "./skills/Execution.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** SQLite database file; in memory when left out. */
  readonly filename?: string | undefined
  /** The default operator's API key (`sk_live_…` or `sk_test_…`); generated when left out. */
  readonly apiKey?: Redacted.Redacted<string> | string | undefined
  /**
   * API keys of further operators: a key not yet stored becomes a new
   * operator's own; a stored key keeps its operator.
   */
  readonly extraApiKeys?: ReadonlyArray<Redacted.Redacted<string> | string> | undefined
  /**
   * Whether a refusal whose status the endpoint's contract does not declare
   * (401, 413, 415, 429 and 5xx excepted) is logged and answered 500
   * `INTERNAL_ERROR` naming the endpoint, status and code, so that tests
   * catch the drift. Left out: on when the environment variable
   * `STACK_EMULATOR_CHECK_DECLARED` is `true`, else off.
   */
  readonly checkDeclaredErrors?: boolean | undefined
  /**
   * Whether the operators' plan includes STACK's controls: without them, the
   * audit reads and the mission listing answer 402 `CONTROLS_REQUIRED`, as
   * STACK does on a plan without controls. Left out: on.
   */
  readonly controls?: boolean | undefined
  /**
   * The operations held for a human's approval (403
   * `GOVERNANCE_APPROVAL_REQUIRED`, then the same request again with
   * `governance_approval_id` once approved with `decideApproval`). Left out:
   * all of them, as STACK holds them for API-key callers: `agents.unblock`,
   * `reviews.decide` with `block_future`, `notifications.addDestination`.
   */
  readonly governance?: ReadonlyArray<Governance.GovernedOperation> | undefined
  /** Scans each operator may run in a calendar month (UTC), past which `scan` is 403 `TIER_LIMIT_EXCEEDED`. Left out: 10,000. */
  readonly scanQuota?: number | undefined
  /**
   * The vault's key (32 bytes, or their hex or base64), which seals every
   * connection's secret (AES-256-GCM). It is never stored in the database:
   * keep it apart, and give the same key to every run over the same
   * `filename`, or the emulator refuses to start. Left out: for a database
   * file, the key in the file beside it, `<filename>.vault-key` (created,
   * readable by its owner only, when missing); in memory, a new random key.
   */
  readonly vaultKey?: Redacted.Redacted<Uint8Array | string> | Uint8Array | string | undefined
  /** A file holding the vault's key in hex, created with a new key when missing (instead of `vaultKey`). */
  readonly vaultKeyFile?: string | undefined
  /**
   * Hosts each service's proxied calls may also go to, over http or https,
   * beside the catalog's (https only): `{ slack: ["127.0.0.1:4567"] }` points
   * the proxy at a local server in tests. `*.` matches any subdomain.
   */
  readonly proxyHosts?: Readonly<Record<string, ReadonlyArray<string>>> | undefined
  /** How long the proxy waits for a service's answer. Left out: 30 s, as STACK. */
  readonly proxyTimeout?: Duration.DurationInput | undefined
  /** The largest answer the proxy reads from a service. Left out: 10 MB, as STACK. */
  readonly proxyMaxResponseBytes?: number | undefined
  /**
   * Implementations of sealed skills, by skill name (of any operator): an
   * invocation of a sealed skill of that name runs its handler on the
   * (checked) input and completes with what it answers (a value, a promise
   * or an effect), checked against the skill's `output_schema`; a throw, a
   * rejection, a failure, a timeout or an output the schema refuses fails
   * the invocation. A sealed skill without a handler runs its `transform`;
   * the emulator never runs `execution_steps`.
   */
  readonly skillHandlers?: Readonly<Record<string, SkillHandler>> | undefined
  /** How long a skill handler may run before its invocation fails. Left out: 30 s. */
  readonly skillTimeout?: Duration.DurationInput | undefined
}

/**
 * A sealed skill's implementation, registered with `skillHandlers`.
 *
 * @since 0.1.0
 * @category models
 */
export type SkillHandler = Execution.SkillHandler

/**
 * A stored security signal (listing them over the API comes with the
 * security events endpoints). Times are epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export type SecuritySignal = Signals.SecuritySignal

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The default operator's API key. */
  readonly apiKey: Redacted.Redacted<string>
  /** The default operator's id. */
  readonly operatorId: string
  /** The web app, for an `HttpServer` (`layerServe` serves it). */
  readonly app: HttpApp.Default
  /** The app as a fetch-style handler: no port, no socket. */
  readonly handler: (request: Request) => Promise<Response>
  /** Creates another operator, with its own API key. */
  readonly createOperator: (options?: { readonly name?: string | undefined }) => Effect.Effect<Operators.OperatorWithKey>
  /** An operator's audit chain, oldest first. */
  readonly auditChain: (operatorId: string) => Effect.Effect<ReadonlyArray<AuditEntry>>
  /** An operator's security signals, oldest first. */
  readonly signals: (operatorId: string) => Effect.Effect<ReadonlyArray<SecuritySignal>>
  /**
   * Blocks an agent from new passports (`passport_blocked`), as a review's
   * `blocked` decision does, until `unblock`: a shortcut for tests that need a
   * blocked agent without the review that blocks it.
   */
  readonly blockPassports: (agentId: string) => Effect.Effect<void>
  /**
   * A human's decision on a pending governance approval (`gvr_…`, from an
   * `ApprovalRequiredError`), as STACK's approval page takes it.
   */
  readonly decideApproval: (
    operatorId: string,
    approvalId: string,
    decision: "approved" | "rejected"
  ) => Effect.Effect<void, ApprovalDecisionError>
  /**
   * Emits an event for an operator, as a domain action does (`core/Events`):
   * routed by its rules to its verified destinations. For tests, until every
   * event has its trigger. Answers the event's id and how many deliveries
   * it made.
   */
  readonly emit: (event: EmittedEvent) => Effect.Effect<{ readonly id: string; readonly deliveries: number }>
  /** What went to an operator's email and SMS destinations (the emulator sends neither), oldest first. */
  readonly outbox: (operatorId: string) => Effect.Effect<ReadonlyArray<OutboxMessage>>
  /**
   * An identity provider's decision on a pending verification session
   * (`ivs_…`, from `identity.initiateVerification`), as its callback brings
   * it: approved, `identity.completeVerification` then turns it into claims.
   * Audited like `POST /_emulator/identity/sessions/{session_ref}/approve`.
   */
  readonly decideVerification: (
    operatorId: string,
    sessionRef: string,
    decision: "approved" | "rejected"
  ) => Effect.Effect<void, VerificationDecisionError>
}

/**
 * An event to emit: its operator, type, severity and data.
 *
 * @since 0.1.0
 * @category models
 */
export type EmittedEvent = Events.EmitInput

/**
 * A message of the outbox: what would have gone out by email or SMS.
 *
 * @since 0.1.0
 * @category models
 */
export type OutboxMessage = Delivery.OutboxMessage

/**
 * @since 0.1.0
 * @category tags
 */
export class Emulator extends Context.Tag("@getstack/emulator/Emulator")<Emulator, Service>() {}

/**
 * The emulator could not start: its database could not be opened or migrated,
 * or an option is invalid.
 *
 * @since 0.1.0
 * @category errors
 */
export class EmulatorStartError extends Data.TaggedError("EmulatorStartError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * `decideApproval` could not decide: the operator has no such approval, or it
 * was already approved or rejected.
 *
 * @since 0.1.0
 * @category errors
 */
export class ApprovalDecisionError extends Data.TaggedError("ApprovalDecisionError")<{
  readonly reason: "not_found" | "already_decided"
  readonly message: string
}> {}

/**
 * `decideVerification` could not decide: the operator has no such session,
 * or it is no longer pending (decided, completed or expired).
 *
 * @since 0.1.0
 * @category errors
 */
export class VerificationDecisionError extends Data.TaggedError("VerificationDecisionError")<{
  readonly reason: "not_found" | "not_pending"
  readonly message: string
}> {}

/** `STACK_EMULATOR_CHECK_DECLARED=true`: the default of `Options.checkDeclaredErrors`. */
const checkDeclaredConfig = Config.string("STACK_EMULATOR_CHECK_DECLARED").pipe(
  Config.map((value) => value.trim().toLowerCase() === "true"),
  Config.withDefault(false)
)

/**
 * Runs the emulator's own work without tracing: no span per request, which
 * would cost more CPU than the work it times. Applied once, to the runtime
 * requests are served with, not per request. (SQL makes no spans: see
 * `core/Sqlite.ts`.)
 */
const untraced = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(Effect.withTracerEnabled(false), HttpMiddleware.withTracerDisabledWhenEffect(() => true))

/** What the emulator's app needs from context: its database, signing key and vault key. */
type AppContext = SqlClient.SqlClient | Signing.SigningKey | Vault.VaultKey

/** The vault's key from the option (or the key file beside the database), checked against the database's vault. */
const vaultKeyOf = (option: Options["vaultKey"], keyFile: string | undefined, filename: string | undefined) =>
  Effect.gen(function*() {
    const file = keyFile ?? (filename === undefined || filename === ":memory:" ? undefined : `${filename}.vault-key`)
    const given = Redacted.isRedacted(option) ? Redacted.value(option) : option ??
      (file === undefined ? undefined : yield* Vault.keyFile(file).pipe(
        Effect.mapError((cause) => new EmulatorStartError({ message: `could not read or create the vault key file: ${cause.message}`, cause }))
      ))
    const bytes = given === undefined
      ? Vault.generateKey()
      : typeof given === "string"
      ? Vault.parseKey(given)
      : given.length === Vault.KEY_BYTES
      ? given
      : undefined
    if (bytes === undefined) {
      return yield* new EmulatorStartError({ message: `the vault key must be ${Vault.KEY_BYTES} bytes (64 hex characters, or base64)` })
    }
    const key = Vault.keyOf(bytes)
    if (!(yield* Effect.orDie(Vault.checkKey(key)))) {
      return yield* new EmulatorStartError({
        message: given === undefined
          ? "this database's vault was sealed with a key: pass the same vault key (vaultKey, --vault-key-file) to open it"
          : "the vault key does not open this database's vault: it was sealed with another key"
      })
    }
    return key
  })

/**
 * Each emulator's app before its context is provided, with that context:
 * `layerServe` builds the server's runtime with it, so that no request pays
 * for `Effect.provide`.
 */
const ownApps = new WeakMap<Service, {
  readonly app: HttpApp.Default<never, AppContext>
  readonly context: Context.Context<AppContext>
}>()

const make = (options: Options) =>
  Effect.gen(function*() {
    const apiKey = options.apiKey === undefined ? undefined : Redacted.isRedacted(options.apiKey)
      ? Redacted.value(options.apiKey)
      : options.apiKey
    const extraApiKeys = (options.extraApiKeys ?? []).map((key) => Redacted.isRedacted(key) ? Redacted.value(key) : key)
    if ([apiKey, ...extraApiKeys].some((key) => key !== undefined && !Operators.KEY_PATTERN.test(key))) {
      return yield* new EmulatorStartError({ message: "the API key must look like sk_live_… or sk_test_…" })
    }
    const checkDeclaredErrors = options.checkDeclaredErrors ?? (yield* checkDeclaredConfig.pipe(
      Effect.mapError((error) =>
        new EmulatorStartError({ message: `could not read STACK_EMULATOR_CHECK_DECLARED: ${String(error)}`, cause: error })
      )
    ))
    const database = yield* Effect.context<SqlClient.SqlClient>()
    const withDatabase = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
      Effect.orDie(Effect.provide(effect, database))
    const defaultOperator = yield* withDatabase(Operators.ensureDefault(apiKey))
    for (const key of extraApiKeys) yield* withDatabase(Operators.ensureOwn(key))
    const signingKey = yield* withDatabase(Signing.loadOrCreate)
    const vaultKey = yield* Effect.provide(vaultKeyOf(options.vaultKey, options.vaultKeyFile, options.filename), database)
    const context = Context.add(database, Signing.SigningKey, signingKey).pipe(Context.add(Vault.VaultKey, vaultKey))
    yield* Delivery.start.pipe(Effect.provide(database), Effect.provide(FetchHttpClient.layer))
    const app = yield* App.make({
      checkDeclaredErrors,
      controls: options.controls ?? true,
      governance: new Set(options.governance ?? Governance.GOVERNED_OPERATIONS),
      scanQuota: options.scanQuota ?? 10_000,
      proxy: {
        hosts: Object.fromEntries(
          Object.entries(options.proxyHosts ?? {}).map(([service, hosts]) => [service, hosts.map((host) => host.toLowerCase())])
        ),
        timeoutMs: options.proxyTimeout === undefined
          ? ProxyModule.defaultSettings.timeoutMs
          : Duration.toMillis(Duration.decode(options.proxyTimeout)),
        maxResponseBytes: options.proxyMaxResponseBytes ?? ProxyModule.defaultSettings.maxResponseBytes
      },
      skills: {
        handlers: { ...options.skillHandlers },
        timeoutMs: options.skillTimeout === undefined
          ? Execution.defaultSettings.timeoutMs
          : Duration.toMillis(Duration.decode(options.skillTimeout))
      }
    })
    const runtime = yield* untraced(Effect.provide(Effect.runtime<AppContext>(), context))
    const handler = HttpAppModule.toWebHandlerRuntime(runtime)(app)
    const service = Emulator.of({
      apiKey: defaultOperator.apiKey,
      operatorId: defaultOperator.operator.id,
      app: Effect.provide(app, context),
      handler: (request) => handler(request),
      createOperator: (options = {}) => withDatabase(Operators.create({ name: options.name })),
      auditChain: (operatorId) => withDatabase(AuditLog.chain(operatorId)),
      signals: (operatorId) => withDatabase(Signals.ofOperator(operatorId)),
      blockPassports: (agentId) => withDatabase(AgentsStore.block(agentId)),
      decideApproval: (operatorId, approvalId, decision) =>
        Effect.asVoid(
          Effect.provide(Governance.decide(operatorId, approvalId, decision), database).pipe(
            Effect.catchTag("SqlError", Effect.die),
            Effect.mapError((failure) =>
              new ApprovalDecisionError({
                reason: failure.code === "NOT_FOUND" ? "not_found" : "already_decided",
                message: failure.message
              })
            )
          )
        ),
      emit: (event) =>
        Effect.map(withDatabase(transact(Events.emit(event))), ({ deliveries, event }) => ({ id: event.id, deliveries })),
      outbox: (operatorId) => withDatabase(Delivery.outbox(operatorId)),
      decideVerification: (operatorId, sessionRef, decision) =>
        Effect.gen(function*() {
          const startedAt = yield* Clock.currentTimeMillis
          const actor = { operatorId, agentId: null, requestId: newId("req"), payloadHash: null, startedAt }
          return yield* Identity.decide(actor, sessionRef, decision)
        }).pipe(
          Effect.provide(database),
          Effect.catchTag("SqlError", Effect.die),
          Effect.mapError((failure) =>
            new VerificationDecisionError({
              reason: failure.code === "NOT_FOUND" ? "not_found" : "not_pending",
              message: failure.message
            })
          ),
          Effect.asVoid
        )
    })
    ownApps.set(service, { app, context })
    return service
  })

/**
 * The emulator, with its database.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Emulator, EmulatorStartError> =>
  Layer.scoped(Emulator, make(options)).pipe(
    Layer.provide(Database.layer(options.filename ?? ":memory:")),
    Layer.mapError((cause) =>
      cause instanceof EmulatorStartError
        ? cause
        : new EmulatorStartError({ message: `could not open the database: ${String(cause)}`, cause })
    )
  )

/**
 * An `HttpClient` whose every request is answered by the emulator in this
 * process, whatever its host: no port, no socket. It is the SDK's
 * `Fetch.layer` over the emulator's fetch-style handler.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient, never, Emulator> = Fetch.layer.pipe(
  Layer.provide(Layer.effect(
    FetchHttpClient.Fetch,
    Effect.map(Emulator, (emulator) => (input: string | URL | Request, init?: RequestInit) =>
      emulator.handler(new Request(input, init)))
  ))
)

/**
 * The emulator and an in-process `HttpClient` to it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInProcess = (options: Options = {}): Layer.Layer<Emulator | HttpClient.HttpClient, EmulatorStartError> =>
  layerHttpClient.pipe(Layer.provideMerge(layer(options)))

/**
 * Every SDK service, authenticated as the default operator, over an
 * in-process emulator: the one-line setup for tests and examples.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStack = (
  options: Options & Stack.ClientOptions = {}
): Layer.Layer<Stack.Services | Emulator, EmulatorStartError> => {
  const {
    apiKey,
    checkDeclaredErrors,
    controls,
    extraApiKeys,
    filename,
    governance,
    proxyHosts,
    proxyMaxResponseBytes,
    proxyTimeout,
    scanQuota,
    skillHandlers,
    skillTimeout,
    vaultKey,
    vaultKeyFile,
    ...clientOptions
  } = options
  return Layer.unwrapEffect(
    Effect.map(Emulator, (emulator) => Stack.layer({ ...clientOptions, apiKey: emulator.apiKey }))
  ).pipe(Layer.provideMerge(layerInProcess({
    filename,
    apiKey,
    extraApiKeys,
    checkDeclaredErrors,
    controls,
    governance,
    scanQuota,
    vaultKey,
    vaultKeyFile,
    proxyHosts,
    proxyTimeout,
    proxyMaxResponseBytes,
    skillHandlers,
    skillTimeout
  })))
}

/**
 * Serves the emulator on the `HttpServer` in context, untraced (no span per
 * request). On a server made by `layerServer`, requests are answered on its
 * Node server directly, without the platform's per-request wrapping; the
 * answers are the same.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerServe: Layer.Layer<never, never, Emulator | HttpServer.HttpServer> = Layer.unwrapEffect(
  Effect.map(Emulator, (emulator): Layer.Layer<never, never, HttpServer.HttpServer> => {
    const own = ownApps.get(emulator)
    if (own === undefined) return HttpServer.serve(emulator.app)
    // on `layerServer`'s own Node server, the app is answered directly (see `http/Serve`)
    return Layer.unwrapEffect(Effect.map(HttpServer.HttpServer, (server) => {
      const node = Serve.nodeServerOf(server)
      return node === undefined ? HttpServer.serve(own.app) : Layer.scopedDiscard(Serve.serve(node, own.app))
    })).pipe(Layer.provide(Layer.succeedContext(own.context)))
  })
).pipe(Layer.locallyEffect(untraced))

/**
 * Creates the emulator's Node `http.Server`, not yet listening. Requests
 * Node's HTTP parser refuses before any route (malformed framing, headers
 * over 16 KB, unknown methods, `Expect` other than `100-continue`, `CONNECT`)
 * get STACK's error body with their 4xx instead of Node's empty answers, and
 * a body announced over the 1 MB limit is refused before it is sent. Serve
 * the emulator on it with `layerServer`, or pass it to
 * `NodeHttpServer.layer(() => createServer(), …)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createServer: (options?: Http.ServerOptions) => Http.Server = Server.createServer

/**
 * The `HttpServer` the CLI serves the emulator with: `createServer`
 * listening on `port` (0 picks a free one) and `host`. Pair it with
 * `layerServe`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerServer = (options: {
  readonly port?: number | undefined
  readonly host?: string | undefined
} = {}): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError> =>
  Layer.merge(
    Layer.scoped(
      HttpServer.HttpServer,
      Effect.suspend(() => {
        let node: Http.Server | undefined
        return Effect.tap(
          NodeHttpServer.make(() => (node = Server.createServer()), {
            port: options.port ?? 0,
            ...(options.host === undefined ? {} : { host: options.host })
          }),
          (server) => Serve.register(server, node!)
        )
      })
    ),
    NodeHttpServer.layerContext
  )
