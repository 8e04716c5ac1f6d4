/**
 * The README's composition, as written there (Layers all the way: the routes from configuration, the registry,
 * the server), run against the fake UltraCart on loopback with its settings from a `ConfigProvider`: a merchant
 * connects, and the start route's `state` (in its redirect's `Location`) stays out of the server's spans.
 */
import { FetchHttpClient } from "@effect/platform"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { expect, it } from "@effect/vitest"
import { TokenStore } from "@ultracart-oauth/adapters"
import * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import { OAuthClient } from "@ultracart-oauth/core"
import { freePort } from "@ultracart-oauth/test-support/ServerProcess"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Config, ConfigProvider, Effect, Layer, Tracer } from "effect"
import { createServer } from "node:http"
import { ConnectRoutes } from "../src/index.js"
import { Browser, paramOf } from "./utils/app.js"

// --- README ---
// The registry: one OAuth client (ULTRACART_CLIENT_ID…), one store, one transport for every merchant.
const GrantsLive = MerchantGrants.layer().pipe(
  Layer.provideMerge(TokenStore.layerMemory), // FileTokenStore, RedisTokenStore… in production
  Layer.provideMerge(OAuthClient.layerConfig()),
  Layer.provideMerge(FetchHttpClient.layer)
)

// The app's page, with the connect link and a disconnect form, beside the connect routes.
const app = Effect.gen(function* () {
  const connect = yield* ConnectRoutes.ConnectRoutes
  const home = Effect.map(connect.csrfToken, (token) =>
    HttpServerResponse.html(`<a href="${connect.startUrl("/")}">Connect your UltraCart store</a>
<form method="post" action="${connect.disconnectPath}">
  <input type="hidden" name="merchant" value="ACME">
  <input type="hidden" name="csrf_token" value="${token}">
  <button>Disconnect ACME</button>
</form>`)
  )
  return HttpRouter.empty.pipe(HttpRouter.get("/", home), HttpRouter.concat(connect.router))
})

// ULTRACART_CONNECT_SECRET (32+ random characters) and ULTRACART_APP_ORIGIN (https://app.example.com) from the
// environment. Register {ULTRACART_APP_ORIGIN}/connect/callback with UltraCart as the app's redirect URI.
export const ServerLive = Layer.unwrapEffect(Effect.map(app, (router) => HttpServer.serve(router))).pipe(
  Layer.provide(ConnectRoutes.layerConfig()),
  Layer.provide(GrantsLive),
  Layer.provide(
    Layer.unwrapEffect(
      Effect.map(Config.withDefault(Config.port("PORT"), 3000), (port) => NodeHttpServer.layer(createServer, { port }))
    )
  )
)
// --- end ---

it.scoped("the README's server connects a merchant; state stays out of its spans", () =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCartServer.make({
      clients: [{ clientId: "readme-app", redirectUris: ["http://127.0.0.1/connect/callback"], loopbackAnyPort: true }]
    })
    // The README's server takes a fixed port: one free a moment ago.
    const port = yield* Effect.promise(freePort)
    const origin = `http://127.0.0.1:${port}`
    const spans: Array<Tracer.Span> = []
    const native = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (...args) => {
        const span = native.span(...args)
        spans.push(span)
        return span
      },
      context: native.context
    })
    const environment = ConfigProvider.fromMap(
      new Map([
        ["ULTRACART_CLIENT_ID", "readme-app"],
        ["ULTRACART_BASE_URL", fake.baseUrl],
        ["ULTRACART_CONNECT_SECRET", "a secret of the README test, long enough"],
        ["ULTRACART_APP_ORIGIN", origin],
        ["PORT", String(port)]
      ])
    )
    yield* Layer.build(ServerLive).pipe(Effect.withConfigProvider(environment), Effect.withTracer(tracer))

    const browser = new Browser()
    const home = yield* browser.request(`${origin}/`)
    expect(home.body).toMatch(/name="csrf_token" value="[A-Za-z0-9_-]{43}"/)
    const start = yield* browser.request(`${origin}/connect/start`)
    const state = paramOf(start.location, "state")
    expect(state.length).toBeGreaterThan(40)
    const landed = yield* browser.request(yield* fake.approve(start.location ?? "", { merchantId: "ACME" }))
    expect(landed.location).toBe(`${origin}/?connected=ACME`)

    const spanText = JSON.stringify(spans.map((span) => [...span.attributes]))
    expect(spanText).toContain("http.response.header.location")
    expect(spanText).not.toContain(state)
  })
)
