/**
 * The whole wire contract: every group STACK serves, as one `HttpApi`.
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { AgentsEndpoints } from "./Agents.js"
import { AuditEndpoints } from "./Audit.js"
import { CredentialsEndpoints } from "./Credentials.js"
import { IdentityEndpoints } from "./Identity.js"
import { DropoffsEndpoints } from "./Dropoffs.js"
import { MissionsEndpoints } from "./Missions.js"
import { NotificationsEndpoints } from "./Notifications.js"
import { PassportsEndpoints, PublicPassportsEndpoints } from "./Passports.js"
import { ProxyEndpoints } from "./Proxy.js"
import { ReviewsEndpoints } from "./Reviews.js"
import { ScanEndpoints } from "./Scan.js"
import { SecurityEventsEndpoints } from "./SecurityEvents.js"
import { ServicesEndpoints } from "./Services.js"
import { SkillsEndpoints } from "./Skills.js"

/**
 * Marks a group as authenticated with `Authorization: Bearer <API key, session
 * JWT or OAuth access token>` (it puts the bearer scheme in the OpenAPI
 * document; the transport and the emulator apply it).
 *
 * @since 0.1.0
 * @category security
 */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("@getstack/effect/Authorization", {
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * A group holding every endpoint of a service's record, in the record's order.
 * The groups live here, apart from the records, because only the emulator and
 * the OpenAPI document need them: a program that uses the SDK does not bundle
 * them.
 *
 * @since 0.1.0
 * @category groups
 */
export const group = <const Name extends string, const E extends Record<string, HttpApiEndpoint.HttpApiEndpoint.Any>>(
  name: Name,
  endpoints: E
): HttpApiGroup.HttpApiGroup<Name, E[keyof E]> =>
  Object.values(endpoints).reduce<HttpApiGroup.HttpApiGroup.Any>(
    (built, endpoint) => (built as HttpApiGroup.HttpApiGroup<string>).add(endpoint as never),
    HttpApiGroup.make(name)
  ) as never

/**
 * The agents group.
 *
 * @since 0.1.0
 * @category groups
 */
export class AgentsGroup extends group("agents", AgentsEndpoints).middleware(Authorization) {}

/**
 * The passports group (authenticated).
 *
 * @since 0.1.0
 * @category groups
 */
export class PassportsGroup extends group("passports", PassportsEndpoints).middleware(Authorization) {}

/**
 * The public passports group: verification and the JWKS.
 *
 * @since 0.1.0
 * @category groups
 */
export class PublicPassportsGroup extends group("passports-public", PublicPassportsEndpoints) {}

/**
 * The missions group.
 *
 * @since 0.1.0
 * @category groups
 */
export class MissionsGroup extends group("missions", MissionsEndpoints).middleware(Authorization) {}

/**
 * The audit group.
 *
 * @since 0.1.0
 * @category groups
 */
export class AuditGroup extends group("audit", AuditEndpoints).middleware(Authorization) {}

/**
 * The security events group.
 *
 * @since 0.1.0
 * @category groups
 */
export class SecurityEventsGroup extends group("security-events", SecurityEventsEndpoints).middleware(Authorization) {}

/**
 * The reviews group.
 *
 * @since 0.1.0
 * @category groups
 */
export class ReviewsGroup extends group("reviews", ReviewsEndpoints).middleware(Authorization) {}

/**
 * The scan group.
 *
 * @since 0.1.0
 * @category groups
 */
export class ScanGroup extends group("scan", ScanEndpoints).middleware(Authorization) {}

/**
 * The notifications group.
 *
 * @since 0.1.0
 * @category groups
 */
export class NotificationsGroup extends group("notifications", NotificationsEndpoints).middleware(Authorization) {}

/**
 * The services group: the catalog, connections and grants.
 *
 * @since 0.1.0
 * @category groups
 */
export class ServicesGroup extends group("services", ServicesEndpoints).middleware(Authorization) {}

/**
 * The credentials group.
 *
 * @since 0.1.0
 * @category groups
 */
export class CredentialsGroup extends group("credentials", CredentialsEndpoints).middleware(Authorization) {}

/**
 * The identity group: providers, verification sessions and claims.
 *
 * @since 0.1.0
 * @category groups
 */
export class IdentityGroup extends group("identity", IdentityEndpoints).middleware(Authorization) {}

/**
 * The drop-offs group.
 *
 * @since 0.1.0
 * @category groups
 */
export class DropoffsGroup extends group("dropoffs", DropoffsEndpoints).middleware(Authorization) {}

/**
 * The skills group: the marketplace, invocations and the request board.
 *
 * @since 0.1.0
 * @category groups
 */
export class SkillsGroup extends group("skills", SkillsEndpoints).middleware(Authorization) {}

/**
 * The proxy group.
 *
 * @since 0.1.0
 * @category groups
 */
export class ProxyGroup extends group("proxy", ProxyEndpoints).middleware(Authorization) {}

/**
 * @since 0.1.0
 * @category api
 */
export class StackApi extends HttpApi.make("stack")
  .add(AgentsGroup)
  .add(PassportsGroup)
  .add(PublicPassportsGroup)
  .add(MissionsGroup)
  .add(AuditGroup)
  .add(NotificationsGroup)
  .add(SecurityEventsGroup)
  .add(ReviewsGroup)
  .add(ScanGroup)
  .add(ServicesGroup)
  .add(CredentialsGroup)
  .add(DropoffsGroup)
  .add(ProxyGroup)
  .add(IdentityGroup)
  .add(SkillsGroup)
  .annotateContext(
    OpenApi.annotations({
      title: "STACK API",
      version: "0.1.0",
      description: "The wire contract shared by @getstack/effect and @getstack/emulator."
    })
  )
{}

type Responses = Record<string, { description: string; content?: Record<string, { schema: unknown }> }>

/**
 * The OpenAPI document derived from the contract. Every error status shows
 * STACK's error body: `HttpApi`'s own 400 body (`HttpApiDecodeError`), which
 * neither STACK nor the emulator sends, is replaced by it.
 *
 * @since 0.1.0
 * @category api
 */
export const openApiDocument = (): OpenApi.OpenAPISpec => {
  const spec = OpenApi.fromApi(StackApi)
  for (const item of Object.values(spec.paths)) {
    for (const operation of Object.values(item as Record<string, { responses?: Responses }>)) {
      const bad = operation.responses?.["400"]
      if (operation.responses === undefined || bad === undefined) continue
      const declared = JSON.stringify(bad).includes("StackError400")
      if (declared) {
        operation.responses["400"] = {
          description: "STACK's error body: the request broke one of STACK's rules",
          content: { "application/json": { schema: { $ref: "#/components/schemas/StackError400" } } }
        }
      } else {
        delete operation.responses["400"]
      }
    }
  }
  const schemas = spec.components.schemas as Record<string, unknown>
  const text = JSON.stringify(spec.paths)
  for (const name of ["HttpApiDecodeError", "Issue", "PropertyKey"]) {
    if (!text.includes(`#/components/schemas/${name}"`)) delete schemas[name]
  }
  return spec
}
