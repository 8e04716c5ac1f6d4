/**
 * The databases the tests run on, behind one service so that every suite runs on both: SQLite (a fresh file per
 * test, no server) and PostgreSQL (one real server per test file, a fresh table per test). `fresh` gives a test
 * its own database; `connect` opens another connection to it (a client of its own: another "process").
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlTokenSchema from "../../src/SqlTokenSchema.js"
import * as SqlTokenStore from "../../src/SqlTokenStore.js"
import * as PgServer from "./PgServer.js"

export interface Fresh {
  /** A new client on this test's database. */
  readonly connect: Effect.Effect<SqlClient.SqlClient, never, Scope.Scope>
  /** The table for this test's store (a fresh one on PostgreSQL, the default on a fresh SQLite file). */
  readonly table: string
  /** What a worker process sets `ULTRACART_DATABASE_URL` to for this database. */
  readonly url: string
}

export interface Database {
  readonly name: "SQLite" | "PostgreSQL"
  readonly fresh: Effect.Effect<Fresh, never, Scope.Scope>
}

export class TestDatabase extends Context.Tag("test/TestDatabase")<TestDatabase, Database>() {}

/** A client from a client Layer, for the rest of the scope. */
const clientOf = <E>(layer: Layer.Layer<SqlClient.SqlClient, E>) =>
  Effect.map(Layer.build(Layer.orDie(layer)), (context) => Context.get(context, SqlClient.SqlClient))

export const sqliteClient = (filename: string) => clientOf(SqliteClient.layer({ filename }))

export const pgClient = (url: Redacted.Redacted<string>) => clientOf(PgClient.layer({ url, maxConnections: 20 }))

/** A temporary directory, removed with the scope. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "ultracart-sql-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

let tables = 0

/** A table name no other test of this run uses. */
export const freshTable = (): string => `t_${process.pid}_${++tables}`

export const sqlite: Layer.Layer<TestDatabase> = Layer.succeed(TestDatabase, {
  name: "SQLite",
  fresh: Effect.map(tempDir, (dir) => {
    const file = join(dir, "tokens.db")
    return { connect: sqliteClient(file), table: SqlTokenSchema.DEFAULT_TABLE, url: file }
  })
})

export const postgres: Layer.Layer<TestDatabase | PgServer.PgServer, unknown> = Layer.effect(
  TestDatabase,
  Effect.map(PgServer.PgServer, (server) => ({
    name: "PostgreSQL" as const,
    fresh: Effect.sync(() => ({
      connect: pgClient(server.url),
      table: freshTable(),
      url: Redacted.value(server.url)
    }))
  }))
).pipe(Layer.provideMerge(PgServer.layer))

/** A store on a new connection to the test's database. */
export const storeOn = (fresh: Fresh, options: SqlTokenStore.SqlTokenStoreOptions = {}) =>
  Effect.flatMap(fresh.connect, (client) =>
    SqlTokenStore.make({ table: fresh.table, ...options }).pipe(
      Effect.provideService(SqlClient.SqlClient, client),
      Effect.orDie
    )
  )

/** A fresh database of the test's kind and a store on it. */
export const freshStore = (options: SqlTokenStore.SqlTokenStoreOptions = {}) =>
  Effect.gen(function* () {
    const fresh = yield* Effect.flatMap(TestDatabase, (db) => db.fresh)
    return { fresh, store: yield* storeOn(fresh, options) }
  })
