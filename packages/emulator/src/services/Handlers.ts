/**
 * The services endpoints, served: one handler per endpoint of
 * `ServicesEndpoints`, under its name.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Connection, ServicesEndpoints } from "@getstack/effect/api/Services"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Actor } from "../core/Audit.js"
import { StackFailure } from "../core/Failure.js"
import { sha256Hex } from "../core/Hash.js"
import * as Authorization from "../http/Authorization.js"
import * as Input from "../http/Input.js"
import { failureResponse, RequestId, serveGroup } from "../http/Router.js"
import * as Services from "./Services.js"

/** The routes of the services group. */
export const routes = serveGroup(ServicesEndpoints, {
  catalog: () => Services.list,
  connected: ({ actor }) => Services.connected(actor),
  connect: ({ actor, payload }) => Services.connect(actor, payload),
  disconnect: ({ actor, path }) => Services.disconnect(actor, path.connection_id),
  grant: ({ actor, path, payload }) => Services.grant(actor, path.connection_id, payload),
  listGrants: ({ actor, path }) => Services.listGrants(actor, path.connection_id),
  revokeGrant: ({ actor, path }) => Services.revokeGrant(actor, path.connection_id, path.agent_id)
})

/**
 * The emulator's stand-in for a provider's OAuth consent page: a pending
 * connection's `authorize_url`. The operator (its API key) posts
 * `{ oauth_token }`, the token the provider would have issued, and the
 * connection is active. Not part of STACK's contract.
 */
export const authorizeRoute = HttpRouter.makeRoute(
  "POST",
  "/_emulator/connections/:id/authorize",
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const { params } = yield* HttpRouter.RouteContext
    const startedAt = yield* Clock.currentTimeMillis
    const caller = yield* Authorization.authenticate(request.headers["authorization"])
    const body = yield* Input.readJson(request)
    const token = (body.json as { oauth_token?: unknown } | undefined)?.oauth_token
    if (typeof token !== "string") {
      return yield* new StackFailure({
        code: "INVALID_REQUEST",
        message: "send { oauth_token }: the token the provider issued",
        details: { fields: { oauth_token: "required, a string" } }
      })
    }
    const actor: Actor = {
      operatorId: caller.operatorId,
      agentId: caller.agentId,
      requestId: yield* RequestId,
      payloadHash: sha256Hex(body.text),
      startedAt
    }
    const connection = yield* Services.authorize(actor, params.id ?? "", token)
    return HttpServerResponse.unsafeJson(Schema.encodeSync(Connection)(connection))
  }).pipe(
    Effect.catchTag("StackFailure", (failure) => Effect.succeed(failureResponse(failure))),
    Effect.orDie
  )
)
