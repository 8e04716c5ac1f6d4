import { describe, expect, it } from "@effect/vitest"
import { TokenStore } from "@ultracart-oauth/adapters"
import { Effect, Fiber, Option } from "effect"
import * as Net from "node:net"
import { CLIENT } from "../src/DevServer.js"
import * as FakeServer from "../src/FakeServer.js"
import * as Grants from "../src/Grants.js"
import { follow, login, provide, setup } from "./fakeLogin.js"
import { envFor, makeCapture, makeCaptureWith, runCli, tempHome } from "./harness.js"

describe("grants", () => {
  it.live("lists every stored grant with its expiry, marks the current one, and says when it is missing", () =>
    provide(
      Effect.gen(function* () {
        const { env, home, run } = yield* setup()
        const empty = yield* run(["grants"])
        expect([empty.exitCode, empty.out]).toEqual([0, `No grants stored in ${home}/.config/ultracart-oauth/tokens`])

        expect((yield* login(env, follow)).result.exitCode).toBe(0)
        expect((yield* login(env, follow, ["--grant", "shop-2"])).result.exitCode).toBe(0)
        const text = yield* run(["grants"])
        expect(text.exitCode).toBe(0)
        const rows = text.out.split("\n").slice(1)
        expect(rows).toEqual([
          expect.stringMatching(new RegExp(`^\\* ${CLIENT.clientId}  access token valid until \\S+, refresh token`)),
          expect.stringMatching(/^ {2}shop-2 {2}access token valid until \S+, refresh token/)
        ])
        const other = yield* run(["grants", "--grant", "shop-2"])
        expect(other.out).toContain("* shop-2")
        const missing = yield* run(["grants", "--grant", "shop-3"])
        expect(missing.out).toContain('The current grant "shop-3" is not stored: log in to add it.')

        const json = yield* run(["grants", "--json"])
        expect(JSON.parse(json.out)).toEqual({
          tokenDir: `${home}/.config/ultracart-oauth/tokens`,
          current: CLIENT.clientId,
          grants: [
            expect.objectContaining({ grant: CLIENT.clientId, current: true, refreshToken: true }),
            expect.objectContaining({ grant: "shop-2", current: false, accessTokenExpired: false })
          ]
        })
        // Never a token.
        const token = (yield* run(["token"])).out.trim()
        expect(json.out).not.toContain(token)
        expect(text.out).not.toContain(token)
      })
    )
  )

  it.effect("reads the store page after page, and lists an unreadable record instead of failing", () =>
    Effect.gen(function* () {
      const memory = TokenStore.makeMemory()
      const keys = Array.from({ length: 2500 }, (_, i) => `grant-${String(i).padStart(4, "0")}`)
      const store: TokenStore.TokenStore.Service = {
        ...memory,
        list: (options) =>
          Effect.sync(() => TokenStore.pageOf(keys, options)).pipe(
            Effect.tap((page) => Effect.sync(() => pages.push(page.keys.length)))
          ),
        load: (key) =>
          key === "grant-0007"
            ? Effect.fail(new TokenStore.TokenStoreError({ operation: "load", key, reason: "Decrypt", detail: "x" }))
            : Effect.succeed(Option.none())
      }
      const pages: Array<number> = []
      expect(yield* Grants.keys(store)).toEqual(keys)
      expect(pages).toEqual([1000, 1000, 500])
      expect(yield* Grants.rows(store, "grant-0007", 0)).toEqual([
        { grant: "grant-0007", current: true, unreadable: "Decrypt" }
      ])
    })
  )
})

