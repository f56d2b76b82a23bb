/**
 * Notifications: an operator's destinations (verified with a 6-digit code
 * before anything else reaches them), its rules (which events, from which
 * severity, go to which destinations) and the record of each delivery.
 * Operator only; every change is audited.
 *
 * A webhook destination gets a secret (`whsec_…`, made by the SDK's
 * `Webhooks.generateSecret`), shown once in the answer that creates it and
 * kept to sign its deliveries; every later read shows a masked hint. The
 * verification code goes to the destination as a signed
 * `destination.verification` event (`{ destination_id, code }`), the same
 * way as every event; an email's or SMS's goes to the outbox. The code lives
 * 10 minutes, and 5 wrong guesses burn it: `resendVerification` makes a new
 * one.
 */
import {
  type AddDestinationRequest,
  type CreateRuleRequest,
  DEFAULT_MIN_SEVERITY,
  DeletedRule,
  DeliveryPage,
  DestinationList,
  type ListDeliveriesQuery,
  RemovedDestination,
  RuleList,
  VerificationCode,
  VerificationSent
} from "@getstack/effect/api/Notifications"
import * as Webhooks from "@getstack/effect/Webhooks"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { randomInt, timingSafeEqual } from "node:crypto"
import { type Actor, audited, refusalsAudited, transact } from "../core/Audit.js"
import * as Events from "../core/Events.js"
import * as Governance from "../core/Governance.js"
import { notFound, refuse } from "../core/Failure.js"
import { sha256Hex } from "../core/Hash.js"
import { newId } from "../core/Ids.js"
import * as Policy from "../core/Policy.js"
import * as Delivery from "./Delivery.js"
import * as Store from "./Store.js"

const CODE_TTL_MS = VerificationCode.ttlSeconds * 1000

/** A new verification code: 6 digits from the system's CSPRNG. */
const newCode = (): string => String(randomInt(0, 10 ** VerificationCode.digits)).padStart(VerificationCode.digits, "0")

/** How a code is kept: bound to its destination, so that equal codes of two destinations differ. */
export const codeHash = (destinationId: string, code: string): string => sha256Hex(`${destinationId}:${code}`)

const sameHash = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/** The masked form of a secret every read shows: its prefix and last 4 characters. */
const hintOf = (secret: string): string => `whsec_…${secret.slice(-4)}`

const operatorOnly = (actor: Actor) => Policy.operatorOnly(actor, "manage notifications")

/** One of the caller's destinations, or `NOT_FOUND`. */
const destinationOf = (actor: Actor, id: string) =>
  Effect.flatMap(
    Store.destinationOf(actor.operatorId, id),
    (row) => row === undefined ? notFound("destination", id) : Effect.succeed(row)
  )

/** Makes a new code for a destination, keeps its hash and sends it (see the module's doc). */
const sendCode = (destination: Store.DestinationRow) =>
  Effect.gen(function*() {
    const code = newCode()
    const now = yield* Clock.currentTimeMillis
    yield* Store.setCode(destination.id, codeHash(destination.id, code), now + CODE_TTL_MS)
    const event = yield* Events.record({
      operatorId: destination.operator_id,
      type: "destination.verification",
      severity: "info",
      data: { destination_id: destination.id, code }
    })
    yield* Delivery.enqueue(event, destination)
    if (destination.channel_type === "webhook") yield* Delivery.wake
  })

/**
 * Adds a destination, unverified, and sends it its verification code. A
 * webhook's answer carries its secret, this once.
 */
export const addDestination = (actor: Actor, request: AddDestinationRequest) => {
  const { governance_approval_id, ...payload } = request
  return Effect.flatMap(
    refusalsAudited(
      actor,
      addSpec,
      // held for a human's approval (before the transaction: the approval outlives the refusal)
      Effect.zipRight(operatorOnly(actor), Governance.check(actor, "notifications.addDestination", payload, governance_approval_id))
    ),
    (approval) => addApproved(actor, request, approval)
  )
}

