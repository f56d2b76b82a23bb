/**
 * Credentials in direct mode: a connection's raw secret, opened from the
 * vault. The operator reads any of its connections'; an agent reads only
 * those granted to it, and never when its `credential_access` is
 * `proxy_only` (it calls through the proxy). Every retrieval, and every
 * refusal, is audited as `credential.retrieve` (layer `vault`), without the
 * secret.
 */
import { Credential } from "@getstack/effect/api/Credentials"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AgentsStore from "../agents/Store.js"
import { type Actor, audited } from "../core/Audit.js"
import { excerpt, notFound, refuse } from "../core/Failure.js"
import * as Services from "../services/Services.js"
import * as Store from "../services/Store.js"

/** Refuses raw credentials to a `proxy_only` agent. */
const mayRetrieve = (actor: Actor) =>
  Effect.gen(function*() {
    if (actor.agentId === null) return
    const agent = yield* AgentsStore.ofOperator(actor.operatorId, actor.agentId)
    if (agent?.credential_access === "proxy_only") {
      return yield* refuse(
        "FORBIDDEN",
        `agent ${actor.agentId} is proxy_only: it never receives raw credentials; call through POST /v1/proxy`
      )
    }
  })

/** A connection's credential, as the contract shows it. */
const credentialOf = (row: Store.ConnectionRow) =>
  Effect.map(Services.openSecret(row), (secret) =>
    new Credential(
      "credential" in secret
        ? { provider: row.provider, credential: Redacted.make(secret.credential), connection_id: row.id }
        : {
          provider: row.provider,
          credentials: Object.fromEntries(Object.entries(secret.credentials).map(([k, v]) => [k, Redacted.make(v)])),
          connection_id: row.id
        },
      { disableValidation: true }
    ))

const retrieval = <E, R>(actor: Actor, body: Effect.Effect<Store.ConnectionRow, E, R>) =>
  audited(
    actor,
    { action: "credential.retrieve", layer: "vault", agentId: () => actor.agentId, agentIdOnFailure: actor.agentId },
    Effect.flatMap(Effect.zipRight(mayRetrieve(actor), body), credentialOf)
  )

/** The credential of the caller's newest active connection to `provider`. */
export const get = (actor: Actor, provider: string) =>
  retrieval(
    actor,
    Effect.gen(function*() {
      const row = actor.agentId === null
        ? yield* Store.newestActive(actor.operatorId, provider)
        : yield* Store.newestActiveOfAgent(actor.agentId, provider)
      if (row !== undefined) return row
      return yield* refuse(
        "NOT_FOUND",
        `no active ${excerpt(provider)} connection${actor.agentId === null ? "" : ` granted to agent ${actor.agentId}`}`
      )
    })
  )

/** The credential of one connection (for an agent, one granted to it). */
export const byConnection = (actor: Actor, connectionId: string) =>
  retrieval(
    actor,
    Effect.gen(function*() {
      const row = yield* Store.connection(actor.operatorId, connectionId)
      if (row === undefined) return yield* notFound("connection", connectionId)
      if (actor.agentId !== null && (yield* Store.grant(connectionId, actor.agentId)) === undefined) {
        return yield* refuse("FORBIDDEN", `connection ${connectionId} is not granted to agent ${actor.agentId}`)
      }
      if (row.status !== "active") return yield* refuse("NOT_FOUND", `connection ${connectionId} is ${row.status}: it holds no credential`)
      return row
    })
  )
