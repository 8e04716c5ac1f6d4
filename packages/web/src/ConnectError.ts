/**
 * What the connect routes can refuse, each a typed error with a clear message and nothing secret in it (no code,
 * no `state`, no cookie value, no address the browser gave), and the HTTP status each is answered with.
 *
 * @since 0.2.0
 */
import type { ConnectError } from "@ultracart-oauth/adapters/MerchantGrants"
import type { TokenStoreError } from "@ultracart-oauth/adapters/TokenStore"
import type { CallbackError } from "@ultracart-oauth/core/Callback"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

const flowMessages = {
  NoState: "The callback carries no state: it did not come from a connect flow of this app",
  NotFound: "No connect flow of this browser matches the callback: not started here, expired, or already used",
  Forged: "The connect flow's cookie was not signed by this app",
  Expired: "The connect flow has expired",
  Replayed: "The callback of this connect flow was already used"
} as const

/**
 * Carried by {@link ConnectFlowRejected}: what {@link isConnectFlowRejected} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const ConnectFlowRejectedTypeId: unique symbol = Symbol.for("@ultracart-oauth/web/ConnectFlowRejected")

/**
 * @since 0.2.0
 * @category type ids
 */
export type ConnectFlowRejectedTypeId = typeof ConnectFlowRejectedTypeId

/**
 * A callback that cannot belong to a connect flow this browser started: no `state`, no flow cookie for it, a
 * cookie this app did not sign, an expired flow, or a callback already used. Nothing is exchanged or changed.
 *
 * @since 0.2.0
 * @category errors
 */
export class ConnectFlowRejected extends Schema.TaggedError<ConnectFlowRejected>()("ConnectFlowRejected", {
  reason: Schema.Literal("NoState", "NotFound", "Forged", "Expired", "Replayed")
}) {
  /** @since 0.2.0 */
  declare readonly [ConnectFlowRejectedTypeId]: ConnectFlowRejectedTypeId
  static {
    Object.defineProperty(this.prototype, ConnectFlowRejectedTypeId, { value: ConnectFlowRejectedTypeId })
  }
  override get message(): string {
    return flowMessages[this.reason]
  }
}

/**
 * Whether a value is a {@link ConnectFlowRejected} (it carries {@link ConnectFlowRejectedTypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isConnectFlowRejected = (u: unknown): u is ConnectFlowRejected =>
  Predicate.hasProperty(u, ConnectFlowRejectedTypeId)

/**
 * Carried by {@link ReturnAddressRejected}: what {@link isReturnAddressRejected} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const ReturnAddressRejectedTypeId: unique symbol = Symbol.for("@ultracart-oauth/web/ReturnAddressRejected")

/**
 * @since 0.2.0
 * @category type ids
 */
export type ReturnAddressRejectedTypeId = typeof ReturnAddressRejectedTypeId

/**
 * A return address that is not the app's own (or on its allow list), or not an address at all: refused rather
 * than followed (no open redirect). The address itself is not kept.
 *
 * @since 0.2.0
 * @category errors
 */
export class ReturnAddressRejected extends Schema.TaggedError<ReturnAddressRejected>()("ReturnAddressRejected", {
  reason: Schema.Literal("Malformed", "NotAllowed")
}) {
  /** @since 0.2.0 */
  declare readonly [ReturnAddressRejectedTypeId]: ReturnAddressRejectedTypeId
  static {
    Object.defineProperty(this.prototype, ReturnAddressRejectedTypeId, { value: ReturnAddressRejectedTypeId })
  }
  override get message(): string {
    return this.reason === "Malformed"
      ? "The return address is not a usable address"
      : "The return address is not on this app's origin or allow list"
  }
}

/**
 * Whether a value is a {@link ReturnAddressRejected} (it carries {@link ReturnAddressRejectedTypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isReturnAddressRejected = (u: unknown): u is ReturnAddressRejected =>
  Predicate.hasProperty(u, ReturnAddressRejectedTypeId)

const disconnectMessages = {
  CrossSite: "The disconnect request came from another site",
  Token: "The disconnect request's token is missing or does not belong to this browser",
  NoMerchant: "The disconnect request names no merchant",
  NotAllowed: "This request may not disconnect that merchant"
} as const

/**
 * Carried by {@link DisconnectRefused}: what {@link isDisconnectRefused} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const DisconnectRefusedTypeId: unique symbol = Symbol.for("@ultracart-oauth/web/DisconnectRefused")

/**
 * @since 0.2.0
 * @category type ids
 */
export type DisconnectRefusedTypeId = typeof DisconnectRefusedTypeId

/**
 * A disconnect request refused before anything was revoked: sent from another site (`Origin`, `Sec-Fetch-Site`),
 * without this browser's token, naming no merchant, or not allowed by the app.
 *
 * @since 0.2.0
 * @category errors
 */
export class DisconnectRefused extends Schema.TaggedError<DisconnectRefused>()("DisconnectRefused", {
  reason: Schema.Literal("CrossSite", "Token", "NoMerchant", "NotAllowed")
}) {
  /** @since 0.2.0 */
  declare readonly [DisconnectRefusedTypeId]: DisconnectRefusedTypeId
  static {
    Object.defineProperty(this.prototype, DisconnectRefusedTypeId, { value: DisconnectRefusedTypeId })
  }
  override get message(): string {
    return disconnectMessages[this.reason]
  }
}

/**
 * Whether a value is a {@link DisconnectRefused} (it carries {@link DisconnectRefusedTypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isDisconnectRefused = (u: unknown): u is DisconnectRefused =>
  Predicate.hasProperty(u, DisconnectRefusedTypeId)

/**
 * Everything the connect routes answer with an error page: their own refusals, UltraCart's answer on the
 * callback (`AuthorizationDenied` and friends, checked by core), and what connecting or disconnecting failed with.
 *
 * @since 0.2.0
 * @category errors
 */
export type ConnectRouteError =
  | ConnectFlowRejected
  | ReturnAddressRejected
  | DisconnectRefused
  | CallbackError
  | ConnectError
  | TokenStoreError

/**
 * The HTTP status an error is answered with: 400 for a request that cannot be used, 403 for a refusal (or the
 * merchant's own "no"), 502 when UltraCart failed, 503 when the token store did, 500 for a request this code
 * should not have built (`InvalidInput`).
 *
 * @since 0.2.0
 * @category errors
 */
export const statusOf = (error: ConnectRouteError): number => {
  switch (error._tag) {
    case "ConnectFlowRejected":
    case "ReturnAddressRejected":
    case "AuthorizationExpired":
    case "AuthorizationFailed":
    case "CallbackMissingCode":
    case "StateMismatch":
    case "InvalidGrant":
      return 400
    case "AuthorizationDenied":
    case "DisconnectRefused":
      return 403
    case "TokenStoreError":
      return 503
    case "InvalidInput":
      return 500
    default:
      return 502
  }
}
