/**
 * The typed answer of a grant that cannot give an access token any more.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"

/**
 * The grant cannot give an access token any more: the merchant must authorize the app again (browser or device
 * flow). `reason`: `NoTokens` (nothing stored, or logged out), `NoRefreshToken` (the access token expired and the
 * grant came without a refresh token), `InvalidGrant` (UltraCart refused the refresh token and no newer token
 * was in the store).
 *
 * @since 0.1.0
 * @category errors
 */
export class ReauthorizationRequired extends Schema.TaggedError<ReauthorizationRequired>()("ReauthorizationRequired", {
  key: Schema.String,
  reason: Schema.Literal("NoTokens", "NoRefreshToken", "InvalidGrant"),
  /** UltraCart's `error_description`, for `InvalidGrant`. */
  description: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const why =
      this.reason === "NoTokens"
        ? "no tokens are stored"
        : this.reason === "NoRefreshToken"
          ? "the access token expired and there is no refresh token"
          : `UltraCart refused the refresh token${this.description === undefined ? "" : ` (${this.description})`}`
    return `Grant "${this.key}" needs the merchant to authorize the app again: ${why}`
  }
}
