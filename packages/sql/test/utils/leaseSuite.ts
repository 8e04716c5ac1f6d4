/**
 * The refresh lease as a row, on SQLite and on PostgreSQL: exclusive across connections, fenced, renewed while
 * held, freed by expiry when its holder dies, never freed or renewed by a holder that lost it, held no longer
 * than `maxHold`, bounded waits. TTLs are a few hundred milliseconds (the database's clock: the live one here).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, type Vitest } from "@effect/vitest"
import { expectHandedOver } from "@ultracart-oauth/test-support/StoreConformance"
import { Effect, Exit, Fiber, Option, Ref, Scope } from "effect"
import * as SqlLease from "../../src/SqlLease.js"
import * as SqlTokenSchema from "../../src/SqlTokenSchema.js"
import { type Fresh, storeOn, TestDatabase } from "./Databases.js"

interface Setup {
  readonly fresh: Fresh
  readonly table: string
  /** A client on this test's database (the store's migration made the tables). */
  readonly raw: SqlClient.SqlClient
  /** Takes the lease on a connection of its own (a "process"), in a scope the caller closes. */
  readonly holdIn: (
    scope: Scope.Scope,
    key: string,
    options?: Partial<SqlLease.LeaseOptions>
  ) => Effect.Effect<SqlLease.Lease, unknown, Scope.Scope>
}

const defaults = {
  ttl: "300 millis",
  timeout: "5 seconds",
  maxHold: "1 minute",
  statementTimeout: "5 seconds"
} as const

const setUp = Effect.gen(function* () {
  const fresh = yield* Effect.flatMap(TestDatabase, (db) => db.fresh)
  yield* storeOn(fresh)
  const table = (yield* SqlTokenSchema.tables(fresh.table)).leases
  const raw = yield* fresh.connect
  const holdIn: Setup["holdIn"] = (scope, key, options = {}) =>
    Effect.flatMap(fresh.connect, (client) =>
      Scope.extend(
        SqlLease.acquire(key, { ...defaults, table, ...options }).pipe(
          Effect.provideService(SqlClient.SqlClient, client)
        ),
        scope
      )
    )
  return { fresh, table, raw, holdIn } satisfies Setup
})

/** The lease row as the database holds it. */
const rowOf = (setup: Setup, key: string) =>
  Effect.map(
    Effect.orDie(
      setup.raw<{ holder: string | null; fence: unknown; expires_at: unknown }>`SELECT holder, fence, expires_at
FROM ${setup.raw(setup.table)} WHERE grant_key = ${key}`
    ),
    (rows) => Option.fromNullable(rows[0])
  )

