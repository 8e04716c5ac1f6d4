/**
 * The refresh lease against a real Redis: exclusive, fenced, renewed while held, freed by expiry when its holder
 * dies, never freed by a holder that lost it, bounded waits. TTLs are a few hundred milliseconds (Redis's own
 * clock, so the live one here).
 */
import { describe, expect, layer } from "@effect/vitest"
import { expectHandedOver } from "@ultracart-oauth/test-support/StoreConformance"
import { Duration, Effect, Exit, Fiber, Scope } from "effect"
import * as RedisConnection from "../src/RedisConnection.js"
import * as RedisLease from "../src/RedisLease.js"
import { freshPrefix, rawClient, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

const keysFor = (prefix: string): RedisLease.LeaseKeys => ({ lease: `${prefix}{g}:lease`, fence: `${prefix}{g}:fence` })

/** A connection of its own: a "process". */
const connection = Effect.flatMap(RedisServer.RedisServer, (server) =>
  Effect.orDie(RedisConnection.make({ url: server.url }))
)

/** Takes the lease in a scope of its own, closed by the caller. */
const holdIn = (scope: Scope.Scope, keys: RedisLease.LeaseKeys, options: RedisLease.LeaseOptions) =>
  Effect.flatMap(connection, (client) => Scope.extend(RedisLease.acquire(client, keys, options), scope))

const options = { ttl: "300 millis", timeout: "5 seconds" } as const

layer(RedisServer.layer(), { excludeTestServices: true })((it) => {
  describe("RedisLease", () => {
    it.scoped("one holder at a time: the next one gets it when it is released, with a greater fence", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const keys = keysFor(freshPrefix())
        const { a, b, second } = yield* expectHandedOver((scope) => holdIn(scope, keys, options))
        expect(yield* b.isHeld).toBe(true)
        expect(yield* a.isHeld).toBe(false)
        yield* Scope.close(second, Exit.void)
        expect(yield* Effect.promise(() => raw.exists(keys.lease))).toBe(0)
      })
    )

    it.scoped("a dead holder's lease frees itself after its TTL", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const keys = keysFor(freshPrefix())
        // What a process killed while holding the lease leaves behind: a value nobody renews.
        yield* Effect.promise(() => raw.set(keys.lease, "7:dead-process", "PX", 400))
        const started = Date.now()
        const scope = yield* Scope.make()
        yield* holdIn(scope, keys, options)
        const waited = Date.now() - started
        expect(waited).toBeGreaterThanOrEqual(300)
        expect(waited).toBeLessThan(1_500)
        yield* Scope.close(scope, Exit.void)
      })
    )

    it.scoped("a held lease is renewed: it outlives its TTL while its holder is alive", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const keys = keysFor(freshPrefix())
        const lease = yield* RedisLease.acquire(yield* connection, keys, { ttl: "200 millis", timeout: "1 second" })
        yield* Effect.sleep("700 millis")
        expect(yield* lease.isHeld).toBe(true)
        expect(yield* Effect.promise(() => raw.pttl(keys.lease))).toBeGreaterThan(0)
      })
    )

    it.scoped("a holder whose lease expired and went to another never renews or releases the new holder's", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const keys = keysFor(freshPrefix())
        const first = yield* Scope.make()
        const a = yield* holdIn(first, keys, { ttl: "1 second", timeout: "1 second" })
        // a stalls past its TTL (as a paused process would): Redis expires its lease, b takes it.
        yield* Effect.promise(() => raw.del(keys.lease))
        const second = yield* Scope.make()
        const b = yield* holdIn(second, keys, { ttl: "1 second", timeout: "1 second" })
        const bValue = yield* Effect.promise(() => raw.get(keys.lease))
        expect(yield* a.isHeld).toBe(false)
        expect(yield* a.release).toBe(false)
        yield* Scope.close(first, Exit.void)
        expect(yield* Effect.promise(() => raw.get(keys.lease))).toBe(bValue)
        expect(yield* b.isHeld).toBe(true)
        expect(b.fence).toBeGreaterThan(a.fence)
        yield* Scope.close(second, Exit.void)
      })
    )

    it.scoped("waiting is bounded: LeaseTimeout, and the store reports it as Locked", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const prefix = freshPrefix()
        yield* Effect.promise(() => raw.set(`${prefix}{g}:lease`, "1:someone", "PX", 10_000))
        const error = yield* Effect.flip(
          RedisLease.acquire(yield* connection, keysFor(prefix), { ttl: "1 second", timeout: "200 millis" })
        )
        expect(error).toMatchObject({ _tag: "LeaseTimeout", lease: `${prefix}{g}:lease` })
        const store = yield* storeOn({ prefix, leaseTimeout: "200 millis" })
        const fromStore = yield* Effect.flip(Effect.scoped(store.lease!("g")))
        expect(fromStore).toMatchObject({ _tag: "TokenStoreError", operation: "lease", key: "g", reason: "Locked" })
      })
    )

    it.scoped("an interrupted waiter leaves no lease behind", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const keys = keysFor(freshPrefix())
        const first = yield* Scope.make()
        // A TTL no renewal delay on a loaded machine reaches: the waiter must never get the lease by expiry.
        yield* holdIn(first, keys, { ...options, ttl: "1 minute" })
        const second = yield* Scope.make()
        const waiting = yield* Effect.fork(holdIn(second, keys, options))
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(waiting)
        yield* Scope.close(first, Exit.void)
        yield* Scope.close(second, Exit.void)
        expect(yield* Effect.promise(() => raw.exists(keys.lease))).toBe(0)
      })
    )

    it.scoped("fences grow with every lease taken on the keys", () =>
      Effect.gen(function* () {
        const keys = keysFor(freshPrefix())
        const client = yield* connection
        const fences = yield* Effect.forEach([1, 2, 3, 4], () =>
          Effect.scoped(Effect.map(RedisLease.acquire(client, keys, options), (l) => l.fence))
        )
        expect(fences).toEqual([1, 2, 3, 4])
      })
    )

    it.scoped(
      "a lease is held at most maxHold: renewal stops there and it expires, however long its scope stays open",
      () =>
        Effect.gen(function* () {
          const raw = yield* rawClient
          const keys = keysFor(freshPrefix())
          const lease = yield* RedisLease.acquire(yield* connection, keys, {
            ttl: "200 millis",
            timeout: "1 second",
            maxHold: "700 millis"
          })
          yield* Effect.sleep("400 millis")
          // Renewed past its TTL while within maxHold…
          expect(yield* lease.isHeld).toBe(true)
          yield* Effect.sleep("700 millis")
          // …and gone after it, though its scope is still open.
          expect(yield* lease.isHeld).toBe(false)
          expect(yield* Effect.promise(() => raw.exists(keys.lease))).toBe(0)
          const next = yield* RedisLease.acquire(yield* connection, keys, { ttl: "1 second", timeout: "100 millis" })
          expect(next.fence).toBeGreaterThan(lease.fence)
        })
    )

    it.scoped("a refresh that hangs with the store's lease frees it after maxLeaseHold for another process", () =>
      Effect.gen(function* () {
        const prefix = freshPrefix()
        const hung = yield* storeOn({ prefix, leaseTtl: "200 millis", maxLeaseHold: "500 millis" })
        const other = yield* storeOn({ prefix, leaseTtl: "200 millis", leaseTimeout: "5 seconds" })
        // Held for the rest of the test, as by a refresh that never returns.
        yield* hung.lease?.("g") ?? Effect.void
        const [waited] = yield* Effect.timed(Effect.scoped(other.lease?.("g") ?? Effect.void))
        expect(Duration.toMillis(waited)).toBeGreaterThanOrEqual(400)
      })
    )
  })
})
