/**
 * How a grant's tokens are laid out in a row: `version`, `format`, `encryption` (`none` or the cipher's
 * algorithm), `iv` and `data` (the tokens as JSON, or sealed with AES-256-GCM bound to the grant and version) —
 * the record the Redis and file stores keep, in columns.
 */
import * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

type TokenSet = Store.TokenSet
type TokenSetInput = Store.TokenSetInput
type Operation = Store.TokenStoreError["operation"]

/** The format of the rows this version writes; a row of a later `@n` was written by a newer version. */
export const FORMAT = "ultracart-oauth/token-set@1"
const FORMAT_PATTERN = /^ultracart-oauth\/token-set@(\d+)$/
const NONE = "none"

/** A row as the database answers it (column types vary by driver: a PostgreSQL BIGINT comes as a string). */
export interface Row {
  readonly version: unknown
  readonly format: unknown
  readonly encryption: unknown
  readonly iv: unknown
  readonly data: unknown
}

/** The columns written, beside the grant key and version. */
export interface Columns {
  readonly format: string
  readonly encryption: string
  readonly iv: string
  readonly data: string
}

/** The tokens as written in `data` (or sealed into it). `Schema.Redacted` encodes to plain text: on purpose here. */
const SecretsJson = Schema.parseJson(
  Schema.Struct({
    accessToken: Schema.Redacted(Schema.String),
    refreshToken: Schema.OptionFromNullOr(Schema.Redacted(Schema.String)),
    expiresAt: Schema.DateTimeUtc,
    issuedAt: Schema.DateTimeUtc,
    scope: Schema.OptionFromNullOr(Schema.String)
  })
)
const encodeSecrets = Schema.encodeSync(SecretsJson)
const decodeSecrets = Schema.decodeUnknownEither(SecretsJson)

/** Paths and kinds only: ParseResult's messages quote values, and a value here may be a token. */
const issuesOf = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${["data", ...issue.path].join(".")}: ${issue._tag}`)
    .join("; ")

const utf8 = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text)

/** Binds a sealed record to its grant and version: it cannot be moved or replayed as another unnoticed. */
const associatedData = (key: string, version: number) => utf8(`${FORMAT}\n${key}\n${version}`)

/** A version as a driver answers it: a number, a bigint, or a numeric string. */
const versionOf = (value: unknown): number => {
  const number =
    typeof value === "number"
      ? value
      : typeof value === "string" || typeof value === "bigint"
        ? Number(value)
        : Number.NaN
  return Number.isSafeInteger(number) && number >= 1 ? number : Number.NaN
}

/** Reads and writes rows, sealed with `cipher` when there is one (and then only sealed ones are accepted). */
export const codec = (cipher: Option.Option<TokenEncryption.TokenCipher>) => {
  const fail = (operation: Operation, key: string, reason: Store.TokenStoreError["reason"], detail: string) =>
    new Store.TokenStoreError({ operation, key, reason, detail })

  const decode = (operation: Operation, key: string, row: Row): Effect.Effect<TokenSet, Store.TokenStoreError> =>
    Effect.gen(function* () {
      const version = versionOf(row.version)
      const format = typeof row.format === "string" ? row.format : ""
      const newer = FORMAT_PATTERN.exec(format)
      if (format !== FORMAT && newer !== null && Number(newer[1]) > 1) {
        return yield* fail(
          operation,
          key,
          "Corrupt",
          `the row is in format ${format}, written by a newer version of @ultracart-oauth/sql: upgrade to read it (it is left as it is)`
        )
      }
      if (Number.isNaN(version) || format !== FORMAT || typeof row.data !== "string") {
        return yield* fail(operation, key, "Corrupt", `not a ${FORMAT} row (version, format or data)`)
      }
      let json = row.data
      if (row.encryption === NONE) {
        if (Option.isSome(cipher)) {
          return yield* fail(operation, key, "Decrypt", "the row is in plain text but the store requires encryption")
        }
      } else {
        if (Option.isSome(cipher) && row.encryption !== cipher.value.algorithm) {
          return yield* fail(operation, key, "Corrupt", `unknown encryption ${String(row.encryption).slice(0, 40)}`)
        }
        const opened = yield* TokenEncryption.openStored(
          cipher,
          { iv: typeof row.iv === "string" ? row.iv : "", ciphertext: row.data },
          associatedData(key, version)
        )
        if (opened._tag === "Left") return yield* fail(operation, key, opened.left.reason, opened.left.detail)
        json = opened.right
      }
      const secrets = decodeSecrets(json)
      if (secrets._tag === "Left") return yield* fail(operation, key, "Corrupt", issuesOf(secrets.left))
      return Store.withVersion(secrets.right, version)
    })

  /** The columns of a row stored as `version`. */
  const encode = (key: string, version: number, tokens: TokenSetInput): Effect.Effect<Columns> =>
    Option.match(cipher, {
      onNone: () => Effect.succeed({ format: FORMAT, encryption: NONE, iv: "", data: encodeSecrets(tokens) }),
      onSome: (c) =>
        Effect.map(c.seal(utf8(encodeSecrets(tokens)), associatedData(key, version)), (sealed) => ({
          format: FORMAT,
          encryption: c.algorithm,
          iv: Encoding.encodeBase64(sealed.iv),
          data: Encoding.encodeBase64(sealed.ciphertext)
        }))
    })

  return { decode, encode, fail }
}
