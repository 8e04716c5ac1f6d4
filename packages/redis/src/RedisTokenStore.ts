/**
 * A `TokenStore` on Redis, for a grant shared by several processes or machines: the same contract as the memory
 * and file stores (the token manager works unchanged), with compare-and-set as one Lua script and a refresh
 * lease (`RedisLease`: TTL, renewal, fencing token) so that only one process at a time spends the refresh
 * token; the others wait for its result and read it from Redis.
 *
 * Per grant there are three keys, all in one hash slot (`{grant}` is a hash tag), so it runs on a cluster too:
 * `<prefix>{<grant>}:tokens` (a hash: `version`, `format`, `encryption`, `iv`, `data`), `…:lease` and `…:fence`.
 *
 * **Redis away.** Every command fails at once with a `TokenStoreError` (`Io`) while there is no connection, and
 * the client reconnects in the background. A compare-and-set that failed that way is kept and repeated (still
 * as a compare-and-set) as soon as Redis is back — before any other operation on that grant in this process —
 * because it usually carries a rotation UltraCart has already made: losing it would strand the grant. Until it
 * is written, the grant's lease is kept too (not freed), so other processes wait for it rather than spending
 * the refresh token it replaced; the lease's TTL bounds that wait.
 *
 * **Plain text by default**, like the file store: give an `encryptionKey` (`TokenEncryption`) to seal the tokens
 * with AES-256-GCM, bound to the grant and version. A store with a key refuses a plain-text record.
 *
 * @since 0.1.0
 */
import { TokenEncryption, TokenStore as Store } from "@ultracart-oauth/adapters"
import type { OAuthError } from "@ultracart-oauth/core"
import {
  Config,
  type ConfigError,
  Duration,
  Effect,
  Encoding,
  Layer,
  Option,
  ParseResult,
  Queue,
  type Redacted,
  Schedule,
  Schema,
  type Scope
} from "effect"
import type { Redis } from "ioredis"
import { optional } from "./internal/optionalConfig.js"
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
  /** Let Redis drop a grant this long after its last write (default: never). */
  readonly recordTtl?: Duration.DurationInput | undefined
}

const FORMAT = "ultracart-oauth/token-set@1"
const NONE = "none"
const FIELDS = ["version", "format", "encryption", "iv", "data"] as const
const SAVE_ATTEMPTS = 5

/** The tokens as written in `data` (or sealed into it). `Schema.Redacted` encodes to plain text: on purpose here. */
const SecretsJson = Schema.parseJson(Schema.Struct({
  accessToken: Schema.Redacted(Schema.String),
  refreshToken: Schema.OptionFromNullOr(Schema.Redacted(Schema.String)),
  expiresAt: Schema.DateTimeUtc,
  issuedAt: Schema.DateTimeUtc,
  scope: Schema.OptionFromNullOr(Schema.String)
}))
const encodeSecrets = Schema.encodeSync(SecretsJson)
const decodeSecrets = Schema.decodeUnknownEither(SecretsJson)

/**
 * Compare-and-set. `ARGV`: expected version, format, encryption, iv, data, TTL in ms (0: none). Answers the new
 * version, or the current record's fields when the version did not match.
 */
const WRITE = RedisConnection.script(
  "token-write",
  `local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then
  return redis.call('HMGET', KEYS[1], '${FIELDS.join("', '")}')
end
redis.call('HSET', KEYS[1], 'version', current + 1, 'format', ARGV[2], 'encryption', ARGV[3], 'iv', ARGV[4], 'data', ARGV[5])
if tonumber(ARGV[6]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) else redis.call('PERSIST', KEYS[1]) end
return current + 1`
)

