/**
 * The SQL store on SQLite (a fresh temporary file per test, through `@effect/sql-sqlite-node`): the TokenStore
 * contract, the store's own suite and the lease. Live clock: the lease's expiry is the database's clock.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { TokenStore } from "@ultracart-oauth/adapters"
import { Deferred, Effect, Fiber, Layer, Option } from "effect"
import * as SqlTokenStore from "../src/SqlTokenStore.js"
import { tokenStoreContract } from "../../adapters/test/utils/TokenStoreContract.js"
import { leaseSuite } from "./utils/leaseSuite.js"
import { storeSuite } from "./utils/storeSuite.js"
import { freshStore, sqlite, TestDatabase } from "./utils/Databases.js"
import { input, plain } from "./utils/fixtures.js"

layer(sqlite, { excludeTestServices: true })((it) => {
  tokenStoreContract(it, "SQLite", () =>
    Layer.scoped(
      TokenStore.TokenStore,
      Effect.map(freshStore(), ({ store }) => store)
    )
  )
  storeSuite(it, "SQLite")

  it.scoped("a file another connection keeps locked past SQLite's busy timeout: Locked, and nothing is lost", () =>
    Effect.gen(function* () {
      const fresh = yield* Effect.flatMap(TestDatabase, (db) => db.fresh)
      const client = yield* fresh.connect
      yield* Effect.orDie(client`PRAGMA busy_timeout = 100`)
      const store = yield* SqlTokenStore.make({ table: fresh.table }).pipe(
        Effect.provideService(SqlClient.SqlClient, client),
        Effect.orDie
      )
      yield* store.save("m", input(1))
      // Another connection (another process, for SQLite) holds the write lock in an open transaction.
      const other = yield* fresh.connect
      const release = yield* Deferred.make<void>()
      const holding = yield* Effect.fork(
        other.withTransaction(
          Effect.zipRight(other`UPDATE ${other(fresh.table)} SET updated_at = updated_at`, Deferred.await(release))
        )
      )
      yield* Effect.sleep("50 millis")
      const error = yield* Effect.flip(store.compareAndSet("m", 1, input(2)))
      expect(error).toMatchObject({ _tag: "TokenStoreError", operation: "compareAndSet", reason: "Locked" })
      expect(error.detail).toContain("SQLITE_BUSY")
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holding)
      expect(Option.map(yield* store.load("m"), (t) => [plain(t), t.version])).toEqual(Option.some(["access-1", 1]))
      expect((yield* store.compareAndSet("m", 1, input(2)))._tag).toBe("Written")
    })
  )
  leaseSuite(it, "SQLite")
})
