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
 * and removed.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as TokenEncryption from "./TokenEncryption.js"
import {
  type CompareAndSetResult,
  compareKeys,
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
  /** The directory for the records; created (mode 0700) if missing. */
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
}

const FORMAT = "ultracart-oauth/token-set@1"

/**
 * The secret part of a record. `Schema.Redacted` encodes to plain text: that is what writes the tokens into the
 * file (or into the plaintext that gets encrypted), on purpose and nowhere else.
 */
const SecretFields = Schema.Struct({
  access_token: Schema.Redacted(Schema.String),
  refresh_token: Schema.optionalWith(Schema.Redacted(Schema.String), { as: "Option" }),
  expires_at: Schema.DateTimeUtc,
  issued_at: Schema.DateTimeUtc,
  scope: Schema.optionalWith(Schema.String, { as: "Option" })
})

const Version = Schema.Int.pipe(Schema.positive())

const PlainRecord = Schema.Struct({
  format: Schema.Literal(FORMAT),
  version: Version,
  encryption: Schema.Literal("none"),
  tokens: SecretFields
})

const EncryptedRecord = Schema.Struct({
  format: Schema.Literal(FORMAT),
  version: Version,
  encryption: Schema.Literal(TokenEncryption.ALGORITHM),
  iv: Schema.String,
  ciphertext: Schema.String
})

const RecordJson = Schema.parseJson(Schema.Union(PlainRecord, EncryptedRecord))
const SecretJson = Schema.parseJson(SecretFields)

const decodeRecord = Schema.decodeUnknownEither(RecordJson)
const encodeRecord = Schema.encodeSync(RecordJson)
const decodeSecrets = Schema.decodeUnknownEither(SecretJson)
const encodeSecrets = Schema.encodeSync(SecretJson)

/** Paths and kinds only: ParseResult's messages quote values, and a value here may be a token. */
const issuesOf = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "record" : issue.path.join(".")}: ${issue._tag}`)
    .join("; ")

const toSecrets = (tokens: TokenSetInput): typeof SecretFields.Type => ({
  access_token: tokens.accessToken,
  refresh_token: tokens.refreshToken,
  expires_at: tokens.expiresAt,
  issued_at: tokens.issuedAt,
  scope: tokens.scope
})

const fromSecrets = (secrets: typeof SecretFields.Type, version: number): TokenSet => ({
  accessToken: secrets.access_token,
  refreshToken: secrets.refresh_token,
  expiresAt: secrets.expires_at,
  issuedAt: secrets.issued_at,
  scope: secrets.scope,
  version
})

/** The key a record's file name stands for (the inverse of `fileNameOf`); None for any other file. */
const keyOfFileName = (name: string): Option.Option<string> => {
  const match = /^grant-((?:[A-Za-z0-9_-]|%[0-9A-F]{2})*)\.json$/.exec(name)
  if (match === null) return Option.none()
  const encoded = match[1] ?? ""
  const bytes: Array<number> = []
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === "%") {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(encoded.charCodeAt(i))
  }
  try {
    return Option.some(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes)))
  } catch {
    return Option.none()
  }
}

/** A file name for any key: `[A-Za-z0-9_-]` kept, every other UTF-8 byte as `%XX` (one-to-one, no dots). */
const fileNameOf = (key: string): string => {
  let out = "grant-"
  for (const byte of new TextEncoder().encode(key)) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).padStart(2, "0").toUpperCase()}`
  }
  return out
}

const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text)

const randomSuffix = (): string => Encoding.encodeHex(globalThis.crypto.getRandomValues(new Uint8Array(8)))

type Operation = TokenStoreError["operation"]

