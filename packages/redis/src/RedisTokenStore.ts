/**
 * A `TokenStore` on Redis, for a grant shared by several processes or machines: the same contract as the memory
 * and file stores (the token manager works unchanged), with compare-and-set as one Lua script and a refresh
 * lease (`RedisLease`: TTL, renewal, fencing token) so that only one process at a time spends the refresh
 * token; the others wait for its result and read it from Redis.
 *
 * Per grant there are three keys, all in one hash slot (`{grant}` is a hash tag), so it runs on a cluster too:
 * `<prefix>{<grant>}:tokens` (a hash: `version`, `format`, `encryption`, `iv`, `data`), `…:lease` and `…:fence`.
 * `list` pages through `<prefix>grants`, a sorted set of the grant keys kept by every write and logout (each
 * script touches one slot; how the index stays consistent without a cross-slot step: `internal/grantIndex.ts`
 * and the README), so a page costs O(page), not O(grants).
 * A logout (`clear`) leaves a tombstone (`cleared`) for `tombstoneTtl` (default 30 days, or `recordTtl`) instead of
 * nothing, so that a grant Redis lost can be told apart from one that was logged out.
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
 * persistence for tokens (README). It is never a resurrection: a record is put back only while it cannot have
 * expired by its TTL (`recordTtl`, with what is left of it) and while a logout since this process saw it would
 * still show as a tombstone (`tombstoneTtl`) — both counted from before the command that saw it went out.
 *
 * **Plain text by default**, like the file store: give an `encryptionKey` (`TokenEncryption`) to seal the tokens
 * with AES-256-GCM, bound to the grant and version. A store with a key refuses a plain-text record.
 *
 * @since 0.1.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import * as GrantIndex from "./internal/grantIndex.js"
import * as GrantRecords from "./internal/grantRecords.js"
import * as PendingWrites from "./internal/pendingWrites.js"
import * as RedisConnection from "./RedisConnection.js"
import type { RedisError } from "./RedisError.js"
import * as RedisLease from "./RedisLease.js"

type TokenSet = Store.TokenSet
type TokenSetInput = Store.TokenSetInput

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
  /**
   * The longest a refresh may hold a grant's lease (default 2 minutes: twice the default request deadlines of 30
   * seconds for the answer's head and 30 for its body). Renewal never extends the lease past it, so it expires
   * then and another process takes it: a hung refresh cannot block a grant for good. Keep every refresh's own
   * deadline below it.
   */
  readonly maxLeaseHold?: Duration.DurationInput | undefined
  /**
   * Let Redis drop a grant this long after its last write (default: never). A record that expired stays expired:
   * no process puts it back (see "lost data" above).
   */
  readonly recordTtl?: Duration.DurationInput | undefined
  /**
   * How long a logout's tombstone lives (default: `recordTtl` when set, else 30 days). A process that saw the grant
   * before the logout never puts it back afterwards, even once the tombstone is gone.
   */
  readonly tombstoneTtl?: Duration.DurationInput | undefined
  /**
   * How many grants' last records this process keeps in memory to put back should Redis lose them (default 1,000:
   * the most recently used). Past it the oldest are forgotten, so a process serving many merchants holds memory
   * for the ones in use, not for every grant it ever touched.
   */
  readonly rememberGrants?: number | undefined
}

