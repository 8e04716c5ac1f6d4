/**
 * A grant at the fake UltraCart, as the stores' tests use it: the in-memory fake (live clock) with core's client on
 * it, a token response for a grant the fake issued directly, a "process" (a token manager on a store of its own),
 * and the refresh requests the fake counts.
 */
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/** The refresh requests, as the fake counts them (`fake.requestCount(REFRESHES)`). */
export const REFRESHES = { endpoint: "token", grantType: "refresh_token" } as const

/** The in-memory fake UltraCart (live clock) and core's client on it, shared by the test's "processes". */
export const fakeUltraCart = (settings: FakeUltraCart.FakeUltraCartOptions) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      FakeUltraCart.clientLayer().pipe(Layer.provideMerge(FakeUltraCart.layer(settings)), Layer.orDie)
    )
    return {
      fake: Context.get(context, FakeUltraCart.FakeUltraCart),
      oauth: Context.get(context, OAuthClient.OAuthClient)
    }
  })

/** A token response for a grant the fake issued directly. */
export const issued = (fake: FakeUltraCart.FakeUltraCart.Service) =>
  Effect.map(
    Effect.orDie(fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })),
    (tokens): TokenResponse.TokenResponse => ({
      accessToken: tokens.accessToken,
      tokenType: "bearer",
      expiresIn: Option.some(tokens.expiresIn),
      refreshToken: Option.some(tokens.refreshToken),
      scope: Option.none()
    })
  )

/** A "process": the token manager of grant `key` on the store `store` opens (its own connection). */
export const processOn = <E, R>(
  oauth: OAuthClient.OAuthClient.Service,
  store: Effect.Effect<TokenStore.TokenStore.Service, E, R>,
  key: string
) =>
  Effect.flatMap(store, (store) =>
    TokenManager.make({ key }).pipe(
      Effect.provideService(TokenStore.TokenStore, store),
      Effect.provideService(OAuthClient.OAuthClient, oauth)
    )
  )
