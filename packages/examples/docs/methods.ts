/**
 * The methods tables of the service pages, generated from the wire contract:
 * one row per endpoint, with the method as it is called, its HTTP method and
 * path, what it answers, the statuses it declares, and whether the transport
 * retries it after an ambiguous failure. `methods-update.ts` writes each table
 * into its page between `<!-- methods:<group> -->` and
 * `<!-- /methods:<group> -->`; packages/sdk/test/Docs.test.ts fails when a
 * page is out of date.
 */
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { AgentsEndpoints } from "@getstack/effect/api/Agents"
import { AuditEndpoints } from "@getstack/effect/api/Audit"
import { CredentialsEndpoints } from "@getstack/effect/api/Credentials"
import { DropoffsEndpoints } from "@getstack/effect/api/Dropoffs"
import { isIdempotent, pathParams } from "@getstack/effect/api/Endpoint"
import { IdentityEndpoints } from "@getstack/effect/api/Identity"
import { MissionsEndpoints } from "@getstack/effect/api/Missions"
import { NotificationsEndpoints } from "@getstack/effect/api/Notifications"
import { PassportsEndpoints, PublicPassportsEndpoints } from "@getstack/effect/api/Passports"
import { ProxyEndpoints } from "@getstack/effect/api/Proxy"
import { ReviewsEndpoints } from "@getstack/effect/api/Reviews"
import { ScanEndpoints } from "@getstack/effect/api/Scan"
import { SecurityEventsEndpoints } from "@getstack/effect/api/SecurityEvents"
import { ServicesEndpoints } from "@getstack/effect/api/Services"
import { SkillsEndpoints } from "@getstack/effect/api/Skills"
import * as Option from "effect/Option"
import * as AST from "effect/SchemaAST"

/** A record of contract endpoints, by the name of the SDK method each one is. */
export type Endpoints = Readonly<Record<string, HttpApiEndpoint.HttpApiEndpoint.Any>>

type Props = HttpApiEndpoint.HttpApiEndpoint.AnyWithProps

/** An endpoint with its properties in view (the contract's endpoints are typed narrower). */
const props = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any): Props => endpoint as unknown as Props

/** A generated table: the page that holds it (in the repository's docs/), its group and its endpoints. */
export interface MethodsBlock {
  readonly page: string
  readonly group: string
  readonly endpoints: Endpoints
}

/** Every generated table, by page. The groups are the contract's `HttpApiGroup` names. */
export const blocks: ReadonlyArray<MethodsBlock> = [
  { page: "agents.md", group: "agents", endpoints: AgentsEndpoints },
  { page: "passports.md", group: "passports", endpoints: PassportsEndpoints },
  { page: "passports.md", group: "passports-public", endpoints: PublicPassportsEndpoints },
  { page: "missions.md", group: "missions", endpoints: MissionsEndpoints },
  { page: "audit.md", group: "audit", endpoints: AuditEndpoints },
  { page: "security-events.md", group: "security-events", endpoints: SecurityEventsEndpoints },
  { page: "reviews.md", group: "reviews", endpoints: ReviewsEndpoints },
  { page: "notifications.md", group: "notifications", endpoints: NotificationsEndpoints },
  { page: "scan.md", group: "scan", endpoints: ScanEndpoints },
  { page: "services.md", group: "services", endpoints: ServicesEndpoints },
  { page: "services.md", group: "credentials", endpoints: CredentialsEndpoints },
  { page: "proxy.md", group: "proxy", endpoints: ProxyEndpoints },
  { page: "identity.md", group: "identity", endpoints: IdentityEndpoints },
  { page: "dropoffs.md", group: "dropoffs", endpoints: DropoffsEndpoints },
  { page: "skills.md", group: "skills", endpoints: SkillsEndpoints }
]

const hasInput = (endpoint: Props): boolean =>
  Option.isSome(endpoint.urlParamsSchema) || Option.isSome(endpoint.payloadSchema)

/** The method as called: path parameters in path order, then the one object of wire fields. */
export const callOf = (name: string, endpoint: HttpApiEndpoint.HttpApiEndpoint.Any): string =>
  `${name}(${[...pathParams(props(endpoint).path), ...(hasInput(props(endpoint)) ? ["{ … }"] : [])].join(", ")})`

