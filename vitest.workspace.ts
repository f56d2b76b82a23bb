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
      testTimeout: 30_000
    }
  }))
)
