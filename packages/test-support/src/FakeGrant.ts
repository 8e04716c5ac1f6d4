/**
 * A grant at the fake UltraCart, as the stores' tests use it: the in-memory fake (live clock) with core's client on
 * it, a token response for a grant the fake issued directly, a "process" (a token manager on a store of its own),
 * the refresh requests the fake counts, and a store outage in the middle of a refresh.
 */
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import * as Fault from "@ultracart-oauth/testing/Fault"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { expect } from "vitest"

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

/**
 * `a` refreshes; UltraCart takes 400 ms to answer, and `stop` (the store's server going away) runs 150 ms in, while
 * the request is on the wire. Returns the rotation `a` got.
 */
export const refreshAcrossStop = <E>(
  fake: FakeUltraCart.FakeUltraCart.Service,
  a: TokenManager.TokenManager.Service,
  stop: Effect.Effect<void, E>
) =>
  Effect.gen(function* () {
    yield* fake.injectFault(Fault.delay("400 millis"), REFRESHES)
    const refreshing = yield* Effect.fork(a.refresh)
    yield* Effect.sleep("150 millis")
    yield* stop
    return yield* Fiber.join(refreshing)
  })

/**
 * Another process `b` finds `rotated` as is (version 2, the same refresh token), that refresh token alive at
 * UltraCart, and rotates on from it (version 3): the grant lives on.
 */
export const expectRotationUsableBy = (
  fake: FakeUltraCart.FakeUltraCart.Service,
  b: TokenManager.TokenManager.Service,
  rotated: TokenStore.TokenSet
) =>
  Effect.gen(function* () {
    const seen = yield* b.tokens
    expect([Redacted.value(seen.accessToken), seen.version]).toEqual([Redacted.value(rotated.accessToken), 2])
    const refreshToken = Option.getOrThrow(seen.refreshToken)
    expect(Redacted.value(refreshToken)).toBe(Redacted.value(Option.getOrThrow(rotated.refreshToken)))
    expect(Option.getOrThrow(yield* fake.inspectToken(refreshToken)).status).toBe("active")
    expect((yield* b.refresh).version).toBe(3)
  })
