/**
 * Credentials go only to the base URL's origin: every authenticated client refuses a URL elsewhere with
 * `UrlRefused`, before the credential is read or attached, and sends nothing.
 */
import type { HttpClient } from "@effect/platform"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { describe, expect, it } from "@effect/vitest"
import { Credentials } from "@ultracart-oauth/core"
import { ConfigProvider, Context, Effect, Layer, Redacted, Ref } from "effect"
import * as Auth from "../src/Auth.js"
import * as AuthenticatedClient from "../src/AuthenticatedClient.js"
import * as FetchTransport from "../src/FetchTransport.js"
import * as NodeTransport from "../src/NodeTransport.js"
import * as Retry from "../src/Retry.js"
import * as Timeouts from "../src/Timeouts.js"
import * as TokenManager from "../src/TokenManager.js"
import * as TokenStore from "../src/TokenStore.js"
import { ScriptedServer } from "./TokenFixtures.js"
import * as Loopback from "./utils/LoopbackServer.js"
import * as Mock from "./utils/MockHttpClient.js"

const SECRET = "origin-test-secret-9f2c"

const env = (vars: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

/** Every client that attaches a credential, as a Layer over the `HttpClient` in context. */
const clients: Record<
  string,
  (baseUrl: string) => Layer.Layer<Auth.UltraCartHttpClient, unknown, HttpClient.HttpClient>
> = {
  "Auth.layerSimpleKey": (baseUrl) => Auth.layerSimpleKey(Redacted.make(SECRET), { baseUrl }),
  "Auth.layerBrowserKey": (baseUrl) => Auth.layerBrowserKey(Redacted.make(SECRET), { baseUrl }),
  "Auth.layerBearer": (baseUrl) => Auth.layerBearer(Redacted.make(SECRET), { baseUrl }),
  "Auth.layerBearerFrom": (baseUrl) => Auth.layerBearerFrom(Effect.succeed(Redacted.make(SECRET)), { baseUrl }),
  "Auth.layerConfig": (baseUrl) =>
    Auth.layerConfig.pipe(Layer.provide(env({ ULTRACART_SIMPLE_KEY: SECRET, ULTRACART_BASE_URL: baseUrl }))),
  "AuthenticatedClient.layer": (baseUrl) => managed(baseUrl)
}

/** `AuthenticatedClient.layer` over a token manager holding a grant. */
function managed(baseUrl: string) {
  const server = new ScriptedServer()
  return AuthenticatedClient.layer({ baseUrl }).pipe(
    Layer.provideMerge(TokenManager.layer({ key: "m" })),
    Layer.provideMerge(Layer.merge(TokenStore.layerMemory, server.layer())),
    Layer.tap((context) => Context.get(context, TokenManager.TokenManager).save(server.initial()))
  )
}

const get = (url: string) => Effect.flatMap(Auth.UltraCartHttpClient, (api) => api.get(url))

const credentialHeaders = (headers: Readonly<Record<string, unknown>>) =>
  Object.keys(headers).filter((name) => Credentials.SECRET_HEADERS.includes(name))

describe("two real servers on loopback: the credential reaches only the base URL's", () => {
  for (const [name, client] of Object.entries(clients)) {
    it.scopedLive(`${name}: another origin is refused and reached by nothing`, () =>
      Effect.gen(function* () {
        const home = yield* Loopback.make
        const other = yield* Loopback.make
        const baseUrl = `${home.origin}/rest/v2`
        const layer = client(baseUrl)
        yield* Effect.gen(function* () {
          const refused = yield* Effect.flip(get(`${other.origin}/rest/v2/order/orders`))
          expect(refused).toBeInstanceOf(Auth.UrlRefused)
          expect(refused).toMatchObject({ reason: "ForeignOrigin", origin: other.origin, allowedOrigin: home.origin })
          expect(String(refused)).toContain("no request was sent")
          const insecure = yield* Effect.flip(get("http://api.other-host.test/rest/v2/order/orders"))
          expect(insecure).toMatchObject({ _tag: "UrlRefused", reason: "InsecureHttp" })
          // The base URL's origin still gets its calls, by path and by absolute URL.
          expect((yield* get("/order/orders")).status).toBe(200)
          expect((yield* get(`${baseUrl}/item/items`)).status).toBe(200)
        }).pipe(Effect.provide(layer.pipe(Layer.provide(FetchTransport.layer()))))
        expect(other.received).toEqual([])
        expect(home.received.map((r) => r.path)).toEqual(["/rest/v2/order/orders", "/rest/v2/item/items"])
        for (const received of home.received) expect(credentialHeaders(received.headers)).toHaveLength(1)
      })
    )
  }
})

describe("URLs off the base URL's origin (recording client)", () => {
  const over = (layer: Layer.Layer<Auth.UltraCartHttpClient, unknown, HttpClient.HttpClient>) =>
    Layer.provideMerge(Layer.orDie(layer), Mock.layer)
  const sent = Effect.flatMap(Mock.MockServer, (m) => m.requests)

  const refusals = [
    {
      url: "https://elsewhere.example/rest/v2/order/orders",
      reason: "ForeignOrigin",
      origin: "https://elsewhere.example"
    },
    // The same host without TLS.
    {
      url: "http://secure.ultracart.com/rest/v2/order/orders",
      reason: "InsecureHttp",
      origin: "http://secure.ultracart.com"
    },
    {
      url: "https://secure.ultracart.com:8443/rest/v2/x",
      reason: "ForeignOrigin",
      origin: "https://secure.ultracart.com:8443"
    },
    {
      url: "https://secure.ultracart.com.evil.example/rest/v2/x",
      reason: "ForeignOrigin",
      origin: "https://secure.ultracart.com.evil.example"
    },
    { url: "ftp://secure.ultracart.com/x", reason: "ForeignOrigin", origin: "ftp://secure.ultracart.com" },
    // A URL without an origin is named by its scheme.
    { url: "data:text/plain,secure.ultracart.com", reason: "ForeignOrigin", origin: "data:" },
    { url: "order/orders", reason: "NotAbsolute", origin: undefined }
  ] as const

  for (const { origin, reason, url } of refusals) {
    it.effect(`${url}: ${reason}, the credential is never read and nothing is sent`, () =>
      Effect.gen(function* () {
        const reads = yield* Ref.make(0)
        const token = Effect.as(
          Ref.update(reads, (n) => n + 1),
          Redacted.make(SECRET)
        )
        const [error, requests] = yield* Effect.all([Effect.flip(get(url)), sent]).pipe(
          Effect.provide(over(Auth.layerBearerFrom(token)))
        )
        expect(error).toMatchObject({ _tag: "UrlRefused", reason, allowedOrigin: "https://secure.ultracart.com" })
        expect(error._tag === "UrlRefused" && error.origin).toBe(origin)
        // The message names the origin, never the path or a query.
        expect(String(error)).not.toContain("/rest/v2")
        expect(yield* Ref.get(reads)).toBe(0)
        expect(requests).toEqual([])
      })
    )
  }

  it.effect("the simple key is not sent to another host (the case of issue 14)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(get("http://other-host/steal"))
      expect(error._tag).toBe("UrlRefused")
      expect(yield* sent).toEqual([])
    }).pipe(Effect.provide(over(Auth.layerSimpleKey(Redacted.make(SECRET)))))
  )

  it.effect("a path, even one starting with //, stays on the base URL", () =>
    Effect.gen(function* () {
      yield* Effect.flatMap(Mock.MockServer, (m) => m.script(Mock.respond(200), Mock.respond(200)))
      yield* get("//elsewhere.example/x")
      yield* get("HTTPS://SECURE.ULTRACART.COM/rest/v2/y")
      const urls = (yield* sent).map((r) => new URL(r.url))
      expect(urls.map((u) => u.origin)).toEqual(["https://secure.ultracart.com", "https://secure.ultracart.com"])
      expect(urls.map((u) => u.pathname)).toEqual(["/rest/v2//elsewhere.example/x", "/rest/v2/y"])
    }).pipe(Effect.provide(over(Auth.layerSimpleKey(Redacted.make(SECRET)))))
  )
})

