/**
 * The typed answer to an ambiguous failure of a single-use grant.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * Carried by {@link OutcomeUnknown}: what {@link isOutcomeUnknown} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/OutcomeUnknown")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * An authorization-code or refresh-token exchange failed in a way that leaves its outcome unknown (a timeout, a
 * connection reset after the request was sent, a body cut short): the server may have consumed the code or
 * rotated the refresh token. It is never retried — a second attempt with a spent grant can revoke the whole
 * grant (RFC 6749 §10.5). A token manager recovers by re-reading its store; a browser login starts again.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  /** `authorization_code` or `refresh_token` (or another single-use grant type). */
  grantType: Schema.String,
  /** The transport failure behind it (`Timeout`, `Transport`, `Body`, `BodyTimeout`). */
  reason: Schema.String,
  /** A short, secret-free description of the failure. */
  detail: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    Object.defineProperty(this.prototype, TypeId, { value: TypeId })
  }
  override get message(): string {
    return (
      `The ${this.grantType} exchange may or may not have reached UltraCart (${this.reason}: ${this.detail}); ` +
      "it was not retried because the grant is single-use"
    )
  }
}

/**
 * Whether a value is an {@link OutcomeUnknown} (it carries {@link TypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isOutcomeUnknown = (u: unknown): u is OutcomeUnknown => Predicate.hasProperty(u, TypeId)