/**
 * How long a refresh may hold a grant's lease unless told otherwise (`maxLeaseHold`): 2 minutes.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_LEASE_HOLD: Duration.Duration = Duration.minutes(2)

const SAVE_ATTEMPTS = 5
const TOMBSTONE_TTL = Duration.days(30)

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
    const cipher =
      options.encryptionKey === undefined
        ? Option.none()
        : Option.some(yield* TokenEncryption.make(options.encryptionKey))
    const client = options.client ?? (yield* RedisConnection.make(options.connection))
    const prefix = options.prefix ?? "ultracart-oauth:"
    const leaseOptions: RedisLease.LeaseOptions = {
      ttl: options.leaseTtl ?? Duration.seconds(10),
      timeout: options.leaseTimeout ?? Duration.seconds(30),
      maxHold: options.maxLeaseHold ?? DEFAULT_MAX_LEASE_HOLD
    }
    const recordTtlMillis = options.recordTtl === undefined ? 0 : Math.ceil(Duration.toMillis(options.recordTtl))
    const index = GrantIndex.make(client, prefix)
    const records = GrantRecords.make({
      client,
      index,
      prefix,
      cipher,
      recordTtlMillis,
      rememberGrants: Math.max(0, Math.floor(options.rememberGrants ?? 1_000)),
      tombstoneTtlMillis: Math.max(
        1,
        Math.ceil(Duration.toMillis(options.tombstoneTtl ?? (recordTtlMillis > 0 ? recordTtlMillis : TOMBSTONE_TTL)))
      )
    })
    const pending = yield* PendingWrites.make(client, records.write)
    const { fail } = records

    const compareAndSet = (key: string, expected: number, tokens: TokenSetInput) =>
      Effect.zipRight(
        pending.settle("compareAndSet", key),
        records
          .write("compareAndSet", key, expected, tokens)
          .pipe(
            Effect.catchTag("RedisError", (error) =>
              Effect.zipRight(
                pending.keep(key, expected, tokens, error),
                Effect.fail(GrantRecords.fromRedis("compareAndSet", key)(error))
              )
            )
          )
      )

    const save = (key: string, tokens: TokenSetInput): Effect.Effect<TokenSet, Store.TokenStoreError> =>
      Effect.gen(function* () {
        yield* pending.forget(key)
        let expected = Option.match(yield* records.read("save", key), { onNone: () => 0, onSome: (t) => t.version })
        for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
          const result = yield* GrantRecords.io("save", key, records.write("save", key, expected, tokens))
          if (result._tag === "Written") return result.tokens
          expected = Option.match(result.current, { onNone: () => 0, onSome: (t) => t.version })
        }
        return yield* fail("save", key, "Locked", `other writers changed the grant ${SAVE_ATTEMPTS} times in a row`)
      })

    const lease = (key: string): Effect.Effect<void, Store.TokenStoreError, Scope.Scope> =>
      RedisLease.acquire(
        client,
        { lease: GrantRecords.keyOf(prefix, key, "lease"), fence: GrantRecords.keyOf(prefix, key, "fence") },
        leaseOptions
      ).pipe(
        Effect.mapError((error) =>
          error._tag === "LeaseTimeout"
            ? fail("lease", key, "Locked", `another process held the refresh lease for ${error.waitedMillis} ms`)
            : GrantRecords.fromRedis("lease", key)(error)
        ),
        Effect.tap((held) =>
          Effect.zipRight(
            Effect.logDebug("refresh lease taken").pipe(
              Effect.annotateLogs({ "ultracart.grant": key, "lease.fence": held.fence })
            ),
            // Runs before the lease's own release: a rotation still waiting for Redis keeps the lease.
            Effect.addFinalizer(() => pending.keepLeaseIfPending(key, held))
          )
        ),
        Effect.asVoid
      )

    const service: Store.TokenStore.Service = {
      load: (key) => Effect.zipRight(pending.settle("load", key), records.read("load", key)),
      save,
      compareAndSet,
      clear: (key) => Effect.zipRight(pending.forget(key), records.clear(key)),
      list: (listOptions) => GrantRecords.io("list", "*", index.page(listOptions)),
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
 * `ULTRACART_REDIS_LEASE_TIMEOUT`, `ULTRACART_REDIS_MAX_LEASE_HOLD`, `ULTRACART_REDIS_RECORD_TTL`, `ULTRACART_REDIS_TOMBSTONE_TTL` and `ULTRACART_TOKEN_ENCRYPTION_KEY` (the file
 * store's key setting, read with `Config.redacted`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<RedisTokenStoreOptions> = Config.all({
  connection: RedisConnection.config,
  prefix: ConfigWrap.optional(Config.string("ULTRACART_REDIS_PREFIX")),
  leaseTtl: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_LEASE_TTL")),
  leaseTimeout: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_LEASE_TIMEOUT")),
  maxLeaseHold: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_MAX_LEASE_HOLD")),
  recordTtl: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_RECORD_TTL")),
  tombstoneTtl: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_TOMBSTONE_TTL")),
  encryptionKey: ConfigWrap.optional(Config.redacted("ULTRACART_TOKEN_ENCRYPTION_KEY"))
})

/**
 * The Redis store as a Layer, from configuration ({@link config} unless another is given).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<RedisTokenStoreOptions> = config
): Layer.Layer<Store.TokenStore, RedisError | OAuthError.InvalidInput | ConfigError.ConfigError> =>
  Layer.scoped(Store.TokenStore, Effect.flatMap(ConfigWrap.unwrap(options), make))
