/**
 * The reviews endpoints, served: one handler per endpoint of
 * `ReviewsEndpoints`, under its name.
 */
import { ReviewsEndpoints } from "@getstack/effect/api/Reviews"
import { serveGroup } from "../http/Router.js"
import * as Reviews from "./Reviews.js"

/** The routes of the reviews group. */
export const routes = serveGroup(ReviewsEndpoints, {
  list: ({ actor, urlParams }) => Reviews.list(actor, urlParams),
  decide: ({ actor, payload }) => Reviews.decide(actor, payload)
})