const addSpec = { action: "notification.destination_add", agentId: () => null }

const addApproved = (actor: Actor, request: AddDestinationRequest, approval: string | undefined) =>
  audited(actor, addSpec, Effect.gen(function*() {
    yield* Governance.consume(approval)
    const now = yield* Clock.currentTimeMillis
    const secret = request.channel_type === "webhook" ? yield* Webhooks.generateSecret() : null
    const row: Store.DestinationRow = {
      id: newId("ndst"),
      operator_id: actor.operatorId,
      channel_type: request.channel_type,
      destination: request.destination,
      verified: 0,
      verified_at: null,
      webhook_secret: secret === null ? null : Redacted.value(secret),
      webhook_secret_hint: secret === null ? null : hintOf(Redacted.value(secret)),
      code_hash: null,
      code_expires_at: null,
      code_attempts: 0,
      created_at: now
    }
    yield* Store.insertDestination(row)
    yield* sendCode(row)
    return Store.toDestination(row, secret)
  }))

/** What a code given to `verifyDestination` came to. */
type Verdict =
  | { readonly _tag: "Verified" }
  | { readonly _tag: "Matches"; readonly hash: string }
  | { readonly _tag: "Wrong"; readonly left: number }
  | { readonly _tag: "Burnt" }
  | { readonly _tag: "Expired" }
  | { readonly _tag: "Unknown" }

/**
 * Judges a code, and counts it when it is wrong: in a transaction of its own,
 * so that the count stays when the verification is refused (and rolled back).
 */
const judge = (actor: Actor, id: string, code: string) =>
  transact(Effect.gen(function*() {
    const row = Policy.isAgent(actor) ? undefined : yield* Store.destinationOf(actor.operatorId, id)
    const verdict = (judged: Verdict) => judged
    if (row === undefined) return verdict({ _tag: "Unknown" })
    if (row.verified === 1) return verdict({ _tag: "Verified" })
    if (row.code_hash === null || row.code_attempts >= VerificationCode.maxAttempts) return verdict({ _tag: "Burnt" })
    if ((yield* Clock.currentTimeMillis) >= (row.code_expires_at ?? 0)) return verdict({ _tag: "Expired" })
    if (sameHash(codeHash(id, code), row.code_hash)) return verdict({ _tag: "Matches", hash: row.code_hash })
    const wrong = yield* Store.countWrongCode(id)
    return verdict({ _tag: "Wrong", left: VerificationCode.maxAttempts - wrong })
  }))

const badCode = (message: string, reason: string) => refuse("INVALID_REQUEST", message, { fields: { code: reason } })

const RESEND = "call resendVerification for a new code"

/**
 * Verifies a destination with the code it was sent. Verifying a verified
 * destination again answers it as it is (the endpoint is idempotent).
 */
export const verifyDestination = (actor: Actor, id: string, code: string) =>
  Effect.flatMap(judge(actor, id, code), (verdict) =>
    audited(actor, { action: "notification.destination_verify", agentId: () => null }, Effect.gen(function*() {
      yield* operatorOnly(actor)
      const row = yield* destinationOf(actor, id)
      switch (verdict._tag) {
        case "Verified":
          return Store.toDestination(row)
        case "Matches": {
          const now = yield* Clock.currentTimeMillis
          if (!(yield* Store.markVerified(id, verdict.hash, now))) {
            return yield* badCode(`the verification code was replaced meanwhile: ${RESEND}`, "was replaced")
          }
          return Store.toDestination(yield* destinationOf(actor, id))
        }
        case "Wrong":
          return yield* verdict.left > 0
            ? badCode(
              `the verification code does not match (${verdict.left} ${verdict.left === 1 ? "try" : "tries"} left)`,
              "does not match"
            )
            : badCode(`the verification code does not match, and it is now burnt: ${RESEND}`, "does not match; burnt")
        case "Burnt":
          return yield* badCode(
            `the verification code was burnt by ${VerificationCode.maxAttempts} wrong codes: ${RESEND}`,
            "is burnt"
          )
        case "Expired":
          return yield* badCode(`the verification code has expired: ${RESEND}`, "has expired")
        case "Unknown":
          return yield* notFound("destination", id)
      }
    })))

