import { describe, expect, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Agents, Missions, Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { client, expectError, withEmulator } from "./support/Client.js"

/** The ids of a page of agents. */
const agentIds = (json: any): Array<string> => json.agents.map((a: any) => a.id)

/** Checks a 400 INVALID_REQUEST that names `field`. */
const expectInvalid = (reply: { status: number; json: any; headers: Headers }, field: string) => {
  expectError(reply, 400, "INVALID_REQUEST")
  expect(Object.keys(reply.json.error.details.fields)).toEqual([field])
  expect(reply.json.error.message).toContain(field)
}

describe("paging by cursor", () => {
  it.effect("next_cursor leads to the next page by keyset: rows added or deleted meanwhile shift nothing", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, call, get } = yield* client
      // two runs of agents registered at the same instant, a second apart: ties broken by insertion order
      const ids: Array<string> = []
      for (let i = 0; i < 7; i++) {
        if (i === 4) yield* TestClock.adjust("1 second")
        ids.push(yield* agent(`paged-${i}`))
      }
      const newestFirst = [...ids].reverse()

      const first = yield* get("/v1/agents?limit=3")
      expect(first.json).toMatchObject({ page: 1, limit: 3, total: 7, has_more: true })
      expect(agentIds(first.json)).toEqual(newestFirst.slice(0, 3))
      expect(typeof first.json.next_cursor).toBe("string")

      // a newer agent, and the deletion of the row the cursor follows, before the next page
      yield* TestClock.adjust("1 second")
      yield* agent("late-bot")
      expect((yield* call("DELETE", `/v1/agents/${newestFirst[2]}`)).status).toBe(200)

      const second = yield* get(`/v1/agents?limit=3&cursor=${first.json.next_cursor}`)
      expect(second.status).toBe(200)
      expect(second.json).toMatchObject({ page: 2, limit: 3, has_more: true })
      expect(second.json).not.toHaveProperty("total")
      expect(agentIds(second.json)).toEqual(newestFirst.slice(3, 6))

      const third = yield* get(`/v1/agents?limit=3&cursor=${second.json.next_cursor}`)
      expect(third.json).toMatchObject({ page: 3, limit: 3, has_more: false, next_cursor: null })
      expect(agentIds(third.json)).toEqual(newestFirst.slice(6))

      // page numbers keep working, and give a cursor too
      const byNumber = yield* get("/v1/agents?page=2&limit=3")
      expect(byNumber.json).toMatchObject({ page: 2, limit: 3, total: 7, has_more: true })
      const after = yield* get(`/v1/agents?limit=3&cursor=${byNumber.json.next_cursor}`)
      expect(after.json).toMatchObject({ page: 3, has_more: false, next_cursor: null })
      expect(agentIds(after.json)).toEqual(agentIds(third.json))
    })))

  it.effect("missions page by cursor within their status filter", () =>
    withEmulator(Effect.gen(function*() {
      const { get, post } = yield* client
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) ids.push((yield* post("/v1/missions", { intent_summary: `job ${i}` })).json.id)
      yield* post(`/v1/missions/${ids[2]}/complete`, {})
      const active = [ids[4], ids[3], ids[1], ids[0]]
      const seen: Array<string> = []
      let reply = yield* get("/v1/missions?status=active&limit=1")
      expect(reply.json.total).toBe(4)
      seen.push(...reply.json.missions.map((m: any) => m.id))
      while (reply.json.next_cursor !== null) {
        reply = yield* get(`/v1/missions?status=active&limit=1&cursor=${reply.json.next_cursor}`)
        expect(reply.status).toBe(200)
        seen.push(...reply.json.missions.map((m: any) => m.id))
      }
      expect(seen).toEqual(active)
      expect(reply.json).toMatchObject({ page: 4, has_more: false })
    })))

  it.effect("a malformed, foreign or misplaced cursor is 400 INVALID_REQUEST naming cursor", () =>
    withEmulator(Effect.gen(function*() {
      const { agent, emulator, get, post } = yield* client
      for (let i = 0; i < 3; i++) yield* agent(`mine-${i}`)
      for (let i = 0; i < 3; i++) yield* post("/v1/missions", { intent_summary: `job ${i}` })
      const agentsCursor = (yield* get("/v1/agents?limit=1")).json.next_cursor as string
      const missionsCursor = (yield* get("/v1/missions?limit=1")).json.next_cursor as string
      const activeCursor = (yield* get("/v1/missions?limit=1&status=active")).json.next_cursor as string

      const other = yield* emulator.createOperator({ name: "other" })
      const auth = Redacted.value(other.apiKey)
      for (let i = 0; i < 2; i++) yield* post("/v1/agents/register", { name: `theirs-${i}` }, { auth })
      const theirCursor = (yield* get("/v1/agents?limit=1", { auth })).json.next_cursor as string

      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
      const [, scope] = JSON.parse(Buffer.from(agentsCursor, "base64url").toString("utf8"))
      for (
        const cursor of [
          "",
          "not a cursor!",
          "abc",
          "x".repeat(513),
          forged({ page: 2 }),
          forged([1, scope, "x", "y", 2]),
          forged([1, scope, 0, 1, 1]),
          forged([2, scope, 0, 1, 2]),
          agentsCursor.slice(0, -2),
          missionsCursor,
          theirCursor
        ]
      ) {
        expectInvalid(yield* get(`/v1/agents?cursor=${encodeURIComponent(cursor)}`), "cursor")
      }
      // another operator's own cursor works for it, not for us
      expect((yield* get(`/v1/agents?cursor=${theirCursor}`, { auth })).status).toBe(200)
      // a missions cursor is good only for the same status filter
      expectInvalid(yield* get(`/v1/missions?cursor=${activeCursor}`), "cursor")
      expectInvalid(yield* get(`/v1/missions?status=completed&cursor=${activeCursor}`), "cursor")
      expectInvalid(yield* get(`/v1/missions?status=active&cursor=${missionsCursor}`), "cursor")
      expectInvalid(yield* get(`/v1/missions?cursor=${agentsCursor}`), "cursor")
      expect((yield* get(`/v1/missions?status=active&cursor=${activeCursor}`)).status).toBe(200)
      // a page number and a cursor together: which page is meant?
      expectInvalid(yield* get(`/v1/agents?page=2&cursor=${agentsCursor}`), "page")
    })))

  it.live("the SDK's listAll follows next_cursor: page 1 by number, every later page by cursor (and the same status)", () =>
    Effect.gen(function*() {
      const urls: Array<URL> = []
      const recording = Layer.effect(
        FetchHttpClient.Fetch,
        Effect.map(Emulator.Emulator, (emulator) => (input: string | URL | Request, init?: RequestInit) => {
          const request = new Request(input, init)
          urls.push(new URL(request.url))
          return emulator.handler(request)
        })
      )
      const stack = Layer.unwrapEffect(
        Effect.map(Emulator.Emulator, (emulator) => Stack.layer({ apiKey: emulator.apiKey }))
      ).pipe(Layer.provide(FetchHttpClient.layer), Layer.provide(recording), Layer.provideMerge(Emulator.layer()))
      yield* Effect.gen(function*() {
        const agents = yield* Agents.Agents
        const names = Array.from({ length: 5 }, (_, i) => `streamed-${i}`)
        for (const name of names) yield* agents.register({ name })
        urls.length = 0
        const all = yield* Stream.runCollect(agents.listAll({ pageSize: 2 }))
        expect(Chunk.toReadonlyArray(all).map((a) => a.name)).toEqual([...names].reverse())
        const queries = urls.map((url) => [url.searchParams.get("page"), url.searchParams.has("cursor"), url.searchParams.get("limit")])
        expect(queries).toEqual([["1", false, "2"], [null, true, "2"], [null, true, "2"]])

        const missions = yield* Missions.Missions
        const opened: Array<string> = []
        for (let i = 0; i < 4; i++) opened.push((yield* missions.open({ intent_summary: `job ${i}` })).id)
        yield* missions.complete(opened[1]!)
        urls.length = 0
        const active = yield* Stream.runCollect(missions.listAll({ status: "active", pageSize: 1 }))
        expect(Chunk.toReadonlyArray(active).map((m) => m.id)).toEqual([opened[3], opened[2], opened[0]])
        expect(urls.map((url) => url.searchParams.get("status"))).toEqual(["active", "active", "active"])
        expect(urls.slice(1).every((url) => url.searchParams.has("cursor"))).toBe(true)
      }).pipe(Effect.provide(stack))
    }))
})
