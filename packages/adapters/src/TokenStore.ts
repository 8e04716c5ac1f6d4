/**
 * Where a grant's tokens live between refreshes: load, save and compare-and-set of a versioned token set, keyed
 * by grant. The in-memory store is here; `FileTokenStore` persists to disk.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"

/**
 * The tokens of one grant, as the token manager keeps them. Secrets stay `Redacted`. `version` grows by one on
 * every write, so a writer can tell whether someone else wrote since it read (compare-and-set).
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenSet {
  readonly accessToken: Redacted.Redacted<string>
  /** Absent when the grant came without one (then the access token cannot be renewed). */
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  /** When the access token stops working, computed from `expires_in` and the `Clock` before the request went out. */
  readonly expiresAt: DateTime.Utc
  /** When the tokens were requested (the start of the exchange), by the `Clock`. */
  readonly issuedAt: DateTime.Utc
  readonly scope: Option.Option<string>
  /** 1 for a fresh record; one more on every write. */
  readonly version: number
}

/**
 * A token set as written: the store assigns the version.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenSetInput = Omit<TokenSet, "version">

/**
 * The answer of a compare-and-set: `Written` with the stored set, or `Conflict` with what the store holds now
 * (another writer came first, or the grant was cleared).
 *
 * @since 0.1.0
 * @category models
 */
export type CompareAndSetResult =
  | { readonly _tag: "Written"; readonly tokens: TokenSet }
  | { readonly _tag: "Conflict"; readonly current: Option.Option<TokenSet> }

/**
 * Where a listing of grant keys starts and how long a page is.
 *
 * @since 0.2.0
 * @category models
 */
export interface ListOptions {
  /** Only keys after this one (exclusive): the `next` of the previous page. Absent: from the first key. */
  readonly after?: string | undefined
  /** Keys per page: 1 to {@link MAX_PAGE_SIZE} (default {@link DEFAULT_PAGE_SIZE}); other values are clamped. */
  readonly limit?: number | undefined
}

/**
 * One page of grant keys, in ascending code point order (the order of their UTF-8 bytes, as Redis, SQLite and
 * PostgreSQL's `C` collation sort), each key once. `next` is the key to pass as `after` for the next page, absent
 * on the last page. Keys cleared since an earlier page are simply not there; keys saved meanwhile may or may not be.
 *
 * @since 0.2.0
 * @category models
 */
export interface KeyPage {
  readonly keys: ReadonlyArray<string>
  readonly next: Option.Option<string>
}

/**
 * Default and largest page of {@link TokenStore.Service.list}.
 *
 * @since 0.2.0
 * @category models
 */
export const DEFAULT_PAGE_SIZE = 100

/**
 * @since 0.2.0
 * @category models
 */
export const MAX_PAGE_SIZE = 1000

/**
 * The page size a listing asks for: an integer from 1 to {@link MAX_PAGE_SIZE}.
 *
 * @since 0.2.0
 * @category utils
 */
export const pageSize = (options?: ListOptions): number => {
  const limit = options?.limit
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_PAGE_SIZE
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)))
}

/**
 * Orders keys by code point (= by their UTF-8 bytes), the order every store lists them in. JavaScript's default
 * string order compares UTF-16 units, which differs for characters beyond U+FFFF.
 *
 * @since 0.2.0
 * @category utils
 */
export const compareKeys = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) ?? 0
    const y = b.codePointAt(i) ?? 0
    if (x !== y) return x - y
    if (x > 0xffff) i++
  }
  return a.length - b.length
}

/**
 * A page from a complete, sorted array of keys (for stores that read every key anyway: memory, files).
 *
 * @since 0.2.0
 * @category utils
 */
export const pageOf = (sortedKeys: ReadonlyArray<string>, options?: ListOptions): KeyPage => {
  const after = options?.after
  // The first index whose key sorts after `after` (binary search).
  let start = 0
  if (after !== undefined) {
    let end = sortedKeys.length
    while (start < end) {
      const middle = (start + end) >>> 1
      if (compareKeys(sortedKeys[middle] ?? "", after) <= 0) start = middle + 1
      else end = middle
    }
  }
  const keys = sortedKeys.slice(start, start + pageSize(options))
  const last = keys[keys.length - 1]
  return {
    keys,
    next: start + keys.length < sortedKeys.length && last !== undefined ? Option.some(last) : Option.none()
  }
}

