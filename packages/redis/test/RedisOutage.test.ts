/**
 * Redis going away and coming back, against a real `redis-server` that the tests stop and start on the same
 * port. It runs with an append-only file (`appendfsync always`), the way a token store should: Redis is the one
 * place the newest refresh token lives, so a restart must not forget it. What is under test is the store's and
 * the token manager's side: typed, immediate failures while Redis is away; a still-valid access token served
 * from memory all along; nothing erased; a rotation that could not be written is written when Redis is back.
 */
import { describe, expect, layer } from "@effect/vitest"
import type { OAuthClient } from "@ultracart-oauth/core"
import * as FakeGrant from "@ultracart-oauth/test-support/FakeGrant"
import { expectFoundAfterStart, failuresWithin } from "@ultracart-oauth/test-support/StoreConformance"
import { Effect, Option, Redacted } from "effect"
import { eventually, freshPrefix, input, plain, rawClient, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

const KEY = "shop"

/** A "process": its own Redis connection and token manager. */
const processOn = (oauth: OAuthClient.OAuthClient.Service, prefix: string) =>
  FakeGrant.processOn(oauth, storeOn({ prefix }), KEY)

layer(RedisServer.layer({ persistent: true }), { excludeTestServices: true })((it) => {
  describe("Redis away", () => {
    it.scoped(
      "every operation fails at once with a typed error; the same store works again after a restart",
      () =>
        Effect.gen(function* () {
          const server = yield* RedisServer.RedisServer
          yield* Effect.addFinalizer(() => server.start)
          const s = yield* storeOn({ prefix: freshPrefix() })
          yield* s.save("m", input(1))
          yield* server.stop
          const errors = yield* failuresWithin(
            [s.load("m"), s.save("m", input(2)), s.clear("m"), Effect.scoped(s.lease!("m"))],
            1_000
          )
          expect(errors.map((e) => [e._tag, e.operation, e.reason])).toEqual([
            ["TokenStoreError", "load", "Unavailable"],
            ["TokenStoreError", "save", "Unavailable"],
            ["TokenStoreError", "clear", "Unavailable"],
            ["TokenStoreError", "lease", "Unavailable"]
          ])
          expect(errors[0]!.detail).toMatch(/^Redis unavailable/)
          // The client reconnects by itself; the record survived the restart.
          yield* expectFoundAfterStart(server.start, s)
        }),
      { timeout: 15_000 }
    )

    it.scoped(
      "a command Redis does not answer fails with Timeout after the command timeout",
      () =>
        Effect.gen(function* () {
          const raw = yield* rawClient
          const s = yield* storeOn({ prefix: freshPrefix(), commandTimeout: "200 millis" })
          // Redis holds every command for 700 ms; the store gives up after 200 (had it waited, the load would succeed).
          yield* Effect.promise(() => raw.call("CLIENT", "PAUSE", "700", "ALL"))
          const error = yield* Effect.flip(s.load("m"))
          expect(error).toMatchObject({ _tag: "TokenStoreError", reason: "Timeout" })
          expect(error.detail).toMatch(/^Redis timeout/)
          expect(Option.isNone(yield* eventually(s.load("m")))).toBe(true)
        }),
      { timeout: 15_000 }
    )

    it.scoped(
      "a compare-and-set that failed while Redis was down is written when it is back, lease kept till then",
      () =>
        Effect.gen(function* () {
          const server = yield* RedisServer.RedisServer
          yield* Effect.addFinalizer(() => server.start)
          const prefix = freshPrefix()
          const a = yield* storeOn({ prefix })
          const b = yield* storeOn({ prefix })
          yield* a.save(KEY, input(1))
          // a refreshes under the lease; Redis dies before the rotation is stored.
          yield* Effect.scoped(
            Effect.gen(function* () {
              yield* a.lease!(KEY)
              yield* server.stop
              expect(yield* Effect.flip(a.compareAndSet(KEY, 1, input(2)))).toMatchObject({ reason: "Unavailable" })
            })
          )
          yield* server.start
          // b, refreshing next (once its connection is back), waits for a's lease, then finds a's rotation.
          const seen = yield* eventually(Effect.scoped(Effect.zipRight(b.lease!(KEY), b.load(KEY))))
          expect(Option.map(seen, (t) => [plain(t), t.version])).toEqual(Option.some(["access-2", 2]))
          // a's own next compare-and-set starts from there.
          expect((yield* a.compareAndSet(KEY, 2, input(3)))._tag).toBe("Written")
        }),
      { timeout: 15_000 }
    )
  })

  describe("the token manager over Redis while Redis is away", () => {
    it.scoped(
      "keeps serving its valid access token, fails typed once it expired, erases nothing, recovers",
      () =>
        Effect.gen(function* () {
          const server = yield* RedisServer.RedisServer
          yield* Effect.addFinalizer(() => server.start)
          const { fake, oauth } = yield* FakeGrant.fakeUltraCart({ accessTokenLifetime: "2 seconds" })
          const prefix = freshPrefix()
          const manager = yield* processOn(oauth, prefix)
          const first = yield* manager.save(yield* FakeGrant.issued(fake))
          yield* server.stop
          expect(plain(yield* manager.tokens)).toBe(plain(first))
          // Past the refresh point (half the life): the refresh cannot even read the store; the token still works.
          yield* Effect.sleep("1200 millis")
          expect(plain(yield* manager.tokens)).toBe(plain(first))
          expect(Option.getOrThrow(yield* fake.inspectToken(first.accessToken)).status).toBe("active")
          // Expired: a typed store error — not "re-authorize", and nothing is dropped.
          yield* Effect.sleep("1000 millis")
          const error = yield* Effect.flip(manager.tokens)
          expect(error).toMatchObject({ _tag: "TokenStoreError", reason: "Unavailable" })
          expect(yield* fake.requestCount(FakeGrant.REFRESHES)).toBe(0)
          yield* server.start
          const renewed = yield* eventually(manager.tokens)
          expect(renewed.version).toBe(2)
          expect(plain(renewed)).not.toBe(plain(first))
          expect(yield* fake.requestCount(FakeGrant.REFRESHES)).toBe(1)
          const stored = Option.getOrThrow(yield* (yield* storeOn({ prefix })).load(KEY))
          expect([plain(stored), stored.version]).toEqual([plain(renewed), 2])
        }),
      { timeout: 15_000 }
    )

    it.scoped(
      "a rotation that could not be stored is stored when Redis is back; another process uses it as is",
      () =>
        Effect.gen(function* () {
          const server = yield* RedisServer.RedisServer
          yield* Effect.addFinalizer(() => server.start)
          const { fake, oauth } = yield* FakeGrant.fakeUltraCart({ accessTokenLifetime: "1 minute" })
          const prefix = freshPrefix()
          const a = yield* processOn(oauth, prefix)
          yield* a.save(yield* FakeGrant.issued(fake))
          // UltraCart takes its time; Redis dies while the refresh is on the wire.
          const rotated = yield* FakeGrant.refreshAcrossStop(fake, a, server.stop)
          expect(Redacted.value(Option.getOrThrow(rotated.refreshToken))).not.toBe("")
          yield* server.start
          const raw = yield* rawClient
          yield* eventually(
            Effect.filterOrFail(
              Effect.promise(() => raw.hget(`${prefix}{${KEY}}:tokens`, "version")),
              (v) => v === "2"
            )
          )
          expect(yield* fake.requestCount(FakeGrant.REFRESHES)).toBe(1)
          // Another process uses it as is, and can go on rotating from it: the grant is alive.
          yield* FakeGrant.expectRotationUsableBy(fake, yield* processOn(oauth, prefix), rotated)
        }),
      { timeout: 15_000 }
    )
  })
})
