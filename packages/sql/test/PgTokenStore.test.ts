/**
 * The SQL store on a real PostgreSQL server (started by the layer on a free loopback port, in a throwaway data
 * directory; a fresh table per test): the TokenStore contract, the store's own suite and the lease.
 */
import { expect, layer } from "@effect/vitest"
import { TokenStore } from "@ultracart-oauth/adapters"
import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Context, Effect, Layer, Option, Redacted } from "effect"
import * as TokenDatabase from "../src/TokenDatabase.js"
import { tokenStoreContract } from "../../adapters/test/utils/TokenStoreContract.js"
import { leaseSuite } from "./utils/leaseSuite.js"
import { storeSuite } from "./utils/storeSuite.js"
import { freshStore, freshTable, postgres } from "./utils/Databases.js"
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
