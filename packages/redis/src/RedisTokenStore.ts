/**
 * A `TokenStore` on Redis, for a grant shared by several processes or machines: the same contract as the memory
 * and file stores (the token manager works unchanged), with compare-and-set as one Lua script and a refresh
 * lease (`RedisLease`: TTL, renewal, fencing token) so that only one process at a time spends the refresh
 * token; the others wait for its result and read it from Redis.
 *
 * Per grant there are three keys, all in one hash slot (`{grant}` is a hash tag), so it runs on a cluster too:
 * `<prefix>{<grant>}:tokens` (a hash: `version`, `format`, `encryption`, `iv`, `data`), `…:lease` and `…:fence`.
 * A logout (`clear`) leaves a tombstone (`cleared`) for 30 days (or `recordTtl`) instead of nothing, so that a
 * grant Redis lost can be told apart from one that was logged out.
 *
 * **Redis away.** Every command fails at once with a `TokenStoreError` (`Io`) while there is no connection, and
 * the client reconnects in the background. A compare-and-set that failed that way is kept and repeated (still
 * as a compare-and-set) as soon as Redis is back — before any other operation on that grant in this process —
 * because it usually carries a rotation UltraCart has already made: losing it would strand the grant. Until it
 * is written, the grant's lease is kept too (not freed), so other processes wait for it rather than spending
 * the refresh token it replaced; the lease's TTL bounds that wait.
 *
 * **Redis lost its data** (restarted without persistence, flushed): where a grant this process has read or
 * written is simply gone — no record, no tombstone — the store puts back the version it knew before going on,
 * rather than report "no tokens" (which would make the token manager drop a valid grant). That is a repair,
 * not a guarantee: a process that knew an older version than another may put it back first. Run Redis with
 * persistence for tokens (README).
 *
 * **Plain text by default**, like the file store: give an `encryptionKey` (`TokenEncryption`) to seal the tokens
 * with AES-256-GCM, bound to the grant and version. A store with a key refuses a plain-text record.
 *
 * @since 0.1.0
 */
import * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import { optional } from "./internal/optionalConfig.js"
import { CLEAR, codec, FIELDS, RESTORE, type Stored, WRITE } from "./internal/tokenRecord.js"
import * as RedisConnection from "./RedisConnection.js"
import type { RedisError } from "./RedisError.js"
import * as RedisLease from "./RedisLease.js"

type TokenSet = Store.TokenSet
type TokenSetInput = Store.TokenSetInput
type CompareAndSetResult = Store.CompareAndSetResult
type Operation = Store.TokenStoreError["operation"]

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisTokenStoreOptions {
  /** Where Redis is (default `127.0.0.1:6379`). Ignored when `client` is given. */
  readonly connection?: RedisConnection.RedisConnectionOptions | undefined
  /**
   * Your own ioredis client, left open when the store closes. Give it `enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0` and a `commandTimeout`, or a call made while Redis is away waits for it.
   */
  readonly client?: Redis | undefined
  /** Put before every key (default `ultracart-oauth:`), to share a Redis with other applications. */
  readonly prefix?: string | undefined
  /** 32 random bytes in base64 or base64url: encrypts the tokens at rest with AES-256-GCM. */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
  /**
   * How long a refresh lease lives without renewal (default 10 seconds): how soon a process that died while
   * refreshing stops blocking the others. A held lease is renewed every third of it.
   */
  readonly leaseTtl?: Duration.DurationInput | undefined
  /** How long a refresh waits for another process's refresh of the same grant (default 30 seconds). */
  readonly leaseTimeout?: Duration.DurationInput | undefined
  /** Let Redis drop a grant this long after its last write (default: never). Also the tombstone's life. */
  readonly recordTtl?: Duration.DurationInput | undefined
}

const SAVE_ATTEMPTS = 5
const TOMBSTONE_TTL = Duration.days(30)

/** A failed compare-and-set kept to be written again once Redis is back. */
interface PendingWrite {
  readonly expected: number
  readonly tokens: TokenSetInput
}

