// The README's in-memory example, as written there: if it stops compiling or passing, the README is wrong.
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Effect, Layer, Option, Redacted } from "effect"
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

// The README's REST example ("A little REST"), as written there.
it.effect("reads the merchant's orders with its access token", () =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCart.FakeUltraCart
    const tokens = yield* fake.issueTokens({ clientId: "fake-ultracart-app", merchantId: "SHOP1" })
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.get(`${fake.baseUrl}/order/orders`).pipe(
        HttpClientRequest.bearerToken(Redacted.value(tokens.accessToken)),
        HttpClientRequest.setHeader("X-UltraCart-Api-Version", OAuthClient.DEFAULT_API_VERSION)
      )
    )
    const body = (yield* response.json) as { readonly orders: ReadonlyArray<{ readonly order_id: string }> }
    expect(body.orders.map((order) => order.order_id)).toContain("SHOP1-0000000001")
  }).pipe(Effect.provide(FakeUltraCart.layer()))
)
