/**
 * Records as Redis holds them, written out literally (`@ultracart-oauth/test-support/StoredRecords`): a record
 * stored by an earlier version reads back, and a save writes exactly these fields — the stored format does not
 * drift. The SQL store's rows hold the same fields, and its tests the same record.
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
import { freshPrefix, rawClient, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

layer(RedisServer.layer(), { excludeTestServices: true })((it) => {
  describe("records stored by earlier versions", () => {
    it.scoped("plain records read back, and a save writes exactly the same fields", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const prefix = freshPrefix()
        const s = yield* storeOn({ prefix })
        yield* Effect.promise(() =>
          raw.hset(`${prefix}{m}:tokens`, {
            version: "1",
            format: FORMAT,
            encryption: "none",
            iv: "",
            data: PLAIN_DATA
          })
        )
        yield* Effect.promise(() =>
          raw.hset(`${prefix}{b}:tokens`, { version: "2", format: FORMAT, encryption: "none", iv: "", data: BARE_DATA })
        )
        const m = Option.getOrThrow(yield* s.load("m"))
        expect([reveal(m), m.version]).toEqual([reveal(tokens), 1])
        const b = Option.getOrThrow(yield* s.load("b"))
        expect([reveal(b), b.version]).toEqual([reveal(bare), 2])

        yield* s.save("w", tokens)
        yield* s.save("x", bare)
        expect(yield* Effect.promise(() => raw.hgetall(`${prefix}{w}:tokens`))).toEqual({
          version: "1",
          format: FORMAT,
          encryption: "none",
          iv: "",
          data: PLAIN_DATA
        })
        expect((yield* Effect.promise(() => raw.hgetall(`${prefix}{x}:tokens`))).data).toBe(BARE_DATA)
      })
    )

    it.scoped("a sealed record reads back with its key, and only for its grant", () =>
      Effect.gen(function* () {
        const raw = yield* rawClient
        const prefix = freshPrefix()
        const s = yield* storeOn({ prefix, encryptionKey: KEY })
        yield* Effect.promise(() => raw.hset(`${prefix}{shop:7}:tokens`, SEALED))
        yield* Effect.promise(() => raw.hset(`${prefix}{shop:8}:tokens`, SEALED))
        const read = Option.getOrThrow(yield* s.load("shop:7"))
        expect([reveal(read), read.version]).toEqual([reveal(tokens), 3])
        expect(yield* Effect.flip(s.load("shop:8"))).toMatchObject({ reason: "Decrypt" })
        expect((yield* s.compareAndSet("shop:7", 3, bare))._tag).toBe("Written")
        const sealed = yield* Effect.promise(() => raw.hgetall(`${prefix}{shop:7}:tokens`))
        expect([sealed.version, sealed.format, sealed.encryption]).toEqual(["4", FORMAT, "A256GCM"])
        expect(sealed.data).not.toContain("access-stored")
      })
    )
  })
})
