import { defineWorkspace } from "vitest/config"

const conditions = ["@getstack/source", "module", "node", "development|production"]

export default defineWorkspace(
  ["sdk", "emulator"].map((name) => ({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      root: `./packages/${name}`,
      include: ["test/**/*.test.ts"],
      testTimeout: 30_000,
      // the emulator answers 500 to a refusal its endpoint's contract does not declare
      env: { STACK_EMULATOR_CHECK_DECLARED: "true" }
    }
  }))
)
