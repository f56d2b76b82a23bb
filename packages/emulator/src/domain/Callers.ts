import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as AgentKeys from "./AgentKeys.js"
import { refuse, type StackFailure } from "./Failure.js"
import * as Operators from "./Operators.js"

/** Who a request's credentials authenticate: an operator, or one of its agents. */
export interface Caller {
  readonly operatorId: string
  /** Set when an agent signed the request with its enrolled key. */
  readonly agentId: string | null
}

/**
 * The caller a bearer token authenticates: an API key authenticates its
 * operator; a JWT authenticates the agent whose enrolled key signed it (acting
 * for the agent's operator). Refusals: `UNAUTHORIZED` without a token or for
 * an agent JWT that does not verify, `INVALID_API_KEY` for anything else
 * unknown.
 */
export const authenticate = (
  authorization: string | undefined
): Effect.Effect<Caller, StackFailure | SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match === null) {
      return yield* refuse("UNAUTHORIZED", "missing credentials: send Authorization: Bearer <API key>")
    }
    const token = match[1]!
    // three dot-separated parts: a JWT (verified or refused as an agent's), not an API key
    if (!token.startsWith("sk_") && token.split(".").length === 3) return yield* AgentKeys.authenticate(token)
    const operator = yield* Operators.authenticate(authorization)
    return { operatorId: operator.id, agentId: null }
  })
