/**
 * Records as Redis holds them, written out literally (`@ultracart-oauth/test-support/StoredRecords`): a record
 * stored by an earlier version reads back, and a save writes exactly these fields — the stored format does not
 * drift. The SQL store's rows hold the same fields, and its tests the same record.
 */
import { describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { KEY, plainRecordsReadBack, type Raw, sealedRecordReadsBack } from "@ultracart-oauth/test-support/StoredRecords"
import { freshPrefix, rawClient, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

/** The hashes under a fresh prefix, written and read with a client of its own. */
const hashes = Effect.map(rawClient, (client): { readonly prefix: string; readonly raw: Raw } => {
  const prefix = freshPrefix()
  const hash = (key: string) => `${prefix}{${key}}:tokens`
  return {
    prefix,
    raw: {
      write: (key, record) => Effect.promise(() => client.hset(hash(key), { ...record })).pipe(Effect.asVoid),
      read: (key) => Effect.promise(() => client.hgetall(hash(key))),
      version: String
    }
  }
})

layer(RedisServer.layer(), { excludeTestServices: true })((it) => {
  describe("records stored by earlier versions", () => {
    it.scoped("plain records read back, and a save writes exactly the same fields", () =>
      Effect.gen(function* () {
        const { prefix, raw } = yield* hashes
        yield* plainRecordsReadBack(yield* storeOn({ prefix }), raw)
      })
    )

    it.scoped("a sealed record reads back with its key, and only for its grant", () =>
      Effect.gen(function* () {
        const { prefix, raw } = yield* hashes
        yield* sealedRecordReadsBack(yield* storeOn({ prefix, encryptionKey: KEY }), raw)
      })
    )
  })
})
