/**
 * Building blocks shared by every group of the wire contract.
 *
 * Conventions of the contract (every group follows them):
 * - Each service is one `<Service>Endpoints` record built with `Endpoint`
 *   (`api/Endpoint.ts`); the endpoint's name is the SDK method's name and
 *   the emulator handler's key.
 * - Signature rule of every SDK method derived from an endpoint: the path
 *   parameters positionally, in the order of the path, then ONE object with
 *   the query and body fields exactly as on the wire (snake_case), optional
 *   when all of its fields are. Per-call options are not parameters: they are
 *   set with `StackClient.withCallOptions` on the returned effect.
 * - Requests: the SDK encodes path, query and body through the endpoint's
 *   schemas (a `DateTimeUtc` becomes its ISO string, a `Redacted` token its
 *   text) but does not apply their rules (lengths, ranges, patterns): STACK
 *   judges those, and the emulator enforces them with the same schemas.
 * - Responses: fields STACK documents are required; fields the contract
 *   invented (envelopes, paths and fields STACK's docs are silent on) are
 *   optional, so an answer that lacks or renames one still decodes; unknown
 *   fields are ignored.
 * - Errors: every endpoint declares its statuses with one preset of
 *   `Endpoint` (`read`, `list`, `create`, `write`, plus `controls` for 402);
 *   every authenticated endpoint declares 401, 403, 429 and 5xx.
 * - Retries: reads, and writes marked `Endpoint.idempotent`, are retried
 *   after an ambiguous failure; other writes only when they provably did not
 *   run.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"

/**
 * Timestamps of REST resources: ISO-8601 UTC on the wire.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Timestamp = Schema.DateTimeUtc

/**
 * A page number for page/limit pagination, 1-indexed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Page = Schema.NumberFromString.pipe(
  Schema.int(),
  Schema.greaterThanOrEqualTo(1, { message: () => "must be an integer of at least 1" })
)

/**
 * A page size between 1 and `max`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Limit = (max: number) =>
  Schema.NumberFromString.pipe(
    Schema.int(),
    Schema.between(1, max, { message: () => `must be an integer between 1 and ${max}` })
  )

/**
 * An opaque position in a listing: a page's `next_cursor`, sent back as the
 * list's `cursor` to read the page after it by keyset, whatever was added
 * meanwhile. STACK documents no cursor (its lists page by number); the
 * emulator answers one, and refuses a cursor it did not give for the same
 * list.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Cursor = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(512, { message: () => "must be at most 512 characters" })
)

/**
 * The query fields of a listing read by page number (`page`) or by cursor
 * (`cursor`, a page's `next_cursor`), `limit` items a page, at most `max`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PageQueryFields = (max: number) => ({
  page: Schema.optional(Page),
  ...CursorQueryFields(max)
})

/**
 * The query fields of a listing read by cursor only (`cursor`, a page's
 * `next_cursor`), `limit` items a page, at most `max`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CursorQueryFields = (max: number) => ({
  cursor: Schema.optional(Cursor),
  limit: Schema.optional(Limit(max))
})

/**
 * The fields every page of a listing carries besides its items, all
 * invented by the contract (STACK documents only the items), so all optional:
 * the page number and size, the total (the emulator counts it only for a
 * page asked by number), whether more follow, and the cursor of the next page
 * (`null` on the last).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PageFields = {
  page: Schema.optional(Schema.Number),
  limit: Schema.optional(Schema.Number),
  total: Schema.optional(Schema.Number),
  has_more: Schema.optional(Schema.Boolean),
  next_cursor: Schema.optional(Schema.NullOr(Schema.String))
}

/**
 * A whole number of seconds between `min` and `max`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Seconds = (min: number, max: number) =>
  Schema.Number.pipe(
    Schema.int({ message: () => "must be a whole number of seconds" }),
    Schema.between(min, max, { message: () => `must be between ${min} and ${max} seconds` })
  )

/**
 * A string that is not empty.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonEmpty = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))

/**
 * A string of at most `max` characters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BoundedString = (max: number) =>
  Schema.String.pipe(Schema.maxLength(max, { message: () => `must be at most ${max} characters` }))

/**
 * Marks an endpoint that needs no credentials (passport verification, the
 * JWKS): the SDK sends it none, and the emulator asks for none.
 *
 * @since 0.1.0
 * @category security
 */
export class Public extends Context.Tag("@getstack/effect/Public")<Public, true>() {}

/**
 * Whether an endpoint needs no credentials.
 *
 * @since 0.1.0
 * @category security
 */
export const isPublic = (endpoint: { readonly annotations: Context.Context<never> }): boolean =>
  Context.getOption(endpoint.annotations, Public)._tag === "Some"
