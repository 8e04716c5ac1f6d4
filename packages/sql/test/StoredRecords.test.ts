/**
 * Rows as the store keeps them, written out literally (`@ultracart-oauth/test-support/StoredRecords`; on SQLite): a
 * row stored by an earlier version reads back, and a save writes exactly these columns — the stored format does not
 * drift. The Redis store's hash holds the same fields, and its tests the same record.
 */
import { describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { KEY, plainRecordsReadBack, type Raw, sealedRecordReadsBack } from "@ultracart-oauth/test-support/StoredRecords"
import { sqlite, storeOn, TestDatabase } from "./utils/Databases.js"

/** A fresh database, its rows written and read with SQL of their own. */
const rows = Effect.gen(function* () {
  const db = yield* Effect.flatMap(TestDatabase, (d) => d.fresh)
  const sql = yield* db.connect
  const raw: Raw = {
    write: (key, row) =>
      Effect.orDie(
        sql`INSERT INTO ${sql(db.table)} (grant_key, version, format, encryption, iv, data)
VALUES (${key}, ${Number(row.version)}, ${row.format}, ${row.encryption}, ${row.iv}, ${row.data})`
      ).pipe(Effect.asVoid),
    read: (key) =>
      Effect.map(
        Effect.orDie(
          sql<
            Record<string, unknown>
          >`SELECT version, format, encryption, iv, data FROM ${sql(db.table)} WHERE grant_key = ${key}`
        ),
        (found) => found[0]
      ),
    version: (n) => n
  }
  return { db, raw }
})

layer(sqlite, { excludeTestServices: true })((it) => {
  describe("rows stored by earlier versions", () => {
    it.scoped("plain rows read back, and a save writes exactly the same columns", () =>
      Effect.gen(function* () {
        const { db, raw } = yield* rows
        yield* plainRecordsReadBack(yield* storeOn(db), raw)
      })
    )

    it.scoped("a sealed row reads back with its key, and only for its grant", () =>
      Effect.gen(function* () {
        const { db, raw } = yield* rows
        yield* sealedRecordReadsBack(yield* storeOn(db, { encryptionKey: KEY }), raw)
      })
    )
  })
})
