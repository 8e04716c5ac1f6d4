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
  operation: Schema.Literal("load", "save", "compareAndSet", "clear", "lease"),
  key: Schema.String,
  reason: Schema.Literal("Io", "Corrupt", "Decrypt", "Locked", "Unavailable", "Timeout"),
  detail: Schema.String
}) {
  override get message(): string {
    return `Token store ${this.operation} for grant "${this.key}" failed (${this.reason}): ${this.detail}`
  }
}

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
    /** Forgets the grant's tokens (logout). Clearing an absent grant succeeds. */
    readonly clear: (key: string) => Effect.Effect<void, TokenStoreError>
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
    clear: (key) => Effect.sync(() => void records.delete(key))
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
