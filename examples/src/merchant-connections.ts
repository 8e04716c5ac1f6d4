/**
 * A piece of "your code": an app's record of which merchants have connected, built on the core client.
 * `connect` finishes the browser leg; `disconnect` is logout done right (RFC 7009 §2 and the logout rule):
 * revoke the refresh token first, then the access token, then forget the tokens locally **whatever revocation
 * answered** — a failed revoke must never leave a user stuck logged in.
 *
 * `examples/test/merchant-connections.test.ts` shows how to test code like this with the fake server Layer.
 */
import { OAuthClient, type OAuthError, type TokenResponse } from "@ultracart-oauth/core"
import type { Callback } from "@ultracart-oauth/core"
import { Context, Effect, Layer, Option, Ref, type Redacted } from "effect"

/** What the app keeps per merchant. */
export interface Connection {
  readonly merchantId: string
  readonly tokens: TokenResponse.TokenResponse
}

/** What disconnecting did on UltraCart's side (local state is dropped in every case). */
export interface Disconnected {
  readonly merchantId: string
  readonly revoked: boolean
  readonly revokeError: Option.Option<OAuthError.OAuthClientError>
}

export class MerchantConnections extends Context.Tag("examples/MerchantConnections")<
  MerchantConnections,
  {
    readonly connect: (
      callbackUrl: string,
      expectedState: Redacted.Redacted<string>,
      redirectUri: string
    ) => Effect.Effect<Connection, OAuthError.OAuthClientError | Callback.CallbackError>
    readonly disconnect: (merchantId: string) => Effect.Effect<Option.Option<Disconnected>>
    readonly connected: Effect.Effect<ReadonlyArray<string>>
  }
>() {}

export const layer = Layer.effect(
  MerchantConnections,
  Effect.gen(function* () {
    const client = yield* OAuthClient.OAuthClient
    const connections = yield* Ref.make(new Map<string, Connection>())

    const revokeAll = (tokens: TokenResponse.TokenResponse) =>
      Effect.gen(function* () {
        // Refresh token first: once it is gone no new access token can be minted from this grant.
        if (Option.isSome(tokens.refreshToken)) yield* client.revoke({ token: tokens.refreshToken.value })
        yield* client.revoke({ token: tokens.accessToken })
      })

    return {
      connect: (callbackUrl, expectedState, redirectUri) =>
        Effect.gen(function* () {
          const code = yield* client.parseCallback(callbackUrl, expectedState)
          const tokens = yield* client.exchangeCode({ code, redirectUri })
          const me = yield* client.me({ accessToken: tokens.accessToken })
          const connection = { merchantId: Option.getOrElse(me.merchantId, () => "unknown"), tokens }
          yield* Ref.update(connections, (m) => new Map(m).set(connection.merchantId, connection))
          return connection
        }),
      disconnect: (merchantId) =>
        Effect.gen(function* () {
          const connection = (yield* Ref.get(connections)).get(merchantId)
          if (connection === undefined) return Option.none()
          const result = yield* Effect.either(revokeAll(connection.tokens))
          // Forget locally whatever UltraCart answered.
          yield* Ref.update(connections, (m) => {
            const next = new Map(m)
            next.delete(merchantId)
            return next
          })
          return Option.some({
            merchantId,
            revoked: result._tag === "Right",
            revokeError: result._tag === "Left" ? Option.some(result.left) : Option.none()
          })
        }),
      connected: Effect.map(Ref.get(connections), (m) => [...m.keys()])
    }
  })
)
