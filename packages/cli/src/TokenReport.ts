/**
 * What the CLI says about a stored token set — as a line for people and as JSON fields for scripts. Never a token:
 * only expiry, issue time, scope and whether a refresh token is there.
 *
 * @since 0.2.0
 */
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Printable from "./Printable.js"

/**
 * A stored token set in one line.
 *
 * @since 0.2.0
 * @category utils
 */
export const describe = (tokens: TokenStore.TokenSet): string => {
  const scope = Option.match(tokens.scope, { onNone: () => "", onSome: (s) => `, scope ${Printable.line(s)}` })
  const refresh = Option.isSome(tokens.refreshToken) ? "with a refresh token" : "without a refresh token"
  return `access token valid until ${DateTime.formatIso(tokens.expiresAt)} (${refresh}${scope})`
}

/**
 * The JSON fields of a stored token set, at `now` (epoch millis).
 *
 * @since 0.2.0
 * @category models
 */
export interface Fields {
  readonly accessTokenExpiresAt: string
  readonly accessTokenExpired: boolean
  readonly refreshToken: boolean
  readonly issuedAt: string
  readonly scope: string | null
}

/**
 * @since 0.2.0
 * @category utils
 */
export const fields = (tokens: TokenStore.TokenSet, now: number): Fields => ({
  accessTokenExpiresAt: DateTime.formatIso(tokens.expiresAt),
  accessTokenExpired: DateTime.toEpochMillis(tokens.expiresAt) <= now,
  refreshToken: Option.isSome(tokens.refreshToken),
  issuedAt: DateTime.formatIso(tokens.issuedAt),
  scope: Option.getOrNull(tokens.scope)
})
