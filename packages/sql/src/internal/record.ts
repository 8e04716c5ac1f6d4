/**
 * How a grant's tokens are laid out in a row: `version`, `format`, `encryption` (`none` or the cipher's
 * algorithm), `iv` and `data` (the tokens as JSON, or sealed with AES-256-GCM bound to the grant and version) —
 * the fields of adapters' `TokenRecord.makeFields`, the ones the Redis store keeps in a hash, here in columns.
 */
import type * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as TokenRecord from "@ultracart-oauth/adapters/TokenRecord"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"

type TokenSet = Store.TokenSet
type Operation = Store.TokenStoreError["operation"]

/** The format of the rows this version writes; a row of a later `@n` was written by a newer version. */
export const FORMAT = TokenRecord.FORMAT
const FORMAT_PATTERN = /^ultracart-oauth\/token-set@(\d+)$/

/** A row as the database answers it (column types vary by driver: a PostgreSQL BIGINT comes as a string). */
export type Row = TokenRecord.StoredFields

/** The columns written, beside the grant key and version. */
export type Columns = TokenRecord.Fields

/**
 * Reads and writes rows, sealed with `cipher` when there is one (and then only sealed ones are accepted). A row of
 * a newer format is told apart from a corrupt one: the store leaves it as it is (its update checks the format).
 */
export const codec = (cipher: Option.Option<TokenEncryption.TokenCipher>) => {
  const fields = TokenRecord.makeFields(cipher)
  const fail = (operation: Operation, key: string, reason: Store.TokenStoreError["reason"], detail: string) =>
    new Store.TokenStoreError({ operation, key, reason, detail })

  const decode = (operation: Operation, key: string, row: Row): Effect.Effect<TokenSet, Store.TokenStoreError> => {
    const format = typeof row.format === "string" ? row.format : ""
    const newer = FORMAT_PATTERN.exec(format)
    if (format !== FORMAT && newer !== null && Number(newer[1]) > 1) {
      return Effect.fail(
        fail(
          operation,
          key,
          "Corrupt",
          `the row is in format ${format}, written by a newer version of @ultracart-oauth/sql: upgrade to read it (it is left as it is)`
        )
      )
    }
    return fields.decode(operation, key, row)
  }

  return { decode, encode: fields.encode, fail }
}
