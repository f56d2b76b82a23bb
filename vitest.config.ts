import { defineConfig } from "vitest/config"

// Root options for the projects in vitest.workspace.ts. CI sets STACK_VITEST_JSON
// to read the counts of passed and failed tests from vitest's JSON report.
const json = process.env.STACK_VITEST_JSON

export default defineConfig({
  test: {
    reporters: json ? ["default", ["json", { outputFile: json }]] : ["default"]
  }
})
