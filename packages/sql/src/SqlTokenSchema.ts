/**
 * The store's tables and their migrations, run by `@effect/sql`'s `Migrator` with a migrations table of their
 * own (`<table>_migrations`), so they never mix with the application's migrations in the same database.
 *
 * - `<table>`: one row per grant — `grant_key` (primary key; PostgreSQL: `COLLATE "C"`, so keys sort by code
 *   point as every store lists them), `version`, `format`, `encryption`, `iv`, `data`, `updated_at`.
 * - `<table>_leases`: one row per grant ever refreshed under a lease — `grant_key`, `holder` (a random nonce
 *   while held), `fence`, `taken_at` and `expires_at` (milliseconds, by the database's clock).
 *
 * The store runs these migrations itself when it starts (`migrate: true`, the default). An application that runs
 * its schema changes another way can run {@link migrate} from its own deployment step, or copy the DDL of
 * {@link loader}.
 *
 * @since 0.2.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/**
 * The default table name.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_TABLE = "ultracart_oauth_tokens"

/**
 * The names of the store's tables.
 *
 * @since 0.2.0
 * @category models
 */
export interface Tables {
  readonly tokens: string
  readonly leases: string
  readonly migrations: string
}

const TABLE_NAME = /^(?:[a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,47}$/

/**
 * The tables for a table name: lower case letters, digits and `_`, optionally after a schema (`app.tokens`). Fails
 * with `InvalidInput` for any other name (it is written into statements as an identifier).
 *
 * @since 0.2.0
 * @category constructors
 */
export const tables = (table: string = DEFAULT_TABLE): Effect.Effect<Tables, OAuthError.InvalidInput> =>
  TABLE_NAME.test(table)
    ? Effect.succeed({ tokens: table, leases: `${table}_leases`, migrations: `${table}_migrations` })
    : Effect.fail(
        new OAuthError.InvalidInput({
          field: "table",
          reason: "must be lower case letters, digits and _ (at most 48), optionally after a schema and a dot"
        })
      )

const createTables = (names: Tables) =>
  Effect.flatMap(SqlClient.SqlClient, (client) => {
    const sql = client.withoutTransforms()
    return sql.onDialectOrElse({
      pg: () =>
        Effect.zipRight(
          sql`CREATE TABLE IF NOT EXISTS ${sql(names.tokens)} (
  grant_key TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL,
  format TEXT NOT NULL,
  encryption TEXT NOT NULL,
  iv TEXT NOT NULL,
  data TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
)`,
          sql`CREATE TABLE IF NOT EXISTS ${sql(names.leases)} (
  grant_key TEXT COLLATE "C" PRIMARY KEY,
  holder TEXT,
  fence BIGINT NOT NULL,
  taken_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
)`
        ),
      orElse: () =>
        Effect.zipRight(
          sql`CREATE TABLE IF NOT EXISTS ${sql(names.tokens)} (
  grant_key TEXT PRIMARY KEY NOT NULL,
  version INTEGER NOT NULL,
  format TEXT NOT NULL,
  encryption TEXT NOT NULL,
  iv TEXT NOT NULL,
  data TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)`,
          sql`CREATE TABLE IF NOT EXISTS ${sql(names.leases)} (
  grant_key TEXT PRIMARY KEY NOT NULL,
  holder TEXT,
  fence INTEGER NOT NULL,
  taken_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
)`
        )
    })
  })

/**
 * The store's migrations for these tables, for `Migrator`.
 *
 * @since 0.2.0
 * @category migrations
 */
export const loader = (names: Tables): Migrator.Loader =>
  Migrator.fromRecord({
    "1_create_token_tables": createTables(names)
  })

/**
 * Runs the store's migrations that have not run yet (in the tables' own migrations table) and answers the ones it
 * ran. Safe to run from several processes at once: one of them migrates, the others find it done.
 *
 * @since 0.2.0
 * @category migrations
 */
export const migrate = (
  names: Tables
): Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | SqlError.SqlError,
  SqlClient.SqlClient
> =>
  Migrator.make({})({ loader: loader(names), table: names.migrations }).pipe(
    // Two processes creating the migrations table at once: one of them fails, and finds it there next time.
    Effect.retry({ times: 3, schedule: Schedule.spaced("50 millis") })
  )
