/**
 * Who a request's credentials authenticate. The `Authorization: Bearer …`
 * header is read here, once; the token it carries is an operator's API key
 * or an agent JWT signed with the agent's enrolled key.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as AgentKeys from "../agents/AgentKeys.js"
import { refuse, type StackFailure } from "../core/Failure.js"
import * as Operators from "../core/Operators.js"

/** Who a request's credentials authenticate: an operator, or one of its agents. */
export interface Caller {
  readonly operatorId: string
  /** Set when an agent signed the request with its enrolled key. */
  readonly agentId: string | null
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

/**
 * The token of an `Authorization: Bearer <token>` header; `UNAUTHORIZED`
 * when the header is missing or carries no bearer token.
 */
export const bearerToken = (authorization: string | undefined): Effect.Effect<string, StackFailure> => {
  const token = tokenOf(authorization)
  return token === undefined ? missingCredentials() : Effect.succeed(token)
}

const tokenOf = (authorization: string | undefined): string | undefined =>
  authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]

const missingCredentials = () => refuse("UNAUTHORIZED", "missing credentials: send Authorization: Bearer <API key>")

/** Whether a token is an agent JWT (three dot-separated parts), not an API key. */
const isAgentJwt = (token: string): boolean => !token.startsWith("sk_") && token.split(".").length === 3

/**
 * The caller a request's `Authorization` header authenticates: an API key
 * authenticates its operator; a JWT authenticates the agent whose enrolled
 * key signed it (acting for the agent's operator). Refusals: `UNAUTHORIZED`
 * without a token or for an agent JWT that does not verify,
 * `INVALID_API_KEY` for anything else unknown.
 */
export const authenticate = (
  authorization: string | undefined
): Effect.Effect<Caller, StackFailure | SqlError.SqlError, SqlClient.SqlClient> => {
  const token = tokenOf(authorization)
  if (token === undefined) return missingCredentials()
  return isAgentJwt(token)
    ? AgentKeys.authenticate(token)
    : Effect.map(Operators.authenticate(token), (operator): Caller => ({ operatorId: operator.id, agentId: null }))
}
