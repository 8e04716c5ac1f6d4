/**
 * Rows as the store keeps them, written out literally (`@ultracart-oauth/test-support/StoredRecords`; on SQLite): a
 * row stored by an earlier version reads back, and a save writes exactly these columns — the stored format does not
 * drift. The Redis store's hash holds the same fields, and its tests the same record.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  BARE_DATA,
  bare,
  FORMAT,
  KEY,
  PLAIN_DATA,
  reveal,
  SEALED,
  tokens
} from "@ultracart-oauth/test-support/StoredRecords"
import { sqlite, storeOn, TestDatabase } from "./utils/Databases.js"

layer(sqlite, { excludeTestServices: true })((it) => {
  describe("rows stored by earlier versions", () => {
    const fresh = Effect.gen(function* () {
      const db = yield* Effect.flatMap(TestDatabase, (d) => d.fresh)
      const raw = yield* db.connect
      const insert = (
        key: string,
        row: { version: string; format: string; encryption: string; iv: string; data: string }
      ) =>
        Effect.orDie(
          raw`INSERT INTO ${raw(db.table)} (grant_key, version, format, encryption, iv, data)
VALUES (${key}, ${Number(row.version)}, ${row.format}, ${row.encryption}, ${row.iv}, ${row.data})`
        )
      const row = (key: string) =>
        Effect.map(
          Effect.orDie(
            raw<
              Record<string, unknown>
            >`SELECT version, format, encryption, iv, data FROM ${raw(db.table)} WHERE grant_key = ${key}`
          ),
          (rows) => rows[0]
        )
      return { db, insert, row }
    })

    it.scoped("plain rows read back, and a save writes exactly the same columns", () =>
      Effect.gen(function* () {
        const { db, insert, row } = yield* fresh
        const s = yield* storeOn(db)
        yield* insert("m", { version: "1", format: FORMAT, encryption: "none", iv: "", data: PLAIN_DATA })
        yield* insert("b", { version: "2", format: FORMAT, encryption: "none", iv: "", data: BARE_DATA })
        const m = Option.getOrThrow(yield* s.load("m"))
        expect([reveal(m), m.version]).toEqual([reveal(tokens), 1])
        const b = Option.getOrThrow(yield* s.load("b"))
        expect([reveal(b), b.version]).toEqual([reveal(bare), 2])

        yield* s.save("w", tokens)
        yield* s.save("x", bare)
        expect(yield* row("w")).toEqual({ version: 1, format: FORMAT, encryption: "none", iv: "", data: PLAIN_DATA })
        expect((yield* row("x"))?.data).toBe(BARE_DATA)
      })
    )

    it.scoped("a sealed row reads back with its key, and only for its grant", () =>
      Effect.gen(function* () {
        const { db, insert, row } = yield* fresh
        const s = yield* storeOn(db, { encryptionKey: KEY })
        yield* insert("shop:7", SEALED)
        yield* insert("shop:8", SEALED)
        const read = Option.getOrThrow(yield* s.load("shop:7"))
        expect([reveal(read), read.version]).toEqual([reveal(tokens), 3])
        expect(yield* Effect.flip(s.load("shop:8"))).toMatchObject({ reason: "Decrypt" })
        expect((yield* s.compareAndSet("shop:7", 3, bare))._tag).toBe("Written")
        const sealed = yield* row("shop:7")
        expect([sealed?.version, sealed?.format, sealed?.encryption]).toEqual([4, FORMAT, "A256GCM"])
        expect(sealed?.data).not.toContain("access-stored")
      })
    )
  })
})
