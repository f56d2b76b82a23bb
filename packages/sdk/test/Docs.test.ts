import { describe, expect, it } from "@effect/vitest"
import { AgentsEndpoints } from "@getstack/effect/api/Agents"
import { AuditEndpoints } from "@getstack/effect/api/Audit"
import { CredentialsEndpoints } from "@getstack/effect/api/Credentials"
import { IdentityEndpoints } from "@getstack/effect/api/Identity"
import { DropoffsEndpoints } from "@getstack/effect/api/Dropoffs"
import { MissionsEndpoints } from "@getstack/effect/api/Missions"
import { NotificationsEndpoints } from "@getstack/effect/api/Notifications"
import { PassportsEndpoints, PublicPassportsEndpoints } from "@getstack/effect/api/Passports"
import { ProxyEndpoints } from "@getstack/effect/api/Proxy"
import { ReviewsEndpoints } from "@getstack/effect/api/Reviews"
import { ScanEndpoints } from "@getstack/effect/api/Scan"
import { SecurityEventsEndpoints } from "@getstack/effect/api/SecurityEvents"
import { ServicesEndpoints } from "@getstack/effect/api/Services"
import { SkillsEndpoints } from "@getstack/effect/api/Skills"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { blocks, type Endpoints, markersOf, methodsTable, readBlock } from "../../examples/docs/methods.js"

const docs = new URL("../../../docs/", import.meta.url)
const read = (page: string) => readFileSync(fileURLToPath(new URL(page, docs)), "utf8")

/** Each service page and the groups whose methods table it holds. */
const expected: ReadonlyArray<{ readonly page: string; readonly group: string; readonly endpoints: Endpoints }> = [
  { page: "agents.md", group: "agents", endpoints: AgentsEndpoints },
  { page: "passports.md", group: "passports", endpoints: PassportsEndpoints },
  { page: "passports.md", group: "passports-public", endpoints: PublicPassportsEndpoints },
  { page: "missions.md", group: "missions", endpoints: MissionsEndpoints },
  { page: "audit.md", group: "audit", endpoints: AuditEndpoints },
  { page: "security-events.md", group: "security-events", endpoints: SecurityEventsEndpoints },
  { page: "reviews.md", group: "reviews", endpoints: ReviewsEndpoints },
  { page: "notifications.md", group: "notifications", endpoints: NotificationsEndpoints },
  { page: "scan.md", group: "scan", endpoints: ScanEndpoints },
  { page: "services.md", group: "services", endpoints: ServicesEndpoints },
  { page: "services.md", group: "credentials", endpoints: CredentialsEndpoints },
  { page: "proxy.md", group: "proxy", endpoints: ProxyEndpoints },
  { page: "identity.md", group: "identity", endpoints: IdentityEndpoints },
  { page: "dropoffs.md", group: "dropoffs", endpoints: DropoffsEndpoints },
  { page: "skills.md", group: "skills", endpoints: SkillsEndpoints }
]

const REGENERATE = "run `npm run docs:methods -w @getstack/examples` to regenerate it"

describe("the methods tables of the docs", () => {
  it("are all written by methods-update", () => {
    expect(blocks.map(({ group, page }) => `${page}#${group}`)).toEqual(expected.map(({ group, page }) => `${page}#${group}`))
  })

  for (const { endpoints, group, page } of expected) {
    describe(`docs/${page}, ${group}`, () => {
      const block = readBlock(read(page), group)

      it("has its markers, once each and in order", () => {
        const { close, open } = markersOf(group)
        expect(block, `docs/${page} needs ${open} … ${close}`).toBeDefined()
      })

      it("holds the table generated from the contract", () => {
        expect(block, `docs/${page}'s ${group} table is out of date: ${REGENERATE}`).toBe(methodsTable(endpoints))
      })

      it("has a row for every endpoint of the group", () => {
        const rows = (block ?? "").split("\n").slice(2)
        const names = Object.keys(endpoints)
        expect(names.length).toBeGreaterThan(0)
        expect(rows).toHaveLength(names.length)
        for (const name of names) {
          expect(rows.some((row) => row.startsWith(`| \`${name}(`)), `no row for ${name} in docs/${page}`).toBe(true)
        }
      })
    })
  }
})

describe("the code blocks of the docs", () => {
  const examples = new URL("../../examples/docs/", import.meta.url)
  const sources = readdirSync(fileURLToPath(examples))
    .filter((file) => file.endsWith(".ts"))
    .map((file) => readFileSync(fileURLToPath(new URL(file, examples)), "utf8"))
  const pages = readdirSync(fileURLToPath(docs)).filter((file) => file.endsWith(".md"))

  it("are each copied verbatim from a snippet file of packages/examples/docs, which type-checks them", () => {
    const codeBlocks = pages.flatMap((page) =>
      [...read(page).matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => ({ page, code: match[1]! }))
    )
    expect(codeBlocks.length).toBeGreaterThan(100)
    const stale = codeBlocks.filter(({ code }) => !sources.some((source) => source.includes(code)))
    expect(
      stale.map(({ code, page }) => `docs/${page}: ${code.split("\n")[0]}`),
      "a block that is no snippet's copy: copy it again from packages/examples/docs/<page>.ts"
    ).toEqual([])
  })
})
