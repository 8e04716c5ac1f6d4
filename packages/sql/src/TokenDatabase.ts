/**
 * The SQL token store and its database from one setting, for an app that runs on SQLite by default and on
 * PostgreSQL in production: `ULTRACART_DATABASE_URL` is either `postgres://…` (or `postgresql://…`) — a
 * PostgreSQL database through `@effect/sql-pg` — or a SQLite file path (optionally `sqlite:path`; default
 * `ultracart-oauth.db` in the working directory) through `@effect/sql-sqlite-node`. Only the driver that is used
 * is loaded, so an app installs only the one it needs.
 *
 * The Layer gives the `TokenStore` and the `SqlClient` it runs on (the app may keep its own tables beside it).
 * A SQLite file is created readable by its owner only (0600), with its directory (0700) if missing: it holds
 * refresh tokens.
 *
 * Node only (both drivers are Node's).
 *
 * @since 0.2.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Migrator from "@effect/sql/Migrator"
import * as SqlError from "@effect/sql/SqlError"
import type * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { closeSync, mkdirSync, openSync } from "node:fs"
import { dirname } from "node:path"
import * as SqlTokenStore from "./SqlTokenStore.js"

/**
 * The SQLite file used when no database is configured.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_SQLITE_FILE = "ultracart-oauth.db"

/**
 * Which database a setting names.
 *
 * @since 0.2.0
 * @category models
 */
export type Database =
  | { readonly _tag: "Sqlite"; readonly filename: string }
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }

/**
 * @since 0.2.0
 * @category models
 */
export interface TokenDatabaseOptions extends SqlTokenStoreOptions {
  /**
   * `postgres://user:password@host:port/database` (or `postgresql://…`) for PostgreSQL; anything else is a SQLite
   * file path (`sqlite:` before it is dropped). Default {@link DEFAULT_SQLITE_FILE}. Redacted: it may hold a
   * password.
   */
  readonly url?: Redacted.Redacted<string> | undefined
}

type SqlTokenStoreOptions = SqlTokenStore.SqlTokenStoreOptions

const invalidUrl = (reason: string) => new OAuthError.InvalidInput({ field: "ULTRACART_DATABASE_URL", reason })

/**
 * The database a setting names. Fails with `InvalidInput` (never quoting the setting: it may hold a password)
 * for a URL of another scheme (`mysql://…`), rather than take it for a file name.
 *
 * @since 0.2.0
 * @category constructors
 */
export const parse = (url: Redacted.Redacted<string> | undefined): Effect.Effect<Database, OAuthError.InvalidInput> => {
  const value = url === undefined ? "" : Redacted.value(url).trim()
  if (/^postgres(?:ql)?:\/\//i.test(value)) return Effect.succeed({ _tag: "Postgres", url: Redacted.make(value) })
  const path = value.replace(/^sqlite:/i, "")
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    return Effect.fail(
      invalidUrl("a postgres:// URL for PostgreSQL, or a SQLite file path (other databases are not supported)")
    )
  }
  return Effect.succeed({ _tag: "Sqlite", filename: path === "" ? DEFAULT_SQLITE_FILE : path })
}

/** The client Layer's `SqlClient` only (not the driver-specific tag beside it). */
const sqlClientOf = <E>(layer: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.scoped(SqlClient.SqlClient, Effect.map(Layer.build(layer), Context.get(SqlClient.SqlClient)))

const missingDriver = (name: string, what: string) => () =>
  invalidUrl(`${what} needs the package ${name}: install it beside @ultracart-oauth/sql`)

/** A new SQLite file is made 0600 in a 0700 directory before SQLite opens it. */
const prepareFile = (filename: string) =>
  Effect.try({
    try: () => {
      if (filename === ":memory:") return
      mkdirSync(dirname(filename), { recursive: true, mode: 0o700 })
      closeSync(openSync(filename, "a", 0o600))
    },
    catch: (cause) => new SqlError.SqlError({ cause, message: "could not create the SQLite database file" })
  })

const sqliteClient = (filename: string) =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const SqliteClient = yield* Effect.tryPromise({
        try: () => import("@effect/sql-sqlite-node/SqliteClient"),
        catch: missingDriver("@effect/sql-sqlite-node", "A SQLite file")
      })
      yield* prepareFile(filename)
      // better-sqlite3 throws when it cannot open the file (a directory, no permission): a typed error here.
      return sqlClientOf(SqliteClient.layer({ filename })).pipe(
        Layer.catchAllCause((cause) =>
          Layer.fail(new SqlError.SqlError({ cause, message: "could not open the SQLite database file" }))
        )
      )
    })
  )

const pgClient = (url: Redacted.Redacted<string>) =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.tryPromise({
        try: () => import("@effect/sql-pg/PgClient"),
        catch: missingDriver("@effect/sql-pg", "A postgres:// URL")
      }),
      (PgClient) => sqlClientOf(PgClient.layer({ url, applicationName: "ultracart-oauth" }))
    )
  )

/**
 * The `SqlClient` for a database setting.
 *
 * @since 0.2.0
 * @category layers
 */
export const client = (
  url: Redacted.Redacted<string> | undefined
): Layer.Layer<SqlClient.SqlClient, SqlError.SqlError | OAuthError.InvalidInput> =>
  Layer.unwrapEffect(
    Effect.map(parse(url), (database) =>
      database._tag === "Postgres" ? pgClient(database.url) : sqliteClient(database.filename)
    )
  )

/**
 * The SQL token store on the database `url` names, and the `SqlClient` it runs on.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: TokenDatabaseOptions = {}
): Layer.Layer<
  Store.TokenStore | SqlClient.SqlClient,
  SqlError.SqlError | Migrator.MigrationError | OAuthError.InvalidInput
> => SqlTokenStore.layer(options).pipe(Layer.provideMerge(client(options.url)))

/**
 * Options from configuration: `ULTRACART_DATABASE_URL` (redacted; see {@link TokenDatabaseOptions.url}) and the
 * store's settings (`SqlTokenStore.config`).
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<TokenDatabaseOptions> = Config.map(
  Config.all([ConfigWrap.optional(Config.redacted("ULTRACART_DATABASE_URL")), SqlTokenStore.config]),
  ([url, store]) => ({ ...store, url })
)

/**
 * The SQL token store and its database from configuration ({@link config} unless another is given): SQLite in
 * `ultracart-oauth.db` when nothing is set, PostgreSQL when `ULTRACART_DATABASE_URL` is a `postgres://` URL.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<TokenDatabaseOptions> = config
): Layer.Layer<
  Store.TokenStore | SqlClient.SqlClient,
  SqlError.SqlError | Migrator.MigrationError | OAuthError.InvalidInput | ConfigError.ConfigError
> => Layer.unwrapEffect(Effect.map(ConfigWrap.unwrap(options), layer))
