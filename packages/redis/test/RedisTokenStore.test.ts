/**
 * The Redis store against a real `redis-server` (started by the layer on a free loopback port): the TokenStore
 * contract, atomicity across connections, records at rest, encryption, prefixes and TTLs. Live clock: Redis
 * keeps its own time.
 */
import { describe, expect, layer } from "@effect/vitest"
import { TokenEncryption, TokenStore } from "@ultracart-oauth/adapters"
import { ConfigProvider, Duration, Effect, Exit, Layer, Option, Redacted } from "effect"
import { expectOneWinnerOfRace } from "@ultracart-oauth/test-support/StoreConformance"
import type { Redis } from "ioredis"
import { tokenStoreContract } from "../../adapters/test/utils/TokenStoreContract.js"
import * as RedisTokenStore from "../src/RedisTokenStore.js"
import { eventually, freshPrefix, input, plain, rawClient, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

/** A raw client and a fresh prefix: a test's own grants, looked at behind the store's back. */
const behindTheStore = Effect.map(rawClient, (raw) => ({ raw, prefix: freshPrefix() }))

/** Waits until Redis dropped `key` (its TTL ran out). */
const gone = (raw: Redis, key: string) =>
  eventually(
    Effect.flatMap(
      Effect.promise(() => raw.exists(key)),
      (n) => (n === 0 ? Effect.void : Effect.fail(`${key} is still there`))
    )
  )

/** `store` finds no grant "m", and its compare-and-set from `seen` (the version it last saw) does not bring it back. */
const expectStaysDead = (store: TokenStore.TokenStore.Service, raw: Redis, prefix: string, seen: number) =>
  Effect.gen(function* () {
    expect(Option.isNone(yield* store.load("m"))).toBe(true)
    expect(yield* store.compareAndSet("m", seen, input(seen + 1))).toEqual({ _tag: "Conflict", current: Option.none() })
    expect(yield* Effect.promise(() => raw.exists(`${prefix}{m}:tokens`))).toBe(0)
  })

layer(RedisServer.layer(), { excludeTestServices: true })((it) => {
  tokenStoreContract(it, "Redis", () => Layer.scoped(TokenStore.TokenStore, storeOn({ prefix: freshPrefix() })))

  describe("the TokenStore contract across connections", () => {
    it.scoped("compareAndSet is atomic across connections: of 12 stores racing over one version, one wins", () =>
      Effect.gen(function* () {
        const prefix = freshPrefix()
        const stores = yield* Effect.forEach(Array.from({ length: 12 }), () => storeOn({ prefix }))
        yield* expectOneWinnerOfRace(stores, input)
      })
    )
  })

  describe("records in Redis", () => {
    it.scoped(
      "one hash per grant under the prefix, with the grant as a hash tag, plain text without a key; an index of keys",
      () =>
        Effect.gen(function* () {
          const { raw, prefix } = yield* behindTheStore
          const s = yield* storeOn({ prefix })
          yield* s.save("shop:1", input(1))
          expect((yield* Effect.promise(() => raw.keys(`${prefix}*`))).sort()).toEqual([
            `${prefix}grants`,
            `${prefix}{shop:1}:tokens`
          ])
          expect(yield* Effect.promise(() => raw.zrange(`${prefix}grants`, 0, -1, "WITHSCORES"))).toEqual([
            "shop:1",
            "0"
          ])
          const record = yield* Effect.promise(() => raw.hgetall(`${prefix}{shop:1}:tokens`))
          expect(record).toMatchObject({ version: "1", format: "ultracart-oauth/token-set@1", encryption: "none" })
          expect(record.data).toContain("access-1")
          expect(yield* Effect.promise(() => raw.pttl(`${prefix}{shop:1}:tokens`))).toBe(-1)
        })
    )

    it.scoped("stores under different prefixes do not see each other", () =>
      Effect.gen(function* () {
        const a = yield* storeOn({ prefix: freshPrefix() })
        const b = yield* storeOn({ prefix: freshPrefix() })
        yield* a.save("m", input(1))
        expect(Option.isNone(yield* b.load("m"))).toBe(true)
      })
    )

    it.scoped("recordTtl lets Redis drop a grant after its last write", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const s = yield* storeOn({ prefix, recordTtl: "1 hour" })
        yield* s.save("m", input(1))
        const ttl = yield* Effect.promise(() => raw.pttl(`${prefix}{m}:tokens`))
        expect(ttl).toBeGreaterThan(3_500_000)
        expect(ttl).toBeLessThanOrEqual(3_600_000)
      })
    )

    it.scoped("a record that is not ours is Corrupt, and says nothing of its content", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const s = yield* storeOn({ prefix })
        yield* Effect.promise(() =>
          raw.hset(`${prefix}{m}:tokens`, {
            version: "1",
            format: "ultracart-oauth/token-set@1",
            encryption: "none",
            data: '{"accessToken":"secret-x"}'
          })
        )
        const error = yield* Effect.flip(s.load("m"))
        expect(error).toMatchObject({ _tag: "TokenStoreError", operation: "load", key: "m", reason: "Corrupt" })
        expect(error.message).not.toContain("secret-x")
        yield* Effect.promise(() => raw.hset(`${prefix}{n}:tokens`, { version: "1", format: "other@9", data: "{}" }))
        expect(yield* Effect.flip(s.load("n"))).toMatchObject({ reason: "Corrupt" })
      })
    )
  })

  describe("Redis losing its data (a restart without persistence, a flush)", () => {
    it.scoped("a grant this process knew is put back at its version, and compare-and-set goes on from it", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const a = yield* storeOn({ prefix })
        const newcomer = yield* storeOn({ prefix })
        yield* a.save("m", input(1))
        yield* a.compareAndSet("m", 1, input(2))
        // Everything gone, scripts included, as after a restart of a Redis without persistence.
        yield* Effect.promise(() => raw.flushall().then(() => raw.script("FLUSH")))
        // A process that never saw the grant cannot tell: for it there is none.
        expect(Option.isNone(yield* newcomer.load("m"))).toBe(true)
        const back = yield* a.load("m")
        expect(Option.map(back, (t) => [plain(t), t.version])).toEqual(Option.some(["access-2", 2]))
        expect(yield* Effect.promise(() => raw.hget(`${prefix}{m}:tokens`, "version"))).toBe("2")
        yield* Effect.promise(() => raw.flushall())
        const next = yield* a.compareAndSet("m", 2, input(3))
        expect(next._tag === "Written" && next.tokens.version).toBe(3)
      })
    )

    it.scoped("only the most recently used grants are remembered for the repair (rememberGrants)", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const a = yield* storeOn({ prefix, rememberGrants: 2 })
        for (const key of ["m1", "m2", "m3"]) yield* a.save(key, input(1))
        yield* a.load("m2")
        yield* Effect.promise(() => raw.flushall().then(() => raw.script("FLUSH")))
        // m1 was the least recently used of three: forgotten, so not put back; m2 and m3 are.
        expect(Option.isNone(yield* a.load("m1"))).toBe(true)
        expect(Option.isSome(yield* a.load("m2"))).toBe(true)
        expect(Option.isSome(yield* a.load("m3"))).toBe(true)
      })
    )

    it.scoped("a grant logged out by another process stays logged out (its tombstone says so)", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const a = yield* storeOn({ prefix })
        const b = yield* storeOn({ prefix })
        yield* a.save("m", input(1))
        yield* b.clear("m")
        expect(Option.isNone(yield* a.load("m"))).toBe(true)
        expect(yield* a.compareAndSet("m", 1, input(2))).toEqual({ _tag: "Conflict", current: Option.none() })
        expect(yield* Effect.promise(() => raw.hgetall(`${prefix}{m}:tokens`))).toEqual({ cleared: "1" })
        expect(yield* Effect.promise(() => raw.pttl(`${prefix}{m}:tokens`))).toBeGreaterThan(29 * 86_400_000)
        // A new grant after the logout starts again at version 1 (a tombstone counts as no record).
        const fresh = yield* a.compareAndSet("m", 0, input(3))
        expect(fresh._tag === "Written" && fresh.tokens.version).toBe(1)
        expect(yield* Effect.promise(() => raw.hget(`${prefix}{m}:tokens`, "cleared"))).toBe(null)
      })
    )
  })

  describe("listing: the index of grant keys", () => {
    /** Redis's own count of each command it ran since `CONFIG RESETSTAT` (this file's tests run one at a time). */
    const commandCounts = (raw: Redis) =>
      Effect.promise(() => raw.info("commandstats")).pipe(
        Effect.map((text) =>
          Object.fromEntries(
            Array.from(text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm), (m) => [m[1] ?? "", Number(m[2])])
          )
        )
      )

    it.scoped("a page reads the page from the index: no SCAN, one check per key listed, whatever the store holds", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const s = yield* storeOn({ prefix })
        const keys = Array.from({ length: 400 }, (_, i) => `m-${String(i).padStart(4, "0")}`)
        yield* Effect.forEach(keys, (key, i) => s.save(key, input(i)), { concurrency: 50, discard: true })
        yield* s.list({ limit: 1 })
        yield* Effect.promise(() => raw.config("RESETSTAT"))
        const page = yield* s.list({ after: "m-0199", limit: 10 })
        expect(page.keys).toEqual(keys.slice(200, 210))
        expect(page.next).toEqual(Option.some("m-0209"))
        const counts = yield* commandCounts(raw)
        expect(counts["scan"]).toBeUndefined()
        expect(counts["zrangebylex"]).toBe(1)
        // The 10 keys and the one that says there is a next page, each checked against its record.
        expect(counts["evalsha"]).toBe(11)
      })
    )

    it.scoped("entries without a record (a tombstone, an expired record) are left out, and pages stay full", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const s = yield* storeOn({ prefix })
        for (const [n, key] of ["a", "b", "c", "d", "e"].entries()) yield* s.save(key, input(n))
        yield* s.list()
        // `b`: logged out, but its index entry was never removed (the process died between the two steps).
        yield* Effect.promise(() =>
          raw.del(`${prefix}{b}:tokens`).then(() => raw.hset(`${prefix}{b}:tokens`, "cleared", "1"))
        )
        // `d`: gone without a trace, as when Redis expires a record (recordTtl).
        yield* Effect.promise(() => raw.del(`${prefix}{d}:tokens`))
        const first = yield* s.list({ limit: 2 })
        expect(first).toEqual({ keys: ["a", "c"], next: Option.some("c") })
        expect(yield* s.list({ after: "c", limit: 2 })).toEqual({ keys: ["e"], next: Option.none() })
        // The listing took them out of the index.
        expect(yield* Effect.promise(() => raw.zrange(`${prefix}grants`, 0, -1))).toEqual(["a", "c", "e"])
      })
    )

    it.scoped("a record that does not decode is listed: a listing names keys, it never decodes records", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const key = yield* TokenEncryption.generateKey
        const sealed = yield* storeOn({ prefix, encryptionKey: key })
        yield* sealed.save("sealed", input(1))
        yield* sealed.save("ok", input(2))
        const s = yield* storeOn({ prefix, encryptionKey: key })
        yield* Effect.promise(() => raw.hset(`${prefix}{sealed}:tokens`, "data", "not what was sealed"))
        expect(yield* Effect.flip(s.load("sealed"))).toMatchObject({ reason: "Corrupt" })
        expect((yield* s.list()).keys).toEqual(["ok", "sealed"])
        // A keyless store lists the same keys, though it can read none of them.
        expect((yield* (yield* storeOn({ prefix })).list()).keys).toEqual(["ok", "sealed"])
      })
    )

    it.scoped("grants stored before the index existed are indexed once, by the first listing", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const old = yield* storeOn({ prefix })
        for (const [n, key] of ["x", "y", "z"].entries()) yield* old.save(key, input(n))
        yield* old.clear("y")
        // As a store of the previous version left them: records and a tombstone, no index.
        yield* Effect.promise(() => raw.del(`${prefix}grants`, `${prefix}grants:indexed`))
        const s = yield* storeOn({ prefix })
        expect((yield* s.list()).keys).toEqual(["x", "z"])
        expect(yield* Effect.promise(() => raw.zrange(`${prefix}grants`, 0, -1))).toEqual(["x", "z"])
        expect(yield* Effect.promise(() => raw.get(`${prefix}grants:indexed`))).toBe("1")
      })
    )

    it.scoped("a grant whose writer died before indexing it is listed again after its next write or conflict", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const a = yield* storeOn({ prefix })
        const b = yield* storeOn({ prefix })
        yield* a.save("m", input(1))
        yield* a.save("n", input(1))
        yield* a.list()
        yield* Effect.promise(() => raw.zrem(`${prefix}grants`, "m", "n"))
        expect((yield* a.list()).keys).toEqual([])
        yield* a.compareAndSet("m", 1, input(2))
        // A stale writer's conflict proves there is a record: it heals the index too.
        expect((yield* b.compareAndSet("n", 0, input(3)))._tag).toBe("Conflict")
        expect((yield* a.list()).keys).toEqual(["m", "n"])
      })
    )

    it.scoped("writes, logouts and listings racing on one grant leave it listed exactly when it has a record", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const stores = yield* Effect.forEach([1, 2, 3], () => storeOn({ prefix }))
        for (let round = 0; round < 40; round++) {
          const [a, b, c] = stores as [
            TokenStore.TokenStore.Service,
            TokenStore.TokenStore.Service,
            TokenStore.TokenStore.Service
          ]
          yield* Effect.all(
            [a.clear("k"), b.compareAndSet("k", 0, input(round)), c.list(), a.list(), b.clear("k")].slice(
              0,
              3 + (round % 3)
            ),
            { concurrency: "unbounded", discard: true }
          )
          const hasRecord = Option.isSome(yield* c.load("k"))
          const indexed = (yield* Effect.promise(() => raw.zscore(`${prefix}grants`, "k"))) !== null
          // Every grant with a record is in the index (an entry without one is only ever extra, never missing)…
          if (hasRecord) expect(indexed).toBe(true)
          // …and a listing names it exactly when it has a record.
          expect((yield* c.list()).keys.includes("k")).toBe(hasRecord)
        }
      })
    )
  })

  describe("expired records and logouts stay dead", () => {
    it.scoped("a record that expired by recordTtl is not written back by a process that read it before", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const a = yield* storeOn({ prefix, recordTtl: "300 millis" })
        yield* a.save("m", input(1))
        expect(Option.isSome(yield* a.load("m"))).toBe(true)
        // Redis drops it when its TTL runs out…
        yield* gone(raw, `${prefix}{m}:tokens`)
        // …and the process that read it does not put it back, whatever it does next.
        yield* expectStaysDead(a, raw, prefix, 1)
        expect((yield* a.list()).keys).toEqual([])
      })
    )

    it.scoped("a grant logged out by another process is not brought back once its tombstone expired", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const a = yield* storeOn({ prefix, tombstoneTtl: "300 millis" })
        const b = yield* storeOn({ prefix, tombstoneTtl: "300 millis" })
        yield* a.save("m", input(1))
        yield* a.compareAndSet("m", 1, input(2))
        yield* b.clear("m")
        yield* gone(raw, `${prefix}{m}:tokens`)
        // `a` last saw version 2 and never saw the logout: Redis now holds nothing at all, as after lost data.
        yield* expectStaysDead(a, raw, prefix, 2)
      })
    )

    it.scoped("a record lost with some of its TTL left is put back with what was left, not a fresh TTL", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const a = yield* storeOn({ prefix, recordTtl: "1 hour" })
        yield* a.save("m", input(1))
        yield* Effect.promise(() => raw.pexpire(`${prefix}{m}:tokens`, 60_000))
        yield* a.load("m")
        yield* Effect.promise(() => raw.del(`${prefix}{m}:tokens`))
        expect(Option.map(yield* a.load("m"), (t) => t.version)).toEqual(Option.some(1))
        const ttl = yield* Effect.promise(() => raw.pttl(`${prefix}{m}:tokens`))
        expect(ttl).toBeGreaterThan(0)
        expect(ttl).toBeLessThanOrEqual(60_000)
      })
    )
  })

  describe("encryption at rest (the adapters' TokenEncryption)", () => {
    it.scoped("tokens are sealed: Redis never sees them; the same key reads them back", () =>
      Effect.gen(function* () {
        const { raw, prefix } = yield* behindTheStore
        const encryptionKey = yield* TokenEncryption.generateKey
        const writer = yield* storeOn({ prefix, encryptionKey })
        const reader = yield* storeOn({ prefix, encryptionKey })
        yield* writer.save("m", input(1))
        const record = yield* Effect.promise(() => raw.hgetall(`${prefix}{m}:tokens`))
        expect(record.encryption).toBe("A256GCM")
        expect(JSON.stringify(record)).not.toContain("access-1")
        expect(JSON.stringify(record)).not.toContain("refresh-1")
        expect(plain(Option.getOrThrow(yield* reader.load("m")))).toBe("access-1")
        const cas = yield* reader.compareAndSet("m", 1, input(2))
        expect(cas._tag).toBe("Written")
      })
    )

    it.scoped(
      "a wrong key, no key, a plain record, or a record moved to another grant: Decrypt, never a silent read",
      () =>
        Effect.gen(function* () {
          const { raw, prefix } = yield* behindTheStore
          const key = yield* TokenEncryption.generateKey
          const sealed = yield* storeOn({ prefix, encryptionKey: key })
          yield* sealed.save("m", input(1))
          const other = yield* storeOn({ prefix, encryptionKey: yield* TokenEncryption.generateKey })
          expect(yield* Effect.flip(other.load("m"))).toMatchObject({ reason: "Decrypt" })
          const keyless = yield* storeOn({ prefix })
          expect(yield* Effect.flip(keyless.load("m"))).toMatchObject({ reason: "Decrypt" })
          yield* keyless.save("plain", input(2))
          expect(yield* Effect.flip(sealed.load("plain"))).toMatchObject({ reason: "Decrypt" })
          yield* Effect.promise(() => raw.copy(`${prefix}{m}:tokens`, `${prefix}{moved}:tokens`))
          expect(yield* Effect.flip(sealed.load("moved"))).toMatchObject({ reason: "Decrypt" })
        })
    )

    it.scoped("an unusable key fails the store's construction with InvalidInput", () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(RedisTokenStore.make({ encryptionKey: Redacted.make("too short") }))
        expect(Exit.isFailure(exit) && exit.cause.toString()).toContain("InvalidInput")
      })
    )
  })

  describe("configuration", () => {
    it.effect("reads every setting; the URL (it may hold a password) and the key stay redacted", () =>
      Effect.gen(function* () {
        const options = yield* RedisTokenStore.config.pipe(
          Effect.withConfigProvider(
            ConfigProvider.fromMap(
              new Map([
                ["ULTRACART_REDIS_URL", "redis://app:s3cret@redis.internal:6380/2"],
                ["ULTRACART_REDIS_COMMAND_TIMEOUT", "500 millis"],
                ["ULTRACART_REDIS_MAX_RECONNECT_DELAY", "2 seconds"],
                ["ULTRACART_REDIS_PREFIX", "shop:"],
                ["ULTRACART_REDIS_LEASE_TTL", "5 seconds"],
                ["ULTRACART_REDIS_RECORD_TTL", "90 days"],
                ["ULTRACART_TOKEN_ENCRYPTION_KEY", "k".repeat(43)]
              ])
            )
          )
        )
        expect(Redacted.value(options.connection?.url ?? Redacted.make(""))).toBe(
          "redis://app:s3cret@redis.internal:6380/2"
        )
        expect(String(options.connection?.url)).not.toContain("s3cret")
        expect(Duration.toMillis(options.connection?.commandTimeout ?? 0)).toBe(500)
        expect(Duration.toMillis(options.connection?.maxReconnectDelay ?? 0)).toBe(2_000)
        expect([options.prefix, Duration.toMillis(options.leaseTtl ?? 0), options.leaseTimeout]).toEqual([
          "shop:",
          5_000,
          undefined
        ])
        expect(Duration.toDays(options.recordTtl ?? 0)).toBe(90)
        expect(String(options.encryptionKey)).not.toContain("kkk")
        const defaults = yield* RedisTokenStore.config.pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
        expect(Redacted.value(defaults.connection?.url ?? Redacted.make(""))).toBe("redis://127.0.0.1:6379")
        expect([defaults.prefix, defaults.encryptionKey, defaults.recordTtl]).toEqual([undefined, undefined, undefined])
      })
    )

    it.effect(
      "ULTRACART_REDIS_MAX_LEASE_HOLD and ULTRACART_REDIS_TOMBSTONE_TTL are read; unset, the defaults apply",
      () =>
        Effect.gen(function* () {
          const read = (entries: ReadonlyArray<readonly [string, string]>) =>
            RedisTokenStore.config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries))))
          const options = yield* read([
            ["ULTRACART_REDIS_MAX_LEASE_HOLD", "90 seconds"],
            ["ULTRACART_REDIS_TOMBSTONE_TTL", "7 days"]
          ])
          expect(Duration.toSeconds(options.maxLeaseHold ?? 0)).toBe(90)
          expect(Duration.toDays(options.tombstoneTtl ?? 0)).toBe(7)
          const defaults = yield* read([])
          expect([defaults.maxLeaseHold, defaults.tombstoneTtl]).toEqual([undefined, undefined])
          expect(Duration.toMinutes(RedisTokenStore.DEFAULT_MAX_LEASE_HOLD)).toBe(2)
        })
    )
  })
})