export const leaseSuite = <R, X extends boolean>(it: Vitest.MethodsNonLive<R | TestDatabase, X>, name: string) =>
  describe(`${name}: the lease`, () => {
    it.scoped("one holder at a time: the next gets it when it is released, with a greater fence", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        const { a, b, second } = yield* expectHandedOver((scope) => setup.holdIn(scope, "g"))
        expect([yield* a.isHeld, yield* b.isHeld]).toEqual([false, true])
        yield* Scope.close(second, Exit.void)
        expect(Option.map(yield* rowOf(setup, "g"), (r) => r.holder)).toEqual(Option.some(null))
      })
    )

    it.scoped("never two holders: 4 connections taking turns, each sees itself alone while it holds the lease", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        const inside = yield* Ref.make(0)
        const overlaps = yield* Ref.make(0)
        const turn = Effect.scoped(
          Effect.gen(function* () {
            const scope = yield* Effect.scope
            yield* setup.holdIn(scope, "busy")
            if ((yield* Ref.updateAndGet(inside, (n) => n + 1)) !== 1) yield* Ref.update(overlaps, (n) => n + 1)
            yield* Effect.sleep("3 millis")
            yield* Ref.update(inside, (n) => n - 1)
          })
        )
        yield* Effect.all(
          Array.from({ length: 4 }, () => Effect.repeatN(turn, 2)),
          { concurrency: "unbounded" }
        )
        expect(yield* Ref.get(overlaps)).toBe(0)
        // 4 × 3 leases taken, each with the next fence.
        expect(Option.map(yield* rowOf(setup, "busy"), (r) => Number(r.fence))).toEqual(Option.some(12))
      })
    )

    it.scoped("a dead holder's lease frees itself after its TTL", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        // What a process killed while holding the lease leaves behind: a row nobody renews.
        const first = yield* Scope.make()
        yield* setup.holdIn(first, "g")
        yield* Effect.orDie(
          setup.raw`UPDATE ${setup.raw(setup.table)} SET holder = 'dead-process', expires_at = expires_at + 100`
        )
        yield* Scope.close(first, Exit.void)
        const started = Date.now()
        const scope = yield* Scope.make()
        const lease = yield* setup.holdIn(scope, "g")
        const waited = Date.now() - started
        expect(waited).toBeGreaterThanOrEqual(200)
        expect(waited).toBeLessThan(1_500)
        expect(lease.fence).toBe(2)
        yield* Scope.close(scope, Exit.void)
      })
    )

    it.scoped("a held lease is renewed: it outlives its TTL while its holder is alive", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        const lease = yield* setup.holdIn(yield* Effect.scope, "g", { ttl: "200 millis" })
        yield* Effect.sleep("700 millis")
        expect(yield* lease.isHeld).toBe(true)
      })
    )

    it.scoped("a holder is bounded by maxHold: past it the lease expires though renewed, and another takes it", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        const options = { ttl: "150 millis", maxHold: "500 millis" } as const
        const hung = yield* setup.holdIn(yield* Effect.scope, "g", options)
        const started = Date.now()
        const next = yield* setup.holdIn(yield* Effect.scope, "g", options)
        const waited = Date.now() - started
        expect(waited).toBeGreaterThanOrEqual(350)
        expect(waited).toBeLessThan(2_000)
        expect([yield* hung.isHeld, yield* next.isHeld, next.fence > hung.fence]).toEqual([false, true, true])
      })
    )

    it.scoped("a holder whose lease expired and went to another never renews or frees the new holder's", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        const first = yield* Scope.make()
        const a = yield* setup.holdIn(first, "g", { ttl: "1 second" })
        // a stalls past its TTL (as a paused process would): its lease expires, b takes it.
        yield* Effect.orDie(setup.raw`UPDATE ${setup.raw(setup.table)} SET expires_at = 0`)
        const second = yield* Scope.make()
        const b = yield* setup.holdIn(second, "g", { ttl: "1 second" })
        const bRow = yield* rowOf(setup, "g")
        expect([yield* a.isHeld, yield* a.release]).toEqual([false, false])
        yield* Scope.close(first, Exit.void)
        yield* Effect.sleep("400 millis")
        expect(Option.map(yield* rowOf(setup, "g"), (r) => r.holder)).toEqual(Option.map(bRow, (r) => r.holder))
        expect([yield* b.isHeld, b.fence > a.fence]).toEqual([true, true])
        yield* Scope.close(second, Exit.void)
      })
    )

    it.scoped("waiting is bounded: Locked, from the lease and from the store", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        yield* setup.holdIn(yield* Effect.scope, "g", { ttl: "10 seconds" })
        const error = yield* Effect.flip(setup.holdIn(yield* Effect.scope, "g", { timeout: "200 millis" }))
        expect(error).toMatchObject({ _tag: "TokenStoreError", operation: "lease", key: "g", reason: "Locked" })
        const store = yield* storeOn(setup.fresh, { leaseTimeout: "200 millis" })
        const fromStore = yield* Effect.flip(Effect.scoped(store.lease!("g")))
        expect(fromStore).toMatchObject({ _tag: "TokenStoreError", operation: "lease", key: "g", reason: "Locked" })
      })
    )

    it.scoped("an interrupted waiter leaves no lease behind", () =>
      Effect.gen(function* () {
        const setup = yield* setUp
        const first = yield* Scope.make()
        // A TTL no renewal delay on a loaded machine reaches: the waiter must never get the lease by expiry.
        yield* setup.holdIn(first, "g", { ttl: "1 minute" })
        const second = yield* Scope.make()
        const waiting = yield* Effect.fork(setup.holdIn(second, "g"))
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(waiting)
        yield* Scope.close(first, Exit.void)
        yield* Scope.close(second, Exit.void)
        expect(Option.map(yield* rowOf(setup, "g"), (r) => [r.holder, Number(r.fence)])).toEqual(Option.some([null, 1]))
      })
    )
  })
