/**
 * Worker processes (real `node` processes, not fibers) sharing one UltraCart grant through the SQL store — two
 * processes on one SQLite file, and on one real PostgreSQL server — against the fake UltraCart on loopback in this
 * process with rotating refresh tokens and reuse detection on: presenting a spent refresh token revokes the whole
 * grant, so a single duplicate refresh would show as failures and a dead grant. Each worker configures its store
 * as an app server would, from `ULTRACART_DATABASE_URL` (`TokenDatabase.layerConfig`). Real clock (processes cannot
 * share a TestClock), short token lives.
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
import { type Duration, Effect, Layer, Option } from "effect"
import * as SqlTokenSchema from "../src/SqlTokenSchema.js"
import { postgres, sqlite, storeOn, TestDatabase } from "./utils/Databases.js"
import { bundleLayer } from "./utils/Workers.js"

const KEY = "merchant-DEMO"

/** The fake on loopback, a fresh database with a grant stored in it, and the workers' settings. */
const setUp = (accessTokenLifetime: Duration.DurationInput) =>
  Effect.gen(function* () {
    const fresh = yield* Effect.flatMap(TestDatabase, (db) => db.fresh)
    const fake = yield* FakeUltraCartServer.make({ accessTokenLifetime })
    const store = yield* storeOn(fresh)
    yield* storeIssuedGrant(fake, store, KEY)
    const env = {
      ULTRACART_BASE_URL: fake.baseUrl,
      ULTRACART_CLIENT_ID: FakeUltraCart.DEFAULT_CLIENT.clientId,
      ULTRACART_TOKEN_GRANT: KEY,
      ULTRACART_DATABASE_URL: fresh.url,
      ULTRACART_SQL_TABLE: fresh.table
    }
    return { fake, store, env, fresh }
  })

/**
 * The grant is alive at UltraCart: the stored refresh token is the current one, and the stored access token was
 * never revoked (a reuse would have revoked both; the access token may simply have expired since the last call).
 */
const expectGrantAlive = (fake: FakeUltraCart.FakeUltraCart.Service, stored: TokenStore.TokenSet) =>
  Effect.map(grantStatus(fake, stored), ({ access, refresh }) => {
    expect(refresh).toBe("active")
    expect(["active", "expired"]).toContain(access)
  })

const twoProcesses = Effect.gen(function* () {
  const { env, fake, store } = yield* setUp("4 seconds")
  const startAt = Date.now() + 1_500
  const until = startAt + 6_000
  const outcomes = yield* runCallers(env, 2, startAt, until)
  const results = outcomes.map((outcome) => {
    const result = expectExitedCleanly(outcome) as CallerResult
    // A few calls at least (the count depends on how loaded the machine is, not on the store).
    expect(result.calls).toBeGreaterThanOrEqual(5)
    expect(result.failures).toEqual({})
    return result
  })
  const stored = Option.getOrThrow(yield* store.load(KEY))
  const refreshes = yield* fake.requestCount(REFRESHES)
  // Each stored version came from exactly one refresh request, and each request from exactly one process.
  expect(refreshes).toBe(stored.version - 1)
  expect(results.reduce((sum, r) => sum + r.refreshes, 0)).toBe(refreshes)
  // A token is renewed at half its life (2 s): about one refresh every 2 seconds of the 6 s run, never more.
  expect(refreshes).toBeGreaterThanOrEqual(2)
  expect(refreshes).toBeLessThanOrEqual(4)
  yield* expectGrantAlive(fake, stored)
})

const killedHolder = Effect.gen(function* () {
  const { env, fake, fresh, store } = yield* setUp("1 hour")
  const raw = yield* fresh.connect
  const leases = raw((yield* SqlTokenSchema.tables(fresh.table)).leases)
  const leaseRow = Effect.map(
    Effect.orDie(raw<{ fence: unknown; expires_at: unknown }>`SELECT fence, expires_at FROM ${leases}`),
    (rows) => rows.map((r) => ({ fence: Number(r.fence), expiresAt: Number(r.expires_at) }))
  )
  const settings = { ...env, ULTRACART_SQL_LEASE_TTL: "2 seconds", WORKER_MODE: "refresh" }
  // UltraCart holds the first refresh: its process dies with the request on the wire and the lease held.
  const doomed = yield* refresherStuckAtUltraCart(fake, settings)
  expect((yield* leaseRow).map((r) => r.fence)).toEqual([1])
  yield* killHard(doomed)
  // Nobody renews it now: it runs out at a time we can read (the database's clock is this machine's).
  const [held] = yield* leaseRow
  yield* expectSuccessorTakesOver(settings, held?.expiresAt ?? 0)
  expect((yield* leaseRow).map((r) => r.fence)).toEqual([2])
  expect(yield* fake.requestCount(REFRESHES)).toBe(2)
  yield* expectGrantAlive(fake, Option.getOrThrow(yield* store.load(KEY)))
})

layer(Layer.merge(postgres, bundleLayer), { excludeTestServices: true, timeout: "30 seconds" })((it) => {
  for (const [name, database] of [
    ["SQLite: two processes on one file", sqlite],
    ["PostgreSQL: two processes on one server", Layer.empty]
  ] as const) {
    describe(name, () => {
      it.scoped(
        "2 processes × 4 callers with 4-second tokens: every call served, one refresh per expiry, grant alive",
        () => Effect.provide(twoProcesses, database),
        { timeout: 30_000 }
      )

      it.scoped(
        "a process killed (SIGKILL) while refreshing under the lease: another takes over once the lease expired",
        () => Effect.provide(killedHolder, database),
        { timeout: 30_000 }
      )
    })
  }
})
