/**
 * A `TokenStore` in your SQL database through `@effect/sql`: SQLite (`@effect/sql-sqlite-node`, one file, nothing
 * to run) or PostgreSQL (`@effect/sql-pg`, for several machines). Give it the `SqlClient` Layer your application
 * already has; it keeps one row per grant in its own table (default `ultracart_oauth_tokens`, migrated by
 * `@effect/sql`'s `Migrator` when the store starts: `SqlTokenSchema`).
 *
 * The same contract as the memory, file and Redis stores, so the token manager works unchanged:
 *
 * - `compareAndSet` is one statement — an `UPDATE … WHERE version = expected` (or an `INSERT … ON CONFLICT DO
 *   NOTHING` for a new grant) — so no read-then-write race between processes; a loser is told what the winner
 *   wrote;
 * - a refresh **lease** per grant (`SqlLease`): a row with an expiry and a fencing token, taken atomically, renewed
 *   while held, freed by its holder, taken over when its holder dies, held at most `leaseMaxHold`;
 * - `list` pages through the grant keys in code point order; `clear` deletes the row;
 * - **outages are typed**: the database down, a connection lost mid-statement, or no answer within
 *   `statementTimeout` fail with `TokenStoreError` `Unavailable` / `Timeout` (a busy SQLite file: `Locked`); the
 *   token manager then backs off and keeps serving its valid access token, and keeps a rotation the store could
 *   not take pending (with the lease) until it can;
 * - **plain text by default**, like the file and Redis stores: give an `encryptionKey` (`TokenEncryption`) to seal
 *   the tokens with AES-256-GCM bound to the grant and version, so a database dump holds no usable token. A store
 *   with a key refuses a plain-text row; a row of a newer format, a corrupt row or one sealed with another key is
 *   a typed error and is never overwritten.
 *
 * @since 0.2.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import type * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { deadlineFor, run } from "./internal/failure.js"
import { codec } from "./internal/record.js"
import { statements } from "./internal/statements.js"
import * as SqlLease from "./SqlLease.js"
import * as SqlTokenSchema from "./SqlTokenSchema.js"

type TokenSet = Store.TokenSet
type TokenSetInput = Store.TokenSetInput
type CompareAndSetResult = Store.CompareAndSetResult
type Operation = Store.TokenStoreError["operation"]

/**
 * @since 0.2.0
 * @category models
 */
export interface SqlTokenStoreOptions {
  /**
   * The table (default `ultracart_oauth_tokens`; lower case letters, digits and `_`, optionally `schema.table`).
   * The leases live in `<table>_leases`, the migrations in `<table>_migrations`.
   */
  readonly table?: string | undefined
  /** 32 random bytes in base64 or base64url: encrypts the tokens at rest with AES-256-GCM. */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
  /** Run the store's migrations when it starts (default true). */
  readonly migrate?: boolean | undefined
  /**
   * How long one statement may take before the operation fails with `Timeout` (default 5 seconds). PostgreSQL
   * only: SQLite's driver is synchronous, and its busy timeout bounds a wait for another process's lock.
   */
  readonly statementTimeout?: Duration.DurationInput | undefined
  /**
   * How long a refresh lease lives without renewal (default 10 seconds): how soon a process that died while
   * refreshing stops blocking the others. A held lease is renewed every third of it.
   */
  readonly leaseTtl?: Duration.DurationInput | undefined
  /** How long a refresh waits for another process's refresh of the same grant (default 30 seconds). */
  readonly leaseTimeout?: Duration.DurationInput | undefined
  /**
   * The longest one process may hold a grant's lease, renewals included (default 2 minutes): a hung holder frees
   * it then. Keep it above a refresh's worst case plus the token manager's back-off (1 minute at most).
   */
  readonly leaseMaxHold?: Duration.DurationInput | undefined
}

const SAVE_ATTEMPTS = 5

const unsupportedDialect = new OAuthError.InvalidInput({
  field: "SqlClient",
  reason: "the SQL token store runs on PostgreSQL and SQLite clients only"
})

