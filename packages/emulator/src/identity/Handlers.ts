/**
 * The identity endpoints, served: one handler per endpoint of
 * `IdentityEndpoints`, under its name; and the emulator's stand-in for a
 * provider's callback.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { IdentityEndpoints, Verification } from "@getstack/effect/api/Identity"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Actor } from "../core/Audit.js"
import * as Authorization from "../http/Authorization.js"
import { failureResponse, RequestId, serveGroup } from "../http/Router.js"
import * as Identity from "./Identity.js"

/** The routes of the identity group. */
export const routes = serveGroup(IdentityEndpoints, {
  listProviders: () => Identity.listProviders,
  initiateVerification: ({ actor, payload }) => Identity.initiate(actor, payload),
  getVerification: ({ actor, path }) => Identity.get(actor, path.session_ref),
  completeVerification: ({ actor, path }) => Identity.complete(actor, path.provider_key, path.session_ref),
  listClaims: ({ actor }) => Identity.listClaims(actor),
  revokeClaim: ({ actor, path }) => Identity.revokeClaim(actor, path.claim_id)
})

/**
 * The emulator's stand-in for a provider's callback: the operator (its API
 * key) approves or rejects one of its pending verification sessions, as the
 * provider would once the human verified (or failed to). Answers the
 * session. Not part of STACK's contract.
 */
export const decisionRoutes = (["approve", "reject"] as const).map((verb) =>
  HttpRouter.makeRoute(
    "POST",
    `/_emulator/identity/sessions/:session_ref/${verb}`,
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const { params } = yield* HttpRouter.RouteContext
      const startedAt = yield* Clock.currentTimeMillis
      const caller = yield* Authorization.authenticate(request.headers["authorization"])
      const actor: Actor = {
        operatorId: caller.operatorId,
        agentId: caller.agentId,
        requestId: yield* RequestId,
        payloadHash: null,
        startedAt
      }
      const session = yield* Identity.decide(actor, params.session_ref ?? "", verb === "approve" ? "approved" : "rejected")
      return HttpServerResponse.unsafeJson(Schema.encodeSync(Verification)(session))
    }).pipe(
      Effect.catchTag("StackFailure", (failure) => Effect.succeed(failureResponse(failure))),
      Effect.orDie
    )
  )
)
