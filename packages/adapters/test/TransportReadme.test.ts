/**
 * The README's composition of core + credentials + retry + deadlines + a transport, compiled here (so it
 * type-checks) and run against the fake UltraCart on loopback with the Fetch and the Node transport. A test
 * checks that the README still shows exactly this code.
 */
import type { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Auth, FetchTransport, Retry, Timeouts } from "@ultracart-oauth/adapters"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { OAuthClient } from "@ultracart-oauth/core"
import { Fault } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"

const compose = (Transport: Layer.Layer<HttpClient.HttpClient>) => {
  // #region compose
  // The OAuth client: a deadline on every call, retries that never replay a spent grant.
  const OAuthLive = Retry.layerConfig().pipe(
    Layer.provide(OAuthClient.layerConfig(Timeouts.oauthClientConfig)),
    Layer.provide(Transport)
  )

  // The rest of the API: credential, base URL and version from the environment; each attempt under its deadlines.
  const ApiLive = Auth.layerConfig.pipe(
    Layer.provide(Retry.layerHttpClientConfig()),
    Layer.provide(Timeouts.layerHttpClientConfig()),
    Layer.provide(Transport)
  )

  const MainLive = Layer.merge(OAuthLive, ApiLive)
  // #endregion
  return MainLive
}

// #region program
const program = (refreshToken: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const oauth = yield* OAuthClient.OAuthClient
    const tokens = yield* oauth.refresh({ refreshToken })
    const api = yield* Auth.UltraCartHttpClient
    const response = yield* api.get("/order/orders")
    return { tokens, status: response.status }
  })
// #endregion

const CLIENT_ID = "readme-app"
const SIMPLE_KEY = "readme-simple-key"

const runAgainstFake = (Transport: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCartServer.make({
      clients: [
        {
          clientId: CLIENT_ID,
          redirectUris: ["https://app.example.test/cb"],
          simpleKey: SIMPLE_KEY,
          permissions: ["order_read"]
        }
      ]
    })
    const grant = yield* fake.issueTokens({ clientId: CLIENT_ID })
    // The refresh meets one 429 with Retry-After: the retry Layer waits and sends it again.
    yield* fake.injectFault(Fault.rateLimited({ retryAfter: 0 }), { endpoint: "token", times: 1 })
    const env = ConfigProvider.fromMap(
      new Map([
        ["ULTRACART_CLIENT_ID", CLIENT_ID],
        ["ULTRACART_BASE_URL", fake.baseUrl],
        ["ULTRACART_SIMPLE_KEY", SIMPLE_KEY],
        ["ULTRACART_RETRY_BASE_DELAY", "1 millis"]
      ])
    )
    const result = yield* program(grant.refreshToken).pipe(
      Effect.provide(compose(Transport)),
      Effect.withConfigProvider(env)
    )
    const requests = yield* fake.requests
    return { result, requests }
  })

describe("the README composition", () => {
  const transports = [
    { name: "Fetch", transport: FetchTransport.layer() },
    { name: "Node (undici)", transport: NodeTransport.layer() }
  ]
  for (const { name, transport } of transports) {
    it.scopedLive(`runs over the ${name} transport`, () =>
      Effect.gen(function* () {
        const { requests, result } = yield* runAgainstFake(transport)
        expect(Redacted.value(result.tokens.accessToken)).not.toBe("")
        const tokenCalls = requests.filter((r) => r.endpoint === "token")
        expect(tokenCalls.map((r) => r.status)).toEqual([429, 200])
        const apiCall = requests.find((r) => r.path.endsWith("/order/orders"))
        expect(apiCall?.headers["x-ultracart-simple-key"]).toBe(SIMPLE_KEY)
        expect(apiCall?.headers["x-ultracart-api-version"]).toBe(OAuthClient.DEFAULT_API_VERSION)
        // The fake answers UltraCart's order list for a registered simple key with order_read.
        expect(result.status).toBe(200)
      })
    )
  }

  it("is what the README shows", () => {
    const self = readFileSync(new URL(import.meta.url), "utf8")
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8").replace(/\r\n/g, "\n")
    for (const region of ["compose", "program"]) {
      const body = self.split(`// #region ${region}\n`)[1]!.split(`// #endregion`)[0]!
      const lines = body.split("\n").filter((line) => line.trim() !== "")
      const indent = Math.min(...lines.map((line) => line.length - line.trimStart().length))
      const code = body
        .split("\n")
        .map((line) => line.slice(indent))
        .join("\n")
        .trimEnd()
      expect(readme).toContain(code)
    }
  })
})
