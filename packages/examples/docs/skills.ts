/**
 * Snippets of docs/skills.md. Every block of that page is copied from this
 * file; nothing here runs on import.
 */
// --- imports
import { Passports, Skills, StackError } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
// ---

// --- publish
/** Publishes an open skill: the operator's agents claim and complete each invocation. */
export const publishSummarizer = (agentId: string) =>
  Effect.flatMap(Skills.Skills, (skills) =>
    skills.publish({
      name: "invoice-summary",
      description: "Summarizes an invoice into one line and its total",
      version: "1.0.0",
      input_schema: {
        type: "object",
        properties: { invoice_id: { type: "string" }, lines: { type: "array", items: { type: "string" } } },
        required: ["invoice_id", "lines"]
      },
      output_schema: {
        type: "object",
        properties: { summary: { type: "string" }, total_cents: { type: "integer" } },
        required: ["summary", "total_cents"]
      },
      execution_mode: "open",
      trust_level_required: "L1",
      tags: ["finance", "invoices"],
      price_per_invocation: 10,
      agent_id: agentId
    }))
// ---

// --- sealed
/** A sealed skill answered by a transform: no code runs, the output is built from the input. */
export const publishLookup = Effect.flatMap(Skills.Skills, (skills) =>
  skills.publish({
    name: "invoice-lines",
    description: "Answers an invoice's id and its note as its lines",
    version: "1.0.0",
    input_schema: { type: "object", properties: { invoice_id: { type: "string" }, note: { type: "string" } }, required: ["invoice_id"] },
    output_schema: {
      type: "object",
      properties: { invoice_id: { type: "string" }, lines: { type: "array" } },
      required: ["invoice_id", "lines"]
    },
    execution_mode: "sealed",
    tags: ["lookup"],
    transform: { invoice_id: "{{/invoice_id}}", lines: ["{{/note}}"] }
  }))

/** In tests, a sealed skill's implementation registered with the emulator, by skill name. */
export const emulatorWithHandlers = Emulator.layerStack({
  skillHandlers: {
    "word-count": (input) => ({ words: String((input as { text: string }).text).split(/\s+/).length })
  },
  skillTimeout: "5 seconds"
})
// ---

// --- browse
/** The finance skills an L1 invoker may use, matching "invoice", every page. */
export const financeSkills = Effect.flatMap(Skills.Skills, (skills) =>
  Stream.runCollect(skills.browseAll({ search: "invoice", tags: "finance", trust_level: "L1" })).pipe(
    Effect.map((chunk) => Array.from(chunk, (skill) => `${skill.name} ${skill.version} (${skill.price_per_invocation}¢)`))
  ))
// ---

// --- invoke
/**
 * Invokes a skill as an agent, with a passport whose identity claims give
 * the trust level, and waits for the answer: a sealed skill answers at
 * once, an open one once its publisher completes it.
 */
export const summarize = (skillId: string, agentId: string, lines: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const skills = yield* Skills.Skills
    const passports = yield* Passports.Passports
    const passport = yield* passports.issue({ agent_id: agentId })
    const invocation = yield* skills.invoke(skillId, {
      agent_id: agentId,
      input: { invoice_id: "inv_42", lines },
      passport_token: passport.token
    })
    const done = yield* skills.poll(invocation.id, { interval: "2 seconds", timeout: "2 minutes" })
    return done.status === "completed" ? done.output : `failed: ${done.error}`
  })
// ---

// --- refusals
/** Invokes, and says why not when STACK refuses. */
export const invokeOrExplain = (skillId: string, agentId: string, input: unknown) =>
  Effect.flatMap(Skills.Skills, (skills) => skills.invoke(skillId, { agent_id: agentId, input })).pipe(
    Effect.map((invocation) => `invoked: ${invocation.id} ${invocation.status}`),
    Effect.catchTags({
      ForbiddenError: (error) =>
        error.code === "TRUST_LEVEL_INSUFFICIENT"
          ? Effect.succeed(`needs ${(error.details as { required: string }).required}`)
          : Effect.fail(error),
      ConflictError: (error) => error.code === "SKILL_SUSPENDED" ? Effect.succeed("suspended") : Effect.fail(error),
      BadRequestError: (error) =>
        error.code === "SCHEMA_VALIDATION_FAILED"
          ? Effect.succeed(`bad input: ${(error.details as { errors: ReadonlyArray<{ path: string; message: string }> }).errors
            .map((violation) => `${violation.path || "input"} ${violation.message}`).join("; ")}`)
          : Effect.fail(error)
    })
  )

/** Polls, and tells a timeout apart. */
export const waitOrGiveUp = (invocationId: string) =>
  Skills.poll(invocationId, { timeout: "30 seconds" }).pipe(
    Effect.map((invocation) => invocation.status),
    Effect.catchTag("SkillPollTimeout", (timeout) => Effect.succeed(`still ${timeout.status} after ${timeout.waitedMillis} ms`))
  )
// ---

// --- provider
/** The publisher's side: takes the oldest pending invocation of a skill, and completes it. */
export const serveOne = (skillId: string) =>
  Effect.gen(function*() {
    const skills = yield* Skills.Skills
    const { invocations } = yield* skills.listPending({ skill_id: skillId })
    const next = invocations.at(-1)
    if (next === undefined) return "nothing pending"
    const claimed = yield* skills.claim(next.id).pipe(
      Effect.catchIf(
        (error): error is StackError.ConflictError => error._tag === "ConflictError" && error.code === "INVOCATION_NOT_PENDING",
        () => Effect.succeed(undefined)
      )
    )
    if (claimed === undefined) return "another worker claimed it"
    const { lines } = claimed.input as { lines: ReadonlyArray<string> }
    const done = yield* skills.complete(claimed.id, {
      output: { summary: `${lines.length} line(s): ${lines[0] ?? ""}`, total_cents: 12900 }
    })
    return `${done.id} ${done.status}`
  })
// ---

// --- manage
/** Ships a new version's description and price, then pauses the skill for everyone but its publisher. */
export const revise = (skillId: string) =>
  Effect.gen(function*() {
    const skills = yield* Skills.Skills
    yield* skills.update(skillId, { version: "1.1.0", description: "Summarizes an invoice, with its total", price_per_invocation: 12 })
    const paused = yield* skills.suspend(skillId)
    const { skills: mine } = yield* skills.listOwned({ status: "suspended" })
    return `${paused.status}; ${mine.length} suspended skill(s)`
  })
// ---

// --- requests
/** Posts a need to the request board, and reads the chains of skills suggested for it. */
export const planFor = (description: string, tags: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const skills = yield* Skills.Skills
    const request = yield* skills.postRequest({ description, tags })
    const { compositions } = yield* skills.suggestComposition(request.id)
    return compositions.map((chain) => `${chain.skills.join(" → ")} covers ${chain.covers.join(", ")} (${chain.score})`)
  })
// ---
