/**
 * What the SQL store promises beyond the shared contract, as one suite run on SQLite and on PostgreSQL: atomicity
 * across connections, rows at rest, encryption, bad rows (corrupt, newer format, wrong key) as typed errors that
 * lose nothing, table names, and migrations.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, type Vitest } from "@effect/vitest"
import { TokenEncryption } from "@ultracart-oauth/adapters"
import { expectOneWinnerOfRace } from "@ultracart-oauth/test-support/StoreConformance"
import { Effect, Exit, Option, Redacted } from "effect"
import * as SqlTokenSchema from "../../src/SqlTokenSchema.js"
import * as SqlTokenStore from "../../src/SqlTokenStore.js"
import { type Fresh, storeOn, TestDatabase } from "./Databases.js"
import { input, plain } from "./fixtures.js"

/** This test's database, and a client on it to look at the rows behind the store's back. */
const freshWithRaw = Effect.gen(function* () {
  const fresh = yield* Effect.flatMap(TestDatabase, (db) => db.fresh)
  return { fresh, raw: yield* fresh.connect }
})

const rowsOf = (fresh: Fresh) =>
  Effect.flatMap(fresh.connect, (raw) =>
    Effect.orDie(raw<Record<string, unknown>>`SELECT * FROM ${raw(fresh.table)} ORDER BY grant_key`)
  )

