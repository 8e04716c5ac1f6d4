/**
 * The answer of `GET /oauth/me`: which merchant account a token belongs to and what it was granted. UltraCart
 * does not publish this body's schema, so the recognisable members are decoded and the whole JSON is kept.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"

const Permissions = Schema.Union(
  Schema.Array(Schema.String),
  Schema.transform(Schema.String, Schema.Array(Schema.String), {
    strict: true,
    decode: (s) => s.split(/[\s,]+/).filter((p) => p !== ""),
    encode: (ps) => ps.join(" ")
  })
)

/**
 * The members of the `/oauth/me` body this library recognises (all optional).
 *
 * @since 0.1.0
 * @category models
 */
export const MeResponse = Schema.Struct({
  merchant_id: Schema.optional(Schema.String),
  permissions: Schema.optional(Permissions),
  scope: Schema.optional(Permissions)
}).annotations({ identifier: "MeResponse" })

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
