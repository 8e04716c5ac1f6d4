/**
 * A token set as one self-describing JSON document, the way the file store writes it — and any store that keeps a
 * record as text (a SQL column, an object store) can: `format`, `version`, `encryption` and either the tokens in
 * plain text or, with a `TokenCipher`, their AES-256-GCM seal (`iv`, `ciphertext`) bound to the grant key and the
 * version, so a record moved to another grant or replayed as another version does not open.
 *
 * ```json
 * { "format": "ultracart-oauth/token-set@1", "version": 3, "encryption": "none",
 *   "tokens": { "access_token": "…", "refresh_token": "…", "expires_at": "…", "issued_at": "…", "scope": "…" } }
 * { "format": "ultracart-oauth/token-set@1", "version": 3, "encryption": "A256GCM", "iv": "…", "ciphertext": "…" }
 * ```
 *
 * A store that keeps a record in fields of its own (Redis's hash fields, a SQL row's columns) uses {@link makeFields}
 * instead: the same `format`, `encryption` and binding, with the tokens (or their seal) in one `data` field.
 *
 * A codec with a cipher refuses a plain-text record (`Decrypt`: no silent downgrade), and one without refuses a
 * sealed record. Errors are `TokenStoreError`s that name paths and kinds only, never a value.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as TokenEncryption from "./TokenEncryption.js"
import { type TokenSet, type TokenSetInput, TokenStoreError, withVersion } from "./TokenStore.js"

/**
 * The format name every record carries (and the first line of the associated data of a sealed one).
 *
 * @since 0.2.0
 * @category constants
 */
export const FORMAT = "ultracart-oauth/token-set@1"

/**
 * The associated data a sealed record is bound to: the format, the grant key and the version. A store that seals
 * tokens in a layout of its own (Redis's hash fields) uses the same binding.
 *
 * @since 0.2.0
 * @category utils
 */
export const associatedData = (key: string, version: number): Uint8Array<ArrayBuffer> =>
  new TextEncoder().encode(`${FORMAT}\n${key}\n${version}`)

/**
 * What went wrong in a decode, as `path: kind` pairs under `root` — never a value: ParseResult's own messages
 * quote values, and a value in a record may be a token.
 *
 * @since 0.2.0
 * @category utils
 */
export const describeIssues = (error: ParseResult.ParseError, root?: string): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => {
      const path = root === undefined ? issue.path.map(String) : [root, ...issue.path.map(String)]
      return `${path.length === 0 ? "record" : path.join(".")}: ${issue._tag}`
    })
    .join("; ")

/**
 * The secret part of a record. `Schema.Redacted` encodes to plain text: that is what writes the tokens into the
 * record (or into the plaintext that gets sealed), on purpose and nowhere else.
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

const SealedRecord = Schema.Struct({
  format: Schema.Literal(FORMAT),
  version: Version,
  encryption: Schema.Literal(TokenEncryption.ALGORITHM),
  iv: Schema.String,
  ciphertext: Schema.String
})

const RecordJson = Schema.parseJson(Schema.Union(PlainRecord, SealedRecord))
const SecretJson = Schema.parseJson(SecretFields)

const decodeRecord = Schema.decodeUnknownEither(RecordJson)
const encodeRecord = Schema.encodeSync(RecordJson)
const decodeSecrets = Schema.decodeUnknownEither(SecretJson)
const encodeSecrets = Schema.encodeSync(SecretJson)

/** A store error of one operation on one grant (both codecs fail this way). */
const fail = (
  operation: TokenStoreError["operation"],
  key: string,
  reason: TokenStoreError["reason"],
  detail: string
) => new TokenStoreError({ operation, key, reason, detail })

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

/**
 * Writes and reads records of one store: sealed with its cipher when it has one.
 *
 * @since 0.2.0
 * @category models
 */
export interface TokenRecordCodec {
  /** The record of `tokens` (at `tokens.version`) for the grant `key`, as JSON text. */
  readonly encode: (key: string, tokens: TokenSet) => Effect.Effect<string>
  /** The tokens of a record read for `key`; a failure names `operation` and `key`, and never a value. */
  readonly decode: (
    operation: TokenStoreError["operation"],
    key: string,
    text: string
  ) => Effect.Effect<TokenSet, TokenStoreError>
}

/**
 * A codec for a store with the given cipher (`Option.none()`: records in plain text).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (cipher: Option.Option<TokenEncryption.TokenCipher>): TokenRecordCodec => {
  const decode: TokenRecordCodec["decode"] = (operation, key, text) =>
    Effect.gen(function* () {
      const decoded = decodeRecord(text)
      if (decoded._tag === "Left") return yield* fail(operation, key, "Corrupt", describeIssues(decoded.left))
      const record = decoded.right
      if (record.encryption === "none") {
        if (Option.isSome(cipher)) {
          return yield* fail(operation, key, "Decrypt", "the record is in plain text but the store requires encryption")
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
      if (secrets._tag === "Left") return yield* fail(operation, key, "Corrupt", describeIssues(secrets.left))
      return fromSecrets(secrets.right, record.version)
    })

  const encode: TokenRecordCodec["encode"] = (key, tokens) =>
    Option.match(cipher, {
      onNone: () =>
        Effect.succeed(
          encodeRecord({ format: FORMAT, version: tokens.version, encryption: "none", tokens: toSecrets(tokens) })
        ),
      onSome: (c) =>
        c.seal(new TextEncoder().encode(encodeSecrets(toSecrets(tokens))), associatedData(key, tokens.version)).pipe(
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

  return { encode, decode }
}

/**
 * A record as a store keeps it in fields of its own, beside the grant key and the version: the `format`, the
 * `encryption` (`none`, or the cipher's algorithm), the `iv` of a sealed record (empty for a plain one) and the
 * `data` — the tokens as JSON (`{"accessToken":…,"refreshToken":…|null,"expiresAt":…,"issuedAt":…,"scope":…|null}`),
 * or their seal in base64, bound to the grant key and the version as a document's is.
 *
 * @since 0.2.0
 * @category models
 */
