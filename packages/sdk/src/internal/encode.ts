import type * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/**
 * The same schema without its refinements: transformations still run (a
 * `DateTimeUtc` becomes its ISO string, a `Redacted` token its text), but the
 * rules (lengths, ranges, patterns) are left to the server to judge, so a rule
 * the contract guessed wrong never stops a request the hosted STACK accepts.
 */
const withoutRefinements = (ast: AST.AST): AST.AST => {
  switch (ast._tag) {
    case "Refinement":
      return withoutRefinements(ast.from)
    case "Transformation":
      return new AST.Transformation(withoutRefinements(ast.from), withoutRefinements(ast.to), ast.transformation, ast.annotations)
    case "TypeLiteral":
      return new AST.TypeLiteral(
        ast.propertySignatures.map((property) =>
          new AST.PropertySignature(
            property.name,
            withoutRefinements(property.type),
            property.isOptional,
            property.isReadonly,
            property.annotations
          )
        ),
        ast.indexSignatures.map((index) => new AST.IndexSignature(index.parameter, withoutRefinements(index.type), index.isReadonly)),
        ast.annotations
      )
    case "Union":
      return AST.Union.make(ast.types.map(withoutRefinements), ast.annotations)
    case "TupleType":
      return new AST.TupleType(
        ast.elements.map((element) => new AST.OptionalType(withoutRefinements(element.type), element.isOptional, element.annotations)),
        ast.rest.map((rest) => new AST.Type(withoutRefinements(rest.type), rest.annotations)),
        ast.isReadonly,
        ast.annotations
      )
    case "Suspend":
      return new AST.Suspend(() => withoutRefinements(ast.f()), ast.annotations)
    default:
      return ast
  }
}

interface Encoders {
  /** Stops at the first mismatch: the path of every request. */
  readonly first: (input: unknown) => Either.Either<unknown, ParseResult.ParseError>
  /** Reports every mismatch: run again only when `first` failed. */
  readonly all: (input: unknown) => Either.Either<unknown, ParseResult.ParseError>
}

const encoders = new WeakMap<AST.AST, Encoders>()

/**
 * Encodes a request part (path, query or body) through its schema, without
 * the schema's refinements. A failure lists every mismatch.
 */
export const encodeRequestPart = (schema: Schema.Schema.Any, input: unknown): Either.Either<unknown, ParseResult.ParseError> => {
  let encode = encoders.get(schema.ast)
  if (encode === undefined) {
    const lenient = Schema.make(withoutRefinements(schema.ast))
    encode = { first: Schema.encodeUnknownEither(lenient), all: Schema.encodeUnknownEither(lenient, { errors: "all" }) }
    encoders.set(schema.ast, encode)
  }
  const encoded = encode.first(input)
  return encoded._tag === "Right" ? encoded : encode.all(input)
}
