/**
 * The credentials of the contract: the raw secret of a connection, read from
 * STACK's vault (direct mode, beside the proxy).
 *
 * STACK documents `GET /v1/credentials/{provider}` and `GET
 * /v1/credentials/by-connection/{connectionId}`, answering `{ provider,
 * credential }` (one secret, an OAuth access token) or `{ provider,
 * credentials: {...} }` (several fields), each retrieval audited as
 * `credential.retrieve`. The secrets decode `Redacted`: they never reach a
 * log. `connection_id` is the contract's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Endpoint from "./Endpoint.js"

/**
 * Answer of `get` and `byConnection`: `credential` for a one-secret service,
 * `credentials` for a multi-field one.
 *
 * @since 0.1.0
 * @category schemas
 */
export class Credential extends Schema.Class<Credential>("Credential")({
  provider: Schema.String,
  credential: Schema.optional(Schema.Redacted(Schema.String)),
  credentials: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Redacted(Schema.String) })),
  connection_id: Schema.optional(Schema.String)
}) {}

/**
 * The credentials endpoints, by name. An agent whose `credential_access` is
 * `proxy_only` is refused raw credentials (403): it calls through the proxy.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const CredentialsEndpoints = {
  get: Endpoint.get("get", "/v1/credentials/:provider")
    .addSuccess(Credential)
    .pipe(Endpoint.read),
  byConnection: Endpoint.get("byConnection", "/v1/credentials/by-connection/:connection_id")
    .addSuccess(Credential)
    .pipe(Endpoint.read)
}
