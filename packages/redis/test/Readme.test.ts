/**
 * The README's composition, as written there, run against the test's Redis and the fake UltraCart on loopback
 * (its settings from a `ConfigProvider`, as a deployment would give them in the environment).
 */
import { FetchHttpClient } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { TokenManager } from "@ultracart-oauth/adapters"
import { OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { RedisTokenStore } from "../src/index.js"
import { freshPrefix } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"

// --- README ---
const TokensLive = TokenManager.layerConfig().pipe(
  Layer.provideMerge(
    Layer.merge(RedisTokenStore.layerConfig(), OAuthClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer)))
  )
)

const callUltraCart = Effect.gen(function* () {
  const tokens = yield* TokenManager.TokenManager
  const accessToken = yield* tokens.accessToken // valid now; refreshed by one process at a time
  // … call UltraCart with it (or use AuthenticatedClient.layer on top of TokensLive)
  return accessToken
})
// --- end ---

layer(RedisServer.layer(), { excludeTestServices: true })((it) => {
  it.scoped("the README's layers, configured from the environment, hand out a token the API accepts", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.RedisServer
      const fake = yield* FakeUltraCartServer.make()
      const environment = ConfigProvider.fromMap(
        new Map([
          ["ULTRACART_REDIS_URL", Redacted.value(server.url)],
          ["ULTRACART_REDIS_PREFIX", freshPrefix()],
          ["ULTRACART_CLIENT_ID", FakeUltraCart.DEFAULT_CLIENT.clientId],
          ["ULTRACART_BASE_URL", fake.baseUrl],
          ["ULTRACART_TOKEN_GRANT", "merchant-DEMO"]
        ])
      )
      const accessToken = yield* Effect.gen(function* () {
        const oauth = yield* OAuthClient.OAuthClient
        const tokens = yield* TokenManager.TokenManager
        const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? ""
        const { state, url } = yield* oauth.authorizationUrl({ redirectUri })
        const code = yield* oauth.parseCallback(yield* fake.approve(url), state)
        yield* tokens.login(oauth.exchangeCode({ code, redirectUri }))
        return yield* callUltraCart
      }).pipe(Effect.provide(TokensLive), Effect.withConfigProvider(environment))
      const info = yield* fake.inspectToken(accessToken)
      expect(Option.map(info, (i) => i.status)).toEqual(Option.some("active"))
    })
  )
})