describe("--json", () => {
  it.live("login, token, refresh, status and logout print one JSON document on stdout, and nothing else there", () =>
    provide(
      Effect.gen(function* () {
        const { env, home, run } = yield* setup()
        const tokenDir = `${home}/.config/ultracart-oauth/tokens`
        const { result } = yield* login(env, follow, ["--json"])
        expect(result.exitCode).toBe(0)
        expect(JSON.parse(result.out)).toEqual({
          grant: CLIENT.clientId,
          tokenDir,
          accessTokenExpiresAt: expect.any(String),
          accessTokenExpired: false,
          refreshToken: true,
          issuedAt: expect.any(String),
          scope: expect.anything()
        })
        expect(result.err).toContain("/oauth/authorize?")

        const token = JSON.parse((yield* run(["token", "--json"])).out)
        expect(token).toEqual({
          accessToken: expect.any(String),
          expiresAt: expect.any(String),
          scope: expect.anything()
        })
        expect((yield* run(["token"])).out).toBe(token.accessToken)

        const refreshed = JSON.parse((yield* run(["refresh", "--json"])).out)
        expect(refreshed).toMatchObject({ grant: CLIENT.clientId, refreshToken: true, accessTokenExpired: false })
        expect(JSON.stringify(refreshed)).not.toContain(token.accessToken)

        const status = JSON.parse((yield* run(["status", "--json"])).out)
        expect(status).toMatchObject({ grant: CLIENT.clientId, loggedIn: true, tokenDir })

        const logout = yield* run(["logout", "--json"])
        expect(logout.exitCode).toBe(0)
        expect(JSON.parse(logout.out)).toEqual({
          grant: CLIENT.clientId,
          refreshToken: "revoked",
          accessToken: "revoked",
          removed: true
        })
      })
    )
  )
})

describe("browser login progress", () => {
  it.live("on a terminal, a spinner with the time waited until the browser comes back, then a check mark", () =>
    provide(
      Effect.gen(function* () {
        const { env } = yield* setup()
        const capture = yield* makeCaptureWith({ interactive: true })
        const { result } = yield* login(env, follow, [], capture)
        expect(result.exitCode).toBe(0)
        const status = result.capture.lines.filter((line) => line.stream === "status").map((line) => line.text)
        expect(status[0]).toMatch(
          /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the browser to come back to http:\/\/127\.0\.0\.1:\d+\/callback … \d+s \(gives up in \d+s\)$/
        )
        expect(status[status.length - 1]).toMatch(/^✔ Waiting for the browser/)
      })
    )
  )
})

describe("fake-server", () => {
  it.live("serves the fake and says where (--json for scripts)", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const capture = yield* makeCapture
      const fiber = yield* Effect.fork(runCli(["fake-server", "--port", "0", "--json"], { env: envFor(home), capture }))
      const info = JSON.parse((yield* capture.waitFor((line) => line.stream === "out")).text)
      expect(info).toEqual({
        baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/rest\/v2$/),
        clientId: CLIENT.clientId,
        deviceUrl: `${info.baseUrl}/oauth/device`
      })
      const page = yield* Effect.promise(() => fetch(info.deviceUrl).then((response) => response.status))
      expect(page).toBe(200)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.scoped, provide)
  )

  it.live("a port in use is a user error that names the port and says what to do", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      const port = yield* Effect.acquireRelease(
        Effect.async<readonly [Net.Server, number]>((resume) => {
          const server = Net.createServer().listen(0, "127.0.0.1", () => {
            const address = server.address()
            resume(Effect.succeed([server, typeof address === "object" && address !== null ? address.port : 0]))
          })
        }),
        ([server]) => Effect.sync(() => server.close())
      ).pipe(Effect.map(([, port]) => port))
      const result = yield* runCli(["fake-server", "--port", String(port)], { env: envFor(home) })
      expect(result.exitCode).toBe(2)
      expect(result.err).toContain(`error: The fake UltraCart cannot listen on port ${port}: it is in use`)
      expect(result.err).toContain("hint: stop what uses the port, or pass --port with another one")
    }).pipe(Effect.scoped, provide)
  )

  it.live("without @ultracart-oauth/testing, fake-server and --fake say which package to install", () =>
    Effect.gen(function* () {
      const home = yield* tempHome
      // A real failed import of a package that is not installed.
      const missing: string = "@ultracart-oauth/testing-not-installed"
      const withoutTesting = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.provideService(effect, FakeServer.DevServerImport, () => import(missing))
      for (const args of [["fake-server"], ["login", "--fake"], ["status", "--fake"]]) {
        const result = yield* withoutTesting(runCli(args, { env: envFor(home) }))
        expect([args, result.exitCode]).toEqual([args, 2])
        expect(result.err).toContain(
          "error: The fake UltraCart needs the optional package @ultracart-oauth/testing, which is not installed"
        )
        expect(result.err).toContain(
          "hint: install it next to the CLI (npm install --save-dev @ultracart-oauth/testing)"
        )
        expect(result.err).not.toContain("please report this")
      }
    }).pipe(Effect.scoped, provide)
  )
})
