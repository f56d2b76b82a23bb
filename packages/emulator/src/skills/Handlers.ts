/**
 * The skills endpoints, served: one handler per endpoint of
 * `SkillsEndpoints`, under its name.
 */
import { SkillsEndpoints } from "@getstack/effect/api/Skills"
import { serveGroup } from "../http/Router.js"
import * as Skills from "./Skills.js"

/** The routes of the skills group. */
export const routes = serveGroup(SkillsEndpoints, {
  publish: ({ actor, payload }) => Skills.publish(actor, payload),
  browse: ({ actor, urlParams }) => Skills.browse(actor, urlParams),
  listOwned: ({ actor, urlParams }) => Skills.listOwned(actor, urlParams),
  get: ({ actor, path }) => Skills.get(actor, path.id),
  update: ({ actor, path, payload }) => Skills.update(actor, path.id, payload),
  suspend: ({ actor, path }) => Skills.suspend(actor, path.id),
  activate: ({ actor, path }) => Skills.activate(actor, path.id),
  invoke: ({ actor, path, payload }) => Skills.invoke(actor, path.id, payload),
  listPending: ({ actor, urlParams }) => Skills.listPending(actor, urlParams),
  claim: ({ actor, path }) => Skills.claim(actor, path.id),
  complete: ({ actor, path, payload }) => Skills.complete(actor, path.id, payload.output),
  fail: ({ actor, path, payload }) => Skills.fail(actor, path.id, payload.error),
  getInvocation: ({ actor, path }) => Skills.getInvocation(actor, path.id),
  listInvocations: ({ actor, urlParams }) => Skills.listInvocations(actor, urlParams),
  postRequest: ({ actor, payload }) => Skills.postRequest(actor, payload),
  suggestComposition: ({ actor, path }) => Skills.suggestComposition(actor, path.id)
})
