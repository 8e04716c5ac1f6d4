/**
 * The token manager while its store fails: a rotation the store could not take stays pending (served, holding the
 * lease, stored again after the back-off, never refreshed past), conflicts on storing it follow the "newer wins"
 * rule, and failed store reads share the refresh back-off.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, DateTime, Effect, Fiber, Layer, Metric, type MetricState, Option, Redacted, TestClock } from "effect"
import * as TokenManager from "../src/TokenManager.js"
import { FlakyStore, ScriptedServer } from "./TokenFixtures.js"

const KEY = "merchant-DEMO"
const value = Redacted.value

/** Lets work started behind a caller (or by the manager's own fibers) run; the fakes never wait. */
const settle = Effect.repeatN(Effect.yieldNow(), 30)

const persistFailures = Effect.map(
  Metric.value(TokenManager.metrics.persistFailures),
  (state: MetricState.MetricState.Counter<number>) => state.count
)

/** One "process": a manager on the shared store and server, built in the test's scope. */
const processOn = (server: ScriptedServer, store: FlakyStore, options: TokenManager.TokenManagerOptions = {}) =>
  Layer.build(
    TokenManager.layer({ key: KEY, retryBackoff: "1 second", ...options }).pipe(
      Layer.provide(Layer.merge(store.layer(), server.layer()))
    )
  ).pipe(Effect.map(Context.get(TokenManager.TokenManager)))

/** Logged in at time 0 (expires at 60 min, refresh point 55 min), then moved past the refresh point. */
const loggedIn = (server: ScriptedServer, manager: TokenManager.TokenManager.Service) =>
  Effect.tap(manager.save(server.initial()), () => TestClock.adjust("56 minutes"))

/** One process whose refresh at 56 min rotated the tokens while the store refused every write with `reason`. */
const rotatedButUnstored = (reason: "Unavailable" | "Timeout") =>
  Effect.gen(function* () {
    const server = new ScriptedServer()
    const store = new FlakyStore()
    const manager = yield* processOn(server, store)
    yield* loggedIn(server, manager)
    store.failWrites = reason
    yield* manager.accessToken
    yield* settle
    const rotated = yield* manager.accessToken
    return { server, store, manager, rotated }
  })

describe("TokenManager: a rotation the store could not take", () => {
  it.scoped(
    "stays pending with the lease held, is stored after the back-off, and no process spends the retired token",
    () =>
      Effect.gen(function* () {
        const server = new ScriptedServer() // rotation with reuse detection: a retired refresh token kills the grant
        const store = new FlakyStore({ lease: true })
        const a = yield* processOn(server, store)
        const b = yield* processOn(server, store)
        const first = yield* loggedIn(server, a)
        const failuresBefore = yield* persistFailures

        store.failWrites = "Unavailable"
        expect(value(yield* a.accessToken)).toBe(value(first.accessToken))
        yield* settle
        expect(server.refreshRequests).toBe(1)
        const rotated = yield* a.accessToken
        expect(value(rotated)).not.toBe(value(first.accessToken)) // served from memory at once
        expect((yield* store.stored(KEY)).version).toBe(1) // the store still holds the retired refresh token
        expect((yield* persistFailures) - failuresBefore).toBe(1)
        expect(store.leaseHeld).toBe(true)

        // Another process past the refresh point waits for the lease instead of refreshing with the retired token.
        const other = yield* Effect.fork(b.accessToken)
        yield* settle
        expect(other.unsafePoll()).toBeNull()
        // Within the back-off nobody tries to write again.
        const writes = store.writes
        yield* Effect.repeatN(a.accessToken, 5)
        yield* settle
        expect(store.writes).toBe(writes)

        // The store is back: the manager's own fiber stores the rotation after the back-off, with no caller.
        store.failWrites = undefined
        yield* TestClock.adjust("1 second")
        yield* settle
        const stored = yield* store.stored(KEY)
        expect([stored.version, value(stored.accessToken)]).toEqual([2, value(rotated)])
        expect(value(Option.getOrThrow(stored.refreshToken))).toBe(server.currentRefreshToken)
        expect(store.leaseHeld).toBe(false)
        // …and the other process finds it there.
        expect(value(yield* Fiber.join(other))).toBe(value(rotated))
        expect(server.refreshRequests).toBe(1)
        expect(server.familyRevoked).toBe(false)
      })
  )

  it.scoped("never refreshes from the retired token while pending; once stored, refreshes from the pending one", () =>
    Effect.gen(function* () {
      const { manager, server, store } = yield* rotatedButUnstored("Timeout")
      expect(server.refreshRequests).toBe(1)

      // Both access tokens have expired and the store still fails: a typed store error, no refresh request.
      yield* TestClock.adjust("2 hours")
      const error = yield* Effect.flip(manager.accessToken)
      expect(error).toMatchObject({ _tag: "TokenStoreError", reason: "Timeout" })
      const forced = yield* Effect.flip(manager.refresh)
      expect(forced._tag).toBe("TokenStoreError")
      expect(server.refreshRequests).toBe(1)

      store.failWrites = undefined
      yield* TestClock.adjust("1 minute")
      const renewed = yield* manager.tokens
      expect(renewed.version).toBe(3) // the pending rotation (2), then a refresh from its refresh token (3)
      expect(server.refreshRequests).toBe(2)
      expect(server.familyRevoked).toBe(false)
      expect(value(Option.getOrThrow((yield* store.stored(KEY)).refreshToken))).toBe(server.currentRefreshToken)
    })
  )

  it.scoped(
    "on a conflict, tokens issued before the rotation are written over; tokens issued after it are adopted",
    () =>
      Effect.gen(function* () {
        const { rotated, store: olderStore } = yield* rotatedButUnstored("Unavailable")
        // Meanwhile someone stores a set requested at time 0 (before the rotation at 56 min) as version 2.
        const stale = Option.getOrThrow(yield* olderStore.inner.load(KEY))
        yield* olderStore.inner.compareAndSet(KEY, 1, { ...stale, accessToken: Redacted.make("stale-access") })
        olderStore.failWrites = undefined
        yield* TestClock.adjust("1 second")
        yield* settle
        const kept = yield* olderStore.stored(KEY)
        expect([kept.version, value(kept.accessToken)]).toEqual([3, value(rotated)])

        const { manager: b, server: newer, store: newerStore } = yield* rotatedButUnstored("Unavailable")
        // Someone logs in again after the rotation: a newer grant, which wins.
        const login = newer.initial()
        const now = yield* TestClock.currentTimeMillis
        yield* newerStore.inner.save(KEY, {
          accessToken: login.accessToken,
          refreshToken: login.refreshToken,
          expiresAt: DateTime.unsafeMake(now + 3_600_000),
          issuedAt: DateTime.unsafeMake(now),
          scope: Option.none()
        })
        newerStore.failWrites = undefined
        yield* TestClock.adjust("1 second")
        yield* settle
        const adopted = yield* newerStore.stored(KEY)
        expect([adopted.version, value(adopted.accessToken)]).toEqual([2, value(login.accessToken)])
        expect(value(yield* b.accessToken)).toBe(value(login.accessToken))
      })
  )
})

