/**
 * One configuration everywhere: the API clients read `ULTRACART_BASE_URL` / `ULTRACART_API_VERSION` as core's
 * `OAuthClient.layerConfig` does, and accept and normalize a base URL by the same rules.
 */
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Credentials, OAuthClient } from "@ultracart-oauth/core"
import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import * as Auth from "../src/Auth.js"
import * as AuthenticatedClient from "../src/AuthenticatedClient.js"
import * as TokenManager from "../src/TokenManager.js"
import * as TokenStore from "../src/TokenStore.js"
import * as Mock from "./utils/MockHttpClient.js"

const provider = (vars: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(vars)))
const env = (vars: Record<string, string>) => Layer.setConfigProvider(provider(vars))

describe("with ULTRACART_BASE_URL set, the code exchange and the API calls go to the same server", () => {
  /** What went out: each request's origin, and whether it carried a bearer token. */
  const sent: Array<{ readonly origin: string; readonly bearer: boolean }> = []
  const recording = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      // A transform sees the request as it goes out (a `tapRequest` here would see it before the outer steps).
      HttpClient.transform(client, (response, request) =>
        Effect.zipRight(
          Effect.sync(() => {
            sent.push({ origin: new URL(request.url).origin, bearer: request.headers["authorization"] !== undefined })
          }),
          response
        )
      )
    )
  )

  const apiLayers = {
    "AuthenticatedClient.layer()": AuthenticatedClient.layer(),
    "AuthenticatedClient.layerConfig()": AuthenticatedClient.layerConfig(),
    "AuthenticatedClient.layerConfig(OAuthClient.config)": AuthenticatedClient.layerConfig(OAuthClient.config),
    "Auth.layerBearerFrom(manager.accessToken)": Auth.layerBearerFrom(
      Effect.flatMap(TokenManager.TokenManager, (manager) => manager.accessToken)
    )
  }

  for (const [name, api] of Object.entries(apiLayers)) {
    it.effect(name, () => {
      sent.length = 0
      const stack = api.pipe(
        Layer.provideMerge(TokenManager.layer({ key: "merchant" })),
        Layer.provideMerge(Layer.merge(TokenStore.layerMemory, OAuthClient.layerConfig())),
        Layer.provideMerge(recording),
        Layer.provideMerge(FakeUltraCart.layer()),
        Layer.provide(
          env({
            ULTRACART_CLIENT_ID: FakeUltraCart.DEFAULT_CLIENT.clientId,
            ULTRACART_BASE_URL: FakeUltraCart.DEFAULT_BASE_URL
          })
        )
      )
      return Effect.gen(function* () {
        const oauth = yield* OAuthClient.OAuthClient
        const fake = yield* FakeUltraCart.FakeUltraCart
        const manager = yield* TokenManager.TokenManager
        const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? ""
        const { state, url } = yield* oauth.authorizationUrl({ redirectUri })
        const code = yield* oauth.parseCallback(yield* fake.approve(url), state)
        yield* manager.login(oauth.exchangeCode({ code, redirectUri }))
        const response = yield* Effect.flatMap(Auth.UltraCartHttpClient, (client) => client.get("/oauth/me"))
        expect(response.status).toBe(200)
        const fakeOrigin = new URL(FakeUltraCart.DEFAULT_BASE_URL).origin
        expect(sent.filter((r) => r.bearer)).toEqual([{ origin: fakeOrigin, bearer: true }])
        expect(sent.every((r) => r.origin === fakeOrigin)).toBe(true)
      }).pipe(Effect.provide(Layer.orDie(stack)))
    })
  }
})

