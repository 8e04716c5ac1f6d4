/**
 * UltraCart's OAuth wire models, as its OpenAPI document names them (snake_case, every field optional).
 *
 * Decoding is lenient where UltraCart's behaviour is unconfirmed: `expires_in` is accepted as a JSON number or a
 * string of digits, `token_type` compares case-insensitively, a member sent as `null` reads as absent, and unknown
 * members are ignored. Every secret
 * (access and refresh tokens, device codes) decodes straight into a `Redacted`.
 *
 * The models are built the first time they are used, not when the module loads: a token call decodes with the
 * codecs of `OauthTokenResponse`'s members, never with the struct itself.
 *
 * @since 0.1.0
 */
import * as Equivalence from "effect/Equivalence"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { lazyStruct } from "./internal/lazyStruct.js"
import { optional } from "./internal/schema.js"

/**
 * A lifetime in whole seconds, sent either as a JSON number or as a string of digits (UltraCart's spec has
 * declared `expires_in` a string since 2017; the wire type is unconfirmed).
 *
 * @since 0.1.0
 * @category codecs
 */
export const Seconds: Schema.Schema<number, number | string> = Schema.Union(
  Schema.NonNegativeInt,
  Schema.compose(Schema.String.pipe(Schema.pattern(/^\d{1,12}$/)), Schema.NumberFromString)
).annotations({ identifier: "Seconds", description: "whole seconds, as a number or a string of digits" })

/**
 * A `Redacted` string as a decoded value. Its content was checked on the way in: `Schema.Redacted` would check it a
 * second time and wrap it twice, which was a third of a token answer's decoding.
 */
const RedactedString = Schema.declare((u: unknown): u is Redacted.Redacted<string> => Redacted.isRedacted(u), {
  description: "Redacted(<redacted>)",
  pretty: () => () => "Redacted(<redacted>)",
  arbitrary: () => (fc) => fc.string({ minLength: 1 }).map(Redacted.make),
  equivalence: () => Redacted.getEquivalence(Equivalence.string)
})

/**
 * A secret string (token, code): decoded into `Redacted` so that it never prints.
 *
 * @since 0.1.0
 * @category codecs
 */
export const Secret = Schema.transform(Schema.NonEmptyString, RedactedString, {
  strict: true,
  decode: (value) => Redacted.make(value),
  encode: (secret) => Redacted.value(secret)
}).annotations({ identifier: "Secret" })

/**
 * `token_type`: compared case-insensitively (RFC 6749 §5.1); UltraCart sends `bearer`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const TokenType = Schema.Lowercase.annotations({ identifier: "TokenType" })

/**
 * @since 0.1.0
 * @category models
 */
export const OauthTokenResponse = lazyStruct(() =>
  Schema.Struct({
    access_token: optional(Secret),
    refresh_token: optional(Secret),
    expires_in: optional(Seconds),
    scope: optional(Schema.String),
    token_type: optional(TokenType),
    error: optional(Schema.String),
    error_description: optional(Schema.String),
    error_uri: optional(Schema.String)
  }).annotations({ identifier: "OauthTokenResponse" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type OauthTokenResponse = typeof OauthTokenResponse.Type

/**
 * @since 0.1.0
 * @category models
 */
export const OauthRevokeSuccessResponse = lazyStruct(() =>
  Schema.Struct({
    successful: optional(Schema.Boolean),
    message: optional(Schema.String)
  }).annotations({ identifier: "OauthRevokeSuccessResponse" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type OauthRevokeSuccessResponse = typeof OauthRevokeSuccessResponse.Type

/**
 * @since 0.1.0
 * @category models
 */
export const OauthDeviceAuthorizationResponse = lazyStruct(() =>
  Schema.Struct({
    device_code: optional(Secret),
    user_code: optional(Schema.String),
    verification_uri: optional(Schema.String),
    verification_uri_complete: optional(Schema.String),
    expires_in: optional(Seconds),
    interval: optional(Seconds)
  }).annotations({ identifier: "OauthDeviceAuthorizationResponse" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type OauthDeviceAuthorizationResponse = typeof OauthDeviceAuthorizationResponse.Type

/**
 * UltraCart's `Error` model (exported under that name as well).
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorDetail = lazyStruct(() =>
  Schema.Struct({
    developer_message: optional(Schema.String),
    user_message: optional(Schema.String),
    error_code: optional(Schema.String),
    more_info: optional(Schema.String),
    object_id: optional(Schema.String)
  }).annotations({ identifier: "Error" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorDetail = typeof ErrorDetail.Type

export {
  /**
   * UltraCart's `Error` model.
   *
   * @since 0.1.0
   * @category models
   */
  ErrorDetail as Error
}

/**
 * @since 0.1.0
 * @category models
 */
export const ResultSet = lazyStruct(() =>
  Schema.Struct({
    count: optional(Schema.Number),
    limit: optional(Schema.Number),
    more: optional(Schema.Boolean),
    next_offset: optional(Schema.Number),
    offset: optional(Schema.Number),
    total_records: optional(Schema.Number)
  }).annotations({ identifier: "ResultSet" })
)

/**
 * @since 0.1.0
 * @category models
 */
export const ResponseMetadata = lazyStruct(() =>
  Schema.Struct({
    payload_name: optional(Schema.String),
    result_set: optional(ResultSet)
  }).annotations({ identifier: "ResponseMetadata" })
)

/**
 * @since 0.1.0
 * @category models
 */
export const Warning = lazyStruct(() =>
  Schema.Struct({
    warning_message: optional(Schema.String),
    more_info: optional(Schema.String),
    warning_code: optional(Schema.String)
  }).annotations({ identifier: "Warning" })
)

/**
 * @since 0.1.0
 * @category models
 */
export const ErrorResponse = lazyStruct(() =>
  Schema.Struct({
    error: optional(ErrorDetail),
    metadata: optional(ResponseMetadata),
    success: optional(Schema.Boolean),
    warning: optional(Warning)
  }).annotations({ identifier: "ErrorResponse" })
)

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorResponse = typeof ErrorResponse.Type
