/**
 * A `TokenStore` on the file system, through `@effect/platform`'s `FileSystem`: one JSON file per grant, written
 * atomically, readable only by its owner.
 *
 * **Plain text by default.** Without an `encryptionKey` the file holds the access and refresh tokens in plain
 * text (mode 0600 in a 0700 directory) — a deliberate choice, like `~/.aws/credentials`: whoever can read the
 * file as this user can also read the process's memory. Give an `encryptionKey` (32 random bytes, base64) to
 * encrypt the tokens at rest with AES-256-GCM; then a file in plain text is refused, not silently accepted.
 *
 * Writes go to a fresh temporary file that is synced and then renamed over the record, so a crash at any point
 * leaves either the old or the new record, never a torn one. Compare-and-set holds a lock file (created with
 * `O_EXCL`) around read-compare-rename, so processes sharing the directory on one machine cannot overwrite each
 * other's rotations; and a token manager holds the grant's lease file while it refreshes, so those processes
 * never spend one refresh token twice. A lock older than `staleLockAfter` is taken to belong to a crashed process
 * and broken — atomically: of the processes that find the same stale lock, exactly one (the one that creates a
 * claim file named after it) removes it, so two of them can never both end up holding it. A holder never touches
 * or removes a lock file that is no longer its own.
 *
 * @since 0.1.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as FileLock from "./internal/fileLock.js"
import * as StoreDirectory from "./internal/storeDirectory.js"
import * as TokenEncryption from "./TokenEncryption.js"
import * as TokenRecord from "./TokenRecord.js"
import {
  type CompareAndSetResult,
  pageOf,
  type TokenSet,
  type TokenSetInput,
  TokenStore,
  TokenStoreError,
  withVersion
} from "./TokenStore.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface FileTokenStoreOptions {
  /**
   * The directory for the records; created (mode 0700) if missing. One writable by group or others is refused,
   * or, when it belongs to this user, made unwritable to them.
   */
  readonly directory: string
  /** 32 random bytes in base64 or base64url: encrypts the tokens at rest with AES-256-GCM. */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
  /** How long a write waits for another process's lock before failing with `Locked`. Default 5 seconds. */
  readonly lockTimeout?: Duration.DurationInput | undefined
  /** How long a refresh waits for another process's refresh of the same grant (its lease). Default 30 seconds. */
  readonly leaseTimeout?: Duration.DurationInput | undefined
  /**
   * A lock file older than this is removed as left behind by a crashed process. Default 30 seconds. A held lease
   * is touched every third of it, so only a dead holder's lease goes stale.
   */
  readonly staleLockAfter?: Duration.DurationInput | undefined
  /**
   * The longest a refresh may hold a grant's lease. Default 2 minutes (twice the default request deadlines of
   * 30 seconds for the answer's head and 30 for its body). Past it the lease is no longer touched, so another
   * process takes it over at most `staleLockAfter` later: a hung refresh cannot block a grant for good. Keep every
   * refresh's own deadline below it.
   */
  readonly maxLeaseHold?: Duration.DurationInput | undefined
}