export const storeSuite = <R, X extends boolean>(it: Vitest.MethodsNonLive<R | TestDatabase, X>, name: string) =>
  describe(`${name}: the SQL store`, () => {
    it.scoped("compareAndSet is atomic across connections: of 8 stores racing over one version, one wins", () =>
      Effect.gen(function* () {
        const fresh = yield* Effect.flatMap(TestDatabase, (db) => db.fresh)
        const stores = yield* Effect.forEach(Array.from({ length: 8 }), () => storeOn(fresh))
        yield* expectOneWinnerOfRace(stores, input)
      })
    )

    it.scoped("one row per grant, plain text without a key; a cleared grant's row is gone", () =>
      Effect.gen(function* () {
        const { fresh } = yield* freshWithRaw
        const s = yield* storeOn(fresh)
        yield* s.save("shop:1", input(1))
        yield* s.save("shop:2", input(2))
        yield* s.clear("shop:2")
        const rows = yield* rowsOf(fresh)
        expect(rows.map((r) => [r.grant_key, Number(r.version), r.format, r.encryption])).toEqual([
          ["shop:1", 1, "ultracart-oauth/token-set@1", "none"]
        ])
        expect(rows[0]?.data).toContain("access-1")
      })
    )

    it.scoped("encrypted: the table holds no token; the same key reads it back on another connection", () =>
      Effect.gen(function* () {
        const { fresh } = yield* freshWithRaw
        const encryptionKey = yield* TokenEncryption.generateKey
        const writer = yield* storeOn(fresh, { encryptionKey })
        const reader = yield* storeOn(fresh, { encryptionKey })
        yield* writer.save("m", input(1))
        const dump = JSON.stringify(yield* rowsOf(fresh))
        expect(dump).toContain("A256GCM")
        expect(dump).not.toContain("access-1")
        expect(dump).not.toContain("refresh-1")
        expect(plain(Option.getOrThrow(yield* reader.load("m")))).toBe("access-1")
        expect((yield* reader.compareAndSet("m", 1, input(2)))._tag).toBe("Written")
      })
    )

    it.scoped("a wrong key, no key, a plain row or a row moved to another grant: Decrypt, and nothing is lost", () =>
      Effect.gen(function* () {
        const { fresh, raw } = yield* freshWithRaw
        const key = yield* TokenEncryption.generateKey
        const sealed = yield* storeOn(fresh, { encryptionKey: key })
        yield* sealed.save("m", input(1))
        const before = yield* rowsOf(fresh)
        const other = yield* storeOn(fresh, { encryptionKey: yield* TokenEncryption.generateKey })
        expect(yield* Effect.flip(other.load("m"))).toMatchObject({ reason: "Decrypt", operation: "load" })
        // A save with the wrong key reads first, fails, and leaves the row as it was.
        expect(yield* Effect.flip(other.save("m", input(2)))).toMatchObject({ reason: "Decrypt", operation: "save" })
        const keyless = yield* storeOn(fresh)
        expect(yield* Effect.flip(keyless.load("m"))).toMatchObject({ reason: "Decrypt" })
        expect(yield* rowsOf(fresh)).toEqual(before)
        yield* keyless.save("plain", input(2))
        expect(yield* Effect.flip(sealed.load("plain"))).toMatchObject({ reason: "Decrypt" })
        const table = raw(fresh.table)
        yield* Effect.orDie(
          raw`INSERT INTO ${table} (grant_key, version, format, encryption, iv, data)
SELECT 'moved', version, format, encryption, iv, data FROM ${table} WHERE grant_key = 'm'`
        )
        expect(yield* Effect.flip(sealed.load("moved"))).toMatchObject({ reason: "Decrypt" })
        expect(plain(Option.getOrThrow(yield* sealed.load("m")))).toBe("access-1")
      })
    )

    it.scoped(
      "a corrupt row is Corrupt, says nothing of its content, is not overwritten by a save; clear removes it",
      () =>
        Effect.gen(function* () {
          const { fresh, raw } = yield* freshWithRaw
          const s = yield* storeOn(fresh)
          const table = raw(fresh.table)
          yield* Effect.orDie(
            raw`INSERT INTO ${table} (grant_key, version, format, encryption, iv, data)
VALUES ('m', 1, 'ultracart-oauth/token-set@1', 'none', '', '{"accessToken":"secret-x"}')`
          )
          yield* Effect.orDie(
            raw`INSERT INTO ${table} (grant_key, version, format, encryption, iv, data)
VALUES ('n', 0, 'ultracart-oauth/token-set@1', 'none', '', '{}')`
          )
          const error = yield* Effect.flip(s.load("m"))
          expect(error).toMatchObject({ _tag: "TokenStoreError", operation: "load", key: "m", reason: "Corrupt" })
          expect(error.message).not.toContain("secret-x")
          expect(yield* Effect.flip(s.load("n"))).toMatchObject({ reason: "Corrupt" })
          expect(yield* Effect.flip(s.save("m", input(1)))).toMatchObject({ reason: "Corrupt", operation: "save" })
          expect((yield* rowsOf(fresh)).map((r) => r.data)).toEqual(['{"accessToken":"secret-x"}', "{}"])
          yield* s.clear("m")
          expect((yield* s.save("m", input(3))).version).toBe(1)
        })
    )

    it.scoped("a row of a newer format: Corrupt saying so, and neither save nor compareAndSet overwrites it", () =>
      Effect.gen(function* () {
        const { fresh, raw } = yield* freshWithRaw
        const s = yield* storeOn(fresh)
        yield* s.save("m", input(1))
        const table = raw(fresh.table)
        yield* Effect.orDie(raw`UPDATE ${table} SET format = 'ultracart-oauth/token-set@2', version = 2`)
        const error = yield* Effect.flip(s.load("m"))
        expect(error).toMatchObject({ reason: "Corrupt" })
        expect(error.detail).toContain("newer version")
        expect(yield* Effect.flip(s.save("m", input(2)))).toMatchObject({ reason: "Corrupt" })
        expect(yield* Effect.flip(s.compareAndSet("m", 2, input(2)))).toMatchObject({ reason: "Corrupt" })
        const rows = yield* rowsOf(fresh)
        expect(rows.map((r) => [r.format, Number(r.version)])).toEqual([["ultracart-oauth/token-set@2", 2]])
        expect(rows[0]?.data).toContain("access-1")
      })
    )

    it.scoped("the table name is configurable (a schema too), and any other name is InvalidInput", () =>
      Effect.gen(function* () {
        const { fresh, raw } = yield* freshWithRaw
        const db = yield* TestDatabase
        // SQLite's main database is its default schema; PostgreSQL's is public.
        const schema = db.name === "SQLite" ? "main" : "public"
        const a = yield* storeOn(fresh, { table: `${schema}.grants_a` })
        const b = yield* storeOn(fresh, { table: "grants_b" })
        yield* a.save("m", input(1))
        expect(Option.isNone(yield* b.load("m"))).toBe(true)
        const rows = yield* Effect.orDie(raw<{ grant_key: string }>`SELECT grant_key FROM ${raw("grants_a")}`)
        expect(rows.map((r) => r.grant_key)).toEqual(["m"])
        for (const table of ["Grants", "grants;drop", "a.b.c", "", "x".repeat(49)]) {
          const exit = yield* Effect.exit(
            SqlTokenStore.make({ table }).pipe(Effect.provideService(SqlClient.SqlClient, raw))
          )
          expect(Exit.isFailure(exit) && exit.cause.toString()).toContain("InvalidInput")
        }
      })
    )

    it.scoped("migrations run once, in the store's own migrations table, even for stores started together", () =>
      Effect.gen(function* () {
        const { fresh, raw } = yield* freshWithRaw
        yield* Effect.all(
          Array.from({ length: 4 }, () => storeOn(fresh)),
          { concurrency: "unbounded" }
        )
        const names = yield* SqlTokenSchema.tables(fresh.table)
        const migrations = yield* Effect.orDie(
          raw<{ migration_id: unknown; name: string }>`SELECT migration_id, name FROM ${raw(names.migrations)}`
        )
        expect(migrations.map((m) => [Number(m.migration_id), m.name])).toEqual([[1, "create_token_tables"]])
        // Nothing left to run; an application's own Migrator table is not touched.
        expect(
          yield* Effect.orDie(SqlTokenSchema.migrate(names).pipe(Effect.provideService(SqlClient.SqlClient, raw)))
        ).toEqual([])
        const unrelated = yield* Effect.exit(raw`SELECT * FROM effect_sql_migrations`)
        expect(Exit.isFailure(unrelated)).toBe(true)
      })
    )

    it.scoped("an unusable encryption key fails the store's construction with InvalidInput", () =>
      Effect.gen(function* () {
        const { fresh, raw } = yield* freshWithRaw
        const exit = yield* Effect.exit(
          SqlTokenStore.make({ table: fresh.table, encryptionKey: Redacted.make("too short") }).pipe(
            Effect.provideService(SqlClient.SqlClient, raw)
          )
        )
        expect(Exit.isFailure(exit) && exit.cause.toString()).toContain("InvalidInput")
      })
    )
  })
