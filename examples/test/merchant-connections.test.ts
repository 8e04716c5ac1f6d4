/**
 * Testing your own code with the fake UltraCart: provide `FakeUltraCart.layer()` (in memory, no sockets) and
 * `FakeUltraCart.clientLayer()` (the real core client pointed at it), then drive the fake's controls — approve a
 * consent, inject a fault, inspect what it received.
 */
import { describe, expect, it } from "@effect/vitest"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import { OAuthClient } from "@ultracart-oauth/core"
import { Effect, Layer, Option, Redacted } from "effect"
import * as MerchantConnections from "../src/merchant-connections.js"

const TestLayer = MerchantConnections.layer.pipe(
  Layer.provideMerge(FakeUltraCart.clientLayer()),
  Layer.provideMerge(FakeUltraCart.layer({ merchantId: "DEMO1" }))
)

const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? ""

/** Sends the merchant through the fake consent page and returns the callback URL and the state we expect. */
const consent = Effect.gen(function* () {
  const client = yield* OAuthClient.OAuthClient
  const fake = yield* FakeUltraCart.FakeUltraCart
  const { state, url } = yield* client.authorizationUrl({ redirectUri })
  const callback = yield* fake.approve(url)
  return { callback, state }
})

describe("MerchantConnections (your code) against the fake UltraCart", () => {
  it.effect("connect exchanges the code and identifies the merchant", () =>
    Effect.gen(function* () {
      const connections = yield* MerchantConnections.MerchantConnections
      const fake = yield* FakeUltraCart.FakeUltraCart
      const { callback, state } = yield* consent
      const connection = yield* connections.connect(callback, state, redirectUri)
      expect(connection.merchantId).toBe("DEMO1")
      expect(yield* connections.connected).toEqual(["DEMO1"])
      const info = yield* fake.inspectToken(connection.tokens.accessToken)
      expect(Option.map(info, (i) => i.status)).toEqual(Option.some("active"))
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("a forged callback is refused before any token request", () =>
    Effect.gen(function* () {
      const connections = yield* MerchantConnections.MerchantConnections
      const fake = yield* FakeUltraCart.FakeUltraCart
      const { callback } = yield* consent
      const error = yield* Effect.flip(connections.connect(callback, Redacted.make("x".repeat(43)), redirectUri))
      expect(error._tag).toBe("StateMismatch")
      expect(yield* fake.requestCount({ endpoint: "token" })).toBe(0)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("disconnect revokes the refresh token first, then the access token", () =>
    Effect.gen(function* () {
      const connections = yield* MerchantConnections.MerchantConnections
      const fake = yield* FakeUltraCart.FakeUltraCart
      const { callback, state } = yield* consent
      const { tokens } = yield* connections.connect(callback, state, redirectUri)
      const result = yield* connections.disconnect("DEMO1")
      expect(Option.map(result, (r) => r.revoked)).toEqual(Option.some(true))
      const revokes = (yield* fake.requests).filter((r) => r.endpoint === "revoke")
      expect(revokes.map((r) => r.form["token"])).toEqual([
        Option.getOrThrow(Option.map(tokens.refreshToken, Redacted.value)),
        Redacted.value(tokens.accessToken)
      ])
      const refreshInfo = yield* fake.inspectToken(Option.getOrThrow(tokens.refreshToken))
      expect(Option.map(refreshInfo, (i) => i.status)).toEqual(Option.some("revoked"))
      expect(yield* connections.connected).toEqual([])
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("disconnect forgets the merchant even when UltraCart is down", () =>
    Effect.gen(function* () {
      const connections = yield* MerchantConnections.MerchantConnections
      const fake = yield* FakeUltraCart.FakeUltraCart
      const { callback, state } = yield* consent
      yield* connections.connect(callback, state, redirectUri)
      yield* fake.injectFault(Fault.serverError({ status: 503 }), { endpoint: "revoke", times: 1 })
      const result = yield* connections.disconnect("DEMO1")
      expect(Option.map(result, (r) => r.revoked)).toEqual(Option.some(false))
      expect(Option.flatMap(result, (r) => Option.map(r.revokeError, (e) => e._tag))).toEqual(
        Option.some("ServerError")
      )
      expect(yield* connections.connected).toEqual([])
    }).pipe(Effect.provide(TestLayer))
  )
})
