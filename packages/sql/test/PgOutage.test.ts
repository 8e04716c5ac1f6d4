/**
 * PostgreSQL going away and coming back, against a real server the tests stop and start on the same port: typed,
 * immediate failures while it is away (`Unavailable`), no answer in time (`Timeout`), a connection cut in the
 * middle of a statement (`Unavailable`); and the token manager over it keeping a rotation it could not store
 * until the database is back, then storing it — the grant stays alive.
 */
import { describe, expect, layer } from "@effect/vitest"
import type { OAuthClient } from "@ultracart-oauth/core"
import * as FakeGrant from "@ultracart-oauth/test-support/FakeGrant"
import { expectFoundAfterStart, failuresWithin } from "@ultracart-oauth/test-support/StoreConformance"
import { type Duration, Effect, Fiber, Option } from "effect"
import type * as SqlTokenStore from "../src/SqlTokenStore.js"
import { type Fresh, postgres, storeOn, TestDatabase } from "./utils/Databases.js"
import { eventually, input, plain } from "./utils/fixtures.js"
import * as PgServer from "./utils/PgServer.js"

const KEY = "shop"

/** A "process": its own connection pool, store and token manager. */
const processOn = (oauth: OAuthClient.OAuthClient.Service, fresh: Fresh) =>
  FakeGrant.processOn(oauth, storeOn(fresh), KEY)

const freshDatabase = Effect.flatMap(TestDatabase, (db) => db.fresh)

/**
 * A store on a fresh database with grant "m" saved, and another session (`raw`) that holds that row locked
 * (`SELECT … FOR UPDATE` in a transaction) for `duration`, from 100 ms before this returns.
 */
const rowHeld = (options: SqlTokenStore.SqlTokenStoreOptions, duration: Duration.DurationInput) =>
  Effect.gen(function* () {
    const fresh = yield* freshDatabase
    const s = yield* storeOn(fresh, options)
    yield* s.save("m", input(1))
    const raw = yield* fresh.connect
    const holding = yield* Effect.fork(
      raw.withTransaction(
        Effect.zipRight(
          raw`SELECT version FROM ${raw(fresh.table)} WHERE grant_key = 'm' FOR UPDATE`,
          Effect.sleep(duration)
        )
      )
    )
    yield* Effect.sleep("100 millis")
    return { s, raw, holding }
  })

layer(postgres, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
  describe("PostgreSQL away", () => {
    it.scoped(
      "every operation fails at once with Unavailable; the same store works again after a restart",
      () =>
        Effect.gen(function* () {
          const server = yield* PgServer.PgServer
          yield* Effect.addFinalizer(() => server.start)
          const s = yield* storeOn(yield* freshDatabase)
          yield* s.save("m", input(1))
          yield* server.stop
          const errors = yield* failuresWithin(
            [
              s.load("m"),
              s.save("m", input(2)),
              s.compareAndSet("m", 1, input(2)),
              s.clear("m"),
              s.list(),
              Effect.scoped(s.lease!("m"))
            ],
            2_000
          )
          expect(errors.map((e) => [e._tag, e.operation, e.reason])).toEqual([
            ["TokenStoreError", "load", "Unavailable"],
            ["TokenStoreError", "save", "Unavailable"],
            ["TokenStoreError", "compareAndSet", "Unavailable"],
            ["TokenStoreError", "clear", "Unavailable"],
            ["TokenStoreError", "list", "Unavailable"],
            ["TokenStoreError", "lease", "Unavailable"]
          ])
          expect(errors[0]!.detail).toMatch(/^database unavailable \(ECONNREFUSED/)
          yield* expectFoundAfterStart(server.start, s)
        }),
      { timeout: 20_000 }
    )

    it.scoped("a statement that gets no answer in time fails with Timeout, and the store goes on", () =>
      Effect.gen(function* () {
        // Another session holds the row for 1 s: the store's write waits for it, and gives up at 200 ms.
        const { s, holding } = yield* rowHeld({ statementTimeout: "200 millis" }, "1 second")
        const error = yield* Effect.flip(s.compareAndSet("m", 1, input(2)))
        expect(error).toMatchObject({ _tag: "TokenStoreError", operation: "compareAndSet", reason: "Timeout" })
        expect(error.detail).toMatch(/^database timeout/)
        yield* Fiber.join(holding)
        // The abandoned write was cancelled, not left to land later: the row is as it was.
        expect(Option.map(yield* eventually(s.load("m")), (t) => t.version)).toEqual(Option.some(1))
        expect((yield* s.compareAndSet("m", 1, input(2)))._tag).toBe("Written")
      })
    )

    it.scoped("a connection cut in the middle of a statement is Unavailable", () =>
      Effect.gen(function* () {
        const { s, raw, holding } = yield* rowHeld({}, "2 seconds")
        const writing = yield* Effect.fork(Effect.flip(s.compareAndSet("m", 1, input(2))))
        // The store's session, waiting for the row lock, is terminated by the server (as a failover would).
        yield* eventually(
          Effect.filterOrFail(
            raw<{ pid: number }>`SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE%'`,
            (rows) => rows.length === 1
          )
        )
        const error = yield* Fiber.join(writing)
        expect(error).toMatchObject({ operation: "compareAndSet", reason: "Unavailable" })
        expect(error.detail).toContain("57P01")
        yield* Fiber.interrupt(holding)
      })
    )
  })

  describe("the token manager over PostgreSQL while it is away", () => {
    it.scoped(
      "PostgreSQL stopped during a refresh: the rotation is kept, stored when it is back, and the grant lives on",
      () =>
        Effect.gen(function* () {
          const server = yield* PgServer.PgServer
          yield* Effect.addFinalizer(() => server.start)
          const { fake, oauth } = yield* FakeGrant.fakeUltraCart({ accessTokenLifetime: "1 minute" })
          const fresh = yield* freshDatabase
          const a = yield* processOn(oauth, fresh)
          yield* a.save(yield* FakeGrant.issued(fake))
          // UltraCart takes its time; PostgreSQL stops while the refresh is on the wire.
          const rotated = yield* FakeGrant.refreshAcrossStop(fake, a, server.stop)
          expect(rotated.version).toBe(2)
          yield* server.start
          // The manager's retrier stores the rotation after its back-off, once the database answers.
          const stored = yield* eventually(
            Effect.flatMap(storeOn(fresh), (s) =>
              Effect.filterOrFail(s.load(KEY), (t) => Option.exists(t, (set) => set.version === 2))
            ),
            "10 seconds"
          )
          expect(Option.map(stored, plain)).toEqual(Option.some(plain(rotated)))
          expect(yield* fake.requestCount(FakeGrant.REFRESHES)).toBe(1)
          // Another process finds the rotation as is, and can rotate from it: the grant is alive.
          yield* FakeGrant.expectRotationUsableBy(fake, yield* processOn(oauth, fresh), rotated)
        }),
      { timeout: 30_000 }
    )
  })
})
