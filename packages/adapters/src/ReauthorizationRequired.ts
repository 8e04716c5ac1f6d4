/**
 * The typed answer of a grant that cannot give an access token any more.
 *
 * @since 0.2.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

const reasons: Record<ReauthorizationRequired["reason"], (e: ReauthorizationRequired) => string> = {
  NoTokens: () => "no tokens are stored",
  NoRefreshToken: () => "the access token expired and there is no refresh token",
  InvalidGrant: (e) => `UltraCart refused the refresh token${e.description === undefined ? "" : ` (${e.description})`}`,
  Refused: () => "UltraCart refused the refresh twice with an error that names no known OAuth code",
  OutcomeUnknown: () => "the refresh token was sent without a known outcome and cannot safely be sent again"
}

/**
 * Carried by {@link ReauthorizationRequired}: what {@link isReauthorizationRequired} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/ReauthorizationRequired")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The grant cannot give an access token any more: the merchant must authorize the app again (browser or device
 * flow). `reason`:
 * - `NoTokens`: nothing stored, or logged out;
 * - `NoRefreshToken`: the access token expired and the grant came without a refresh token;
 * - `InvalidGrant`: UltraCart refused the refresh token (`invalid_grant`) and no newer token was in the store;
 * - `Refused`: UltraCart answered the refresh with a 4xx other than 429 that names no OAuth code this library
 *   knows, twice in a row for the same token (its error is the `cause`);
 * - `OutcomeUnknown`: the refresh token was sent and its answer lost, then sent once more (or never again, as
 *   configured) without a known outcome: sending it again could revoke the grant (the last error is the `cause`).
 *
 * @since 0.1.0
 * @category errors
 */
export class ReauthorizationRequired extends Schema.TaggedError<ReauthorizationRequired>()("ReauthorizationRequired", {
  key: Schema.String,
  reason: Schema.Literal("NoTokens", "NoRefreshToken", "InvalidGrant", "Refused", "OutcomeUnknown"),
  /** UltraCart's `error_description`, for `InvalidGrant`. */
  description: Schema.optional(Schema.String),
  /** The server's (secret-free) error behind `Refused`, `InvalidGrant` or `OutcomeUnknown`. */
  cause: Schema.optional(Schema.Defect)
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    Object.defineProperty(this.prototype, TypeId, { value: TypeId })
  }
  override get message(): string {
    return `Grant "${this.key}" needs the merchant to authorize the app again: ${reasons[this.reason](this)}`
  }
}

/**
 * Whether a value is a {@link ReauthorizationRequired} (it carries {@link TypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isReauthorizationRequired = (u: unknown): u is ReauthorizationRequired => Predicate.hasProperty(u, TypeId)
