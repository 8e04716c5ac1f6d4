/**
 * What happens to a grant, as it happens: connected, refreshed, in need of the merchant again, disconnected. A
 * token manager tells its `onEvent`; the many-merchant registry (`MerchantGrants`) publishes them to the app. No
 * event carries a secret: they name the grant's key, its stored version and times.
 *
 * @since 0.2.0
 */
import * as Data from "effect/Data"
import type * as DateTime from "effect/DateTime"
import type * as Effect from "effect/Effect"

/**
 * How a revocation of a disconnect went: `Revoked`, `Absent` (there was no such token) or `Failed` (the grant
 * was deleted locally anyway).
 *
 * @since 0.2.0
 * @category models
 */
export type RevocationResult = "Revoked" | "Absent" | "Failed"

/**
 * Why a grant can no longer give an access token (see `TokenManager.ReauthorizationRequired`).
 *
 * @since 0.2.0
 * @category models
 */
export type ReauthorizationReason = "NoTokens" | "NoRefreshToken" | "InvalidGrant" | "Refused" | "OutcomeUnknown"

/**
 * An event of one grant.
 *
 * - `Connected`: a new grant was stored (a code or device exchange; also a reconnect of a known merchant).
 * - `Refreshed`: this process refreshed the grant and stored the rotation (`version` is the stored one).
 * - `ReauthorizationRequired`: the grant cannot give a token any more; the merchant must connect again. Told
 *   once per dead grant (a later connect makes it live again).
 * - `Disconnected`: revoked (as far as UltraCart answered) and deleted from the store.
 *
 * @since 0.2.0
 * @category models
 */
export type GrantEvent = Data.TaggedEnum<{
  Connected: { readonly key: string; readonly version: number; readonly expiresAt: DateTime.Utc }
  Refreshed: { readonly key: string; readonly version: number; readonly expiresAt: DateTime.Utc }
  ReauthorizationRequired: { readonly key: string; readonly reason: ReauthorizationReason }
  Disconnected: {
    readonly key: string
    readonly refreshToken: RevocationResult
    readonly accessToken: RevocationResult
  }
}>

/**
 * Constructors and matchers of {@link GrantEvent}.
 *
 * @since 0.2.0
 * @category constructors
 */
export const GrantEvent = Data.taggedEnum<GrantEvent>()

/**
 * Where a token manager tells its events. It runs on the manager's own fiber: keep it short (publish to a queue
 * or hub), and it must not fail.
 *
 * @since 0.2.0
 * @category models
 */
export type GrantEventSink = (event: GrantEvent) => Effect.Effect<void>