export interface Fields {
  readonly format: string
  readonly encryption: string
  readonly iv: string
  readonly data: string
}

/**
 * A record's fields and version as a store reads them back, not yet checked: a field may be missing (`null`,
 * `undefined`), and a version may come as a number, a bigint or a numeric string (a database driver's choice).
 *
 * @since 0.2.0
 * @category models
 */
export interface StoredFields {
  readonly version: unknown
  readonly format: unknown
  readonly encryption: unknown
  readonly iv: unknown
  readonly data: unknown
}

/**
 * Writes and reads the fields of one store's records: sealed with its cipher when it has one.
 *
 * @since 0.2.0
 * @category models
 */
export interface FieldsCodec {
  /** The fields of `tokens` stored as `version` for the grant `key`. */
  readonly encode: (key: string, version: number, tokens: TokenSetInput) => Effect.Effect<Fields>
  /**
   * The tokens of fields read for `key`: `Corrupt` for a version that is not a positive integer, another format
   * or no data; a failure names `operation` and `key`, and never a value.
   */
  readonly decode: (
    operation: TokenStoreError["operation"],
    key: string,
    stored: StoredFields
  ) => Effect.Effect<TokenSet, TokenStoreError>
}

/** The tokens as written in a record's `data` field (or sealed into it). */
const DataJson = Schema.parseJson(
  Schema.Struct({
    accessToken: Schema.Redacted(Schema.String),
    refreshToken: Schema.OptionFromNullOr(Schema.Redacted(Schema.String)),
    expiresAt: Schema.DateTimeUtc,
    issuedAt: Schema.DateTimeUtc,
    scope: Schema.OptionFromNullOr(Schema.String)
  })
)
const encodeData = Schema.encodeSync(DataJson)
const decodeData = Schema.decodeUnknownEither(DataJson)

/** A stored version: a positive safe integer, as a number, a bigint or a numeric string; `NaN` otherwise. */
const versionOf = (value: unknown): number => {
  const number =
    typeof value === "number"
      ? value
      : typeof value === "string" || typeof value === "bigint"
        ? Number(value)
        : Number.NaN
  return Number.isSafeInteger(number) && number >= 1 ? number : Number.NaN
}

/**
 * A codec for the fields of a store with the given cipher (`Option.none()`: records in plain text).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeFields = (cipher: Option.Option<TokenEncryption.TokenCipher>): FieldsCodec => {
  const decode: FieldsCodec["decode"] = (operation, key, stored) =>
    Effect.gen(function* () {
      const version = versionOf(stored.version)
      if (Number.isNaN(version) || stored.format !== FORMAT || typeof stored.data !== "string") {
        return yield* fail(operation, key, "Corrupt", `not a ${FORMAT} record (version, format or data)`)
      }
      let json = stored.data
      if (stored.encryption === "none") {
        if (Option.isSome(cipher)) {
          return yield* fail(operation, key, "Decrypt", "the record is in plain text but the store requires encryption")
        }
      } else {
        if (Option.isSome(cipher) && stored.encryption !== cipher.value.algorithm) {
          return yield* fail(operation, key, "Corrupt", `unknown encryption ${String(stored.encryption).slice(0, 40)}`)
        }
        const opened = yield* TokenEncryption.openStored(
          cipher,
          { iv: typeof stored.iv === "string" ? stored.iv : "", ciphertext: stored.data },
          associatedData(key, version)
        )
        if (opened._tag === "Left") return yield* fail(operation, key, opened.left.reason, opened.left.detail)
        json = opened.right
      }
      const tokens = decodeData(json)
      if (tokens._tag === "Left") return yield* fail(operation, key, "Corrupt", describeIssues(tokens.left, "data"))
      return withVersion(tokens.right, version)
    })

  const encode: FieldsCodec["encode"] = (key, version, tokens) =>
    Option.match(cipher, {
      onNone: () => Effect.succeed({ format: FORMAT, encryption: "none", iv: "", data: encodeData(tokens) }),
      onSome: (c) =>
        Effect.map(c.seal(new TextEncoder().encode(encodeData(tokens)), associatedData(key, version)), (sealed) => ({
          format: FORMAT,
          encryption: c.algorithm,
          iv: Encoding.encodeBase64(sealed.iv),
          data: Encoding.encodeBase64(sealed.ciphertext)
        }))
    })

  return { encode, decode }
}