/**
 * Makes a SQL token store on the `SqlClient` in context, migrating its tables first (unless `migrate: false`).
 * Fails with `InvalidInput` for an unusable table name or encryption key, or a client of another dialect, and
 * with the `SqlError` or `MigrationError` of a database it cannot reach or migrate.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: SqlTokenStoreOptions = {}
): Effect.Effect<
  Store.TokenStore.Service,
  SqlError.SqlError | Migrator.MigrationError | OAuthError.InvalidInput,
  SqlClient.SqlClient
> =>
  Effect.gen(function* () {
    const client = yield* SqlClient.SqlClient
    const sql = client.withoutTransforms()
    if (!sql.onDialectOrElse({ pg: () => true, sqlite: () => true, orElse: () => false })) {
      return yield* unsupportedDialect
    }
    const names = yield* SqlTokenSchema.tables(options.table)
    const { decode, encode, fail } = codec(
      options.encryptionKey === undefined
        ? Option.none()
        : Option.some(yield* TokenEncryption.make(options.encryptionKey))
    )
    if (options.migrate !== false) yield* SqlTokenSchema.migrate(names)

    const statementTimeout = options.statementTimeout ?? Duration.seconds(5)
    const timeout = deadlineFor(sql, statementTimeout)
    const leaseOptions: SqlLease.LeaseOptions = {
      table: names.leases,
      ttl: options.leaseTtl ?? Duration.seconds(10),
      timeout: options.leaseTimeout ?? Duration.seconds(30),
      maxHold: options.leaseMaxHold ?? Duration.minutes(2),
      statementTimeout
    }
    const statement = statements(sql, names.tokens)

    const read = (operation: Operation, key: string): Effect.Effect<Option.Option<TokenSet>, Store.TokenStoreError> =>
      run(
        operation,
        key,
        timeout
      )(statement.select(key)).pipe(
        Effect.flatMap((rows) =>
          rows[0] === undefined
            ? Effect.succeed(Option.none())
            : Effect.map(decode(operation, key, rows[0]), Option.some)
        )
      )

    /** One statement: the insert of a new grant, or the update of the expected version; a row back if it wrote. */
    const write = (
      operation: Operation,
      key: string,
      expected: number,
      tokens: TokenSetInput
    ): Effect.Effect<CompareAndSetResult, Store.TokenStoreError> =>
      Effect.gen(function* () {
        if (!Number.isSafeInteger(expected) || expected < 0) {
          return { _tag: "Conflict", current: yield* read(operation, key) } as const
        }
        const columns = yield* encode(key, expected + 1, tokens)
        const written = yield* run(
          operation,
          key,
          timeout
        )(expected === 0 ? statement.insert(key, columns) : statement.update(key, expected, columns))
        if (written.length > 0) return { _tag: "Written", tokens: Store.withVersion(tokens, expected + 1) } as const
        return { _tag: "Conflict", current: yield* read(operation, key) } as const
      })

    const save = (key: string, tokens: TokenSetInput): Effect.Effect<TokenSet, Store.TokenStoreError> =>
      Effect.gen(function* () {
        let expected = Option.match(yield* read("save", key), { onNone: () => 0, onSome: (t) => t.version })
        for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
          const result = yield* write("save", key, expected, tokens)
          if (result._tag === "Written") return result.tokens
          expected = Option.match(result.current, { onNone: () => 0, onSome: (t) => t.version })
        }
        return yield* fail("save", key, "Locked", `other writers changed the grant ${SAVE_ATTEMPTS} times in a row`)
      })

    const list = (listOptions?: Store.ListOptions): Effect.Effect<Store.KeyPage, Store.TokenStoreError> => {
      const limit = Store.pageSize(listOptions)
      // One more than the page: whether there is a next page, without a count.
      return Effect.map(run("list", "*", timeout)(statement.keys(listOptions?.after, limit + 1)), (rows) => {
        const keys = rows.slice(0, limit).map((row) => row.grant_key)
        const last = keys[keys.length - 1]
        return { keys, next: rows.length > limit && last !== undefined ? Option.some(last) : Option.none() }
      })
    }

    const service: Store.TokenStore.Service = {
      load: (key) => read("load", key),
      save,
      compareAndSet: (key, expected, tokens) => write("compareAndSet", key, expected, tokens),
      clear: (key) => Effect.asVoid(run("clear", key, timeout)(statement.remove(key))),
      list,
      lease: (key: string): Effect.Effect<void, Store.TokenStoreError, Scope.Scope> =>
        SqlLease.acquire(key, leaseOptions).pipe(
          Effect.tap((held) =>
            Effect.logDebug("refresh lease taken").pipe(
              Effect.annotateLogs({ "ultracart.grant": key, "lease.fence": held.fence })
            )
          ),
          Effect.asVoid,
          Effect.provideService(SqlClient.SqlClient, client)
        )
    }
    return service
  })

/**
 * The SQL store as a Layer, on the `SqlClient` Layer you give it (`SqliteClient.layer(…)`, `PgClient.layer(…)`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: SqlTokenStoreOptions = {}
): Layer.Layer<
  Store.TokenStore,
  SqlError.SqlError | Migrator.MigrationError | OAuthError.InvalidInput,
  SqlClient.SqlClient
> => Layer.effect(Store.TokenStore, make(options))

/**
 * Options from configuration: `ULTRACART_SQL_TABLE`, `ULTRACART_SQL_MIGRATE` (true/false),
 * `ULTRACART_SQL_STATEMENT_TIMEOUT`, `ULTRACART_SQL_LEASE_TTL`, `ULTRACART_SQL_LEASE_TIMEOUT`,
 * `ULTRACART_SQL_LEASE_MAX_HOLD` and `ULTRACART_TOKEN_ENCRYPTION_KEY` (the file and Redis stores' key setting,
 * read with `Config.redacted`). Every one is optional.
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<SqlTokenStoreOptions> = Config.all({
  table: ConfigWrap.optional(Config.string("ULTRACART_SQL_TABLE")),
  migrate: ConfigWrap.optional(Config.boolean("ULTRACART_SQL_MIGRATE")),
  statementTimeout: ConfigWrap.optional(Config.duration("ULTRACART_SQL_STATEMENT_TIMEOUT")),
  leaseTtl: ConfigWrap.optional(Config.duration("ULTRACART_SQL_LEASE_TTL")),
  leaseTimeout: ConfigWrap.optional(Config.duration("ULTRACART_SQL_LEASE_TIMEOUT")),
  leaseMaxHold: ConfigWrap.optional(Config.duration("ULTRACART_SQL_LEASE_MAX_HOLD")),
  encryptionKey: ConfigWrap.optional(Config.redacted("ULTRACART_TOKEN_ENCRYPTION_KEY"))
})

/**
 * The SQL store as a Layer, from configuration ({@link config} unless another is given), on the `SqlClient` Layer
 * you give it. `TokenDatabase.layerConfig` also picks the database from one setting.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<SqlTokenStoreOptions> = config
): Layer.Layer<
  Store.TokenStore,
  SqlError.SqlError | Migrator.MigrationError | OAuthError.InvalidInput | ConfigError.ConfigError,
  SqlClient.SqlClient
> => Layer.effect(Store.TokenStore, Effect.flatMap(ConfigWrap.unwrap(options), make))
