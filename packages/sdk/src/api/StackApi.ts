/**
 * The whole wire contract: every group STACK serves, as one `HttpApi`.
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import { AgentsGroup } from "./Agents.js"
import { MissionsGroup } from "./Missions.js"
import { PassportsGroup, PublicPassportsGroup } from "./Passports.js"

/**
 * @since 0.1.0
 * @category api
 */
export class StackApi extends HttpApi.make("stack")
  .add(AgentsGroup)
  .add(PassportsGroup)
  .add(PublicPassportsGroup)
  .add(MissionsGroup)
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