/** Sends an unverified destination a new code; the old one no longer verifies. */
export const resendVerification = (actor: Actor, id: string) =>
  audited(actor, { action: "notification.destination_resend_verification", agentId: () => null }, Effect.gen(function*() {
    yield* operatorOnly(actor)
    const row = yield* destinationOf(actor, id)
    if (row.verified === 1) return yield* refuse("CONFLICT", "the destination is already verified")
    yield* sendCode(row)
    return new VerificationSent({ sent: true })
  }))

/** Every destination of the operator, oldest first, secrets shown only as hints. */
export const listDestinations = (actor: Actor) =>
  Effect.gen(function*() {
    yield* operatorOnly(actor)
    const rows = yield* Store.destinations(actor.operatorId)
    return new DestinationList({ destinations: rows.map((row) => Store.toDestination(row)) }, { disableValidation: true })
  })

/**
 * Removes a destination: every rule that named it drops it, and its pending
 * deliveries fail. Its deliveries' records stay.
 */
export const removeDestination = (actor: Actor, id: string) =>
  audited(actor, { action: "notification.destination_remove", agentId: () => null }, Effect.gen(function*() {
    yield* operatorOnly(actor)
    yield* destinationOf(actor, id)
    yield* Store.failPendingTo(id)
    yield* Store.deleteDestination(id)
    return new RemovedDestination({ id, deleted: true })
  }))

/**
 * Creates a rule. Each destination must be the operator's (a verified one or
 * not: only verified ones receive); `destination.verification` is not an
 * event to subscribe to.
 */
export const createRule = (actor: Actor, request: CreateRuleRequest) =>
  audited(actor, { action: "notification.rule_create", agentId: () => null }, Effect.gen(function*() {
    yield* operatorOnly(actor)
    if (request.events.includes("destination.verification")) {
      return yield* refuse("INVALID_REQUEST", "invalid request: events", {
        fields: { events: "must not name destination.verification: it goes only to the destination being verified" }
      })
    }
    const destinationIds = [...new Set(request.destination_ids)]
    for (const destinationId of destinationIds) yield* destinationOf(actor, destinationId)
    const row: Store.RuleRow = {
      id: newId("nrul"),
      operator_id: actor.operatorId,
      events: JSON.stringify([...new Set(request.events)]),
      min_severity: request.min_severity ?? DEFAULT_MIN_SEVERITY,
      created_at: yield* Clock.currentTimeMillis
    }
    yield* Store.insertRule(row, destinationIds)
    return Store.toRule(row, destinationIds)
  }))

/** Every rule of the operator, oldest first. */
export const listRules = (actor: Actor) =>
  Effect.gen(function*() {
    yield* operatorOnly(actor)
    return new RuleList({ rules: yield* Store.rules(actor.operatorId) }, { disableValidation: true })
  })

/** Deletes a rule. */
export const deleteRule = (actor: Actor, id: string) =>
  audited(actor, { action: "notification.rule_delete", agentId: () => null }, Effect.gen(function*() {
    yield* operatorOnly(actor)
    const row = yield* Store.ruleOf(actor.operatorId, id)
    if (row === undefined) return yield* notFound("rule", id)
    yield* Store.deleteRule(id)
    return new DeletedRule({ id, deleted: true })
  }))

/** A page of the operator's deliveries, newest first. */
export const listDeliveries = (actor: Actor, query: ListDeliveriesQuery) =>
  Effect.gen(function*() {
    yield* operatorOnly(actor)
    const page = yield* Store.deliveries(actor.operatorId, query)
    return new DeliveryPage({
      deliveries: page.items.map(Store.toDelivery),
      limit: page.limit,
      has_more: page.has_more,
      next_cursor: page.next_cursor
    }, { disableValidation: true })
  })
