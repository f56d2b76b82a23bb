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

/**
 * The OpenAPI document derived from the contract.
 *
 * @since 0.1.0
 * @category api
 */
export const openApiDocument = (): OpenApi.OpenAPISpec => OpenApi.fromApi(StackApi)
