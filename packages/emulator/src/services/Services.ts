/**
 * Services: the catalog, the operator's connections (each holding one secret
 * sealed by the vault, bound to its row) and their grants to agents. Only the
 * operator connects, disconnects and grants; an agent sees the connections
 * granted to it. A grant's scopes are a subset of its connection's (`*`
 * allows any); a connection made without a secret is `pending` until its
 * OAuth authorization completes (the emulator's stand-in:
 * `POST /_emulator/connections/{id}/authorize`). Disconnecting erases the
 * secret and the grants.
 */
import {
  type ConnectRequest,
  ConnectionList,
  type GrantRequest,
  GrantList,
  ServiceCatalog
} from "@getstack/effect/api/Services"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AgentsStore from "../agents/Store.js"
import { type Actor, audited } from "../core/Audit.js"
import { excerpt, listExcerpt, notFound, refuse } from "../core/Failure.js"
import { newId } from "../core/Ids.js"
import * as Policy from "../core/Policy.js"
import * as Vault from "../core/Vault.js"
import * as Catalog from "./Catalog.js"
import * as Store from "./Store.js"

/** What a connection's sealed secret holds: one credential, or several fields. */
export type Secret =
  | { readonly credential: string }
  | { readonly credentials: Readonly<Record<string, string>> }

/** The row a connection's secret is bound to. */
const binding = (connectionId: string) => `service_connections:${connectionId}`

/** Seals a connection's secret. */
export const sealSecret = (connectionId: string, secret: Secret) =>
  Effect.map(Vault.VaultKey, (key) => Vault.seal(key, JSON.stringify(secret), binding(connectionId)))

/** Opens a connection's secret (which the vault's key, checked at start, always opens). */
export const openSecret = (row: Store.ConnectionRow) =>
  Effect.flatMap(Vault.VaultKey, (key) => {
    const text = row.secret === null ? undefined : Vault.open(key, row.secret, binding(row.id))
    return text === undefined
      ? Effect.dieMessage(`the vault cannot open the secret of connection ${row.id}`)
      : Effect.succeed(JSON.parse(text) as Secret)
  })

const catalog = new ServiceCatalog({ services: Catalog.entries.map(Catalog.toCatalogService) }, { disableValidation: true })

/** The catalog. */
export const list = Effect.succeed(catalog)

/** The caller's connections: all the operator's, or those granted to the calling agent. */
export const connected = (actor: Actor) =>
  Effect.map(
    actor.agentId === null ? Store.connections(actor.operatorId) : Store.connectionsOfAgent(actor.agentId),
    (rows) => new ConnectionList({ connections: rows.map(Store.toConnection) }, { disableValidation: true })
  )

/** The secret a connect request carries, checked against the service's kind of credential. */
const secretOf = (entry: Catalog.Entry, request: ConnectRequest) =>
  Effect.gen(function*() {
    const { credentials, oauth_token } = request
    if (entry.credentialFields.length === 0) {
      if (credentials !== undefined) {
        return yield* refuse("INVALID_REQUEST", `${entry.id} takes one secret, in oauth_token`, {
          fields: { credentials: `${entry.id} has no credential fields; send oauth_token` }
        })
      }
      return oauth_token === undefined ? undefined : { credential: Redacted.value(oauth_token) } satisfies Secret
    }
    if (oauth_token !== undefined) {
      return yield* refuse("INVALID_REQUEST", `${entry.id} takes credentials with ${entry.credentialFields.join(", ")}`, {
        fields: { oauth_token: `${entry.id} takes credentials, not oauth_token` }
      })
    }
    if (credentials === undefined) {
      return yield* refuse("INVALID_REQUEST", `${entry.id} has no OAuth flow: send credentials with ${entry.credentialFields.join(", ")}`, {
        fields: { credentials: "required" }
      })
    }
    const missing = entry.credentialFields.filter((field) => credentials[field] === undefined)
    const extra = Object.keys(credentials).filter((field) => !entry.credentialFields.includes(field))
    if (missing.length > 0 || extra.length > 0) {
      return yield* refuse("INVALID_REQUEST", `${entry.id} takes credentials with exactly ${entry.credentialFields.join(", ")}`, {
        fields: Object.fromEntries([
          ...missing.map((field) => [`credentials.${field}`, "required"]),
          ...extra.slice(0, 10).map((field) => [`credentials.${excerpt(field)}`, `not a field of ${entry.id}`])
        ])
      })
    }
    return {
      credentials: Object.fromEntries(entry.credentialFields.map((field) => [field, Redacted.value(credentials[field]!)]))
    } satisfies Secret
  })

