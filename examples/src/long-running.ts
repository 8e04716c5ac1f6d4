/**
 * A long-running program on one UltraCart grant: workers call the API through the token manager's authenticated
 * client while access tokens expire (every 4 seconds here) and refresh tokens rotate underneath them — and while
 * UltraCart misbehaves: a refresh whose connection drops, a server clock that runs ahead (401s for a token the
 * client still trusts), a rate-limited refresh. The workers never notice.
 *
 * It starts the fake UltraCart on a loopback port, keeps the tokens in an encrypted file store in a temporary
 * directory, and stops after ULTRACART_EXAMPLE_SECONDS (16 by default). Tokens are printed as fingerprints only.
 *
 * Run: pnpm tsx examples/src/long-running.ts
 */
import { FileSystem } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import {
  Auth,
  AuthenticatedClient,
  FileTokenStore,
  Retry,
  TokenEncryption,
  TokenManager
} from "@ultracart-oauth/adapters"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Config, Console, Duration, Effect, Fiber, Layer, Metric, Option, Schedule } from "effect"
import { fingerprint, fingerprintOption } from "./support.js"

const REFRESH = { endpoint: "token", grantType: "refresh_token" } as const
const MERCHANT = "DEMO"
const WORKERS = 3

/** The program's dependencies: the fake on loopback, a real transport, retries, the file store, the manager. */
const layers = Layer.unwrapScoped(
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const directory = yield* fs.makeTempDirectoryScoped({ prefix: "ultracart-long-running-" })
    const encryptionKey = yield* TokenEncryption.generateKey
    const fake = FakeUltraCartServer.layer({ accessTokenLifetime: "4 seconds" })
    const transport = NodeTransport.layer()
    const oauth = Retry.layer().pipe(Layer.provide(FakeUltraCart.clientLayer()))
    const store = FileTokenStore.layer({ directory, encryptionKey }).pipe(Layer.provide(NodeFileSystem.layer))
    const manager = TokenManager.layer({ key: MERCHANT, refreshMargin: "1 second", backgroundRefresh: true })
    const api = Layer.unwrapEffect(
      Effect.map(FakeUltraCart.FakeUltraCart, (f) => AuthenticatedClient.layer({ baseUrl: f.baseUrl }))
    )
    return api.pipe(
      Layer.provideMerge(manager),
      Layer.provideMerge(Layer.mergeAll(store, oauth)),
      Layer.provideMerge(Layer.merge(fake, transport))
    )
  })
).pipe(Layer.provide(NodeFileSystem.layer))

/** The browser leg against the fake, then the code exchange; the manager stores the grant. */
const connectMerchant = Effect.gen(function* () {
  const oauth = yield* OAuthClient.OAuthClient
  const fake = yield* FakeUltraCart.FakeUltraCart
  const manager = yield* TokenManager.TokenManager
  const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? "http://127.0.0.1:8976/callback"
  const { state, url } = yield* oauth.authorizationUrl({ redirectUri })
  const callback = yield* fake.approve(url)
  const code = yield* oauth.parseCallback(callback, state)
  const tokens = yield* manager.login(oauth.exchangeCode({ code, redirectUri }))
  yield* Console.log(`Fake UltraCart on ${fake.baseUrl}; merchant ${MERCHANT} connected`)
  yield* Console.log(
    `  v${tokens.version} access ${fingerprint(tokens.accessToken)} refresh ${fingerprintOption(tokens.refreshToken)}`
  )
})

interface Tally {
  calls: number
  ok: number
  failures: Map<string, number>
}

/** One worker: `GET /oauth/me` through the authenticated client, over and over. */
const worker = (tally: Tally) =>
  Effect.gen(function* () {
    const client = yield* Auth.UltraCartHttpClient
    const outcome = yield* Effect.either(Effect.flatMap(client.get("/oauth/me"), (r) => Effect.as(r.text, r.status)))
    tally.calls += 1
    if (outcome._tag === "Right" && outcome.right === 200) tally.ok += 1
    else {
      const what = outcome._tag === "Right" ? `HTTP ${outcome.right}` : outcome.left._tag
      tally.failures.set(what, (tally.failures.get(what) ?? 0) + 1)
    }
  }).pipe(Effect.repeat(Schedule.spaced("150 millis")))

