// The README's in-memory example, as written there: if it stops compiling or passing, the README is wrong.
import { expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Effect, Layer, Option } from "effect"
import { FakeUltraCart } from "../src/index.js"

const REDIRECT = "https://app.example.test/oauth/callback"

const TestLayer = FakeUltraCart.clientLayer({ clientId: "my-app" }).pipe(
  Layer.provideMerge(
    FakeUltraCart.layer({
      clients: [{ clientId: "my-app", redirectUris: [REDIRECT], permissions: ["order_read"] }]
    })
  )
)

it.effect("logs a merchant in", () =>
  Effect.gen(function* () {
    const client = yield* OAuthClient.OAuthClient
    const fake = yield* FakeUltraCart.FakeUltraCart
    const { state, url } = yield* client.authorizationUrl({ redirectUri: REDIRECT })
    const redirect = yield* fake.approve(url, { merchantId: "SHOP1" }) // the merchant clicks "Approve"
    const code = yield* client.parseCallback(redirect, state)
    const tokens = yield* client.exchangeCode({ code, redirectUri: REDIRECT })
    const me = yield* client.me({ accessToken: tokens.accessToken })
    expect(me.merchantId).toEqual(Option.some("SHOP1"))
  }).pipe(Effect.provide(TestLayer))
)
