// The browser login against the fake UltraCart on a loopback port, with the test as the merchant's browser:
// it follows the authorize URL the CLI prints to the CLI's own loopback listener.
import { FetchTransport } from "@ultracart-oauth/adapters"
import type { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Effect, Fiber } from "effect"
import { CLIENT } from "../src/DevServer.js"
import {
  type Capture,
  envFor,
  type Line,
  makeCapture,
  NodeEnvironment,
  type Result,
  runCli,
  tempHome
} from "./harness.js"

export const provide = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.scoped, Effect.provide(FetchTransport.layer()), Effect.provide(NodeEnvironment))

export const setup = (options: FakeUltraCart.FakeUltraCartOptions = {}) =>
  Effect.gen(function* () {
    const home = yield* tempHome
    const fake = yield* Effect.orDie(FakeUltraCartServer.make({ clients: [CLIENT], ...options }))
    const env = envFor(home, {
      ULTRACART_BASE_URL: fake.baseUrl,
      ULTRACART_CLIENT_ID: CLIENT.clientId,
      ULTRACART_REDIRECT_URI: "http://127.0.0.1:0/callback"
    })
    const run = (args: ReadonlyArray<string>) => runCli(args, { env })
    return { home, fake, env, run }
  })

// On stdout, or on stderr with --json.
const isAuthorizeUrl = (line: Line) => line.stream !== "status" && line.text.includes("/oauth/authorize?")

/**
 * Starts `login`, waits for the authorize URL, and hands it to `browser`; yields the CLI's result and what the
 * browser got back.
 */
export const login = <A>(
  env: Record<string, string>,
  browser: (authorizeUrl: string) => Promise<A>,
  args: ReadonlyArray<string> = [],
  withCapture?: Capture
) =>
  Effect.gen(function* () {
    const capture = withCapture ?? (yield* makeCapture)
    const timeout = args.includes("--timeout") ? [] : ["--timeout", "10"]
    const fiber = yield* Effect.fork(runCli(["login", ...timeout, ...args], { env, capture }))
    const url = (yield* capture.waitFor(isAuthorizeUrl)).text.trim()
    const page = yield* Effect.promise(() => browser(url))
    const result: Result = yield* Fiber.join(fiber)
    return { result, page, url }
  })

export const follow = (url: string) =>
  fetch(url).then(async (response) => ({ status: response.status, body: await response.text() }))

/** Follows the authorize URL's redirect by hand, letting `tamper` change the callback URL first. */
export const followTampered = (tamper: (callback: URL) => void) => async (url: string) => {
  const authorize = await fetch(url, { redirect: "manual" })
  const callback = new URL(authorize.headers.get("location") ?? "")
  tamper(callback)
  return follow(callback.toString())
}
