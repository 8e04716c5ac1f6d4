import { FileSystem } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it, layer } from "@effect/vitest"
import * as fc from "fast-check"
import { Effect, Layer, Option, Redacted } from "effect"
import * as FileTokenStore from "../src/FileTokenStore.js"
import * as TokenEncryption from "../src/TokenEncryption.js"
import { TokenStore } from "../src/TokenStore.js"
import * as TokenStoreModule from "../src/TokenStore.js"
import { input, tokenStoreContract } from "./utils/TokenStoreContract.js"

/** A file store in a fresh temporary directory (removed when the test's scope closes). */
const fileStore = (options: Omit<FileTokenStore.FileTokenStoreOptions, "directory"> = {}) =>
  Layer.scoped(
    TokenStore,
    Effect.flatMap(
      Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ultracart-tokens-" })),
      (directory) => FileTokenStore.make({ directory, ...options })
    )
  ).pipe(Layer.provide(NodeFileSystem.layer), Layer.orDie)

tokenStoreContract(it, "memory", () => TokenStoreModule.layerMemory)
tokenStoreContract(it, "file", () => fileStore())
tokenStoreContract(it, "encrypted file", () =>
  Layer.unwrapEffect(Effect.map(TokenEncryption.generateKey, (encryptionKey) => fileStore({ encryptionKey })))
)

describe("memory store", () => {
  layer(TokenStoreModule.layerMemory)((it) => {
    it.effect("keeps the very Redacted values it was given (nothing is serialized)", () =>
      Effect.gen(function* () {
        const s = yield* TokenStore
        const tokens = input(1)
        yield* s.save("m", tokens)
        const loaded = Option.getOrThrow(yield* s.load("m"))
        expect(loaded.accessToken).toBe(tokens.accessToken)
      })
    )
  })
})

describe("fingerprint", () => {
  it.effect("is 12 hex digits of SHA-256, stable, and does not contain the secret", () =>
    Effect.gen(function* () {
      const a = yield* TokenStoreModule.fingerprint(Redacted.make("secret-token-value"))
      expect(a).toMatch(/^[0-9a-f]{12}$/)
      expect(yield* TokenStoreModule.fingerprint(Redacted.make("secret-token-value"))).toBe(a)
      expect(yield* TokenStoreModule.fingerprint(Redacted.make("secret-token-valuf"))).not.toBe(a)
      // sha256("abc") starts with ba7816bf8f01
      expect(yield* TokenStoreModule.fingerprint(Redacted.make("abc"))).toBe("ba7816bf8f01")
    })
  )
})

describe("listing order and pages", () => {
  it.prop(
    "compareKeys orders keys as their UTF-8 bytes do",
    [fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" })],
    ([a, b]) => {
      const bytes = Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")))
      expect(Math.sign(TokenStoreModule.compareKeys(a, b))).toBe(bytes)
    }
  )

  it.prop(
    "pageOf walks any sorted key set page by page: every key once, in order, whatever the page size",
    [fc.uniqueArray(fc.string({ unit: "grapheme" })), fc.integer({ min: -5, max: 2000 })],
    ([keys, limit]) => {
      const sorted = [...keys].sort(TokenStoreModule.compareKeys)
      const seen: Array<string> = []
      let after: string | undefined
      for (;;) {
        const page = TokenStoreModule.pageOf(sorted, { after, limit })
        expect(page.keys.length).toBeLessThanOrEqual(TokenStoreModule.pageSize({ limit }))
        seen.push(...page.keys)
        if (Option.isNone(page.next)) break
        after = page.next.value
      }
      expect(seen).toEqual(sorted)
    }
  )

  it("page sizes are clamped to 1…1000, default 100", () => {
    expect([undefined, 0, -3, 2.7, 5000, Number.NaN].map((limit) => TokenStoreModule.pageSize({ limit }))).toEqual([
      100, 1, 1, 2, 1000, 100
    ])
  })
})
