/**
 * The drop-offs service: see `api/Dropoffs.ts`.
 *
 * Every endpoint of `DropoffsEndpoints` is a method of the same name;
 * `listAll` streams every page, and `typed` gives a drop-off whose payload is
 * described by an Effect `Schema`: the JSON Schema STACK checks deposits
 * against is derived from it, deposits are encoded by it and collected
 * payloads decoded by it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import * as Api from "./api/Dropoffs.js"
import { streamOf } from "./internal/pagination.js"
import { type ErrorsOf, methods, type Methods, StackClient } from "./StackClient.js"

type E = typeof Api.DropoffsEndpoints

/**
 * A payload that its typed drop-off's `Schema` could not encode (on
 * `deposit`, nothing was sent) or decode (on `collect`: the drop-off is
 * collected all the same, and its payload is gone from STACK). The message
 * names the mismatch, never the payload.
 *
 * @since 0.1.0
 * @category errors
 */
export class DropoffPayloadError extends Schema.TaggedError<DropoffPayloadError>()("DropoffPayloadError", {
  message: Schema.String,
  dropoffId: Schema.String,
  direction: Schema.Literal("encode", "decode")
}) {}

/**
 * What `typed(schema).create` takes: `create`'s fields but the schema, which
 * is derived.
 *
 * @since 0.1.0
 * @category models
 */
export type TypedCreateRequest = Omit<Api.CreateDropoffRequest, "schema">

/**
 * What a typed `collect` answers: the collected drop-off and its payload,
 * decoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface TypedCollected<A> {
  readonly dropoff: Api.CollectedDropoff
  readonly payload: A
}

/**
 * Drop-offs whose payload is described by a `Schema<A, I>` (`I` being what
 * the wire carries).
 *
 * @since 0.1.0
 * @category models
 */
export interface TypedDropoffs<A, I = A> {
  /** The schema the payload is described by. */
  readonly schema: Schema.Schema<A, I>
  /** The JSON Schema `create` sends: `JSONSchema.make` of the schema (it describes the encoded side). */
  readonly jsonSchema: JSONSchema.JsonSchema7Root
  /** Creates a drop-off whose deposits STACK checks against `jsonSchema`. */
  readonly create: (request: TypedCreateRequest) => Effect.Effect<Api.Dropoff, ErrorsOf<E["create"]>>
  /** Deposits a payload, encoded by the schema first. */
  readonly deposit: (
    id: string,
    payload: A,
    passport?: Omit<Api.DepositRequest, "payload">
  ) => Effect.Effect<Api.Dropoff, ErrorsOf<E["deposit"]> | DropoffPayloadError>
  /** Collects the payload and decodes it by the schema. */
  readonly collect: (
    id: string
  ) => Effect.Effect<TypedCollected<A>, ErrorsOf<E["collect"]> | DropoffPayloadError>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods<E> {
  /**
   * Every drop-off (optionally of one status), newest first, page by page as
   * the stream is read: by `next_cursor` when the pages give one, else by number.
   */
  readonly listAll: (
    options?: { readonly status?: Api.DropoffStatus | undefined; readonly pageSize?: number | undefined }
  ) => Stream.Stream<Api.Dropoff, ErrorsOf<E["list"]>>
  /** Drop-offs whose payload is described by `schema` (it must need no services). */
  readonly typed: <A, I>(schema: Schema.Schema<A, I>) => TypedDropoffs<A, I>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Dropoffs extends Context.Tag("@getstack/effect/Dropoffs")<Dropoffs, Service>() {}

const issuesOf = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .slice(0, 10)
    .map((issue) => `${issue.path.length === 0 ? "payload" : issue.path.join(".")}: ${issue.message}`)
    .join("; ")

const typedOf = (calls: Methods<E>) => <A, I>(schema: Schema.Schema<A, I>): TypedDropoffs<A, I> => {
  const jsonSchema = JSONSchema.make(schema)
  const encode = Schema.encode(schema)
  const decode = Schema.decodeUnknown(schema)
  return {
    schema,
    jsonSchema,
    create: (request) => calls.create({ ...request, schema: jsonSchema as unknown as Api.CreateDropoffRequest["schema"] }),
    deposit: (id, payload, passport = {}) =>
      encode(payload).pipe(
        Effect.mapError((error) =>
          new DropoffPayloadError({ message: `the payload does not encode: ${issuesOf(error)}`, dropoffId: id, direction: "encode" })
        ),
        Effect.flatMap((encoded) => calls.deposit(id, { ...passport, payload: encoded }))
      ),
    collect: (id) =>
      Effect.flatMap(calls.collect(id), (dropoff) =>
        decode(dropoff.payload).pipe(
          Effect.mapError((error) =>
            new DropoffPayloadError({ message: `the payload does not decode: ${issuesOf(error)}`, dropoffId: id, direction: "decode" })
          ),
          Effect.map((payload): TypedCollected<A> => ({ dropoff, payload }))
        ))
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, StackClient> = Effect.map(StackClient, (client) => {
  const calls = methods(client, Api.DropoffsEndpoints)
  return {
    ...calls,
    listAll: (options = {}) => {
      const limit = options.pageSize ?? Api.DropoffPageSize.max
      return streamOf((at) => calls.list({ ...at, limit, status: options.status }), (page) => page.dropoffs, limit)
    },
    typed: typedOf(calls)
  }
})

/**
 * Drop-offs whose payload is described by `schema`, from the `Dropoffs`
 * service in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const typed = <A, I>(schema: Schema.Schema<A, I>): Effect.Effect<TypedDropoffs<A, I>, never, Dropoffs> =>
  Effect.map(Dropoffs, (service) => service.typed(schema))

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Dropoffs, never, StackClient> = Layer.effect(Dropoffs, make)