describe("a redirect to another origin is handed back, not followed with the key", () => {
  const transports = {
    "FetchHttpClient.layer (follows redirects on its own)": FetchHttpClient.layer,
    "FetchTransport.layer({ requestInit: { redirect: 'follow' } })": FetchTransport.layer({
      requestInit: { redirect: "follow" }
    }),
    "FetchTransport.layer()": FetchTransport.layer(),
    "NodeTransport.layer() (undici)": NodeTransport.layer(),
    "NodeTransport.layerNodeHttp()": NodeTransport.layerNodeHttp()
  }
  for (const [name, transport] of Object.entries(transports)) {
    it.scopedLive(name, () =>
      Effect.gen(function* () {
        const other = yield* Loopback.make
        const home = yield* Loopback.makeWith({ status: 302, headers: { location: `${other.origin}/steal` } })
        const baseUrl = `${home.origin}/rest/v2`
        for (const layer of [
          Auth.layerSimpleKey(Redacted.make(SECRET), { baseUrl }),
          Auth.layerBrowserKey(Redacted.make(SECRET), { baseUrl })
        ]) {
          const response = yield* get("/order/orders").pipe(Effect.provide(layer.pipe(Layer.provide(transport))))
          expect(response.status).toBe(302)
        }
        expect(home.received).toHaveLength(2)
        expect(other.received).toEqual([])
      })
    )
  }
})