/**
 * Makes a Redis token store for the life of the scope (the connection it opened closes with it). Fails with
 * `RedisError` if Redis cannot be reached, and with `InvalidInput` for an unusable encryption key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: RedisTokenStoreOptions = {}
): Effect.Effect<Store.TokenStore.Service, RedisError | OAuthError.InvalidInput, Scope.Scope> =>
  Effect.gen(function* () {
    const { decode, encode, fail } = codec(
      options.encryptionKey === undefined
        ? Option.none()
        : Option.some(yield* TokenEncryption.make(options.encryptionKey))
    )
    const client = options.client ?? (yield* RedisConnection.make(options.connection))
    const prefix = options.prefix ?? "ultracart-oauth:"
    const leaseOptions: RedisLease.LeaseOptions = {
      ttl: options.leaseTtl ?? Duration.seconds(10),
      timeout: options.leaseTimeout ?? Duration.seconds(30)
    }
    const recordTtlMillis = options.recordTtl === undefined ? 0 : Math.ceil(Duration.toMillis(options.recordTtl))
    const tombstoneTtlMillis = recordTtlMillis > 0 ? recordTtlMillis : Duration.toMillis(TOMBSTONE_TTL)

    /** The last record this process read or wrote per grant: what it puts back if Redis loses it. */
    const known = new Map<string, TokenSet>()
    const pending = new Map<string, PendingWrite>()
    const keptLeases = new Map<string, RedisLease.Lease>()

    const keyOf = (key: string, part: "tokens" | "lease" | "fence") => `${prefix}{${key}}:${part}`

    /** No connection or no answer: `Unavailable` / `Timeout`, so callers can branch; an error reply is `Io`. */
    const fromRedis = (operation: Operation, key: string) => (error: RedisError) =>
      fail(
        operation,
        key,
        error.reason === "Rejected" ? "Io" : error.reason,
        `Redis ${error.reason.toLowerCase()} (${error.command}): ${error.detail}`
      )

    const io = <A>(operation: Operation, key: string, effect: Effect.Effect<A, RedisError | Store.TokenStoreError>) =>
      Effect.catchTag(effect, "RedisError", (error) => Effect.fail(fromRedis(operation, key)(error)))

    /** Keeps `known` in step with what Redis answered. */
    const remember = (key: string, stored: Stored): Option.Option<TokenSet> => {
      if (stored._tag === "Record") {
        known.set(key, stored.tokens)
        return Option.some(stored.tokens)
      }
      known.delete(key)
      return Option.none()
    }

    /** Redis has nothing for a grant this process knew (lost data): puts that version back. True if it did. */
    const restore = (key: string): Effect.Effect<boolean, RedisError> =>
      Effect.suspend(() => {
        const lost = known.get(key)
        if (lost === undefined) return Effect.succeed(false)
        return Effect.flatMap(encode(key, lost.version, lost), (fields) =>
          RedisConnection.evaluate(client, RESTORE, [keyOf(key, "tokens")], [lost.version, ...fields, recordTtlMillis])
        ).pipe(
          Effect.tap((reply) =>
            reply === 1
              ? Effect.logWarning(
                  "Redis had lost the grant's tokens (restarted without persistence?); put back the version this process knew"
                ).pipe(Effect.annotateLogs({ "ultracart.grant": key, "token.version": lost.version }))
              : Effect.void
          ),
          Effect.as(true)
        )
      })

    /** Runs `attempt` again once after putting back a record Redis lost. */
    const orRestored = <A>(
      key: string,
      attempt: Effect.Effect<A, RedisError | Store.TokenStoreError>,
      lost: (a: A) => boolean
    ) =>
      Effect.flatMap(attempt, (a) =>
        lost(a)
          ? Effect.flatMap(restore(key), (restored) => (restored ? attempt : Effect.succeed(a)))
          : Effect.succeed(a)
      )

    const fetch = (operation: Operation, key: string) =>
      RedisConnection.command("HMGET", () => client.hmget(keyOf(key, "tokens"), ...FIELDS)).pipe(
        Effect.flatMap((fields) => decode(operation, key, fields))
      )

    const read = (operation: Operation, key: string): Effect.Effect<Option.Option<TokenSet>, Store.TokenStoreError> =>
      io(
        operation,
        key,
        orRestored(key, fetch(operation, key), (s) => s._tag === "Missing")
      ).pipe(Effect.map((stored) => remember(key, stored)))

    const attemptWrite = (operation: Operation, key: string, expected: number, tokens: TokenSetInput) =>
      Effect.flatMap(encode(key, expected + 1, tokens), (fields) =>
        RedisConnection.evaluate(client, WRITE, [keyOf(key, "tokens")], [expected, ...fields, recordTtlMillis])
      ).pipe(
        Effect.flatMap(
          (reply): Effect.Effect<Stored | number, Store.TokenStoreError> =>
            typeof reply === "number"
              ? Effect.succeed(reply)
              : decode(operation, key, Array.isArray(reply) ? reply : [])
        )
      )

    const write = (
      operation: Operation,
      key: string,
      expected: number,
      tokens: TokenSetInput
    ): Effect.Effect<CompareAndSetResult, RedisError | Store.TokenStoreError> =>
      orRestored(
        key,
        attemptWrite(operation, key, expected, tokens),
        (r) => typeof r !== "number" && r._tag === "Missing"
      ).pipe(
        Effect.map((reply): CompareAndSetResult => {
          if (typeof reply !== "number") return { _tag: "Conflict", current: remember(key, reply) }
          const written = Store.withVersion(tokens, reply)
          known.set(key, written)
          return { _tag: "Written", tokens: written }
        })
      )

    /** Frees a lease kept for a pending write, once that write is settled. */
    const freeKeptLease = (key: string) =>
      Effect.suspend(() => {
        const lease = keptLeases.get(key)
        keptLeases.delete(key)
        return lease === undefined ? Effect.void : Effect.ignore(lease.release)
      })

    /** Writes this grant's pending compare-and-set, if there is one; it fails only if Redis is still away. */
    const settle = (operation: Operation, key: string): Effect.Effect<void, Store.TokenStoreError> =>
      Effect.suspend(() => {
        const entry = pending.get(key)
        if (entry === undefined) return Effect.void
        return io(operation, key, write(operation, key, entry.expected, entry.tokens)).pipe(
          Effect.flatMap((result) => {
            if (pending.get(key) === entry) pending.delete(key)
            // A write that timed out may have landed after all: then Redis holds these very tokens.
            const landed =
              result._tag === "Written" ||
              Option.exists(
                result.current,
                (current) =>
                  current.version === entry.expected + 1 &&
                  Redacted.value(current.accessToken) === Redacted.value(entry.tokens.accessToken)
              )
            return Effect.logInfo(
              landed ? "stored the tokens Redis missed" : "the tokens Redis missed were superseded by another writer"
            ).pipe(Effect.annotateLogs({ "ultracart.grant": key }))
          }),
          Effect.zipRight(freeKeptLease(key))
        )
      })

    const settleAll = Effect.suspend(() =>
      Effect.forEach([...pending.keys()], (key) => settle("compareAndSet", key), { discard: true })
    )

    // A failed compare-and-set and each (re)connection wake the settler; it retries for a while (Redis may be
    // restarting, or loading its data) and then waits for the next connection.
    const wake = yield* Queue.sliding<void>(1)
    const wakeSettler = () => Queue.unsafeOffer(wake, undefined)
    yield* Effect.acquireRelease(
      Effect.sync(() => client.on("ready", wakeSettler)),
      () => Effect.sync(() => client.off("ready", wakeSettler))
    )
    yield* Queue.take(wake).pipe(
      Effect.zipRight(
        settleAll.pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("10 seconds"))), Effect.ignore)
      ),
      Effect.forever,
      Effect.forkScoped
    )

    const compareAndSet = (key: string, expected: number, tokens: TokenSetInput) =>
      Effect.zipRight(
        settle("compareAndSet", key),
        write("compareAndSet", key, expected, tokens).pipe(
          Effect.catchTag("RedisError", (error) =>
            Effect.zipRight(
              Effect.sync(() => {
                pending.set(key, { expected, tokens })
                wakeSettler()
              }),
              Effect.logWarning("Redis is unreachable; the tokens are kept and will be stored when it is back").pipe(
                Effect.annotateLogs({ "ultracart.grant": key, "error.message": error.message })
              )
            ).pipe(Effect.zipRight(Effect.fail(fromRedis("compareAndSet", key)(error))))
          )
        )
      )

    /** A new grant or a logout supersedes whatever the old one had pending. */
    const forget = (key: string) =>
      Effect.zipRight(
        Effect.sync(() => pending.delete(key)),
        freeKeptLease(key)
      )

    const save = (key: string, tokens: TokenSetInput): Effect.Effect<TokenSet, Store.TokenStoreError> =>
      Effect.gen(function* () {
        yield* forget(key)
        let expected = Option.match(yield* read("save", key), { onNone: () => 0, onSome: (t) => t.version })
        for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
          const result = yield* io("save", key, write("save", key, expected, tokens))
          if (result._tag === "Written") return result.tokens
          expected = Option.match(result.current, { onNone: () => 0, onSome: (t) => t.version })
        }
        return yield* fail("save", key, "Locked", `other writers changed the grant ${SAVE_ATTEMPTS} times in a row`)
      })

    const clear = (key: string): Effect.Effect<void, Store.TokenStoreError> =>
      Effect.zipRight(
        forget(key),
        io("clear", key, RedisConnection.evaluate(client, CLEAR, [keyOf(key, "tokens")], [tombstoneTtlMillis]))
      ).pipe(Effect.zipRight(Effect.sync(() => void known.delete(key))))

    const lease = (key: string): Effect.Effect<void, Store.TokenStoreError, Scope.Scope> =>
      RedisLease.acquire(client, { lease: keyOf(key, "lease"), fence: keyOf(key, "fence") }, leaseOptions).pipe(
        Effect.mapError((error) =>
          error._tag === "LeaseTimeout"
            ? fail("lease", key, "Locked", `another process held the refresh lease for ${error.waitedMillis} ms`)
            : fromRedis("lease", key)(error)
        ),
        Effect.tap((held) =>
          Effect.zipRight(
            Effect.logDebug("refresh lease taken").pipe(
              Effect.annotateLogs({ "ultracart.grant": key, "lease.fence": held.fence })
            ),
            // Runs before the lease's own release: a rotation still waiting for Redis keeps the lease.
            Effect.addFinalizer(() =>
              pending.has(key)
                ? Effect.zipRight(
                    held.detach,
                    Effect.sync(() => keptLeases.set(key, held))
                  )
                : Effect.void
            )
          )
        ),
        Effect.asVoid
      )

    /** Every grant key with a record (not a tombstone), found by `SCAN` over the record keys. */
    const allKeys: Effect.Effect<Array<string>, RedisError> = Effect.gen(function* () {
      const match = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}{*}:tokens`
      const found = new Set<string>()
      let cursor = "0"
      do {
        const [next, batch] = yield* RedisConnection.command("SCAN", () =>
          client.scan(cursor, "MATCH", match, "COUNT", 1000)
        )
        for (const name of batch) found.add(name)
        cursor = next
      } while (cursor !== "0")
      const names = Array.from(found)
      const versions = yield* Effect.forEach(names, (name) =>
        RedisConnection.command("HGET", () => client.hget(name, "version"))
      )
      return names
        .filter((_, i) => versions[i] !== null && versions[i] !== undefined)
        .map((name) => name.slice(prefix.length + 1, name.length - "}:tokens".length))
    })

    const list = (options?: Store.ListOptions): Effect.Effect<Store.KeyPage, Store.TokenStoreError> =>
      io(
        "list",
        "*",
        Effect.map(allKeys, (keys) => Store.pageOf(keys.sort(Store.compareKeys), options))
      )

    const service: Store.TokenStore.Service = {
      load: (key) => Effect.zipRight(settle("load", key), read("load", key)),
      save,
      compareAndSet,
      clear,
      list,
      lease
    }
    return service
  })

/**
 * The Redis store as a Layer; the connection closes with it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: RedisTokenStoreOptions = {}
): Layer.Layer<Store.TokenStore, RedisError | OAuthError.InvalidInput> => Layer.scoped(Store.TokenStore, make(options))

/**
 * Options from configuration: the connection (`RedisConnection.config`: `ULTRACART_REDIS_URL` and its
 * timeouts), `ULTRACART_REDIS_PREFIX`, `ULTRACART_REDIS_LEASE_TTL`,
 * `ULTRACART_REDIS_LEASE_TIMEOUT`, `ULTRACART_REDIS_RECORD_TTL` and `ULTRACART_TOKEN_ENCRYPTION_KEY` (the file
 * store's key setting, read with `Config.redacted`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<RedisTokenStoreOptions> = Config.all({
  connection: RedisConnection.config,
  prefix: optional(Config.string("ULTRACART_REDIS_PREFIX")),
  leaseTtl: optional(Config.duration("ULTRACART_REDIS_LEASE_TTL")),
  leaseTimeout: optional(Config.duration("ULTRACART_REDIS_LEASE_TIMEOUT")),
  recordTtl: optional(Config.duration("ULTRACART_REDIS_RECORD_TTL")),
  encryptionKey: optional(Config.redacted("ULTRACART_TOKEN_ENCRYPTION_KEY"))
})

/**
 * The Redis store as a Layer, from configuration ({@link config} unless another is given).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<RedisTokenStoreOptions> = config
): Layer.Layer<Store.TokenStore, RedisError | OAuthError.InvalidInput | ConfigError.ConfigError> =>
  Layer.scoped(Store.TokenStore, Effect.flatMap(options, make))
