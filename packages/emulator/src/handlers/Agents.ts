import { AgentsEndpoints } from "@getstack/effect/api/Agents"
import * as AgentKeys from "../domain/AgentKeys.js"
import * as Agents from "../domain/Agents.js"
import { serve } from "../http/Router.js"

/** The agents group, served. */
export const routes = [
  serve(AgentsEndpoints.register, ({ actor, payload }) => Agents.register(actor, payload)),
  serve(AgentsEndpoints.list, ({ actor, urlParams }) => Agents.list(actor, urlParams)),
  serve(AgentsEndpoints.get, ({ actor, path }) => Agents.get(actor, path.id)),
  serve(AgentsEndpoints.update, ({ actor, path, payload }) => Agents.update(actor, path.id, payload)),
  serve(AgentsEndpoints.delete, ({ actor, path }) => Agents.remove(actor, path.id)),
  serve(AgentsEndpoints.unblock, ({ actor, path }) => Agents.unblock(actor, path.id)),
  serve(AgentsEndpoints.enrollmentChallenge, ({ actor, path }) => AgentKeys.enrollmentChallenge(actor, path.id)),
  serve(AgentsEndpoints.enroll, ({ actor, path, payload }) => AgentKeys.enroll(actor, path.id, payload))
] as const
