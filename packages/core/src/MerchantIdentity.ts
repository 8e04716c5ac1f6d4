/**
 * The answer of `GET /oauth/me`: which merchant account a token belongs to and what it was granted. UltraCart
 * does not publish this body's schema, so the recognisable members are decoded and the whole JSON is kept.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { lazily } from "./internal/lazily.js"
import { lazyStruct } from "./internal/lazyStruct.js"
import { optional } from "./internal/schema.js"

const MerchantId = Schema.String

/** Built on first use, with `MeResponse` and the member decoders: most programs never call `/oauth/me`. */
const permissions = lazily(() =>
  Schema.Union(
    Schema.Array(Schema.String),
    Schema.transform(Schema.String, Schema.Array(Schema.String), {
      strict: true,
      decode: (s) => s.split(/[\s,]+/).filter((p) => p !== ""),
      encode: (ps) => ps.join(" ")
    })
  )
)

/**
 * The members of the `/oauth/me` body this library recognises (all optional).
 *
 * @since 0.1.0
 * @category models
 */
export const MeResponse = lazyStruct(() =>
  Schema.Struct({
    merchant_id: optional(MerchantId),
    permissions: optional(permissions()),
    scope: optional(permissions())
  }).annotations({ identifier: "MeResponse" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface MerchantIdentity {
  /** The merchant id, when the body names one (`merchant_id`). */
  readonly merchantId: Option.Option<string>
  /** Permissions granted at authorization time (`permissions`, else `scope`), possibly narrower than the app's. */
  readonly permissions: ReadonlyArray<string>
  /** The whole JSON body, for members this library does not know. */
  readonly raw: unknown
}

/**
 * @since 0.1.0
 * @category decoding
 */
export const fromWire = (wire: typeof MeResponse.Type, raw: unknown): MerchantIdentity => ({
  merchantId: Option.fromNullable(wire.merchant_id),
  permissions: wire.permissions ?? wire.scope ?? [],
  raw
})

// Compiled on the first `/oauth/me` answer, not when the module loads.
const decodeMerchantId = lazily(() => Schema.decodeUnknownOption(MerchantId))
const decodePermissions = lazily(() => Schema.decodeUnknownOption(permissions()))

/**
 * Reads a `/oauth/me` body member by member: a recognised member in a form this library does not expect reads as
 * absent (it is still in `raw`), so that a change to the unpublished schema cannot break the call. Only a body
 * that is not a JSON object is refused (with the problem, as `MalformedResponse` issues name them).
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromJson = (json: unknown): Either.Either<MerchantIdentity, ReadonlyArray<string>> => {
  if (!Predicate.isRecord(json)) return Either.left(["body: is not a JSON object"])
  return Either.right({
    merchantId: decodeMerchantId()(json.merchant_id),
    permissions: Option.getOrElse(
      Option.orElse(decodePermissions()(json.permissions), () => decodePermissions()(json.scope)),
      () => []
    ),
    raw: json
  })
}