/** UltraCart misbehaving on a timetable (seconds after the start). */
const trouble = Effect.gen(function* () {
  const fake = yield* FakeUltraCart.FakeUltraCart
  const note = (text: string) => Console.log(`  !! ${text}`)
  yield* Effect.sleep("4 seconds")
  yield* fake.injectFault(Fault.dropBeforeProcessing, REFRESH)
  yield* note("the next refresh loses its connection (outcome unknown: the manager checks the store, repeats once)")
  yield* Effect.sleep("4 seconds")
  yield* fake.setClockOffset(5_000)
  yield* note(
    "UltraCart's clock jumps 5 s ahead: it refuses tokens the client still trusts (401 → one refresh, replay)"
  )
  yield* Effect.sleep("4 seconds")
  yield* fake.injectFault(Fault.rateLimited({ retryAfter: "1 second" }), REFRESH)
  yield* note("the next refresh is rate limited (the token still valid is kept; retried after the back-off)")
})

/** A line per second: calls, the current token's version and fingerprint, refreshes so far. */
const report = (tally: Tally, started: number) =>
  Effect.gen(function* () {
    const manager = yield* TokenManager.TokenManager
    const fake = yield* FakeUltraCart.FakeUltraCart
    const tokens = yield* Effect.either(manager.tokens)
    const elapsed = Math.round((Date.now() - started) / 1000)
    const token =
      tokens._tag === "Right"
        ? `v${tokens.right.version} access ${fingerprint(tokens.right.accessToken)} refresh ${fingerprintOption(
            tokens.right.refreshToken
          )}`
        : tokens.left._tag
    const failures = [...tally.failures].map(([what, n]) => `${what}×${n}`).join(" ") || "none"
    yield* Console.log(
      `[${String(elapsed).padStart(3)}s] calls ${String(tally.calls).padStart(4)} ok ${String(tally.ok).padStart(
        4
      )} failed: ${failures} · refreshes ${yield* fake.requestCount(REFRESH)} · ${token}`
    )
  }).pipe(Effect.repeat(Schedule.spaced("1 second")))

const program = Effect.gen(function* () {
  const seconds = yield* Config.integer("ULTRACART_EXAMPLE_SECONDS").pipe(Config.withDefault(16))
  const duration = Duration.seconds(Math.min(Math.max(seconds, 2), 300))
  yield* connectMerchant
  const tally: Tally = { calls: 0, ok: 0, failures: new Map() }
  const started = Date.now()
  const reporter = yield* Effect.fork(report(tally, started))
  const troubleFiber = yield* Effect.fork(trouble)
  yield* Effect.all(
    Array.from({ length: WORKERS }, () => worker(tally)),
    { concurrency: "unbounded" }
  ).pipe(Effect.timeoutOption(duration))
  yield* Fiber.interrupt(reporter)
  yield* Fiber.interrupt(troubleFiber)

  const manager = yield* TokenManager.TokenManager
  const fake = yield* FakeUltraCart.FakeUltraCart
  const replays = yield* Metric.value(AuthenticatedClient.metrics.unauthorizedReplays)
  const joins = yield* Metric.value(TokenManager.metrics.singleFlightJoins)
  yield* Console.log(
    `Done after ${Duration.format(duration)}: ${tally.calls} API calls, ${tally.ok} answered 200; ` +
      `${yield* fake.requestCount(REFRESH)} refresh requests; ${replays.count} replays after a 401; ` +
      `${joins.count} callers joined a refresh in flight`
  )
  const logout = yield* manager.logout
  yield* Console.log(`Logged out: refresh token ${logout.refreshToken._tag}, access token ${logout.accessToken._tag}`)
  const after = yield* Effect.either(manager.tokens)
  yield* Console.log(`After logout: ${after._tag === "Left" ? after.left._tag : "still has tokens"}`)
  const stored = Option.isSome(yield* Effect.option(manager.tokens))
  if (stored || tally.ok === 0) return yield* Effect.dieMessage("the example did not behave as expected")
})

program.pipe(Effect.provide(layers), NodeRuntime.runMain)
