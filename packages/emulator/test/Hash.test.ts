import { describe, expect, it } from "@effect/vitest"
import * as Audit from "@getstack/effect/api/Audit"
import * as Effect from "effect/Effect"
import * as Hash from "../src/core/Hash.js"

const inputs = [
  "",
  "sk_test_0123456789abcdefghij",
  "{\"name\":\"bot\",\"description\":\"ünïcødé — 日本語 🤖\"}",
  "\ud800 a lone surrogate",
  "x".repeat(100_000)
]

describe("the emulator's synchronous SHA-256", () => {
  it.effect("is the SDK's WebCrypto sha256Hex, byte for byte", () =>
    Effect.gen(function*() {
      for (const input of inputs) expect(Hash.sha256Hex(input)).toBe(yield* Audit.sha256Hex(input))
    }))

  it.effect("hashes an audit entry as the SDK's entryHash and verifyChain do", () =>
    Effect.gen(function*() {
      let prev = Audit.GENESIS_HASH
      const chain = []
      for (const [i, agent] of [null, "agt_ünï", "agt_🤖"].entries()) {
        const fields = {
          entry_id: `aud_${i}`,
          timestamp: 1_700_000_000_000 + i,
          operator_id: "op_1",
          agent_id: agent,
          layer: "system" as const,
          action: "agent.register",
          outcome: "success" as const,
          prev_entry_hash: prev
        }
        const entryHash = Hash.entryHash(fields)
        expect(entryHash).toBe(yield* Audit.entryHash(fields))
        chain.push({ ...fields, entry_hash: entryHash })
        prev = entryHash
      }
      expect(yield* Audit.verifyChain(chain)).toEqual({ valid: true })
    }))
})
