/**
 * Finding and running the route of a request, as `HttpRouter.toHttpApp`
 * does (the same `find-my-way-ts` router, configured from
 * `HttpRouter.currentRouterConfig`, the same route context and search
 * params, a `HEAD` answered by the `GET` route, each route interruptible
 * unless it says otherwise), in fewer fiber steps: the request's context is
 * set once, with whatever the app adds to it, instead of being copied and
 * then provided with `Effect.locally` around the route. Every request is
 * served by a fiber of its own, so nothing needs the context back.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Respondable from "@effect/platform/HttpServerRespondable"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Tracer from "effect/Tracer"
import * as FindMyWay from "find-my-way-ts"

/** A request's route, found: the route, the request as it sees it, and what the route context carries. */
export interface Found<E, R> {
  readonly route: HttpRouter.Route<E, R>
  readonly request: HttpServerRequest.HttpServerRequest
  readonly params: Readonly<Record<string, string | undefined>>
  readonly searchParams: Readonly<Record<string, string | ReadonlyArray<string>>>
}

/**
 * The route finder of a router (without mounts): the route of a request,
 * or `undefined` when no route has its method and path.
 */
export const finder = <E, R>(
  router: HttpRouter.HttpRouter<E, R>
): Effect.Effect<(request: HttpServerRequest.HttpServerRequest) => Found<E, R> | undefined> =>
  Effect.map(FiberRef.get(HttpRouter.currentRouterConfig), (config) => {
    if (Chunk.isNonEmpty(router.mounts)) throw new Error("Routes.finder: mounted apps are not supported")
    const routes = FindMyWay.make<HttpRouter.Route<E, R>>(config)
    Chunk.forEach(router.routes, (route) => {
      if (route.method === "*") routes.all(route.path, route)
      else routes.on(route.method, route.path, route)
    })
    return (request) => {
      const result = routes.find(request.method, request.url) ??
        (request.method === "HEAD" ? routes.find("GET", request.url) : undefined)
      if (result === undefined) return undefined
      const route = result.handler
      return {
        route,
        request: route.prefix._tag === "Some" ? sliceUrl(request, route.prefix.value) : request,
        params: result.params,
        searchParams: result.searchParams
      }
    }
  })

const sliceUrl = (request: HttpServerRequest.HttpServerRequest, prefix: string) =>
  request.modify({ url: request.url.length <= prefix.length ? "/" : request.url.slice(prefix.length) })

/**
 * Runs a found route with the fiber's context `context`, plus `services`
 * (what the app adds for every route), the route context and the search
 * params, as the fiber's context from now on: its response.
 */
export const run = <E, R, I>(
  found: Found<E, R>,
  context: Context.Context<never>,
  services: Context.Context<I>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, Exclude<R, I>> => {
  const { route } = found
  const routeContext: HttpRouter.RouteContext = {
    [HttpRouter.RouteContextTypeId]: HttpRouter.RouteContextTypeId,
    route: route as HttpRouter.Route<unknown, unknown>,
    params: found.params
  }
  const map = new Map(context.unsafeMap)
  for (const [key, service] of services.unsafeMap) map.set(key, service)
  map.set(HttpRouter.RouteContext.key, routeContext)
  map.set(HttpServerRequest.ParsedSearchParams.key, found.searchParams)
  map.set(HttpServerRequest.HttpServerRequest.key, found.request)
  const full = Context.unsafeMake<never>(map)
  const span = Context.getOption(full, Tracer.ParentSpan)
  if (span._tag === "Some" && span.value._tag === "Span") span.value.attribute("http.route", route.path)
  const response = Effect.flatMap(route.handler, Respondable.toResponse)
  return Effect.zipRight(
    FiberRef.set(FiberRef.currentContext, full),
    route.uninterruptible ? response : Effect.interruptible(response)
  ) as Effect.Effect<HttpServerResponse.HttpServerResponse, E, Exclude<R, I>>
}
