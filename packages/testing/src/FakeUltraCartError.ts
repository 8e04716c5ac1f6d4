/**
 * The errors of the fake's controls (what a test asked for that the fake cannot do).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The consent page refused to redirect at all: unknown client id or unregistered redirect URI (RFC 6749
 * §4.1.2.1 — the user is not sent back to an unverified redirect URI).
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationRejected extends Schema.TaggedError<AuthorizationRejected>()("AuthorizationRejected", {
  reason: Schema.Literal("UnknownClient", "UnregisteredRedirectUri")
}) {
  override get message(): string {
    return this.reason === "UnknownClient"
      ? "The fake UltraCart knows no app with this client id"
      : "The redirect URI is not registered for this app"
  }
}

/**
 * A device user code that cannot be decided: unknown, expired, or already approved/denied.
 *
 * @since 0.1.0
 * @category errors
 */
export class UserCodeRejected extends Schema.TaggedError<UserCodeRejected>()("UserCodeRejected", {
  reason: Schema.Literal("Unknown", "Expired", "AlreadyDecided")
}) {
  override get message(): string {
    return `The device user code cannot be decided: ${this.reason}`
  }
}
