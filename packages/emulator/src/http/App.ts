/**
 * The emulator's web app: the routes of every service, the OpenAPI document,
 * and what every answer shares.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { openApiDocument } from "@getstack/effect/api/StackApi"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as AgentsHandlers from "../agents/Handlers.js"
import * as AuditHandlers from "../audit/Handlers.js"
import * as CredentialsHandlers from "../credentials/Handlers.js"
import * as IdentityHandlers from "../identity/Handlers.js"
import * as DropoffsHandlers from "../dropoffs/Handlers.js"
import { excerpt, StackFailure } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as MissionsHandlers from "../missions/Handlers.js"
import * as NotificationsHandlers from "../notifications/Handlers.js"
import * as PassportsHandlers from "../passports/Handlers.js"
import * as ProxyHandlers from "../proxy/Handlers.js"
import { ProxySettings, type Settings as ProxySettingsShape } from "../proxy/Proxy.js"
import * as ReviewsHandlers from "../reviews/Handlers.js"
import * as ScanHandlers from "../scan/Handlers.js"
import * as SecurityEventsHandlers from "../security/Handlers.js"
import * as ServicesHandlers from "../services/Handlers.js"
import { SkillSettings, type Settings as SkillSettingsShape } from "../skills/Execution.js"
import * as SkillsHandlers from "../skills/Handlers.js"
import * as Governance from "../core/Governance.js"
import { Controls, ScanQuota } from "../core/Plan.js"
import * as Authorization from "./Authorization.js"
import { CheckDeclaredErrors } from "./Declared.js"
import { failureResponse, RequestId } from "./Router.js"
import * as Routes from "./Routes.js"

const openApiRoute = HttpRouter.makeRoute(
  "GET",
  "/openapi.json",
  Effect.sync(() => HttpServerResponse.unsafeJson(openApiDocument()))
)

/**
 * The emulator's stand-in for STACK's approval page: the operator (its API
 * key) approves or rejects one of its pending governance approvals. Not part
 * of STACK's contract: tests of code that handles `ApprovalRequiredError` use
 * it against a served emulator.
 */
const approvalRoutes = (["approve", "reject"] as const).map((verb) =>
  HttpRouter.makeRoute(
    "POST",
    `/_emulator/approvals/:id/${verb}`,
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const { params } = yield* HttpRouter.RouteContext
      const caller = yield* Authorization.authenticate(request.headers["authorization"])
      if (caller.agentId !== null) {
        return yield* new StackFailure({ code: "FORBIDDEN", message: "only the operator decides its approvals" })
      }
      const decided = yield* Governance.decide(caller.operatorId, params.id ?? "", verb === "approve" ? "approved" : "rejected")
      return HttpServerResponse.unsafeJson({ id: decided.id, operation: decided.operation, status: decided.status })
    }).pipe(
      Effect.catchTag("StackFailure", (failure) => Effect.succeed(failureResponse(failure))),
      Effect.orDie
    )
  )
)

/** How the app is built. */
export interface Options {
  /** Whether a refusal with a status its endpoint does not declare becomes a 500 (see `Declared`). */
  readonly checkDeclaredErrors: boolean
  /** Whether the plan includes STACK's controls (see `core/Plan`). */
  readonly controls: boolean
  /** The operations held for a human's approval (see `core/Governance`). */
  readonly governance: ReadonlySet<Governance.GovernedOperation>
  /** Scans an operator may run a month (see `core/Plan`). */
  readonly scanQuota: number
  /** How the proxy reaches services (see `proxy/Proxy`). */
  readonly proxy: ProxySettingsShape
  /** How sealed skills run (see `skills/Execution`). */
  readonly skills: SkillSettingsShape
}

/**
 * The emulator's web app: every route of the contract, STACK's error body for
 * unknown routes and for failures of its own, and an `x-request-id` on every
 * response.
 */
export const make = (options: Options) =>
  Effect.gen(function*() {
    const router = HttpRouter.fromIterable([
      ...AgentsHandlers.routes,
      ...PassportsHandlers.routes,
      ...PassportsHandlers.publicRoutes,
      ...MissionsHandlers.routes,
      ...AuditHandlers.routes,
      ...SecurityEventsHandlers.routes,
      ...ReviewsHandlers.routes,
      ...NotificationsHandlers.routes,
      ...ScanHandlers.routes,
      ...ServicesHandlers.routes,
      ...CredentialsHandlers.routes,
      ...DropoffsHandlers.routes,
      ...ProxyHandlers.routes,
      ...IdentityHandlers.routes,
      ...IdentityHandlers.decisionRoutes,
      ...SkillsHandlers.routes,
      ...approvalRoutes,
      ServicesHandlers.authorizeRoute,
      openApiRoute
    ])
    const find = yield* Routes.finder(router)
    const declared = Context.make(CheckDeclaredErrors, options.checkDeclaredErrors).pipe(
      Context.add(Controls, options.controls),
      Context.add(Governance.Governed, options.governance),
      Context.add(ScanQuota, options.scanQuota),
      Context.add(ProxySettings, options.proxy),
      Context.add(SkillSettings, options.skills)
    )
    return Effect.withFiberRuntime<
      HttpServerResponse.HttpServerResponse,
      never,
      Exclude<
        Effect.Effect.Context<typeof router>,
        CheckDeclaredErrors | Controls | Governance.Governed | ScanQuota | ProxySettings | SkillSettings | RequestId
      >
    >((fiber) => {
      const context = fiber.currentContext
      const request = Context.unsafeGet(context, HttpServerRequest.HttpServerRequest)
      const requestId = newId("req")
      const found = find(request)
      // the route's context gains, for the rest of the request, what every route reads
      const response = found === undefined
        ? Effect.succeed(failureResponse(
          new StackFailure({ code: "NOT_FOUND", message: `no route for ${request.method} ${excerpt(request.url)}` })
        ))
        : Routes.run(found, context, Context.add(declared, RequestId, requestId))
      return Effect.matchCauseEffect(response, {
        onSuccess: (response) => Effect.succeed(HttpServerResponse.setHeader(response, "x-request-id", requestId)),
        onFailure: (cause) =>
          // a client that went away interrupts its request: nothing failed
          (Cause.isInterruptedOnly(cause)
            ? Effect.logDebug("a request was abandoned by its client")
            : Effect.logError("the emulator failed to answer a request", cause)).pipe(
              Effect.as(HttpServerResponse.setHeader(
                failureResponse(new StackFailure({ code: "INTERNAL_ERROR", message: "the emulator failed; see its log" })),
                "x-request-id",
                requestId
              ))
            )
      })
    })
  })