/** The statuses the endpoint declares, as the transport reads them (`StackClient`'s `planOf`). */
export const statusesOf = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any): ReadonlyArray<number> => {
  const ast = props(endpoint).errorSchema.ast
  const members = ast._tag === "Union" ? ast.types : [ast]
  return [...new Set(members.map(HttpApiSchema.getStatusErrorAST))].sort((a, b) => a - b)
}

/** A struct without a name, by its literal fields: `{ valid: true, … }`. */
const describeStruct = (ast: AST.TypeLiteral): string => {
  const literals = ast.propertySignatures.flatMap((property) =>
    property.type._tag === "Literal" ? [`${String(property.name)}: ${JSON.stringify(property.type.literal)}`] : []
  )
  return `{ ${[...literals, ...(literals.length < ast.propertySignatures.length ? ["…"] : [])].join(", ")} }`
}

const describeSuccess = (ast: AST.AST): string => {
  const named = AST.getIdentifierAnnotation(ast._tag === "Transformation" ? ast.to : ast)
  if (Option.isSome(named)) return `\`${named.value}\``
  return ast._tag === "TypeLiteral" ? `\`${describeStruct(ast)}\`` : "a value"
}

/** What the endpoint answers, with its status when it is not 200. */
export const successOf = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any): string => {
  const ast = props(endpoint).successSchema.ast
  if (HttpApiSchema.isVoid(ast)) return "nothing"
  const members = ast._tag === "Union" ? ast.types : [ast]
  return members.map((member) => {
    const status = HttpApiSchema.getStatusSuccessAST(member)
    return `${describeSuccess(member)}${status === 200 ? "" : ` (${status})`}`
  }).join(" or ")
}

/** Whether the transport retries the endpoint after a timeout, a dropped connection or a 5xx. */
export const retriedOf = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any): string => {
  const { method } = props(endpoint)
  return !isIdempotent(props(endpoint)) ? "no" : method === "GET" || method === "HEAD" ? "yes (read)" : "yes (idempotent)"
}

/** The markdown table of a record of endpoints, one row per endpoint, in the record's order. */
export const methodsTable = (endpoints: Endpoints): string =>
  [
    "| Method | Endpoint | Answers | Declared statuses | Retried after a timeout, dropped connection or 5xx |",
    "|---|---|---|---|---|",
    ...Object.entries(endpoints).map(([name, endpoint]) =>
      `| \`${callOf(name, endpoint)}\` | \`${props(endpoint).method} ${props(endpoint).path.replace(/:(\w+)/g, "{$1}")}\` | ${
        successOf(endpoint)
      } | ${statusesOf(endpoint).join(", ")} | ${retriedOf(endpoint)} |`
    )
  ].join("\n")

/** The comments around a group's table. */
export const markersOf = (group: string): { readonly open: string; readonly close: string } => ({
  open: `<!-- methods:${group} -->`,
  close: `<!-- /methods:${group} -->`
})

const locate = (markdown: string, group: string) => {
  const { close, open } = markersOf(group)
  const start = markdown.indexOf(open)
  const end = markdown.indexOf(close)
  if (start === -1 || end === -1 || end < start) return undefined
  if (markdown.indexOf(open, start + 1) !== -1 || markdown.indexOf(close, end + 1) !== -1) return undefined
  return { from: start + open.length, to: end }
}

/** The table between a group's markers, or `undefined` when a marker is missing, repeated or out of order. */
export const readBlock = (markdown: string, group: string): string | undefined => {
  const found = locate(markdown, group)
  return found === undefined ? undefined : markdown.slice(found.from, found.to).trim()
}

/** The page with `table` between the group's markers. Throws when the markers are not there once each, in order. */
export const writeBlock = (markdown: string, group: string, table: string): string => {
  const found = locate(markdown, group)
  if (found === undefined) {
    const { close, open } = markersOf(group)
    throw new Error(`expected ${open} and then ${close}, once each`)
  }
  return `${markdown.slice(0, found.from)}\n${table}\n${markdown.slice(found.to)}`
}