/**
 * Makes a file token store. Fails with `InvalidInput` for an unusable encryption key, and with a platform error
 * if the directory cannot be created.
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
    const cipher =
      options.encryptionKey === undefined
        ? Option.none()
        : Option.some(yield* TokenEncryption.make(options.encryptionKey))
    const lockTimeout = Duration.decode(options.lockTimeout ?? Duration.seconds(5))
    const leaseTimeout = Duration.decode(options.leaseTimeout ?? Duration.seconds(30))
    const staleLockMillis = Duration.toMillis(options.staleLockAfter ?? Duration.seconds(30))
    yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 })
    // One writer per process at a time; the lock file orders writers across processes.
    const mutex = yield* Effect.makeSemaphore(1)

    const pathOf = (key: string) => `${directory}/${fileNameOf(key)}.json`

    const fail = (operation: Operation, key: string, reason: TokenStoreError["reason"], detail: string) =>
      new TokenStoreError({ operation, key, reason, detail })

    const io = (operation: Operation, key: string) => (error: PlatformError) =>
      fail(operation, key, "Io", error.message)

    const associatedData = (key: string, version: number) => utf8(`${FORMAT}\n${key}\n${version}`)

    const read = (operation: Operation, key: string): Effect.Effect<Option.Option<TokenSet>, TokenStoreError> =>
      fs.readFileString(pathOf(key)).pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (error) => error._tag === "SystemError" && error.reason === "NotFound",
          () => Effect.succeed(Option.none<string>())
        ),
        Effect.mapError(io(operation, key)),
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.succeed(Option.none()),
            onSome: (text) => Effect.map(parse(operation, key, text), Option.some)
          })
        )
      )

    const parse = (operation: Operation, key: string, text: string): Effect.Effect<TokenSet, TokenStoreError> =>
      Effect.gen(function* () {
        const decoded = decodeRecord(text)
        if (decoded._tag === "Left") return yield* fail(operation, key, "Corrupt", issuesOf(decoded.left))
        const record = decoded.right
        if (record.encryption === "none") {
          if (Option.isSome(cipher)) {
            return yield* fail(
              operation,
              key,
              "Decrypt",
              "the record is in plain text but the store requires encryption"
            )
          }
          return fromSecrets(record.tokens, record.version)
        }
        const opened = yield* TokenEncryption.openStored(
          cipher,
          { iv: record.iv, ciphertext: record.ciphertext },
          associatedData(key, record.version)
        )
        if (opened._tag === "Left") return yield* fail(operation, key, opened.left.reason, opened.left.detail)
        const secrets = decodeSecrets(opened.right)
        if (secrets._tag === "Left") return yield* fail(operation, key, "Corrupt", issuesOf(secrets.left))
        return fromSecrets(secrets.right, record.version)
      })

    const serialize = (key: string, tokens: TokenSet): Effect.Effect<string> =>
      Option.match(cipher, {
        onNone: () =>
          Effect.succeed(
            encodeRecord({
              format: FORMAT,
              version: tokens.version,
              encryption: "none",
              tokens: toSecrets(tokens)
            })
          ),
        onSome: (c) =>
          c.seal(utf8(encodeSecrets(toSecrets(tokens))), associatedData(key, tokens.version)).pipe(
            Effect.map((sealed) =>
              encodeRecord({
                format: FORMAT,
                version: tokens.version,
                encryption: c.algorithm,
                iv: Encoding.encodeBase64(sealed.iv),
                ciphertext: Encoding.encodeBase64(sealed.ciphertext)
              })
            )
          )
      })

    /** Temp file (0600, `O_EXCL`), synced, renamed over the record; the temp file is removed if anything fails. */
    const writeAtomically = (operation: Operation, key: string, tokens: TokenSet) =>
      Effect.gen(function* () {
        const target = pathOf(key)
        const temp = `${target}.${randomSuffix()}.tmp`
        const bytes = utf8(yield* serialize(key, tokens))
        yield* Effect.scoped(
          Effect.flatMap(fs.open(temp, { flag: "wx", mode: 0o600 }), (file) =>
            Effect.zipRight(file.writeAll(bytes), file.sync)
          )
        ).pipe(
          Effect.zipRight(fs.rename(temp, target)),
          Effect.onError(() => Effect.ignore(fs.remove(temp, { force: true }))),
          Effect.mapError(io(operation, key))
        )
        // Makes the rename itself durable where directories can be synced (not on Windows: ignored there).
        yield* Effect.ignore(Effect.scoped(Effect.flatMap(fs.open(directory, { flag: "r" }), (dir) => dir.sync)))
      })

    /**
     * Takes a lock file (`O_EXCL`) for the rest of the scope. Each attempt either takes it and registers its
     * removal, or leaves nothing behind; a lock older than `staleLockAfter` is removed as a crashed holder's.
     */
    const takeLock = (operation: Operation, key: string, lockPath: string, timeout: Duration.Duration) => {
      const attempt = Effect.acquireRelease(
        fs.open(lockPath, { flag: "wx", mode: 0o600 }).pipe(
          Effect.scoped,
          Effect.as(true),
          Effect.catchIf(
            (error) => error._tag === "SystemError" && error.reason === "AlreadyExists",
            () => Effect.as(removeIfStale(lockPath), false)
          ),
          Effect.mapError(io(operation, key))
        ),
        (taken) => (taken ? Effect.ignore(fs.remove(lockPath, { force: true })) : Effect.void)
      )
      return attempt.pipe(
        Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (taken) => taken }),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            fail(operation, key, "Locked", `another process held ${lockPath} for more than ${Duration.format(timeout)}`)
        })
      )
    }

    const removeIfStale = (lockPath: string) =>
      Effect.gen(function* () {
        const info = yield* fs.stat(lockPath)
        const now = yield* Clock.currentTimeMillis
        const age = Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => now - mtime.getTime() })
        if (age > staleLockMillis) yield* fs.remove(lockPath, { force: true })
      }).pipe(Effect.ignore)

    /** Runs read-modify-write under both locks; the body itself is never interrupted half way. */
    const locked = <A>(
      operation: Operation,
      key: string,
      body: Effect.Effect<A, TokenStoreError>
    ): Effect.Effect<A, TokenStoreError> =>
      mutex.withPermits(1)(
        Effect.scoped(
          Effect.zipRight(takeLock(operation, key, `${pathOf(key)}.lock`, lockTimeout), Effect.uninterruptible(body))
        )
      )

    /** Keeps a held lease fresh (so it never looks stale) until its scope closes. */
    const heartbeat = (lockPath: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => fs.utimes(lockPath, new Date(now), new Date(now))).pipe(
        Effect.ignore,
        Effect.delay(Duration.millis(staleLockMillis / 3)),
        Effect.forever
      )

    const writeNext = (operation: Operation, key: string, previous: Option.Option<TokenSet>, tokens: TokenSetInput) => {
      const next = withVersion(tokens, Option.match(previous, { onNone: () => 1, onSome: (p) => p.version + 1 }))
      return Effect.as(writeAtomically(operation, key, next), next)
    }

    const service: TokenStore.Service = {
      load: (key) => read("load", key),
      save: (key, tokens) =>
        locked(
          "save",
          key,
          Effect.flatMap(read("save", key), (previous) => writeNext("save", key, previous, tokens))
        ),
      compareAndSet: (key, expectedVersion, tokens) =>
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
        ),
      clear: (key) => locked("clear", key, Effect.mapError(fs.remove(pathOf(key), { force: true }), io("clear", key))),
      list: (listOptions) =>
        fs.readDirectory(directory).pipe(
          Effect.mapError(io("list", "*")),
          Effect.map((names) =>
            pageOf(names.flatMap((name) => Option.toArray(keyOfFileName(name))).sort(compareKeys), listOptions)
          )
        ),
      lease: (key) => {
        const leasePath = `${pathOf(key)}.lease`
        return Effect.zipRight(
          takeLock("lease", key, leasePath, leaseTimeout),
          Effect.asVoid(Effect.forkScoped(Effect.interruptible(heartbeat(leasePath))))
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
  options: Config.Config<FileTokenStoreOptions> = config
): Layer.Layer<TokenStore, OAuthError.InvalidInput | PlatformError | ConfigError.ConfigError, FileSystem.FileSystem> =>
  Layer.effect(TokenStore, Effect.flatMap(options, make))