/**
 * Carried by {@link TokenStoreError}: what {@link isTokenStoreError} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TokenStoreErrorTypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/TokenStoreError")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TokenStoreErrorTypeId = typeof TokenStoreErrorTypeId

/**
 * A store could not do what was asked. Carries the grant key (not a secret) and never a token. `reason`:
 *
 * - `Io`: local I/O failed (a file could not be read or written: permissions, disk full…);
 * - `Corrupt`: a record does not decode; `Decrypt`: it does not decrypt with this store's key (or lack of one);
 * - `Locked`: another process held the store's lock or the grant's lease too long;
 * - `Unavailable`: a store behind a connection (Redis) is unreachable, or the connection broke mid-command
 *   (a write may then have landed or not);
 * - `Timeout`: a store behind a connection did not answer in time (the command may still run).
 *
 * `Unavailable` and `Timeout` are transient by nature: the token manager backs off and keeps serving a valid
 * access token through them, like through `Io`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenStoreError extends Schema.TaggedError<TokenStoreError>()("TokenStoreError", {
  operation: Schema.Literal("load", "save", "compareAndSet", "clear", "lease", "list"),
  key: Schema.String,
  reason: Schema.Literal("Io", "Corrupt", "Decrypt", "Locked", "Unavailable", "Timeout"),
  detail: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [TokenStoreErrorTypeId]: TokenStoreErrorTypeId
  static {
    Object.defineProperty(this.prototype, TokenStoreErrorTypeId, { value: TokenStoreErrorTypeId })
  }
  override get message(): string {
    return `Token store ${this.operation} for grant "${this.key}" failed (${this.reason}): ${this.detail}`
  }
}

/**
 * Whether a value is a {@link TokenStoreError} (it carries {@link TokenStoreErrorTypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isTokenStoreError = (u: unknown): u is TokenStoreError => Predicate.hasProperty(u, TokenStoreErrorTypeId)

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace TokenStore {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The grant's tokens, if any. */
    readonly load: (key: string) => Effect.Effect<Option.Option<TokenSet>, TokenStoreError>
    /** Writes whatever is there (a new grant after a code or device exchange); the version continues. */
    readonly save: (key: string, tokens: TokenSetInput) => Effect.Effect<TokenSet, TokenStoreError>
    /**
     * Writes only if the stored version is still `expectedVersion` (0: only if there is no record). The test and
     * the write are one atomic step for every process that shares the store.
     */
    readonly compareAndSet: (
      key: string,
      expectedVersion: number,
      tokens: TokenSetInput
    ) => Effect.Effect<CompareAndSetResult, TokenStoreError>
    /**
     * Deletes the grant's tokens (logout, disconnect): afterwards `load` finds nothing and `list` does not name the
     * key. Clearing an absent grant succeeds.
     */
    readonly clear: (key: string) => Effect.Effect<void, TokenStoreError>
    /**
     * The keys of the grants the store holds, a page at a time (see {@link KeyPage} for order and paging). A
     * registry of many merchants reads it; nothing in it is a secret.
     */
    readonly list: (options?: ListOptions) => Effect.Effect<KeyPage, TokenStoreError>
    /**
     * An exclusive lease on the grant for every process sharing the store, held (until the scope closes) while a
     * refresh token is spent, so that two processes never refresh with the same one. Optional: a store that only
     * one process can see needs none (the token manager's single-flight covers one process).
     */
    readonly lease?: ((key: string) => Effect.Effect<void, TokenStoreError, Scope.Scope>) | undefined
  }
}

/**
 * The token store service.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenStore extends Context.Tag("@ultracart-oauth/adapters/TokenStore")<TokenStore, TokenStore.Service>() {}

/**
 * Builds a stored set from the previous version and the new tokens.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withVersion = (tokens: TokenSetInput, version: number): TokenSet => ({
  accessToken: tokens.accessToken,
  refreshToken: tokens.refreshToken,
  expiresAt: tokens.expiresAt,
  issuedAt: tokens.issuedAt,
  scope: tokens.scope,
  version
})

/**
 * A store in this process's memory: tokens stay `Redacted` and never leave the process. Each operation is one
 * synchronous step, so compare-and-set is atomic for every fiber.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (): TokenStore.Service => {
  const records = new Map<string, TokenSet>()
  const write = (key: string, tokens: TokenSetInput): TokenSet => {
    const next = withVersion(tokens, (records.get(key)?.version ?? 0) + 1)
    records.set(key, next)
    return next
  }
  return {
    load: (key) => Effect.sync(() => Option.fromNullable(records.get(key))),
    save: (key, tokens) => Effect.sync(() => write(key, tokens)),
    compareAndSet: (key, expectedVersion, tokens) =>
      Effect.sync((): CompareAndSetResult => {
        const current = records.get(key)
        return (current?.version ?? 0) === expectedVersion
          ? { _tag: "Written", tokens: write(key, tokens) }
          : { _tag: "Conflict", current: Option.fromNullable(current) }
      }),
    clear: (key) => Effect.sync(() => void records.delete(key)),
    list: (options) => Effect.sync(() => pageOf(Array.from(records.keys()).sort(compareKeys), options))
  }
}

/**
 * A fresh in-memory store as a Layer (one per Layer build).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenStore> = Layer.sync(TokenStore, makeMemory)

/**
 * A short, non-reversible identifier of a secret (the first 12 hex digits of its SHA-256), for logs and
 * diagnostics that must tell tokens apart without showing them.
 *
 * @since 0.1.0
 * @category utils
 */
export const fingerprint = (secret: Redacted.Redacted<string>): Effect.Effect<string> =>
  Effect.promise(() =>
    globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(Redacted.value(secret)))
  ).pipe(Effect.map((digest) => Array.from(new Uint8Array(digest).subarray(0, 6), hex).join("")))

const hex = (byte: number): string => byte.toString(16).padStart(2, "0")
