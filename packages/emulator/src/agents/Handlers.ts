/**
 * The agents endpoints, served: one handler per endpoint of `AgentsEndpoints`,
 * under its name.
 */
import { AgentsEndpoints } from "@getstack/effect/api/Agents"
import { serveGroup } from "../http/Router.js"
import * as AgentKeys from "./AgentKeys.js"
import * as Agents from "./Agents.js"

/** The routes of the agents group. */
export const routes = serveGroup(AgentsEndpoints, {
  register: ({ actor, payload }) => Agents.register(actor, payload),
  list: ({ actor, urlParams }) => Agents.list(actor, urlParams),
  get: ({ actor, path }) => Agents.get(actor, path.id),
  update: ({ actor, path, payload }) => Agents.update(actor, path.id, payload),
  delete: ({ actor, path }) => Agents.remove(actor, path.id),
  unblock: ({ actor, path, payload }) => Agents.unblock(actor, path.id, payload),
  enrollmentChallenge: ({ actor, path }) => AgentKeys.enrollmentChallenge(actor, path.id),
  enroll: ({ actor, path, payload }) => AgentKeys.enroll(actor, path.id, payload)
})
