/**
 * The notifications endpoints, served: one handler per endpoint of
 * `NotificationsEndpoints`, under its name.
 */
import { NotificationsEndpoints } from "@getstack/effect/api/Notifications"
import { serveGroup } from "../http/Router.js"
import * as Notifications from "./Notifications.js"

/** The routes of the notifications group. */
export const routes = serveGroup(NotificationsEndpoints, {
  addDestination: ({ actor, payload }) => Notifications.addDestination(actor, payload),
  verifyDestination: ({ actor, path, payload }) => Notifications.verifyDestination(actor, path.id, payload.code),
  resendVerification: ({ actor, path }) => Notifications.resendVerification(actor, path.id),
  listDestinations: ({ actor }) => Notifications.listDestinations(actor),
  removeDestination: ({ actor, path }) => Notifications.removeDestination(actor, path.id),
  createRule: ({ actor, payload }) => Notifications.createRule(actor, payload),
  listRules: ({ actor }) => Notifications.listRules(actor),
  deleteRule: ({ actor, path }) => Notifications.deleteRule(actor, path.id),
  listDeliveries: ({ actor, urlParams }) => Notifications.listDeliveries(actor, urlParams)
})