describe("a transport of this package follows no redirect on any route an API call takes", () => {
  const following = () => FetchTransport.layer({ requestInit: { redirect: "follow" } })
  /** An undici agent whose dispatcher follows redirects (undici's own interceptor). */
  const redirecting = () =>
    NodeTransport.layer({
      dispatcher: new Undici.Agent().compose(Undici.interceptors.redirect({ maxRedirections: 3 }))
    })
  const production = (transport: Layer.Layer<HttpClient.HttpClient>) =>
    Retry.layerHttpClient().pipe(Layer.provide(Timeouts.layerHttpClient()), Layer.provide(transport))
  const transports: Record<string, () => Layer.Layer<HttpClient.HttpClient>> = {
    "FetchTransport told to follow": following,
    "FetchTransport told to follow, under Retry and Timeouts": () => production(following()),
    "NodeTransport with a redirecting dispatcher": redirecting,
    "NodeTransport with a redirecting dispatcher, under Retry and Timeouts": () => production(redirecting())
  }
  for (const [name, transport] of Object.entries(transports)) {
    // In a span, a transport sends through the platform's client (its fallback route), not its own.
    for (const [route, call] of [
      ["its own route", get],
      ["the platform's route (in a span)", (url: string) => Effect.withSpan(get(url), "call")]
    ] as const) {
      it.scopedLive(`${name}, ${route}: the 302 is the answer`, () =>
        Effect.gen(function* () {
          const other = yield* Loopback.make
          const home = yield* Loopback.makeWith({ status: 302, headers: { location: `${other.origin}/steal` } })
          const baseUrl = `${home.origin}/rest/v2`
          for (const layer of [Auth.layerSimpleKey(Redacted.make(SECRET), { baseUrl }), managed(baseUrl)]) {
            const response = yield* call("/order/orders").pipe(Effect.provide(layer.pipe(Layer.provide(transport()))))
            expect(response.status).toBe(302)
          }
          expect(home.received).toHaveLength(2)
          expect(other.received).toEqual([])
        })
      )
    }
  }
})
