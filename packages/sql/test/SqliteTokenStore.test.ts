/**
 * The SQL store on SQLite (a fresh temporary file per test, through `@effect/sql-sqlite-node`): the TokenStore
 * contract, the store's own suite and the lease. Live clock: the lease's expiry is the database's clock.
 */
import { layer } from "@effect/vitest"
import { TokenStore } from "@ultracart-oauth/adapters"
import { Effect, Layer } from "effect"
import { tokenStoreContract } from "../../adapters/test/utils/TokenStoreContract.js"
import { leaseSuite } from "./utils/leaseSuite.js"
import { storeSuite } from "./utils/storeSuite.js"
import { freshStore, sqlite } from "./utils/Databases.js"

layer(sqlite, { excludeTestServices: true })((it) => {
  tokenStoreContract(it, "SQLite", () =>
    Layer.scoped(
      TokenStore.TokenStore,
      Effect.map(freshStore(), ({ store }) => store)
    )
  )
  storeSuite(it, "SQLite")
  leaseSuite(it, "SQLite")
})