/** Connects a service of the catalog: active with its secret, pending without. */
export const connect = (actor: Actor, request: ConnectRequest) =>
  audited(
    actor,
    { action: "service.connect", layer: "vault", agentId: () => null },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "connect services")
      const entry = Catalog.entry(request.service_id)
      if (entry === undefined) {
        return yield* refuse("INVALID_REQUEST", `${excerpt(request.service_id)} is not a service of the catalog`, {
          fields: { service_id: "not a service of the catalog (GET /v1/services lists them)" }
        })
      }
      const secret = yield* secretOf(entry, request)
      const id = newId("scon")
      const row: Store.ConnectionRow = {
        id,
        operator_id: actor.operatorId,
        provider: entry.id,
        name: request.name ?? null,
        status: secret === undefined ? "pending" : "active",
        scopes: JSON.stringify([...new Set(request.scopes)]),
        secret: secret === undefined ? null : yield* sealSecret(id, secret),
        proxy_enabled: 1,
        created_at: yield* Clock.currentTimeMillis,
        disconnected_at: null
      }
      yield* Store.insertConnection(row)
      return Store.toConnection(row)
    })
  )

/**
 * Completes a pending connection's OAuth authorization with the token the
 * provider would have answered: the emulator's stand-in for the consent
 * page (`authorize_url`).
 */
export const authorize = (actor: Actor, id: string, token: string) =>
  audited(
    actor,
    { action: "service.authorize", layer: "vault", agentId: () => null },
    Effect.gen(function*() {
      yield* Policy.operatorOnly(actor, "authorize connections")
      const row = yield* Store.connection(actor.operatorId, id)
      if (row === undefined) return yield* notFound("connection", id)
      if (row.status !== "pending") return yield* refuse("CONFLICT", `connection ${id} is ${row.status}, not pending`)
      if (token === "") return yield* refuse("INVALID_REQUEST", "oauth_token must not be empty", { fields: { oauth_token: "must not be empty" } })
      const secret = yield* sealSecret(id, { credential: token })
      yield* Store.activate(id, secret)
      return Store.toConnection({ ...row, status: "active", secret })
    })
  )

/** The operator's connection, or `NOT_FOUND`. */
const ownConnection = (actor: Actor, id: string, what: string) =>
  Effect.gen(function*() {
    yield* Policy.operatorOnly(actor, what)
    const row = yield* Store.connection(actor.operatorId, id)
    return row ?? (yield* notFound("connection", id))
  })

/** Disconnects: the secret is erased and the grants go. Disconnecting again answers the same. */
export const disconnect = (actor: Actor, id: string) =>
  audited(
    actor,
    { action: "service.disconnect", layer: "vault", agentId: () => null },
    Effect.gen(function*() {
      const row = yield* ownConnection(actor, id, "disconnect services")
      if (row.status === "disconnected") return Store.toConnection(row)
      const now = yield* Clock.currentTimeMillis
      yield* Store.disconnect(id, now)
      return Store.toConnection({ ...row, status: "disconnected", secret: null, disconnected_at: now })
    })
  )

/** Grants a connection to one of the operator's agents, with scopes within the connection's. */
export const grant = (actor: Actor, connectionId: string, request: GrantRequest) =>
  audited(
    actor,
    { action: "service.grant", layer: "vault", agentId: (grant) => grant.agent_id, agentIdOnFailure: request.agent_id },
    Effect.gen(function*() {
      const row = yield* ownConnection(actor, connectionId, "grant connections")
      if (row.status === "disconnected") return yield* refuse("CONFLICT", `connection ${connectionId} is disconnected`)
      const agent = yield* AgentsStore.ofOperator(actor.operatorId, request.agent_id)
      if (agent === undefined) return yield* notFound("agent", request.agent_id)
      const extra = Store.beyond(JSON.parse(row.scopes) as Array<string>, request.scopes)
      if (extra.length > 0) {
        return yield* refuse("SCOPE_ESCALATION", `connection ${connectionId} does not hold ${listExcerpt(extra)}`)
      }
      const existing = yield* Store.grant(connectionId, agent.id)
      const stored: Store.GrantRow = {
        connection_id: connectionId,
        agent_id: agent.id,
        scopes: JSON.stringify([...new Set(request.scopes)]),
        created_at: existing?.created_at ?? (yield* Clock.currentTimeMillis)
      }
      yield* Store.upsertGrant(stored)
      return Store.toGrant(stored, row.provider)
    })
  )

/** A connection's grants. */
export const listGrants = (actor: Actor, connectionId: string) =>
  Effect.gen(function*() {
    const row = yield* ownConnection(actor, connectionId, "list grants")
    const grants = yield* Store.grants(connectionId)
    return new GrantList({ grants: grants.map((grant) => Store.toGrant(grant, row.provider)) }, { disableValidation: true })
  })

/** Takes a grant back; the agent's passports lose the connection at their next proxied call. */
export const revokeGrant = (actor: Actor, connectionId: string, agentId: string) =>
  audited(
    actor,
    { action: "service.revoke_grant", layer: "vault", agentId: (grant) => grant.agent_id, agentIdOnFailure: agentId },
    Effect.gen(function*() {
      const row = yield* ownConnection(actor, connectionId, "revoke grants")
      const existing = yield* Store.grant(connectionId, agentId)
      if (existing === undefined) return yield* notFound("grant of connection to agent", `${connectionId}/${agentId}`)
      yield* Store.removeGrant(connectionId, agentId)
      return Store.toGrant(existing, row.provider)
    })
  )
