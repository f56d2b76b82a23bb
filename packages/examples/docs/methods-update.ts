/**
 * Rewrites the generated methods tables of docs/*.md from the wire contract
 * (see methods.ts). From packages/examples:
 *
 *   npx tsx --conditions=@getstack/source docs/methods-update.ts
 *
 * or `npm run docs:methods`.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { blocks, methodsTable, writeBlock } from "./methods.js"

const docs = new URL("../../../docs/", import.meta.url)

for (const page of new Set(blocks.map((block) => block.page))) {
  const path = fileURLToPath(new URL(page, docs))
  const before = readFileSync(path, "utf8")
  try {
    const after = blocks
      .filter((block) => block.page === page)
      .reduce((markdown, block) => writeBlock(markdown, block.group, methodsTable(block.endpoints)), before)
    if (after !== before) writeFileSync(path, after)
    console.log(`${after === before ? "up to date" : "updated"}: docs/${page}`)
  } catch (error) {
    console.error(`docs/${page}: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
