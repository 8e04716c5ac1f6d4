import { FileSystem } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option, Redacted } from "effect"
import * as FileTokenStore from "../src/FileTokenStore.js"
import * as TokenEncryption from "../src/TokenEncryption.js"
import { type TokenSetInput, TokenStore } from "../src/TokenStore.js"
import * as TokenStoreModule from "../src/TokenStore.js"

const input = (n: number, refresh = true): TokenSetInput => ({
  accessToken: Redacted.make(`access-${n}`),
  refreshToken: refresh ? Option.some(Redacted.make(`refresh-${n}`)) : Option.none(),
  expiresAt: DateTime.unsafeMake(1_000_000 + n * 1000),
  issuedAt: DateTime.unsafeMake(1_000 + n),
  scope: n % 2 === 0 ? Option.some("order_read item_read") : Option.none()
})

const plain = (tokens: { readonly accessToken: Redacted.Redacted<string> }) => Redacted.value(tokens.accessToken)

/** A file store in a fresh temporary directory (removed when the test's scope closes). */
const fileStore = (options: Omit<FileTokenStore.FileTokenStoreOptions, "directory"> = {}) =>
  Layer.scoped(
    TokenStore,
    Effect.flatMap(
      Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ultracart-tokens-" })),
      (directory) => FileTokenStore.make({ directory, ...options })
    )
  ).pipe(Layer.provide(NodeFileSystem.layer), Layer.orDie)

const contract = (name: string, store: () => Layer.Layer<TokenStore>) =>
  describe(`${name}: the TokenStore contract`, () => {
    it.effect("load of an unknown grant is None; clear of it succeeds", () =>
      Effect.gen(function*() {
        const s = yield* TokenStore
        expect(Option.isNone(yield* s.load("nobody"))).toBe(true)
        yield* s.clear("nobody")
      }).pipe(Effect.provide(store())))

    it.effect("save numbers versions from 1 and round-trips every field", () =>
      Effect.gen(function*() {
        const s = yield* TokenStore
        const first = yield* s.save("m1", input(2))
        expect(first.version).toBe(1)
        const second = yield* s.save("m1", input(3, false))
        expect(second.version).toBe(2)
        const loaded = Option.getOrThrow(yield* s.load("m1"))
        expect(loaded.version).toBe(2)
        expect(plain(loaded)).toBe("access-3")
        expect(Option.isNone(loaded.refreshToken)).toBe(true)
        expect(DateTime.toEpochMillis(loaded.expiresAt)).toBe(1_003_000)
        expect(DateTime.toEpochMillis(loaded.issuedAt)).toBe(1_003)
        expect(loaded.scope).toEqual(Option.none())
        const other = yield* s.save("m2", input(4))
        expect(other.version).toBe(1)
        const m2 = Option.getOrThrow(yield* s.load("m2"))
        expect(m2.scope).toEqual(Option.some("order_read item_read"))
        expect(m2.refreshToken.pipe(Option.map(Redacted.value))).toEqual(Option.some("refresh-4"))
        expect(Redacted.isRedacted(m2.accessToken)).toBe(true)
      }).pipe(Effect.provide(store())))

    it.effect("compareAndSet writes only over the expected version and reports the current one otherwise", () =>
      Effect.gen(function*() {
        const s = yield* TokenStore
        const created = yield* s.compareAndSet("m", 0, input(1))
        expect(created._tag).toBe("Written")
        const again = yield* s.compareAndSet("m", 0, input(9))
        expect(again._tag).toBe("Conflict")
        const written = yield* s.compareAndSet("m", 1, input(2))
        expect(written._tag === "Written" && written.tokens.version).toBe(2)
        const stale = yield* s.compareAndSet("m", 1, input(3))
        if (stale._tag !== "Conflict") return expect.fail("a stale version must conflict")
        expect(Option.map(stale.current, plain)).toEqual(Option.some("access-2"))
        expect(plain(Option.getOrThrow(yield* s.load("m")))).toBe("access-2")
        yield* s.clear("m")
        const gone = yield* s.compareAndSet("m", 2, input(4))
        expect(gone).toEqual({ _tag: "Conflict", current: Option.none() })
      }).pipe(Effect.provide(store())))

    it.effect("concurrent compareAndSet over one version: exactly one writer wins", () =>
      Effect.gen(function*() {
        const s = yield* TokenStore
        yield* s.save("race", input(0))
        const results = yield* Effect.forEach(
          [1, 2, 3, 4, 5, 6, 7, 8],
          (n) => s.compareAndSet("race", 1, input(n)),
          { concurrency: "unbounded" }
        )
        expect(results.filter((r) => r._tag === "Written")).toHaveLength(1)
        expect(Option.getOrThrow(yield* s.load("race")).version).toBe(2)
      }).pipe(Effect.provide(store())))
  })

contract("memory", () => TokenStoreModule.layerMemory)
contract("file", () => fileStore())
contract("encrypted file", () =>
  Layer.unwrapEffect(Effect.map(TokenEncryption.generateKey, (encryptionKey) => fileStore({ encryptionKey }))))

describe("memory store", () => {
  layer(TokenStoreModule.layerMemory)((it) => {
    it.effect("keeps the very Redacted values it was given (nothing is serialized)", () =>
      Effect.gen(function*() {
        const s = yield* TokenStore
        const tokens = input(1)
        yield* s.save("m", tokens)
        const loaded = Option.getOrThrow(yield* s.load("m"))
        expect(loaded.accessToken).toBe(tokens.accessToken)
      }))
  })
})

describe("fingerprint", () => {
  it.effect("is 12 hex digits of SHA-256, stable, and does not contain the secret", () =>
    Effect.gen(function*() {
      const a = yield* TokenStoreModule.fingerprint(Redacted.make("secret-token-value"))
      expect(a).toMatch(/^[0-9a-f]{12}$/)
      expect(yield* TokenStoreModule.fingerprint(Redacted.make("secret-token-value"))).toBe(a)
      expect(yield* TokenStoreModule.fingerprint(Redacted.make("secret-token-valuf"))).not.toBe(a)
      // sha256("abc") starts with ba7816bf8f01
      expect(yield* TokenStoreModule.fingerprint(Redacted.make("abc"))).toBe("ba7816bf8f01")
    }))
})
