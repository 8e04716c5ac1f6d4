/**
 * Storing the tokens of a new grant (a code or device exchange) so that none is lost or left behind: the store is
 * checked before the code is spent, and tokens that still cannot be stored are revoked at once.
 *
 * @since 0.2.0
 */
import type * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import type * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import type * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * The exchange worked but its tokens could not be stored. `revoked`: whether they were revoked at UltraCart
 * afterwards (then no usable grant is left anywhere); if not, the access token works until it expires and the
 * merchant can remove the app's access in UltraCart.
 *
 * @since 0.2.0
 * @category errors
 */
export class GrantNotStored extends Schema.TaggedError<GrantNotStored>()("GrantNotStored", {
  key: Schema.String,
  cause: TokenStore.TokenStoreError,
  revoked: Schema.Boolean
}) {
  override get message(): string {
    return `The new tokens of grant "${this.key}" could not be stored (${this.cause.message}); ${
      this.revoked
        ? "they were revoked at UltraCart, so no grant is left behind"
        : "revoking them at UltraCart failed too: the access token works until it expires"
    }`
  }
}

/**
 * Checks that a new grant's tokens can be stored, before anything is spent: the grant's record reads (saving
 * rewrites it, so a record that does not decode or decrypt would fail the save), and the store takes a new file
 * next to it (its lease, taken and let go, when the store has one).
 *
 * @since 0.2.0
 * @category checks
 */
export const checkStore = (
  store: TokenStore.TokenStore.Service,
  key: string
): Effect.Effect<void, TokenStore.TokenStoreError> =>
  Effect.zipRight(store.load(key), store.lease === undefined ? Effect.void : Effect.scoped(store.lease(key)))

/**
 * Stores a new grant's tokens through the token manager. If that fails, revokes the refresh token and the access
 * token at UltraCart (each attempted, whatever the other did) and fails with {@link GrantNotStored}.
 *
 * @since 0.2.0
 * @category constructors
 */
export const save = (
  manager: TokenManager.TokenManager.Service,
  client: OAuthClient.OAuthClient.Service,
  response: TokenResponse.TokenResponse,
  issuedAt: DateTime.Utc
): Effect.Effect<TokenStore.TokenSet, GrantNotStored> =>
  Effect.catchAll(manager.save(response, issuedAt), (cause) =>
    Effect.forEach([...Option.toArray(response.refreshToken), response.accessToken], (token) =>
      Effect.exit(client.revoke({ token }))
    ).pipe(
      Effect.flatMap((exits) =>
        Effect.fail(
          new GrantNotStored({ key: manager.key, cause, revoked: exits.every((exit) => exit._tag === "Success") })
        )
      )
    )
  )
