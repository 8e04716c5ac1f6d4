/**
 * The SQL store on a real PostgreSQL server (started by the layer on a free loopback port, in a throwaway data
 * directory; a fresh table per test): the TokenStore contract, the store's own suite and the lease.
 */
import { expect, layer } from "@effect/vitest"
import { TokenEncryption, TokenStore } from "@ultracart-oauth/adapters"
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Config, ConfigProvider, Context, Effect, Layer, Option, Redacted } from "effect"
import { SqlTokenStore } from "../src/index.js"
import * as TokenDatabase from "../src/TokenDatabase.js"
import { tokenStoreContract } from "../../adapters/test/utils/TokenStoreContract.js"
import { leaseSuite } from "./utils/leaseSuite.js"
import { storeSuite } from "./utils/storeSuite.js"
import { freshStore, freshTable, pgClient, postgres } from "./utils/Databases.js"
import { input, plain } from "./utils/fixtures.js"
import * as PgServer from "./utils/PgServer.js"

layer(postgres, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
  tokenStoreContract(it, "PostgreSQL", () =>
    Layer.scoped(
      TokenStore.TokenStore,
      Effect.map(freshStore(), ({ store }) => store)
    )
  )
  storeSuite(it, "PostgreSQL")

  it.scoped("the README's PostgreSQL layers: the app's pool from DATABASE_URL, tokens sealed with the key", () =>
    Effect.gen(function* () {
      const server = yield* PgServer.PgServer
      const table = freshTable()
      const environment = ConfigProvider.fromMap(
        new Map([
          ["DATABASE_URL", Redacted.value(server.url)],
          ["ULTRACART_SQL_TABLE", table],
          ["ULTRACART_TOKEN_ENCRYPTION_KEY", Redacted.value(yield* TokenEncryption.generateKey)]
        ])
      )
      // --- README: PostgreSQL ---
      const StoreLive = SqlTokenStore.layerConfig().pipe(
        // ULTRACART_TOKEN_ENCRYPTION_KEY, ULTRACART_SQL_* (below)
        Layer.provide(PgClient.layerConfig({ url: Config.redacted("DATABASE_URL") }))
      )
      // --- end ---
      const context = yield* Layer.build(StoreLive.pipe(Layer.provide(Layer.setConfigProvider(environment))))
      const store = Context.get(context, TokenStore.TokenStore)
      yield* store.save("m", input(1))
      expect(plain(Option.getOrThrow(yield* store.load("m")))).toBe("access-1")
      const raw = yield* pgClient(server.url)
      const rows = yield* raw<{ encryption: string; data: string }>`SELECT encryption, data FROM ${raw(table)}`
      expect(rows.map((r) => r.encryption)).toEqual(["A256GCM"])
      expect(rows[0]?.data).not.toContain("access-1")
    })
  )

  it.scoped("TokenDatabase: a postgres:// URL from ULTRACART_DATABASE_URL is this server, store and client", () =>
    Effect.gen(function* () {
      const server = yield* PgServer.PgServer
      const table = freshTable()
      const environment = ConfigProvider.fromMap(
        new Map([
          ["ULTRACART_DATABASE_URL", Redacted.value(server.url)],
          ["ULTRACART_SQL_TABLE", table]
        ])
      )
      const context = yield* Layer.build(
        TokenDatabase.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(environment)))
      )
      const store = Context.get(context, TokenStore.TokenStore)
      yield* store.save("m", input(1))
      expect(plain(Option.getOrThrow(yield* store.load("m")))).toBe("access-1")
      const sql = Context.get(context, SqlClient.SqlClient)
      expect(sql.onDialectOrElse({ pg: () => "pg", orElse: () => "other" })).toBe("pg")
      const rows = yield* sql<{ grant_key: string }>`SELECT grant_key FROM ${sql(table)}`
      expect(rows).toEqual([{ grant_key: "m" }])
    })
  )
  leaseSuite(it, "PostgreSQL")
})
