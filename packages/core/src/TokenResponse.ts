/**
 * A successful answer of `POST /oauth/token` (RFC 6749 §5.1).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { OauthTokenResponse } from "./Models.js"

/**
 * The tokens a grant produced. `expiresIn` (seconds) and `refreshToken` are optional on the wire and stay
 * optional here: a refresh answer without `refresh_token` means "keep the one you have" (RFC 6749 §6).
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenResponse {
  readonly accessToken: Redacted.Redacted<string>
  readonly tokenType: "bearer"
  readonly expiresIn: Option.Option<number>
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  readonly scope: Option.Option<string>
}

/**
 * Checks a decoded token body for what RFC 6749 requires: an access token, and a bearer token type. UltraCart
 * documents every field as optional, so a missing `token_type` is read as `bearer`; any other type is refused
 * (a token this client cannot use). Returns the problems found, by member name.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromWire = (wire: OauthTokenResponse): Either.Either<TokenResponse, ReadonlyArray<string>> => {
  const issues: Array<string> = []
  if (wire.access_token === undefined) issues.push("access_token: is missing")
  if (wire.token_type !== undefined && wire.token_type !== "bearer") {
    issues.push("token_type: is not bearer")
  }
  if (wire.access_token === undefined || issues.length > 0) return Either.left(issues)
  return Either.right({
    accessToken: wire.access_token,
    tokenType: "bearer",
    expiresIn: Option.fromNullable(wire.expires_in),
    refreshToken: Option.fromNullable(wire.refresh_token),
    scope: Option.fromNullable(wire.scope)
  })
}
