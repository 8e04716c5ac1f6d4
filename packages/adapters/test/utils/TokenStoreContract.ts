/**
 * The `TokenStore` contract as one reusable suite: every store (memory, file, Redis…) registers it with its own
 * `it` (TestClock or live, with whatever services its Layer needs) and a fresh store Layer per test.
 */
import { describe, expect, type Vitest } from "@effect/vitest"
import { DateTime, Effect, type Layer, Option, Redacted } from "effect"
import { type TokenSetInput, TokenStore } from "../../src/TokenStore.js"

/** The n-th token set: every field differs with n (no refresh token on request, a scope every other n). */
export const input = (n: number, refresh = true): TokenSetInput => ({
  accessToken: Redacted.make(`access-${n}`),
  refreshToken: refresh ? Option.some(Redacted.make(`refresh-${n}`)) : Option.none(),
  expiresAt: DateTime.unsafeMake(1_000_000 + n * 1000),
  issuedAt: DateTime.unsafeMake(1_000 + n),
  scope: n % 2 === 0 ? Option.some("order_read item_read") : Option.none()
})

export const plain = (tokens: { readonly accessToken: Redacted.Redacted<string> }) => Redacted.value(tokens.accessToken)

/** Registers the contract's tests for the stores `store()` builds (a new one for each test). */
export const tokenStoreContract = <R, X extends boolean>(
  it: Vitest.MethodsNonLive<R, X>,
  name: string,
  store: () => Layer.Layer<TokenStore, never, R>
) =>
  describe(`${name}: the TokenStore contract`, () => {
    it.scoped("load of an unknown grant is None; clear of it succeeds", () =>
      Effect.gen(function* () {
        const s = yield* TokenStore
        expect(Option.isNone(yield* s.load("nobody"))).toBe(true)
        yield* s.clear("nobody")
      }).pipe(Effect.provide(store()))
    )

    it.scoped("save numbers versions from 1 and round-trips every field", () =>
      Effect.gen(function* () {
        const s = yield* TokenStore
        expect((yield* s.save("m1", input(2))).version).toBe(1)
        expect((yield* s.save("m1", input(3, false))).version).toBe(2)
        const loaded = Option.getOrThrow(yield* s.load("m1"))
        expect(loaded.version).toBe(2)
        expect(plain(loaded)).toBe("access-3")
        expect(Option.isNone(loaded.refreshToken)).toBe(true)
        expect(DateTime.toEpochMillis(loaded.expiresAt)).toBe(1_003_000)
        expect(DateTime.toEpochMillis(loaded.issuedAt)).toBe(1_003)
        expect(loaded.scope).toEqual(Option.none())
        expect((yield* s.save("m2", input(4))).version).toBe(1)
        const m2 = Option.getOrThrow(yield* s.load("m2"))
        expect(m2.scope).toEqual(Option.some("order_read item_read"))
        expect(m2.refreshToken.pipe(Option.map(Redacted.value))).toEqual(Option.some("refresh-4"))
        expect(Redacted.isRedacted(m2.accessToken)).toBe(true)
      }).pipe(Effect.provide(store()))
    )

    it.scoped(
      "compareAndSet writes only over the expected version and answers a conflict with the whole current set",
      () =>
        Effect.gen(function* () {
          const s = yield* TokenStore
          expect((yield* s.compareAndSet("m", 0, input(1)))._tag).toBe("Written")
          expect((yield* s.compareAndSet("m", 0, input(9)))._tag).toBe("Conflict")
          const written = yield* s.compareAndSet("m", 1, input(2))
          expect(written._tag === "Written" && written.tokens.version).toBe(2)
          const stale = yield* s.compareAndSet("m", 1, input(3))
          if (stale._tag !== "Conflict") return expect.fail("a stale version must conflict")
          // The token manager decides from this answer whether the stored set is newer than its own.
          expect(Option.map(stale.current, (t) => [plain(t), t.version, DateTime.toEpochMillis(t.issuedAt)])).toEqual(
            Option.some(["access-2", 2, 1_002])
          )
          expect(plain(Option.getOrThrow(yield* s.load("m")))).toBe("access-2")
          yield* s.clear("m")
          expect(yield* s.compareAndSet("m", 2, input(4))).toEqual({ _tag: "Conflict", current: Option.none() })
          const fresh = yield* s.compareAndSet("m", 0, input(5))
          expect(fresh._tag === "Written" && fresh.tokens.version).toBe(1)
        }).pipe(Effect.provide(store()))
    )

    it.scoped("concurrent compareAndSet over one version: exactly one writer wins", () =>
      Effect.gen(function* () {
        const s = yield* TokenStore
        yield* s.save("race", input(0))
        const results = yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8], (n) => s.compareAndSet("race", 1, input(n)), {
          concurrency: "unbounded"
        })
        const winners = results.flatMap((r) => (r._tag === "Written" ? [plain(r.tokens)] : []))
        expect(winners).toHaveLength(1)
        for (const r of results) {
          if (r._tag === "Conflict") expect(Option.map(r.current, plain)).toEqual(Option.some(winners[0]))
        }
        expect(Option.getOrThrow(yield* s.load("race")).version).toBe(2)
      }).pipe(Effect.provide(store()))
    )

    it.scoped("list names every stored grant once, in code point order, a page at a time; cleared ones vanish", () =>
      Effect.gen(function* () {
        const s = yield* TokenStore
        expect(yield* s.list()).toEqual({ keys: [], next: Option.none() })
        // Keys that need escaping in file names and Redis patterns, and one beyond U+FFFF (sorts after U+FFFD).
        const keys = ["m-10", "m-2", "a b/c", "z*?[x]", "caf\u00e9", "\u{1F600}", "\uFFFD", "{brace}:tokens"]
        for (const [n, key] of keys.entries()) yield* s.save(key, input(n))
        const sorted = ["a b/c", "caf\u00e9", "m-10", "m-2", "z*?[x]", "{brace}:tokens", "\uFFFD", "\u{1F600}"]
        expect((yield* s.list()).keys).toEqual(sorted)
        const pages: Array<ReadonlyArray<string>> = []
        let after: string | undefined
        for (;;) {
          const page = yield* s.list({ after, limit: 3 })
          pages.push(page.keys)
          if (Option.isNone(page.next)) break
          after = page.next.value
        }
        expect(pages).toEqual([sorted.slice(0, 3), sorted.slice(3, 6), sorted.slice(6)])
        expect((yield* s.list({ after: "m", limit: 1 })).keys).toEqual(["m-10"])
        yield* s.clear("m-2")
        yield* s.compareAndSet("fresh", 0, input(99))
        const all = (yield* s.list({ limit: 1000 })).keys
        expect(all).not.toContain("m-2")
        expect(all).toContain("fresh")
        expect(Option.isNone(yield* s.load("m-2"))).toBe(true)
      }).pipe(Effect.provide(store()))
    )

    it.scoped("a lease, where the store offers one, is freed when its scope closes and can be taken again", () =>
      Effect.gen(function* () {
        const s = yield* TokenStore
        // A store only one process sees has none (the manager's single-flight covers that process).
        if (s.lease === undefined) return expect(s.lease).toBeUndefined()
        // A lease left behind would make the next one wait for its timeout: these would not complete.
        yield* Effect.scoped(s.lease("m"))
        yield* Effect.scoped(s.lease("m"))
        yield* Effect.scoped(Effect.zipRight(s.lease("m"), s.lease("other")))
      }).pipe(Effect.provide(store()))
    )
  })
