/**
 * Caller input is checked before any request: each mistake is a typed `InvalidInput`, and nothing is sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { OAuthClient, OAuthError } from "../src/index.js"
import { client, clientLayer, fail, options, secrets, tokenBody } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const empty = Redacted.make("")
const blank = Redacted.make("  \t")

type Call = (oauth: OAuthClient.OAuthClient.Service) => Effect.Effect<unknown, OAuthError.OAuthClientError>

describe("endpoint input", () => {
  const cases: ReadonlyArray<[name: string, call: Call, field: string, reason: string]> = [
    [
      "an empty code",
      (o) => o.exchangeCode({ code: empty, redirectUri: "https://app.example/cb" }),
      "code",
      "is empty"
    ],
    ["a blank code", (o) => o.exchangeCode({ code: blank, redirectUri: "https://app.example/cb" }), "code", "is empty"],
    [
      "an empty redirect URI",
      (o) => o.exchangeCode({ code: secrets.code, redirectUri: "" }),
      "redirectUri",
      "is empty"
    ],
    [
      "a relative redirect URI",
      (o) => o.exchangeCode({ code: secrets.code, redirectUri: "/oauth/callback" }),
      "redirectUri",
      "is not an absolute URL"
    ],
    [
      "a redirect URI with a fragment",
      (o) => o.exchangeCode({ code: secrets.code, redirectUri: "https://app.example/cb#done" }),
      "redirectUri",
      "must not carry a fragment"
    ],
    [
      "a redirect URI with surrounding whitespace",
      (o) => o.exchangeCode({ code: secrets.code, redirectUri: `${"https://app.example/cb"} ` }),
      "redirectUri",
      "has surrounding whitespace"
    ],
    ["an empty refresh token", (o) => o.refresh({ refreshToken: empty }), "refreshToken", "is empty"],
    ["a blank refresh token", (o) => o.refresh({ refreshToken: blank }), "refreshToken", "is empty"],
    ["an empty device code", (o) => o.exchangeDeviceCode({ deviceCode: empty }), "deviceCode", "is empty"],
    ["an empty token to revoke", (o) => o.revoke({ token: empty }), "token", "is empty"],
    ["an empty scope", (o) => o.authorizeDevice({ scope: "" }), "scope", "is empty"],
    ["a blank scope", (o) => o.authorizeDevice({ scope: " " }), "scope", "is empty"],
    ["an empty access token for me", (o) => o.me({ accessToken: empty }), "accessToken", "is empty"],
    ["an empty grant type", (o) => o.token({ grantType: "" }), "grantType", "is empty"],
    [
      "an empty client id override",
      (o) => o.token({ grantType: "refresh_token", clientId: "" }),
      "clientId",
      "is empty"
    ]
  ]

  for (const [name, call, field, reason] of cases) {
    it.effect(`${name} is InvalidInput(${field}) and sends nothing`, () =>
      Effect.gen(function* () {
        const error = yield* fail(Effect.flatMap(client, call))
        expect(error).toEqual(new OAuthError.InvalidInput({ field, reason }))
        expect(yield* MockHttp.requests).toEqual([])
      }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, tokenBody))))
    )
  }
})

describe("client options", () => {
  const refused: ReadonlyArray<[name: string, overrides: Partial<OAuthClient.OAuthClientOptions>, field: string]> = [
    ["an empty client id", { clientId: "" }, "clientId"],
    ["a blank client id", { clientId: "   " }, "clientId"],
    ["plain http on a public host", { baseUrl: "http://secure.ultracart.com/rest/v2" }, "baseUrl"],
    ["plain http on a private, non-loopback address", { baseUrl: "http://10.0.0.5/rest/v2" }, "baseUrl"],
    ["a host that only starts like loopback", { baseUrl: "http://localhost.attacker.example/rest/v2" }, "baseUrl"],
    ["another scheme", { baseUrl: "ftp://secure.ultracart.com/rest/v2" }, "baseUrl"],
    ["a relative base URL", { baseUrl: "/rest/v2" }, "baseUrl"],
    ["a base URL with a query", { baseUrl: "https://secure.ultracart.com/rest/v2?x=1" }, "baseUrl"],
    ["a base URL with user info", { baseUrl: "https://user:pw@secure.ultracart.com/rest/v2" }, "baseUrl"],
    ["an empty API version", { apiVersion: " " }, "apiVersion"]
  ]

  for (const [name, overrides, field] of refused) {
    it.effect(`${name} is InvalidInput(${field}) when the client is made, and nothing is sent`, () =>
      Effect.gen(function* () {
        const error = yield* fail(OAuthClient.make(options(overrides)))
        expect(error).toBeInstanceOf(OAuthError.InvalidInput)
        expect(error.field).toBe(field)
        expect(yield* MockHttp.requests).toEqual([])
      }).pipe(Effect.provide(MockHttp.layer()))
    )
  }

  it.effect("the layer fails the same way", () =>
    Effect.gen(function* () {
      const error = yield* fail(Effect.provide(client, OAuthClient.layer(options({ baseUrl: "http://example.com" }))))
      expect(error).toMatchObject({ _tag: "InvalidInput", field: "baseUrl" })
    }).pipe(Effect.provide(MockHttp.layer()))
  )

  const accepted = [
    ["http on 127.0.0.1", { baseUrl: "http://127.0.0.1:4010/rest/v2" }, "http://127.0.0.1:4010/rest/v2"],
    ["http on localhost", { baseUrl: "http://localhost:4010" }, "http://localhost:4010"],
    ["http on [::1]", { baseUrl: "http://[::1]:4010/rest/v2/" }, "http://[::1]:4010/rest/v2"],
    [
      "http anywhere when explicitly allowed",
      {
        baseUrl: "http://ultracart.internal/rest/v2",
        allowInsecureHttp: true
      },
      "http://ultracart.internal/rest/v2"
    ],
    ["the default", {}, "https://secure.ultracart.com/rest/v2"]
  ] as const

  for (const [name, overrides, baseUrl] of accepted) {
    it.effect(`${name} is accepted`, () =>
      Effect.gen(function* () {
        const oauth = yield* OAuthClient.make(options(overrides))
        expect(oauth.baseUrl).toBe(baseUrl)
        expect(oauth.clientId).toBe("app-client-7")
      }).pipe(Effect.provide(MockHttp.layer()))
    )
  }
})