/** Paths and kinds only: ParseResult's messages quote values, and a value here may be a token. */
const issuesOf = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${["data", ...issue.path].join(".")}: ${issue._tag}`)
    .join("; ")

const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text)

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
  Effect.gen(function*() {
    const cipher = options.encryptionKey === undefined
      ? Option.none()
      : Option.some(yield* TokenEncryption.make(options.encryptionKey))
    const client = options.client ?? (yield* RedisConnection.make(options.connection))
    const prefix = options.prefix ?? "ultracart-oauth:"
    const leaseOptions: RedisLease.LeaseOptions = {
      ttl: options.leaseTtl ?? Duration.seconds(10),
      timeout: options.leaseTimeout ?? Duration.seconds(30)
    }
    const recordTtlMillis = options.recordTtl === undefined ? 0 : Math.ceil(Duration.toMillis(options.recordTtl))

    const pending = new Map<string, PendingWrite>()
    const keptLeases = new Map<string, RedisLease.Lease>()

    const keyOf = (key: string, part: "tokens" | "lease" | "fence") => `${prefix}{${key}}:${part}`

    const fail = (operation: Operation, key: string, reason: Store.TokenStoreError["reason"], detail: string) =>
      new Store.TokenStoreError({ operation, key, reason, detail })

    const fromRedis = (operation: Operation, key: string) => (error: RedisError) =>
      fail(operation, key, "Io", `Redis ${error.reason.toLowerCase()} (${error.command}): ${error.detail}`)

    const associatedData = (key: string, version: number) => utf8(`${FORMAT}\n${key}\n${version}`)

    /** The hash's fields as Redis answered them (`null` for an absent field). */
    const parse = (operation: Operation, key: string, fields: ReadonlyArray<unknown>) =>
      Effect.gen(function*() {
        const [version, format, encryption, iv, data] = fields.map((f) => (typeof f === "string" ? f : undefined))
        if (version === undefined) return Option.none<TokenSet>()
        const number = Number(version)
        if (!Number.isSafeInteger(number) || number < 1 || format !== FORMAT || data === undefined) {
          return yield* fail(operation, key, "Corrupt", `not a ${FORMAT} record (version, format or data)`)
        }
        let json = data
        if (encryption === NONE) {
          if (Option.isSome(cipher)) {
            return yield* fail(operation, key, "Decrypt", "the record is in plain text but the store requires encryption")
          }
        } else {
          if (Option.isNone(cipher)) {
            return yield* fail(operation, key, "Decrypt", "the record is encrypted and no encryption key is configured")
          }
          const nonce = Encoding.decodeBase64(iv ?? "")
          const sealed = Encoding.decodeBase64(data)
          if (encryption !== cipher.value.algorithm || nonce._tag === "Left" || sealed._tag === "Left") {
            return yield* fail(operation, key, "Corrupt", "unknown encryption, or iv or data not base64")
          }
          const opened = yield* cipher.value.open(
            { iv: new Uint8Array(nonce.right), ciphertext: new Uint8Array(sealed.right) },
            associatedData(key, number)
          )
          if (Option.isNone(opened)) {
            return yield* fail(operation, key, "Decrypt", "the record does not decrypt with this key (wrong key or altered)")
          }
          json = new TextDecoder().decode(opened.value)
        }
        const secrets = decodeSecrets(json)
        if (secrets._tag === "Left") return yield* fail(operation, key, "Corrupt", issuesOf(secrets.left))
        return Option.some(Store.withVersion(secrets.right, number))
      })

    /** `[encryption, iv, data]` for a record that will be stored as `version`. */
    const seal = (key: string, version: number, tokens: TokenSetInput): Effect.Effect<ReadonlyArray<string>> =>
      Option.match(cipher, {
        onNone: () => Effect.succeed([NONE, "", encodeSecrets(tokens)]),
        onSome: (c) =>
          Effect.map(
            c.seal(utf8(encodeSecrets(tokens)), associatedData(key, version)),
            (sealed) => [c.algorithm, Encoding.encodeBase64(sealed.iv), Encoding.encodeBase64(sealed.ciphertext)]
          )
      })

    const read = (operation: Operation, key: string) =>
      RedisConnection.command("HMGET", () => client.hmget(keyOf(key, "tokens"), ...FIELDS)).pipe(
        Effect.mapError(fromRedis(operation, key)),
        Effect.flatMap((fields) => parse(operation, key, fields))
      )

    const write = (
      operation: Operation,
      key: string,
      expected: number,
      tokens: TokenSetInput
    ): Effect.Effect<CompareAndSetResult, RedisError | Store.TokenStoreError> =>
      Effect.flatMap(seal(key, expected + 1, tokens), (sealed) =>
        RedisConnection.evaluate(client, WRITE, [keyOf(key, "tokens")], [expected, FORMAT, ...sealed, recordTtlMillis])
      ).pipe(
        Effect.flatMap((reply): Effect.Effect<CompareAndSetResult, Store.TokenStoreError> =>
          typeof reply === "number"
            ? Effect.succeed({ _tag: "Written", tokens: Store.withVersion(tokens, reply) })
            : Effect.map(parse(operation, key, Array.isArray(reply) ? reply : []), (current) => ({
              _tag: "Conflict",
              current
            }))
        )
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
        return write(operation, key, entry.expected, entry.tokens).pipe(
          Effect.catchTag("RedisError", (error) => Effect.fail(fromRedis(operation, key)(error))),
          Effect.flatMap((result) => {
            if (pending.get(key) === entry) pending.delete(key)
            return Effect.logInfo(
              result._tag === "Written"
                ? "Redis is back: stored the tokens it missed"
                : "Redis is back: the tokens it missed were superseded by another writer"
            ).pipe(Effect.annotateLogs({ "ultracart.grant": key }))
          }),
          Effect.zipRight(freeKeptLease(key))
        )
      })

    const settleAll = Effect.suspend(() =>
      Effect.forEach([...pending.keys()], (key) => settle("compareAndSet", key), { discard: true })
    )

    // Each (re)connection wakes the settler; it retries while Redis answers with errors (LOADING after a restart).
    const ready = yield* Queue.sliding<void>(1)
    const onReady = () => Queue.unsafeOffer(ready, undefined)
    yield* Effect.acquireRelease(
      Effect.sync(() => client.on("ready", onReady)),
      () => Effect.sync(() => client.off("ready", onReady))
    )
    yield* Queue.take(ready).pipe(
      Effect.zipRight(settleAll.pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("10 seconds"))), Effect.ignore)),
      Effect.forever,
      Effect.forkScoped
    )

    const compareAndSet = (key: string, expected: number, tokens: TokenSetInput) =>
      Effect.zipRight(
        settle("compareAndSet", key),
        write("compareAndSet", key, expected, tokens).pipe(
          Effect.catchTag("RedisError", (error) =>
            Effect.zipRight(
              Effect.sync(() => pending.set(key, { expected, tokens })),
              Effect.logWarning("Redis is unreachable; the tokens are kept and will be stored when it is back").pipe(
                Effect.annotateLogs({ "ultracart.grant": key, "error.message": error.message })
              )
            ).pipe(Effect.zipRight(Effect.fail(fromRedis("compareAndSet", key)(error))))
          )
        )
      )

    /** A new grant supersedes whatever the old one had pending. */
    const forget = (key: string) =>
      Effect.zipRight(Effect.sync(() => pending.delete(key)), freeKeptLease(key))

    const save = (key: string, tokens: TokenSetInput): Effect.Effect<TokenSet, Store.TokenStoreError> =>
      Effect.gen(function*() {
        yield* forget(key)
        let expected = Option.match(yield* read("save", key), { onNone: () => 0, onSome: (t) => t.version })
        for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
          const result = yield* Effect.mapError(write("save", key, expected, tokens), (error) =>
            error._tag === "RedisError" ? fromRedis("save", key)(error) : error)
          if (result._tag === "Written") return result.tokens
          expected = Option.match(result.current, { onNone: () => 0, onSome: (t) => t.version })
        }
        return yield* fail("save", key, "Locked", `other writers changed the grant ${SAVE_ATTEMPTS} times in a row`)
      })

    const lease = (key: string): Effect.Effect<void, Store.TokenStoreError, Scope.Scope> =>
      RedisLease.acquire(client, { lease: keyOf(key, "lease"), fence: keyOf(key, "fence") }, leaseOptions).pipe(
        Effect.mapError((error) =>
          error._tag === "LeaseTimeout"
            ? fail("lease", key, "Locked", `another process held the refresh lease for ${error.waitedMillis} ms`)
            : fromRedis("lease", key)(error)
        ),
        Effect.tap((held) =>
          Effect.zipRight(
            Effect.logDebug("refresh lease taken").pipe(Effect.annotateLogs({ "ultracart.grant": key, "lease.fence": held.fence })),
            // Runs before the lease's own release: a rotation still waiting for Redis keeps the lease.
            Effect.addFinalizer(() =>
              pending.has(key) ? Effect.zipRight(held.detach, Effect.sync(() => keptLeases.set(key, held))) : Effect.void
            )
          )
        ),
        Effect.asVoid
      )

    const service: Store.TokenStore.Service = {
      load: (key) => Effect.zipRight(settle("load", key), read("load", key)),
      save,
      compareAndSet,
      clear: (key) =>
        Effect.zipRight(
          forget(key),
          Effect.mapError(RedisConnection.command("DEL", () => client.del(keyOf(key, "tokens"))), fromRedis("clear", key))
        ),
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
 * Options from configuration: the connection (`ULTRACART_REDIS_URL`, `ULTRACART_REDIS_CONNECT_TIMEOUT`,
 * `ULTRACART_REDIS_COMMAND_TIMEOUT`), `ULTRACART_REDIS_PREFIX`, `ULTRACART_REDIS_LEASE_TTL`,
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
