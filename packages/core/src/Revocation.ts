/**
 * The answer of `POST /oauth/revoke`.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import type { OauthRevokeSuccessResponse } from "./Models.js"

/**
 * RFC 7009 makes the status code the answer: a 200 means the token is no longer usable, also for a token that
 * was already invalid. UltraCart adds `successful` and `message`; an empty 200 body reads as successful.
 *
 * @since 0.1.0
 * @category models
 */
export interface Revocation {
  readonly successful: boolean
  readonly message: Option.Option<string>
}

/**
 * @since 0.1.0
 * @category decoding
 */
export const fromWire = (wire: OauthRevokeSuccessResponse): Revocation => ({
  successful: wire.successful ?? true,
  message: Option.fromNullable(wire.message)
})
