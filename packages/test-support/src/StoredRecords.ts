/**
 * A token record as the stores keep it, written out literally: the plain and sealed forms both stores' tests write
 * and read back, so the stored format cannot drift. The sealed record was sealed under `KEY` for grant `shop:7` at
 * version 3. `plainRecordsReadBack` and `sealedRecordReadsBack` are the steps both stores' tests run over them.
 */
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { expect } from "vitest"

export const FORMAT = "ultracart-oauth/token-set@1"
export const KEY = Redacted.make("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")

export const tokens = {
  accessToken: Redacted.make("access-stored"),
  refreshToken: Option.some(Redacted.make("refresh-stored")),
  expiresAt: DateTime.unsafeMake("2030-01-02T03:04:05.000Z"),
  issuedAt: DateTime.unsafeMake("2030-01-02T02:04:05.000Z"),
  scope: Option.some("simple_key")
}
export const bare = { ...tokens, refreshToken: Option.none(), scope: Option.none() }

export const PLAIN_DATA =
  '{"accessToken":"access-stored","refreshToken":"refresh-stored","expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":"simple_key"}'
export const BARE_DATA =
  '{"accessToken":"access-stored","refreshToken":null,"expiresAt":"2030-01-02T03:04:05.000Z","issuedAt":"2030-01-02T02:04:05.000Z","scope":null}'
export const SEALED = {
  version: "3",
  format: FORMAT,
  encryption: "A256GCM",
  iv: "n209Ta1zCk+qHbzC",
  data: "TDwPPV1v89BfIE3DGUBQjTFgLf03FC1Iwm7TYs1lrAJElKvaH5FgELRZp+jhkV7Kqra6U/nQQIIml7SIbGB6K+fXhLDcYUs8IGoV1Je9668wj4VpKswztQdN76Ln2sP5aZl78PieustJN8dvh1v7ki4ExUJDxqDptMe5Q1qhX3duHXGN/a9JRZKlNgPBCXw4cGaolJaJyAbtRj0cM7zS2XowyCRrdkn2E9uJVyMcXQ1s"
}

/** A token set with its secrets in the clear, to compare. */
export const reveal = (t: {
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

/** A record's fields as a store keeps them (a Redis hash, a SQL row). */
export interface RawRecord {
  readonly version: string
  readonly format: string
  readonly encryption: string
  readonly iv: string
  readonly data: string
}

/** Writing and reading a store's records past the store, and how its reads show a version (`"1"`, or `1`). */
export interface Raw {
  readonly write: (key: string, record: RawRecord) => Effect.Effect<void>
  readonly read: (key: string) => Effect.Effect<Readonly<Record<string, unknown>> | undefined>
  readonly version: (n: number) => unknown
}

/** Plain records written by an earlier version read back, and a save writes exactly the same fields. */
export const plainRecordsReadBack = (store: TokenStore.TokenStore.Service, raw: Raw) =>
  Effect.gen(function* () {
    yield* raw.write("m", { version: "1", format: FORMAT, encryption: "none", iv: "", data: PLAIN_DATA })
    yield* raw.write("b", { version: "2", format: FORMAT, encryption: "none", iv: "", data: BARE_DATA })
    const m = Option.getOrThrow(yield* store.load("m"))
    expect([reveal(m), m.version]).toEqual([reveal(tokens), 1])
    const b = Option.getOrThrow(yield* store.load("b"))
    expect([reveal(b), b.version]).toEqual([reveal(bare), 2])

    yield* store.save("w", tokens)
    yield* store.save("x", bare)
    expect(yield* raw.read("w")).toEqual({
      version: raw.version(1),
      format: FORMAT,
      encryption: "none",
      iv: "",
      data: PLAIN_DATA
    })
    expect((yield* raw.read("x"))?.["data"]).toBe(BARE_DATA)
  })

/** The sealed record reads back with `KEY` for its grant only, and a write seals it again. */
export const sealedRecordReadsBack = (store: TokenStore.TokenStore.Service, raw: Raw) =>
  Effect.gen(function* () {
    yield* raw.write("shop:7", SEALED)
    yield* raw.write("shop:8", SEALED)
    const read = Option.getOrThrow(yield* store.load("shop:7"))
    expect([reveal(read), read.version]).toEqual([reveal(tokens), 3])
    expect(yield* Effect.flip(store.load("shop:8"))).toMatchObject({ reason: "Decrypt" })
    expect((yield* store.compareAndSet("shop:7", 3, bare))._tag).toBe("Written")
    const sealed = yield* raw.read("shop:7")
    expect([sealed?.["version"], sealed?.["format"], sealed?.["encryption"]]).toEqual([
      raw.version(4),
      FORMAT,
      "A256GCM"
    ])
    expect(sealed?.["data"]).not.toContain("access-stored")
  })