describe("TokenManager: store reads that fail", () => {
  it.scoped("share the back-off: one read per back-off, the valid token served meanwhile, then the typed error", () =>
    Effect.gen(function* () {
      const server = new ScriptedServer()
      const store = new FlakyStore()
      const manager = yield* processOn(server, store)
      const first = yield* loggedIn(server, manager)
      store.failLoads = "Unavailable"
      const loads = store.loads
      const answers = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        () => manager.accessToken
      )
      yield* settle
      yield* Effect.repeatN(manager.accessToken, 5)
      yield* settle
      expect(answers.map(value)).toEqual(answers.map(() => value(first.accessToken)))
      expect(store.loads - loads).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* Effect.repeatN(manager.accessToken, 5)
      yield* settle
      expect(store.loads - loads).toBe(2)
      expect(server.refreshRequests).toBe(0)
      // Expired: the store's error, typed (not "re-authorize"), until the store answers again.
      yield* TestClock.adjust("1 hour")
      expect(yield* Effect.flip(manager.accessToken)).toMatchObject({ _tag: "TokenStoreError", reason: "Unavailable" })
      store.failLoads = undefined
      yield* TestClock.adjust("1 minute")
      const renewed = yield* manager.tokens
      expect(renewed.version).toBe(2)
      expect(server.refreshRequests).toBe(1)
    })
  )

  it.scoped(
    "a long back-off after a store failure ends at the token's expiry: a store back by then is read in time",
    () =>
      Effect.gen(function* () {
        const server = new ScriptedServer()
        const store = new FlakyStore()
        const manager = yield* processOn(server, store, { retryBackoff: "10 minutes", maxRetryBackoff: "1 hour" })
        const first = yield* loggedIn(server, manager)
        store.failLoads = "Unavailable"
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        yield* settle
        store.failLoads = undefined
        yield* TestClock.adjust("3 minutes") // 59 min: within the back-off, the valid token is served from memory
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        expect(server.refreshRequests).toBe(0)
        yield* TestClock.adjust("1 minute") // 60 min: expired, and the back-off (till 66 min) is cut to the expiry
        const renewed = yield* manager.tokens
        expect(renewed.version).toBe(2)
        expect(server.refreshRequests).toBe(1)
      })
  )
})
