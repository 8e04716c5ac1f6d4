/**
 * `TokenRecord.makeFields`: a record in fields of a store's own (the Redis and SQL stores), written out literally so
 * the stored format does not drift. The sealed fields were sealed under the key below for grant `shop:7` at
 * version 3; the Redis and SQL stores' tests read the same record from Redis and from a table.
 */
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Option, Redacted } from "effect"
import * as TokenEncryption from "../src/TokenEncryption.js"
import * as TokenRecord from "../src/TokenRecord.js"

const KEY = Redacted.make("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")

const tokens = {
  accessToken: Redacted.make("access-stored"),
  refreshToken: Option.some(Redacted.make("refresh-stored")),
  expiresAt: DateTime.unsafeMake("2030-01-02T03:04:05.000Z"),
  issuedAt: DateTime.unsafeMake("2030-01-02T02:04:05.000Z"),
  scope: Option.some("simple_key")
}
const bare = { ...tokens, refreshToken: Option.none(), scope: Option.none() }

const PLAIN = {
  format: "ultracart-oauth/token-set@1",
  encryption: "none",
  iv: "",
  data: '{"accessToken":"access-stored","refreshToken":"refresh-stored","expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":"simple_key"}'
}
const BARE_DATA =
  '{"accessToken":"access-stored","refreshToken":null,"expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":null}'
const SEALED = {
  format: "ultracart-oauth/token-set@1",
  encryption: "A256GCM",
  iv: "n209Ta1zCk+qHbzC",
  data: "TDwPPV1v89BfIE3DGUBQjTFgLf03FC1Iwm7TYs1lrAJElKvaH5FgELRZp+jhkV7Kqra6U/nQQIIml7SIbGB6K+fXhLDcYUs8IGoV1Je9668wj4VpKswztQdN76Ln2sP5aZl78PieustJN8dvh1v7ki4ExUJDxqDptMe5Q1qhX3duHXGN/a9JRZKlNgPBCXw4cGaolJaJyAbtRj0cM7zS2XowyCRrdkn2E9uJVyMcXQ1s"
}

const reveal = (t: typeof tokens & { readonly version: number }) => ({
  accessToken: Redacted.value(t.accessToken),
  refreshToken: Option.getOrNull(Option.map(t.refreshToken, Redacted.value)),
  expiresAt: DateTime.formatIso(t.expiresAt),
  issuedAt: DateTime.formatIso(t.issuedAt),
  scope: Option.getOrNull(t.scope),
  version: t.version
})
const revealed = reveal({ ...tokens, version: 3 })

const plainCodec = TokenRecord.makeFields(Option.none())
const sealedCodec = Effect.map(TokenEncryption.make(KEY), (cipher) => TokenRecord.makeFields(Option.some(cipher)))

describe("TokenRecord.makeFields", () => {
  it.effect("writes plain fields exactly as the stores have always stored them, and reads them back", () =>
    Effect.gen(function* () {
      expect(yield* plainCodec.encode("m", 3, tokens)).toEqual(PLAIN)
      expect((yield* plainCodec.encode("m", 3, bare)).data).toBe(BARE_DATA)
      expect(reveal(yield* plainCodec.decode("load", "m", { version: 3, ...PLAIN }))).toEqual(revealed)
      const read = yield* plainCodec.decode("load", "m", { version: "1", ...PLAIN, data: BARE_DATA })
      expect([Option.isNone(read.refreshToken), Option.isNone(read.scope), read.version]).toEqual([true, true, 1])
    })
  )

  it.effect("a version as a driver answers it: a number, a bigint or a numeric string", () =>
    Effect.gen(function* () {
      for (const version of [3, 3n, "3"]) {
        expect((yield* plainCodec.decode("load", "m", { version, ...PLAIN })).version).toBe(3)
      }
    })
  )

  it.effect("reads sealed fields stored before, for their grant only; seals what it writes", () =>
    Effect.gen(function* () {
      const codec = yield* sealedCodec
      expect(reveal(yield* codec.decode("load", "shop:7", { version: 3, ...SEALED }))).toEqual(revealed)
      expect(yield* Effect.flip(codec.decode("load", "shop:8", { version: 3, ...SEALED }))).toMatchObject({
        reason: "Decrypt"
      })
      expect(yield* Effect.flip(codec.decode("load", "shop:7", { version: 4, ...SEALED }))).toMatchObject({
        reason: "Decrypt"
      })
      const written = yield* codec.encode("shop:7", 5, tokens)
      expect([written.format, written.encryption]).toEqual([SEALED.format, "A256GCM"])
      expect(written.data).not.toContain("access-stored")
      expect(reveal(yield* codec.decode("load", "shop:7", { version: 5, ...written }))).toEqual({
        ...revealed,
        version: 5
      })
    })
  )

  it.effect("no silent downgrade: plain fields with a key, sealed ones without, are Decrypt", () =>
    Effect.gen(function* () {
      const codec = yield* sealedCodec
      expect(yield* Effect.flip(codec.decode("save", "m", { version: 3, ...PLAIN }))).toMatchObject({
        operation: "save",
        key: "m",
        reason: "Decrypt"
      })
      expect(yield* Effect.flip(plainCodec.decode("load", "shop:7", { version: 3, ...SEALED }))).toMatchObject({
        reason: "Decrypt"
      })
    })
  )

  it.effect("anything else is Corrupt, and the message names no value", () =>
    Effect.gen(function* () {
      const codec = yield* sealedCodec
      const corrupt = [
        { version: 0, ...PLAIN },
        { version: "x", ...PLAIN },
        { version: null, ...PLAIN },
        { version: 3, ...PLAIN, format: "other@9" },
        { version: 3, ...PLAIN, data: null },
        { version: 3, ...PLAIN, data: '{"accessToken":"secret-x"}' }
      ]
      for (const stored of corrupt) {
        const error = yield* Effect.flip(plainCodec.decode("load", "m", stored))
        expect(error).toMatchObject({ reason: "Corrupt" })
        expect(error.message).not.toContain("secret-x")
      }
      const unknown = yield* Effect.flip(
        codec.decode("load", "m", { version: 3, ...SEALED, encryption: "X".repeat(99) })
      )
      expect(unknown).toMatchObject({ reason: "Corrupt" })
      expect(unknown.detail.length).toBeLessThan(80)
    })
  )
})
