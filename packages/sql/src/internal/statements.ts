/**
 * The statements on the tokens table, one per store operation. Each is a single statement, so each is atomic on
 * its own: a write either lands whole or not at all, and a compare-and-set's test and write cannot be split.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { type Columns, FORMAT, type Row } from "./record.js"

export const statements = (sql: SqlClient.SqlClient, tokensTable: string) => {
  const table = sql(tokensTable)
  return {
    select: (key: string) =>
      sql<Row>`SELECT version, format, encryption, iv, data FROM ${table} WHERE grant_key = ${key}`,

    /** A new grant (version 1), only if there is none: a row back if it wrote. */
    insert: (key: string, c: Columns) =>
      sql`INSERT INTO ${table} (grant_key, version, format, encryption, iv, data)
VALUES (${key}, 1, ${c.format}, ${c.encryption}, ${c.iv}, ${c.data})
ON CONFLICT (grant_key) DO NOTHING RETURNING version`,

    /** The next version, only over the expected one of this format: a row back if it wrote. */
    update: (key: string, expected: number, c: Columns) =>
      sql`UPDATE ${table} SET version = ${expected + 1}, format = ${c.format}, encryption = ${c.encryption},
  iv = ${c.iv}, data = ${c.data}, updated_at = CURRENT_TIMESTAMP
WHERE grant_key = ${key} AND version = ${expected} AND format = ${FORMAT} RETURNING version`,

    remove: (key: string) => sql`DELETE FROM ${table} WHERE grant_key = ${key}`,

    /** Up to `limit` keys after `after`, in the column's order (byte order: SQLite's BINARY, PostgreSQL's "C"). */
    keys: (after: string | undefined, limit: number) =>
      after === undefined
        ? sql<{ readonly grant_key: string }>`SELECT grant_key FROM ${table} ORDER BY grant_key LIMIT ${limit}`
        : sql<{ readonly grant_key: string }>`SELECT grant_key FROM ${table} WHERE grant_key > ${after}
ORDER BY grant_key LIMIT ${limit}`
  }
}
