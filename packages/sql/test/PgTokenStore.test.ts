/**
 * The SQL store on a real PostgreSQL server (started by the layer on a free loopback port, in a throwaway data
 * directory; a fresh table per test): the TokenStore contract, the store's own suite and the lease.
 */
import { layer } from "@effect/vitest"
import { TokenStore } from "@ultracart-oauth/adapters"
import { Effect, Layer } from "effect"
import { tokenStoreContract } from "../../adapters/test/utils/TokenStoreContract.js"
import { leaseSuite } from "./utils/leaseSuite.js"
import { storeSuite } from "./utils/storeSuite.js"
import { freshStore, postgres } from "./utils/Databases.js"

layer(postgres, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
  tokenStoreContract(it, "PostgreSQL", () =>
    Layer.scoped(
      TokenStore.TokenStore,
      Effect.map(freshStore(), ({ store }) => store)
    )
  )
  storeSuite(it, "PostgreSQL")
  leaseSuite(it, "PostgreSQL")
})