/**
 * How long a refresh may hold a grant's lease unless told otherwise (`maxLeaseHold`): 2 minutes.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_LEASE_HOLD: Duration.Duration = Duration.minutes(2)

type Operation = TokenStoreError["operation"]

/**
 * Makes a file token store. Fails with `InvalidInput` for an unusable encryption key, and with a platform error
 * if the directory cannot be created — or, a `SystemError` with reason `PermissionDenied`, if it is writable by
 * group or others and belongs to another user (one that belongs to this user is repaired: those write bits are
 * removed). Temporary files that killed writes left behind (older than `staleLockAfter`) are removed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: FileTokenStoreOptions
): Effect.Effect<TokenStore.Service, OAuthError.InvalidInput | PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const directory = options.directory.replace(/[\\/]+$/, "") || "/"
    const codec = TokenRecord.make(
      options.encryptionKey === undefined
        ? Option.none()
        : Option.some(yield* TokenEncryption.make(options.encryptionKey))
    )
    const lockTimeout = Duration.decode(options.lockTimeout ?? Duration.seconds(5))
    const leaseTimeout = Duration.decode(options.leaseTimeout ?? Duration.seconds(30))
    const maxLeaseHoldMillis = Duration.toMillis(options.maxLeaseHold ?? DEFAULT_MAX_LEASE_HOLD)
    const staleMillis = Duration.toMillis(options.staleLockAfter ?? Duration.seconds(30))
    const locks = FileLock.make(fs, staleMillis)
    const records = yield* StoreDirectory.open(fs, directory, staleMillis)
    // One writer per process at a time; the lock file orders writers across processes.
    const mutex = yield* Effect.makeSemaphore(1)

    const io = (operation: Operation, key: string) => (error: PlatformError) =>
      new TokenStoreError({ operation, key, reason: "Io", detail: error.message })

    const read = (operation: Operation, key: string): Effect.Effect<Option.Option<TokenSet>, TokenStoreError> =>
      records.read(key).pipe(
        Effect.mapError(io(operation, key)),
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.succeed(Option.none()),
            onSome: (text) => Effect.map(codec.decode(operation, key, text), Option.some)
          })
        )
      )

    /** Takes a lock file for the rest of the scope; `Locked` once another process held it for `timeout`. */
    const takeLock = (operation: Operation, key: string, path: string, timeout: Duration.Duration) =>
      locks.take(path, timeout).pipe(
        Effect.mapError((error) =>
          error._tag === "LockTimeout"
            ? new TokenStoreError({
                operation,
                key,
                reason: "Locked",
                detail: `another process held ${path} for more than ${Duration.format(timeout)}`
              })
            : io(operation, key)(error)
        )
      )

    /** Runs read-modify-write under both locks; the body itself is never interrupted half way. */
    const locked = <A>(
      operation: Operation,
      key: string,
      body: Effect.Effect<A, TokenStoreError>
    ): Effect.Effect<A, TokenStoreError> =>
      mutex.withPermits(1)(
        Effect.scoped(
          Effect.zipRight(
            takeLock(operation, key, `${records.recordPath(key)}.lock`, lockTimeout),
            Effect.uninterruptible(body)
          )
        )
      )

    const writeNext = (operation: Operation, key: string, previous: Option.Option<TokenSet>, tokens: TokenSetInput) => {
      const next = withVersion(tokens, Option.match(previous, { onNone: () => 1, onSome: (p) => p.version + 1 }))
      return codec.encode(key, next).pipe(
        Effect.flatMap((text) => records.write(key, text)),
        Effect.mapError(io(operation, key)),
        Effect.as(next)
      )
    }

    const compareAndSet = (key: string, expectedVersion: number, tokens: TokenSetInput) =>
      locked(
        "compareAndSet",
        key,
        Effect.flatMap(
          read("compareAndSet", key),
          (current): Effect.Effect<CompareAndSetResult, TokenStoreError> =>
            Option.match(current, { onNone: () => 0, onSome: (c) => c.version }) === expectedVersion
              ? Effect.map(writeNext("compareAndSet", key, current, tokens), (written) => ({
                  _tag: "Written",
                  tokens: written
                }))
              : Effect.succeed({ _tag: "Conflict", current })
        )
      )

    const service: TokenStore.Service = {
      load: (key) => read("load", key),
      save: (key, tokens) =>
        locked(
          "save",
          key,
          Effect.flatMap(read("save", key), (previous) => writeNext("save", key, previous, tokens))
        ),
      compareAndSet,
      clear: (key) => locked("clear", key, Effect.mapError(records.remove(key), io("clear", key))),
      list: (listOptions) =>
        records.keys.pipe(
          Effect.mapError(io("list", "*")),
          Effect.map((keys) => pageOf(keys, listOptions))
        ),
      lease: (key) => {
        const leasePath = `${records.recordPath(key)}.lease`
        return Effect.flatMap(takeLock("lease", key, leasePath, leaseTimeout), (held) =>
          Effect.asVoid(Effect.forkScoped(Effect.interruptible(locks.heartbeat(held, maxLeaseHoldMillis))))
        )
      }
    }
    return service
  })

/**
 * The file store as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: FileTokenStoreOptions
): Layer.Layer<TokenStore, OAuthError.InvalidInput | PlatformError, FileSystem.FileSystem> =>
  Layer.effect(TokenStore, make(options))

/**
 * Options from configuration: `ULTRACART_TOKEN_DIR` (required) and `ULTRACART_TOKEN_ENCRYPTION_KEY` (optional,
 * read with `Config.redacted`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<FileTokenStoreOptions> = Config.all({
  directory: Config.nonEmptyString("ULTRACART_TOKEN_DIR"),
  encryptionKey: Config.option(Config.redacted("ULTRACART_TOKEN_ENCRYPTION_KEY"))
}).pipe(
  Config.map(({ directory, encryptionKey }) => ({ directory, encryptionKey: Option.getOrUndefined(encryptionKey) }))
)

/**
 * The file store as a Layer, from configuration ({@link config} unless another is given).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<FileTokenStoreOptions> = config
): Layer.Layer<TokenStore, OAuthError.InvalidInput | PlatformError | ConfigError.ConfigError, FileSystem.FileSystem> =>
  Layer.effect(TokenStore, Effect.flatMap(ConfigWrap.unwrap(options), make))
