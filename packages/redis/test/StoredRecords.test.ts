/**
 * Records as Redis holds them, written out literally: a record stored by an earlier version reads back, and a save
 * writes exactly these fields — the stored format does not drift. The sealed record was sealed under the key below
 * for grant `shop:7` at version 3 (the SQL store's rows hold the same fields, and its tests the same record).
 */
import { describe, expect, layer } from "@effect/vitest"
import { DateTime, Effect, Option, Redacted } from "effect"
import { freshPrefix, rawClient, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

const FORMAT = "ultracart-oauth/token-set@1"
const KEY = Redacted.make("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")

const tokens = {
  accessToken: Redacted.make("access-stored"),
  refreshToken: Option.some(Redacted.make("refresh-stored")),
  expiresAt: DateTime.unsafeMake("2030-01-02T03:04:05.000Z"),
  issuedAt: DateTime.unsafeMake("2030-01-02T02:04:05.000Z"),
  scope: Option.some("simple_key")
}
const bare = { ...tokens, refreshToken: Option.none(), scope: Option.none() }

const PLAIN_DATA =
  '{"accessToken":"access-stored","refreshToken":"refresh-stored","expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":"simple_key"}'
const BARE_DATA =
  '{"accessToken":"access-stored","refreshToken":null,"expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":null}'
const SEALED = {
  version: "3",
  format: FORMAT,
  encryption: "A256GCM",
  iv: "n209Ta1zCk+qHbzC",
  data: "TDwPPV1v89BfIE3DGUBQjTFgLf03FC1Iwm7TYs1lrAJElKvaH5FgELRZp+jhkV7Kqra6U/nQQIIml7SIbGB6K+fXhLDcYUs8IGoV1Je9668wj4VpKswztQdN76Ln2sP5aZl78PieustJN8dvh1v7ki4ExUJDxqDptMe5Q1qhX3duHXGN/a9JRZKlNgPBCXw4cGaolJaJyAbtRj0cM7zS2XowyCRrdkn2E9uJVyMcXQ1s"
}

/** A token set with its secrets in the clear, to compare. */
const reveal = (t: {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  readonly expiresAt: DateTime.Utc
  readonly issuedAt: DateTime.Utc
  readonly scope: Option.Option<string>
}) => ({
  accessToken: Redacted.value(t.accessToken),
  refreshToken: Option.getOrNull(Option.map(t.refreshToken, Redacted.value)),
  expiresAt: DateTime.formatIso(t.expiresAt),
  issuedAt: DateTime.formatIso(t.issuedAt),
  scope: Option.getOrNull(t.scope)
})

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