describe("the Auth Layers read what their options leave out from configuration", () => {
  const sandbox = env({ ULTRACART_BASE_URL: "https://sandbox.example/rest/v2/", ULTRACART_API_VERSION: "2020-01-01" })
  const key = Redacted.make("k")
  const layers = {
    layerSimpleKey: (options?: Auth.AuthOptions) => Auth.layerSimpleKey(key, options),
    layerBrowserKey: (options?: Auth.AuthOptions) => Auth.layerBrowserKey(key, options),
    layerBearer: (options?: Auth.AuthOptions) => Auth.layerBearer(key, options),
    layerBearerFrom: (options?: Auth.AuthOptions) => Auth.layerBearerFrom(Effect.succeed(key), options)
  }
  const call = (layer: Layer.Layer<Auth.UltraCartHttpClient, unknown, HttpClient.HttpClient>) =>
    Effect.gen(function* () {
      yield* Effect.flatMap(Mock.MockServer, (m) => m.script(Mock.respond(200)))
      yield* Effect.flatMap(Auth.UltraCartHttpClient, (client) => client.get("/order/orders"))
      const sent = yield* Effect.flatMap(Mock.MockServer, (m) => m.requests)
      return sent.map((r) => ({ url: r.url, version: r.headers["x-ultracart-api-version"] }))
    }).pipe(Effect.provide(Layer.provideMerge(Layer.orDie(layer), Mock.layer)), Effect.provide(sandbox))

  for (const [name, make] of Object.entries(layers)) {
    it.effect(`${name}: ULTRACART_BASE_URL and ULTRACART_API_VERSION unless the options say otherwise`, () =>
      Effect.gen(function* () {
        expect(yield* call(make())).toEqual([
          { url: "https://sandbox.example/rest/v2/order/orders", version: "2020-01-01" }
        ])
        expect(yield* call(make({ baseUrl: "https://other.example/v2" }))).toEqual([
          { url: "https://other.example/v2/order/orders", version: "2020-01-01" }
        ])
      })
    )
  }

  it.effect("a malformed ULTRACART_BASE_URL fails the Layer when it is built", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(Layer.provideMerge(Auth.layerSimpleKey(key), Mock.layer)).pipe(
          Effect.provide(env({ ULTRACART_BASE_URL: "http://plain.example/rest/v2" }))
        )
      )
      expect(String(error)).toMatch(/must be https/)
    }).pipe(Effect.scoped)
  )
})

describe("the same reading and the same rules as core's OAuth client", () => {
  const read = <A>(config: Effect.Effect<A, unknown>, vars: Record<string, string>) =>
    Effect.either(Effect.withConfigProvider(config, provider(vars)))

  const environments: ReadonlyArray<Record<string, string>> = [
    {},
    { ULTRACART_BASE_URL: "https://sandbox.example/rest/v2", ULTRACART_API_VERSION: "2020-01-01" },
    { ULTRACART_BASE_URL: "http://127.0.0.1:9000/" },
    { ULTRACART_BASE_URL: "" },
    { ULTRACART_API_VERSION: "" }
  ]
  for (const vars of environments) {
    it.effect(`Auth.optionsConfig reads ${JSON.stringify(vars)} as OAuthClient.config does`, () =>
      Effect.gen(function* () {
        const api = yield* read(Auth.optionsConfig, vars)
        const oauth = yield* read(OAuthClient.config, { ...vars, ULTRACART_CLIENT_ID: "c" })
        expect(api._tag).toBe(oauth._tag)
        if (Either.isRight(api) && Either.isRight(oauth)) {
          expect([api.right.baseUrl, api.right.apiVersion]).toEqual([oauth.right.baseUrl, oauth.right.apiVersion])
        }
      })
    )
  }

  const baseUrls = [
    "https://secure.ultracart.com/rest/v2",
    "https://secure.ultracart.com/rest/v2//",
    "https://x.example",
    "HTTPS://X.EXAMPLE:443/a",
    "http://127.0.0.1:8080/rest/v2",
    "http://127.1.2.3/rest",
    "http://localhost:9/x",
    "http://[::1]:9/x",
    "http://api.example/rest/v2",
    "http://127.0.0.1.evil.example/",
    "https://x.example/?a=1",
    "https://x.example/#f",
    "https://u:p@x.example/",
    "ftp://x.example/",
    "not a url",
    ""
  ]
  for (const baseUrl of baseUrls) {
    it.effect(`base URL ${JSON.stringify(baseUrl)}: accepted and normalized exactly when core's client takes it`, () =>
      Effect.gen(function* () {
        const oauth = yield* Effect.either(OAuthClient.make({ clientId: "c", baseUrl }))
        const transform = Auth.transformClient(Credentials.simpleKey(Redacted.make("k")), { baseUrl })
        expect(transform._tag).toBe(oauth._tag)
        if (Either.isRight(transform) && Either.isRight(oauth)) {
          yield* Effect.flatMap(Mock.MockServer, (m) => m.script(Mock.respond(200)))
          yield* transform.right(yield* HttpClient.HttpClient).get("/x")
          const sent = yield* Effect.flatMap(Mock.MockServer, (m) => m.requests)
          expect(sent.map((r) => r.url)).toEqual([`${oauth.right.baseUrl}/x`])
        }
      }).pipe(Effect.provide(Mock.layer))
    )
  }
})
