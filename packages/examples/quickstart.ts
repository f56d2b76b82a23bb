/**
 * The quick start, as STACK's Python quick start goes: register an agent,
 * give it Slack, run a scoped mission (a passport for the length of a scope),
 * read the Slack credential, make a proxied call under the mission's
 * passport, and see the passport revoked when the scope closes. Against the
 * emulator running in this process; `npm start` runs it.
 *
 * Everything runs offline: a local server stands in for slack.com, and the
 * emulator's proxy is allowed to call it (`proxyHosts`). Against STACK, the
 * URL is https://slack.com/api/chat.postMessage and nothing else changes.
 */
import { Stack } from "@getstack/effect"
import { Emulator } from "@getstack/emulator"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

const program = (slackApi: string) =>
  Effect.gen(function*() {
    const stack = yield* Stack.Stack

    // 1. Register an agent
    const agent = yield* stack.agents.register({
      name: "invoice-bot",
      description: "Processes invoices",
      accountability_mode: "enforced"
    })
    yield* Console.log(`registered ${agent.name} (${agent.id}): ${agent.accountability_mode}`)

    // 2. Connect Slack (the token goes to STACK's vault) and grant it to the agent
    const slack = yield* stack.services.connect({
      service_id: "slack",
      scopes: ["chat:write", "channels:read"],
      oauth_token: Redacted.make("xoxb-quickstart-token")
    })
    yield* stack.services.grant(slack.id, { agent_id: agent.id, scopes: ["chat:write"] })
    yield* Console.log(`connected slack (${slack.id}) and granted chat:write to ${agent.name}`)

    // 3. A scoped mission: a passport for the length of the scope, revoked when it closes
    const token = yield* Effect.scoped(Effect.gen(function*() {
      const mission = yield* stack.passports.mission({
        agent_id: agent.id,
        intent: "Process invoices",
        services: ["slack"]
      })
      yield* Console.log(`mission passport ${mission.jti}`)
      yield* mission.log("slack", "read_channel", "#invoices")

      // the credential, straight from the vault (Redacted: it never reaches a log)
      const cred = yield* stack.credentials.get("slack")
      yield* Console.log(`credentials.get("slack"): ${cred.provider}, ${cred.credential}`)

      // a proxied call: STACK injects the credential, the agent never holds it
      const posted = yield* stack.proxy.request({
        service: "slack",
        method: "POST",
        url: `${slackApi}/api/chat.postMessage`,
        body: { channel: "#invoices", text: "3 invoices processed" },
        passport_token: yield* mission.token
      })
      yield* Console.log(`proxied POST chat.postMessage: ${posted.status} ${JSON.stringify(posted.body)}`)
      yield* mission.log("slack", "post_message", "#invoices")
      return yield* mission.token
    }))

    // 4. The scope closed: the passport is revoked
    const after = yield* stack.passports.verify({ token })
    yield* Console.log(`after the mission: valid ${after.valid}${after.valid ? "" : `, ${after.reason}`}`)

    yield* stack.agents.delete(agent.id)
    yield* stack.agents.get(agent.id).pipe(
      Effect.catchTag("NotFoundError", (error) => Console.log(`agent deleted: get is ${error._tag} ${error.code}`))
    )
  })

/** A stand-in for slack.com on a free local port, answering like Slack's chat.postMessage. */
const fakeSlack = Effect.acquireRelease(
  Effect.async<Http.Server>((resume) => {
    const server = Http.createServer((request, response) => {
      const authorized = request.headers.authorization === "Bearer xoxb-quickstart-token"
      response.setHeader("content-type", "application/json")
      response.end(JSON.stringify(authorized ? { ok: true, channel: "C0INVOICES", ts: "1767225600.000100" } : { ok: false, error: "not_authed" }))
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
)

Effect.gen(function*() {
  const server = yield* fakeSlack
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  yield* program(`http://${host}`).pipe(Effect.provide(Emulator.layerStack({ proxyHosts: { slack: [host] } })))
}).pipe(
  Effect.scoped,
  Effect.runPromise
).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
