import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ConfigError, Effect, Layer, Metric, Redacted, Stream } from "effect"
import * as Auth from "../src/Auth.js"
import * as AuthenticatedClient from "../src/AuthenticatedClient.js"
import * as TokenManager from "../src/TokenManager.js"
import * as TokenStore from "../src/TokenStore.js"
import { ScriptedServer } from "./TokenFixtures.js"

/** A stand-in for UltraCart's API: 401 for refused tokens (or every token), 200 otherwise. */
class FakeApi {
  readonly seen: Array<{
    readonly url: string
    readonly authorization: string | undefined
    readonly version: string | undefined
  }> = []
  readonly refused = new Set<string>()
  refuseAll = false

  layer(): Layer.Layer<HttpClient.HttpClient> {
    return Layer.succeed(
      HttpClient.HttpClient,
      HttpClient.make((request, url) =>
        Effect.sync(() => {
          const authorization = request.headers["authorization"]
          this.seen.push({ url: url.toString(), authorization, version: request.headers["x-ultracart-api-version"] })
          const token = authorization?.replace(/^Bearer /, "") ?? ""
          const status = this.refuseAll || this.refused.has(token) || token === "" ? 401 : 200
          return HttpClientResponse.fromWeb(request, new Response(JSON.stringify({ ok: status === 200 }), { status }))
        })
      )
    )
  }
}

const setup = (server: ScriptedServer, api: FakeApi) =>
  AuthenticatedClient.layer({ baseUrl: "https://api.ultracart.fake.test/rest/v2" }).pipe(
    Layer.provideMerge(TokenManager.layer({ key: "m" })),
    Layer.provide(Layer.mergeAll(TokenStore.layerMemory, server.layer(), api.layer()))
  )

const scenario = (
  name: string,
  body: (
    server: ScriptedServer,
    api: FakeApi
  ) => Effect.Effect<void, unknown, Auth.UltraCartHttpClient | TokenManager.TokenManager>,
  login = true
) =>
  it.effect(name, () => {
    const server = new ScriptedServer()
    const api = new FakeApi()
    return Effect.gen(function* () {
      if (login) yield* Effect.flatMap(TokenManager.TokenManager, (m) => m.save(server.initial()))
      yield* body(server, api)
    }).pipe(Effect.provide(setup(server, api)))
  })

const get = (path: string) => Effect.flatMap(Auth.UltraCartHttpClient, (client) => client.get(path))

const bearerOf = (tokens: TokenStore.TokenSet) => `Bearer ${Redacted.value(tokens.accessToken)}`

describe("AuthenticatedClient", () => {
  scenario(
    "sends the manager's current token and UltraCart's headers, refreshing nothing while it is fresh",
    (server, api) =>
      Effect.gen(function* () {
        const current = yield* Effect.flatMap(TokenManager.TokenManager, (m) => m.tokens)
        const response = yield* get("/order/orders/1")
        expect(response.status).toBe(200)
        expect(api.seen).toEqual([
          {
            url: "https://api.ultracart.fake.test/rest/v2/order/orders/1",
            authorization: bearerOf(current),
            version: "2017-03-01"
          }
        ])
        expect(server.refreshRequests).toBe(0)
      })
  )

  scenario("a 401 for a token believed valid: one refresh, one replay with the new token", (server, api) =>
    Effect.gen(function* () {
      const manager = yield* TokenManager.TokenManager
      const before = yield* manager.tokens
      api.refused.add(Redacted.value(before.accessToken))
      const replays = Effect.map(Metric.value(AuthenticatedClient.metrics.unauthorizedReplays), (s) => s.count)
      const replaysBefore = yield* replays
      const response = yield* get("/order/orders/1")
      expect((yield* replays) - replaysBefore).toBe(1)
      expect(response.status).toBe(200)
      expect(server.refreshRequests).toBe(1)
      const after = yield* manager.tokens
      expect(after.version).toBe(2)
      expect(api.seen.map((r) => r.authorization)).toEqual([bearerOf(before), bearerOf(after)])
    })
  )

  scenario("a token refused again after the refresh: the 401 is the answer, never a loop", (server, api) =>
    Effect.gen(function* () {
      api.refuseAll = true
      const response = yield* get("/order/orders/1")
      expect(response.status).toBe(401)
      expect(server.refreshRequests).toBe(1)
      expect(api.seen).toHaveLength(2)
      // The next call starts afresh: again at most one refresh and one replay.
      yield* get("/order/orders/2")
      expect(server.refreshRequests).toBe(2)
      expect(api.seen).toHaveLength(4)
    })
  )

  scenario("many concurrent 401s for the same token cause one refresh", (server, api) =>
    Effect.gen(function* () {
      const before = yield* Effect.flatMap(TokenManager.TokenManager, (m) => m.tokens)
      api.refused.add(Redacted.value(before.accessToken))
      const responses = yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => get(`/item/items/${i}`),
        {
          concurrency: "unbounded"
        }
      )
      expect(responses.every((r) => r.status === 200)).toBe(true)
      expect(server.refreshRequests).toBe(1)
    })
  )

  scenario("a 401 for a token already replaced is replayed with the newer one, without a refresh", (server, api) =>
    Effect.gen(function* () {
      const manager = yield* TokenManager.TokenManager
      const old = yield* manager.tokens
      api.refused.add(Redacted.value(old.accessToken))
      // The request goes out with the old token; the manager moves on before the 401 is handled.
      const client = yield* Auth.UltraCartHttpClient
      const slow = HttpClientRequest.get("/order/orders/1")
      yield* manager.refresh
      expect(server.refreshRequests).toBe(1)
      const response = yield* client.execute(slow)
      expect(response.status).toBe(200)
      expect(server.refreshRequests).toBe(1)
    })
  )

  scenario("a streamed body is not replayed (it is spent), but the token is still refreshed", (server, api) =>
    Effect.gen(function* () {
      const before = yield* Effect.flatMap(TokenManager.TokenManager, (m) => m.tokens)
      api.refused.add(Redacted.value(before.accessToken))
      const client = yield* Auth.UltraCartHttpClient
      const request = HttpClientRequest.post("/order/orders").pipe(
        HttpClientRequest.bodyStream(Stream.make(new TextEncoder().encode("{}")))
      )
      const response = yield* client.execute(request)
      expect(response.status).toBe(401)
      expect(api.seen).toHaveLength(1)
      expect(server.refreshRequests).toBe(1)
    })
  )

  scenario(
    "without a grant no request is sent and the error carries ReauthorizationRequired",
    (_server, api) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(get("/order/orders/1"))
        expect(error._tag).toBe("CredentialUnavailable")
        expect(error._tag === "CredentialUnavailable" && error.cause).toBeInstanceOf(
          TokenManager.ReauthorizationRequired
        )
        expect(api.seen).toEqual([])
      }),
    false
  )

  it.effect("refuses a plain-http base URL off loopback when the Layer is built", () =>
    Effect.gen(function* () {
      const server = new ScriptedServer()
      const error = yield* Effect.flip(
        Layer.build(
          AuthenticatedClient.layer({ baseUrl: "http://api.example.com" }).pipe(
            Layer.provide(TokenManager.layer({ key: "m" })),
            Layer.provide(Layer.mergeAll(TokenStore.layerMemory, server.layer(), new FakeApi().layer()))
          )
        ).pipe(Effect.scoped)
      )
      expect(ConfigError.isConfigError(error) && error._op).toBe("InvalidData")
    })
  )
})
