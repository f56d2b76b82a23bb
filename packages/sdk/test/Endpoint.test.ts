/**
 * The contract's endpoints are built without the platform's `HttpApiEndpoint`
 * module at run time (it pulls in the platform's server code). They must stay
 * `HttpApiEndpoint`s in every respect the platform reads: these tests build
 * the same endpoint both ways and compare them, so an upgrade of
 * `@effect/platform` that changes the endpoint's shape fails here.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import * as HttpApi from "@effect/platform/HttpApi"
import { describe, expect, it } from "@effect/vitest"
import { Api } from "@getstack/effect"
import * as Endpoint from "@getstack/effect/api/Endpoint"
import * as EndpointProto from "@getstack/effect/internal/endpoint"
import * as Context from "effect/Context"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as esbuild from "esbuild"
import { fileURLToPath } from "node:url"

class Mark extends Context.Tag("test/Mark")<Mark, string>() {}
const Body = Schema.Struct({ name: Schema.String })
const Answer = Schema.Struct({ id: Schema.String })
class Gone extends Schema.TaggedError<Gone>()("Gone", { message: Schema.String }, HttpApiSchema.annotations({ status: 410 })) {}

/** Every step of the builder, applied to an endpoint of either origin. */
const built = (endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps) =>
  endpoint
    .setPath(Schema.Struct({ id: Schema.String }))
    .setUrlParams(Schema.Struct({ limit: Schema.NumberFromString }))
    .setPayload(Body)
    .setHeaders(Schema.Struct({ "x-trace": Schema.String }))
    .addSuccess(Answer)
    .addSuccess(Schema.Struct({ queued: Schema.Boolean }), { status: 202 })
    .addError(Gone)
    .addError(Schema.Struct({ code: Schema.String }), { status: 409 })
    .annotate(Mark, "marked")
    .annotateContext(Context.make(Mark, "merged"))
    .middleware(Api.Authorization)
    .prefix("/v2/")

/** What the platform reads of an endpoint, schemas as their AST's JSON. */
const shape = (endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps) => ({
  keys: Reflect.ownKeys(endpoint).map(String).sort(),
  isEndpoint: HttpApiEndpoint.isHttpApiEndpoint(endpoint),
  name: endpoint.name,
  path: endpoint.path,
  method: endpoint.method,
  pathSchema: Option.map(endpoint.pathSchema, (schema) => schema.ast.toJSON()),
  urlParamsSchema: Option.map(endpoint.urlParamsSchema, (schema) => schema.ast.toJSON()),
  payloadSchema: Option.map(endpoint.payloadSchema, (schema) => schema.ast.toJSON()),
  headersSchema: Option.map(endpoint.headersSchema, (schema) => schema.ast.toJSON()),
  successSchema: endpoint.successSchema.ast.toJSON(),
  errorSchema: endpoint.errorSchema.ast.toJSON(),
  annotations: [...endpoint.annotations.unsafeMap.entries()],
  middlewares: [...endpoint.middlewares]
})

const platform = (method: "GET" | "POST", name: string, path: HttpApiEndpoint.PathSegment) =>
  HttpApiEndpoint.make(method)(name, path) as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
const ours = (method: "GET" | "POST", name: string, path: HttpApiEndpoint.PathSegment) =>
  EndpointProto.make(method, name, path) as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps

describe("endpoints built without the platform's HttpApiEndpoint module", () => {
  it("have the platform's prototype: the same keys, each a function", () => {
    const theirs = Object.getPrototypeOf(platform("GET", "a", "/a"))
    const mine = Object.getPrototypeOf(ours("GET", "a", "/a"))
    const methods = Reflect.ownKeys(theirs).map(String).sort()
    expect(methods).toContain("setPayload")
    expect(Reflect.ownKeys(mine).map(String).sort()).toEqual(methods)
    for (const key of Reflect.ownKeys(theirs)) {
      expect(typeof mine[key]).toBe(typeof theirs[key])
    }
  })

  it("start as the platform's, with no schema but none", () => {
    const theirs = shape(platform("POST", "register", "/v1/agents/register"))
    expect(theirs.keys).toContain("payloadSchema")
    expect(shape(ours("POST", "register", "/v1/agents/register"))).toEqual(theirs)
  })

  it("come out of every builder step as the platform's do", () => {
    const theirs = shape(built(platform("POST", "update", "/agents/:id")))
    expect(theirs.path).toBe("/v2/agents/:id")
    expect(theirs.annotations).toHaveLength(1)
    expect(theirs.middlewares).toHaveLength(1)
    expect(shape(built(ours("POST", "update", "/agents/:id")))).toEqual(theirs)
  })

  it("prefix a root path as the platform does", () => {
    expect(ours("GET", "root", "/").prefix("/v1/").path).toBe(platform("GET", "root", "/").prefix("/v1/").path)
    expect(ours("GET", "root", "/").prefix("/v1/").path).toBe("/v1")
  })

  it("go into a group and an OpenAPI document like the platform's", () => {
    const document = (endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps) =>
      OpenApi.fromApi(HttpApi.make("api").add(HttpApiGroup.make("group").add(built(endpoint) as never)))
    const theirs = document(platform("POST", "update", "/agents/:id"))
    expect(Object.keys(theirs.paths)).toEqual(["/v2/agents/{id}"])
    expect(document(ours("POST", "update", "/agents/:id"))).toEqual(theirs)
  })

  it("are what the contract's builders make", () => {
    const endpoint = Endpoint.get("get", "/v1/agents/:id") as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
    expect(HttpApiEndpoint.isHttpApiEndpoint(endpoint)).toBe(true)
    expect(Object.getPrototypeOf(endpoint)).toBe(Object.getPrototypeOf(ours("GET", "a", "/a")))
  })
})

describe("a program that uses the SDK", () => {
  it("bundles none of the platform's server code", async () => {
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL("../bench/bundle/sdk-agents.ts", import.meta.url))],
      bundle: true,
      format: "esm",
      platform: "node",
      conditions: ["@getstack/source"],
      write: false,
      metafile: true,
      logLevel: "error"
    })
    const inputs = Object.keys(Object.values(result.metafile.outputs)[0]!.inputs)
    expect(inputs.some((path) => path.endsWith("sdk/src/Agents.ts"))).toBe(true)
    expect(inputs.some((path) => path.includes("@effect/platform/"))).toBe(true)
    const server = inputs.filter((path) =>
      /HttpRouter|HttpServer|Multipart|multipasta|find-my-way|HttpApiEndpoint|HttpApiGroup|HttpApiMiddleware|HttpApi\.js/.test(path)
    )
    expect(server).toEqual([])
  })
})
