/**
 * One setting picks the database: SQLite by default (a file made 0600), PostgreSQL from a postgres:// URL (run
 * against the real server in PgTokenStore.test.ts), any other URL refused without quoting it.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { TokenStore } from "@ultracart-oauth/adapters"
import { ConfigProvider, Effect, Exit, Layer, Option, Redacted } from "effect"
import { statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as TokenDatabase from "../src/TokenDatabase.js"
import { tempDir } from "./utils/Databases.js"
import { input, plain } from "./utils/fixtures.js"

const parse = (value: string | undefined) => TokenDatabase.parse(value === undefined ? undefined : Redacted.make(value))

describe("TokenDatabase", () => {
  it.effect(
    "postgres:// and postgresql:// are PostgreSQL; anything else a SQLite file, ultracart-oauth.db by default",
    () =>
      Effect.gen(function* () {
        const pg = yield* parse("postgres://app:s3cret@db.internal:5432/shop")
        expect(pg._tag === "Postgres" && Redacted.value(pg.url)).toBe("postgres://app:s3cret@db.internal:5432/shop")
        expect((yield* parse("postgresql://db/shop"))._tag).toBe("Postgres")
        expect(yield* parse(undefined)).toEqual({ _tag: "Sqlite", filename: "ultracart-oauth.db" })
        expect(yield* parse("  ")).toEqual({ _tag: "Sqlite", filename: "ultracart-oauth.db" })
        expect(yield* parse("/var/lib/app/tokens.db")).toEqual({ _tag: "Sqlite", filename: "/var/lib/app/tokens.db" })
        expect(yield* parse("sqlite:data/tokens.db")).toEqual({ _tag: "Sqlite", filename: "data/tokens.db" })
      })
  )

  it.effect("a URL of another database is InvalidInput, and the error does not quote it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(parse("mysql://root:s3cret@db/shop"))
      expect(error).toMatchObject({ _tag: "InvalidInput", field: "ULTRACART_DATABASE_URL" })
      expect(error.message).not.toContain("s3cret")
    })
  )

  it.scoped("from configuration: a SQLite file (created 0600 in a new 0700 directory), the store and its client", () =>
    Effect.gen(function* () {
      const dir = join(yield* tempDir, "state")
      const file = join(dir, "tokens.db")
      const environment = ConfigProvider.fromMap(
        new Map([
          ["ULTRACART_DATABASE_URL", `sqlite:${file}`],
          ["ULTRACART_SQL_TABLE", "grants"]
        ])
      )
      const context = yield* Layer.build(
        TokenDatabase.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(environment)))
      )
      const store = yield* Effect.provide(TokenStore.TokenStore, context)
      yield* store.save("m", input(1))
      expect(plain(Option.getOrThrow(yield* store.load("m")))).toBe("access-1")
      const sql = yield* Effect.provide(SqlClient.SqlClient, context)
      const rows = yield* sql<{ grant_key: string }>`SELECT grant_key FROM grants`
      expect(rows).toEqual([{ grant_key: "m" }])
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(statSync(dir).mode & 0o777).toBe(0o700)
    })
  )

  it.scoped("a file that is not a SQLite database is a typed SqlError, not a crash", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      // Not a SQLite database: better-sqlite3 throws on its first statement.
      writeFileSync(join(dir, "tokens.db"), "not a database, but long enough to have a header of its own".repeat(4))
      const exit = yield* Effect.exit(Layer.build(TokenDatabase.layer({ url: Redacted.make(join(dir, "tokens.db")) })))
      expect(Exit.isFailure(exit) && exit.cause._tag).toBe("Fail")
      expect(Exit.isFailure(exit) && exit.cause.toString()).toContain("SqlError")
    })
  )
})
