import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { client, expectError, withEmulator } from "./support/Client.js"

describe("agent profiles", () => {
  it.effect("proxied-llm-bot presets credential_access, accountability_mode and key_mode", () =>
    withEmulator(Effect.gen(function*() {
      const { post, auditOf } = yield* client
      const { result: reply, entries } = yield* auditOf(
        post("/v1/agents/register", { name: "llm-bot", profile: "proxied-llm-bot" })
      )
      expect(reply.status).toBe(201)
      expect(reply.json).toMatchObject({
        name: "llm-bot",
        profile: "proxied-llm-bot",
        key_mode: "stack_managed",
        credential_access: "proxy_only",
        accountability_mode: "logged",
        on_warning: "notify",
        on_critical: "block"
      })
      expect(entries.map((e) => [e.action, e.outcome, e.agent_id])).toEqual([["agent.register", "success", reply.json.id]])
    })))

  it.effect("without a profile, profile and key_mode are null and STACK's defaults apply", () =>
    withEmulator(Effect.gen(function*() {
      const { post } = yield* client
      const reply = yield* post("/v1/agents/register", { name: "plain-bot" })
      expect(reply.status).toBe(201)
      expect(reply.json).toMatchObject({
        profile: null,
        key_mode: null,
        credential_access: "direct",
        accountability_mode: "enforced"
      })
      const withKeyMode = yield* post("/v1/agents/register", { name: "keyed-bot", key_mode: "self_managed" })
      expect(withKeyMode.json).toMatchObject({ profile: null, key_mode: "self_managed" })
    })))

  it.effect("fields the request gives win over the profile's preset", () =>
    withEmulator(Effect.gen(function*() {
      const { post } = yield* client
      const reply = yield* post("/v1/agents/register", {
        name: "strict-llm-bot",
        profile: "proxied-llm-bot",
        accountability_mode: "enforced",
        key_mode: "self_managed"
      })
      expect(reply.status).toBe(201)
      expect(reply.json).toMatchObject({
        profile: "proxied-llm-bot",
        accountability_mode: "enforced",
        key_mode: "self_managed",
        credential_access: "proxy_only"
      })
    })))

  it.effect("another profile is stored as given and presets nothing", () =>
    withEmulator(Effect.gen(function*() {
      const { post } = yield* client
      for (const [name, profile] of [["custom-bot", "my-own-profile"], ["proto-bot", "constructor"]] as const) {
        const reply = yield* post("/v1/agents/register", { name, profile })
        expect(reply.status).toBe(201)
        expect(reply.json).toMatchObject({
          profile,
          key_mode: null,
          credential_access: "direct",
          accountability_mode: "enforced"
        })
      }
    })))

  it.effect("an empty or over-64-character profile (or key_mode) is 400 INVALID_REQUEST", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get } = yield* client
      const empty = yield* post("/v1/agents/register", { name: "empty-bot", profile: "" })
      expectError(empty, 400, "INVALID_REQUEST")
      expect(Object.keys(empty.json.error.details.fields)).toEqual(["profile"])
      const long = yield* post("/v1/agents/register", { name: "long-bot", profile: "p".repeat(65) })
      expectError(long, 400, "INVALID_REQUEST")
      expect(long.json.error.details.fields.profile).toBe("must be at most 64 characters")
      expectError(yield* post("/v1/agents/register", { name: "key-bot", key_mode: "" }), 400, "INVALID_REQUEST")
      expectError(yield* post("/v1/agents/register", { name: "key-bot", key_mode: "k".repeat(65) }), 400, "INVALID_REQUEST")
      const edge = yield* post("/v1/agents/register", { name: "edge-bot", profile: "p".repeat(64) })
      expect(edge.status).toBe(201)
      expect((yield* get("/v1/agents")).json.agents.map((a: any) => a.name)).toEqual(["edge-bot"])
    })))

  it.effect("profile and key_mode come back on get, list, update and unblock", () =>
    withEmulator(Effect.gen(function*() {
      const { post, get, call, unblock } = yield* client
      const llm = (yield* post("/v1/agents/register", { name: "llm-bot", profile: "proxied-llm-bot" })).json
      const plain = (yield* post("/v1/agents/register", { name: "plain-bot" })).json
      const fetched = yield* get(`/v1/agents/${llm.id}`)
      expect(fetched.status).toBe(200)
      expect(fetched.json).toMatchObject({ profile: "proxied-llm-bot", key_mode: "stack_managed" })
      const listed = yield* get("/v1/agents")
      expect(listed.json.agents.map((a: any) => [a.name, a.profile, a.key_mode])).toEqual([
        ["plain-bot", null, null],
        ["llm-bot", "proxied-llm-bot", "stack_managed"]
      ])
      const updated = yield* call("PATCH", `/v1/agents/${llm.id}`, { json: { description: "answers tickets" } })
      expect(updated.json).toMatchObject({ description: "answers tickets", profile: "proxied-llm-bot", key_mode: "stack_managed" })
      const unblocked = yield* unblock(plain.id)
      expect(unblocked.json.agent).toMatchObject({ profile: null, key_mode: null })
    })))
})
