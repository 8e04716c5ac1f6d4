/**
 * Several worker processes (real `node` processes, not fibers) sharing one UltraCart grant through a real
 * Redis, against the fake UltraCart on loopback in this process with rotating refresh tokens and reuse
 * detection on: presenting a spent refresh token revokes the whole grant, so a single duplicate refresh would
 * show as failures and a dead grant. Real clock (the processes cannot share a TestClock), short token lives.
 *
 * Redis runs with an append-only file (`appendfsync always`): a restart keeps its data, as a production token
 * store must (README: "Running Redis for tokens").
 */
import { describe, expect, layer } from "@effect/vitest"
import type { TokenStore } from "@ultracart-oauth/adapters"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { REFRESHES } from "@ultracart-oauth/test-support/FakeGrant"
import {
  type CallerResult,
  expectExitedCleanly,
  expectSuccessorTakesOver,
  grantStatus,
  killHard,
  refresherStuckAtUltraCart,
  runCallers,
  storeIssuedGrant
} from "@ultracart-oauth/test-support/MultiProcess"
import * as Workers from "@ultracart-oauth/test-support/Workers"
import { DateTime, type Duration, Effect, Fiber, Layer, Option, Redacted } from "effect"
import { eventually, freshPrefix, rawClient, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

const KEY = "merchant-DEMO"

/** The fake on loopback, a fresh grant stored in Redis under a fresh prefix, and the workers' settings. */
const setUp = (accessTokenLifetime: Duration.DurationInput) =>
  Effect.gen(function* () {
    const server = yield* RedisServer.RedisServer
    const fake = yield* FakeUltraCartServer.make({ accessTokenLifetime })
    const prefix = freshPrefix()
    const store = yield* storeOn({ prefix })
    yield* storeIssuedGrant(fake, store, KEY)
    const env = {
      ULTRACART_BASE_URL: fake.baseUrl,
      ULTRACART_CLIENT_ID: FakeUltraCart.DEFAULT_CLIENT.clientId,
      ULTRACART_TOKEN_GRANT: KEY,
      ULTRACART_REDIS_URL: Redacted.value(server.url),
      ULTRACART_REDIS_PREFIX: prefix,
      ULTRACART_REDIS_MAX_RECONNECT_DELAY: "200 millis"
    }
    return { fake, store, env, prefix }
  })

/** Every worker finished cleanly, made calls, and none failed. */
const expectAllServed = (outcomes: ReadonlyArray<Workers.WorkerOutcome>): ReadonlyArray<CallerResult> =>
  outcomes.map((outcome) => {
    const result = expectExitedCleanly(outcome) as CallerResult
    expect(result.calls).toBeGreaterThan(20)
    expect(result.failures).toEqual({})
    return result
  })

/** The grant is alive at UltraCart: the stored tokens are the current ones (a reuse would have revoked them). */
const expectGrantAlive = (fake: FakeUltraCart.FakeUltraCart.Service, stored: TokenStore.TokenSet) =>
  Effect.map(grantStatus(fake, stored), ({ access, refresh }) =>
    expect([refresh, access]).toEqual(["active", "active"])
  )

const WORKER = new URL("./worker/tokenWorker.ts", import.meta.url)

layer(Layer.merge(RedisServer.layer({ persistent: true }), Workers.bundleLayer(WORKER)), {
  excludeTestServices: true,
  timeout: "30 seconds"
})((it) => {
  describe("one grant, several processes, one Redis", () => {
    it.scoped(
      "3 processes × 4 callers with 2-second tokens: every call served, one refresh per expiry, grant alive",
      () =>
        Effect.gen(function* () {
          const { env, fake, store } = yield* setUp("2 seconds")
          const startAt = Date.now() + 1_500
          const until = startAt + 6_000
          const results = expectAllServed(yield* runCallers(env, 3, startAt, until))
          const stored = Option.getOrThrow(yield* store.load(KEY))
          const refreshes = yield* fake.requestCount(REFRESHES)
          // Each stored version came from exactly one refresh request, and each request from exactly one process.
          expect(refreshes).toBe(stored.version - 1)
          expect(results.reduce((sum, r) => sum + r.refreshes, 0)).toBe(refreshes)
          // A token is renewed at half its life (1 s): about one refresh per second of the 6 s run, never more.
          expect(refreshes).toBeGreaterThanOrEqual(4)
          expect(refreshes).toBeLessThanOrEqual(7)
          yield* expectGrantAlive(fake, stored)
        }),
      { timeout: 30_000 }
    )

    it.scoped(
      "a process killed while refreshing under the lease: another takes over once the lease's TTL ran out",
      () =>
        Effect.gen(function* () {
          const { env, fake, prefix, store } = yield* setUp("1 hour")
          const raw = yield* rawClient
          const settings = { ...env, ULTRACART_REDIS_LEASE_TTL: "2 seconds", WORKER_MODE: "refresh" }
          // UltraCart holds the first refresh: its process dies with the request on the wire and the lease held.
          const doomed = yield* refresherStuckAtUltraCart(fake, settings)
          expect(yield* Effect.promise(() => raw.get(`${prefix}{${KEY}}:lease`))).toMatch(/^1:/)
          yield* killHard(doomed)
          // Nobody renews it now: it runs out at a time we can read.
          const leaseExpiresAt = Date.now() + (yield* Effect.promise(() => raw.pttl(`${prefix}{${KEY}}:lease`)))
          yield* expectSuccessorTakesOver(settings, leaseExpiresAt)
          expect(yield* Effect.promise(() => raw.get(`${prefix}{${KEY}}:fence`))).toBe("2")
          expect(yield* fake.requestCount(REFRESHES)).toBe(2)
          yield* expectGrantAlive(fake, Option.getOrThrow(yield* store.load(KEY)))
        }),
      { timeout: 30_000 }
    )

    const restartMidRun = (wipe: boolean) =>
      Effect.gen(function* () {
        const server = yield* RedisServer.RedisServer
        yield* Effect.addFinalizer(() => server.start)
        const { env, fake, store } = yield* setUp("4 seconds")
        const startAt = Date.now() + 1_500
        const until = startAt + 7_000
        const running = yield* Effect.fork(runCallers(env, 3, startAt, until))
        // Right after a rotation, take Redis away from 1.5 s to 2.5 s into the new token's 4 s life: its refresh
        // point (2 s) falls in the outage, its expiry does not.
        const rotated = yield* eventually(
          Effect.filterOrFail(store.load(KEY), (t) => Option.exists(t, (s) => s.version >= 2)),
          "15 seconds"
        )
        const issuedAt = DateTime.toEpochMillis(Option.getOrThrow(rotated).issuedAt)
        yield* Effect.sleep(Math.max(0, issuedAt + 1_500 - Date.now()))
        yield* server.stop
        if (wipe) yield* server.wipe
        yield* Effect.sleep("1 second")
        yield* server.start
        const results = expectAllServed(yield* Fiber.join(running))
        const stored = Option.getOrThrow(yield* eventually(store.load(KEY)))
        const refreshes = yield* fake.requestCount(REFRESHES)
        expect(refreshes).toBe(stored.version - 1)
        expect(results.reduce((sum, r) => sum + r.refreshes, 0)).toBe(refreshes)
        expect(refreshes).toBeGreaterThanOrEqual(3)
        yield* expectGrantAlive(fake, stored)
      })

    it.scoped(
      "Redis stopped and restarted mid-run, across a refresh point: every call served, no token lost",
      () => restartMidRun(false),
      { timeout: 30_000 }
    )

    it.scoped(
      "Redis restarted empty (as without persistence): the processes put the grant back, none is lost",
      () => restartMidRun(true),
      { timeout: 30_000 }
    )
  })
})
