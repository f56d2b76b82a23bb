/**
 * The services of the contract: STACK's catalog of third-party services, the
 * operator's connections to them (each holding a credential in STACK's
 * vault), and the grants of a connection to agents.
 *
 * STACK documents `GET /v1/services`, `GET /v1/services/connected`, `POST
 * /v1/services/connect { service_id, scopes (≥ 1), redirect_uri?,
 * oauth_token? }`, that a connection has an id, a name, a provider, a status
 * and its stored scopes, that a service may be connected more than once, and
 * that a grant's scopes are a subset of its connection's (`*` stands for
 * any). The paths of disconnect and of grants, `credentials` (a multi-field
 * secret) and every other answer field are the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundedString, NonEmpty } from "./Common.js"
import * as Endpoint from "./Endpoint.js"

/**
 * A service of the catalog: its slug (`slack`), its name, how it
 * authenticates (`oauth2`, `api_key`, `basic`), the scopes it knows, the
 * fields of a multi-field credential, and the hosts the proxy forwards its
 * calls to.
 *
 * @since 0.1.0
 * @category schemas
 */
export class CatalogService extends Schema.Class<CatalogService>("CatalogService")({
  id: Schema.String,
  name: Schema.optional(Schema.String),
  category: Schema.optional(Schema.String),
  auth_type: Schema.optional(Schema.String),
  scopes: Schema.optional(Schema.Array(Schema.String)),
  credential_fields: Schema.optional(Schema.Array(Schema.String)),
  hosts: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Answer of `catalog`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ServiceCatalog extends Schema.Class<ServiceCatalog>("ServiceCatalog")({
  services: Schema.Array(CatalogService)
}) {}

/**
 * Where a connection stands: `active`, `pending` (waiting for its OAuth
 * authorization), `disconnected`. Answers may carry others.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConnectionStatus = Schema.Literal("active", "pending", "disconnected")

/**
 * A connection of the operator to a service. The secret it holds is never
 * part of it: `credentials.get` reads it.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Connection extends Schema.Class<Connection>("Connection")({
  id: Schema.String,
  name: Schema.NullOr(Schema.String),
  provider: Schema.String,
  status: Schema.String,
  scopes: Schema.Array(Schema.String),
  proxy_enabled: Schema.optional(Schema.Boolean),
  authorize_url: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.optional(Schema.DateTimeUtc),
  disconnected_at: Schema.optional(Schema.NullOr(Schema.DateTimeUtc))
}) {}

/**
 * Answer of `connected`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class ConnectionList extends Schema.Class<ConnectionList>("ConnectionList")({
  connections: Schema.Array(Connection)
}) {}

const Secret = Schema.Redacted(NonEmpty)

/**
 * Body of `POST /v1/services/connect`. The secret is `oauth_token` (an OAuth
 * access token, or the service's API key) or, for a service whose catalog
 * entry lists `credential_fields`, `credentials` with those fields. Both are
 * `Redacted` on this side; the wire carries them as text. Without either, the
 * connection is `pending` and its `authorize_url` starts the OAuth flow.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ConnectRequest = Schema.Struct({
  service_id: NonEmpty,
  scopes: Schema.NonEmptyArray(NonEmpty),
  name: Schema.optional(BoundedString(100)),
  redirect_uri: Schema.optional(BoundedString(2000)),
  oauth_token: Schema.optional(Secret),
  credentials: Schema.optional(Schema.Record({ key: Schema.String, value: Secret }))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ConnectRequest = typeof ConnectRequest.Type

/**
 * A grant of a connection to an agent, with its scopes (a subset of the
 * connection's).
 *
 * @since 0.1.0
 * @category schemas
 */
export class Grant extends Schema.Class<Grant>("Grant")({
  connection_id: Schema.String,
  agent_id: Schema.String,
  scopes: Schema.Array(Schema.String),
  provider: Schema.optional(Schema.String),
  created_at: Schema.optional(Schema.DateTimeUtc)
}) {}

/**
 * Answer of `listGrants`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class GrantList extends Schema.Class<GrantList>("GrantList")({
  grants: Schema.Array(Grant)
}) {}

/**
 * Body of `POST /v1/services/connected/{connection_id}/grants`. Granting an
 * agent again replaces its scopes.
 *
 * @since 0.1.0
 * @category schemas
 */
export const GrantRequest = Schema.Struct({
  agent_id: NonEmpty,
  scopes: Schema.NonEmptyArray(NonEmpty)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type GrantRequest = typeof GrantRequest.Type

/**
 * The services endpoints, by name. Grant scopes outside the connection's are
 * 400 `SCOPE_ESCALATION`; a service outside the catalog is 400.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const ServicesEndpoints = {
  catalog: Endpoint.get("catalog", "/v1/services")
    .addSuccess(ServiceCatalog)
    .pipe(Endpoint.authenticated),
  connected: Endpoint.get("connected", "/v1/services/connected")
    .addSuccess(ConnectionList)
    .pipe(Endpoint.authenticated),
  connect: Endpoint.post("connect", "/v1/services/connect")
    .setPayload(ConnectRequest)
    .addSuccess(Connection, { status: 201 })
    .pipe(Endpoint.create),
  disconnect: Endpoint.del("disconnect", "/v1/services/connected/:connection_id")
    .addSuccess(Connection)
    .pipe(Endpoint.write, Endpoint.idempotent),
  grant: Endpoint.post("grant", "/v1/services/connected/:connection_id/grants")
    .setPayload(GrantRequest)
    .addSuccess(Grant)
    .pipe(Endpoint.write, Endpoint.idempotent),
  listGrants: Endpoint.get("listGrants", "/v1/services/connected/:connection_id/grants")
    .addSuccess(GrantList)
    .pipe(Endpoint.read),
  revokeGrant: Endpoint.del("revokeGrant", "/v1/services/connected/:connection_id/grants/:agent_id")
    .addSuccess(Grant)
    .pipe(Endpoint.write)
}
