/**
 * What goes on the wire: method, URL, headers and the exact form body of every endpoint.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { OAuthClient } from "../src/index.js"
import {
  browserKey,
  client,
  CLIENT_ID,
  clientLayer,
  fail,
  options,
  REDIRECT_URI,
  secrets,
  secretValues,
  simpleKey,
  tokenBody
} from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const TOKEN_URL = "https://secure.ultracart.com/rest/v2/oauth/token"
const okToken = MockHttp.json(200, tokenBody)
const deviceBody = {
  device_code: secretValues.deviceCode,
  user_code: "WDJB-MJHT",
  verification_uri: "https://secure.ultracart.com/device",
  expires_in: 900
}

const formHeaders = (body: string, extra: Record<string, string> = {}) => ({
  accept: "application/json",
  "x-ultracart-api-version": "2017-03-01",
  "content-type": "application/x-www-form-urlencoded",
  "content-length": String(new TextEncoder().encode(body).length),
  ...extra
})

describe("POST /oauth/token", () => {
  it.effect("authorization_code sends client_id, grant_type, code and redirect_uri, and nothing else", () =>
    Effect.gen(function* () {
      yield* (yield* client).exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI })
      const request = yield* MockHttp.onlyRequest
      expect(request.method).toBe("POST")
      expect(request.url).toBe(TOKEN_URL)
      expect(request.headers).toEqual(formHeaders(request.body))
      expect(request.form).toEqual([
        ["client_id", CLIENT_ID],
        ["grant_type", "authorization_code"],
        ["code", secretValues.code],
        ["redirect_uri", REDIRECT_URI]
      ])
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("authorization_code carries a PKCE verifier when given", () =>
    Effect.gen(function* () {
      yield* (yield* client).exchangeCode({
        code: secrets.code,
        redirectUri: REDIRECT_URI,
        codeVerifier: secrets.codeVerifier
      })
      const request = yield* MockHttp.onlyRequest
      expect(request.form).toContainEqual(["code_verifier", secretValues.codeVerifier])
      expect(request.form).toHaveLength(5)
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("refresh_token sends client_id, grant_type and refresh_token", () =>
    Effect.gen(function* () {
      yield* (yield* client).refresh({ refreshToken: secrets.refreshToken })
      const request = yield* MockHttp.onlyRequest
      expect(request.url).toBe(TOKEN_URL)
      expect(request.headers).toEqual(formHeaders(request.body))
      expect(request.form).toEqual([
        ["client_id", CLIENT_ID],
        ["grant_type", "refresh_token"],
        ["refresh_token", secretValues.refreshToken]
      ])
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("the device grant uses the RFC 8628 grant type by default", () =>
    Effect.gen(function* () {
      yield* (yield* client).exchangeDeviceCode({ deviceCode: secrets.deviceCode })
      const request = yield* MockHttp.onlyRequest
      expect(request.url).toBe(TOKEN_URL)
      expect(request.form).toEqual([
        ["client_id", CLIENT_ID],
        ["grant_type", "urn:ietf:params:oauth:grant-type:device_code"],
        ["device_code", secretValues.deviceCode]
      ])
      expect(OAuthClient.DEVICE_CODE_GRANT_TYPE).toBe("urn:ietf:params:oauth:grant-type:device_code")
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("the device grant type is configurable", () =>
    Effect.gen(function* () {
      yield* (yield* client).exchangeDeviceCode({ deviceCode: secrets.deviceCode })
      const request = yield* MockHttp.onlyRequest
      expect(request.form).toContainEqual(["grant_type", "device_code"])
    }).pipe(Effect.provide(clientLayer({ deviceGrantType: "device_code" }, okToken)))
  )

  it.effect("the general token form sends every given field, in UltraCart's names", () =>
    Effect.gen(function* () {
      yield* (yield* client).token({
        grantType: "authorization_code",
        clientId: "other-client",
        code: secrets.code,
        redirectUri: REDIRECT_URI,
        refreshToken: secrets.refreshToken,
        deviceCode: secrets.deviceCode,
        codeVerifier: secrets.codeVerifier
      })
      const request = yield* MockHttp.onlyRequest
      expect(request.form).toEqual([
        ["client_id", "other-client"],
        ["grant_type", "authorization_code"],
        ["code", secretValues.code],
        ["redirect_uri", REDIRECT_URI],
        ["refresh_token", secretValues.refreshToken],
        ["device_code", secretValues.deviceCode],
        ["code_verifier", secretValues.codeVerifier]
      ])
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("empty and absent optional fields never appear in the body", () =>
    Effect.gen(function* () {
      yield* (yield* client).token({
        grantType: "refresh_token",
        code: Redacted.make(""),
        redirectUri: "",
        refreshToken: secrets.refreshToken,
        deviceCode: undefined
      })
      const request = yield* MockHttp.onlyRequest
      expect(request.body).toBe(
        `client_id=${CLIENT_ID}&grant_type=refresh_token&refresh_token=${secretValues.refreshToken}`
      )
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("special characters are form-encoded and decode back to the same values", () =>
    Effect.gen(function* () {
      const code = "a b+c&d=e/f?g%h#i ü 😀"
      const redirectUri = "https://app.example/cb?next=/a b&x=1+2"
      yield* (yield* client).exchangeCode({ code: Redacted.make(code), redirectUri })
      const request = yield* MockHttp.onlyRequest
      expect(new URLSearchParams(request.body).get("code")).toBe(code)
      expect(new URLSearchParams(request.body).get("redirect_uri")).toBe(redirectUri)
      // No raw separator survives inside a value.
      expect(request.body.split("&")).toHaveLength(4)
      expect(request.body).toContain("code=a+b%2Bc%26d%3De%2Ff%3Fg%25h%23i+%C3%BC+%F0%9F%98%80&")
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )
})

describe("POST /oauth/revoke and /oauth/device/authorize", () => {
  it.effect("revoke sends client_id and token", () =>
    Effect.gen(function* () {
      yield* (yield* client).revoke({ token: secrets.accessToken })
      const request = yield* MockHttp.onlyRequest
      expect(request.method).toBe("POST")
      expect(request.url).toBe("https://secure.ultracart.com/rest/v2/oauth/revoke")
      expect(request.headers).toEqual(formHeaders(request.body))
      expect(request.form).toEqual([
        ["client_id", CLIENT_ID],
        ["token", secretValues.accessToken]
      ])
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, { successful: true }))))
  )

  it.effect("device authorize sends client_id and scope", () =>
    Effect.gen(function* () {
      yield* (yield* client).authorizeDevice({ scope: "ultraship" })
      const request = yield* MockHttp.onlyRequest
      expect(request.method).toBe("POST")
      expect(request.url).toBe("https://secure.ultracart.com/rest/v2/oauth/device/authorize")
      expect(request.headers).toEqual(formHeaders(request.body))
      expect(request.form).toEqual([
        ["client_id", CLIENT_ID],
        ["scope", "ultraship"]
      ])
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, deviceBody))))
  )
})

describe("GET /oauth/me", () => {
  it.effect("sends the bearer token with its prefix, no body and no API key", () =>
    Effect.gen(function* () {
      yield* (yield* client).me({ accessToken: secrets.accessToken })
      const request = yield* MockHttp.onlyRequest
      expect(request.method).toBe("GET")
      expect(request.url).toBe("https://secure.ultracart.com/rest/v2/oauth/me")
      expect(request.headers).toEqual({
        accept: "application/json",
        "x-ultracart-api-version": "2017-03-01",
        authorization: `Bearer ${secretValues.accessToken}`
      })
      expect(request.body).toBe("")
    }).pipe(Effect.provide(clientLayer({ credentials: simpleKey }, MockHttp.json(200, { merchant_id: "DEMO" }))))
  )
})

describe("headers", () => {
  const everyEndpoint = Effect.gen(function* () {
    const oauth = yield* client
    yield* oauth.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI }).pipe(Effect.ignore)
    yield* oauth.refresh({ refreshToken: secrets.refreshToken }).pipe(Effect.ignore)
    yield* oauth.exchangeDeviceCode({ deviceCode: secrets.deviceCode }).pipe(Effect.ignore)
    yield* oauth.revoke({ token: secrets.refreshToken }).pipe(Effect.ignore)
    yield* oauth.authorizeDevice({ scope: "crm" }).pipe(Effect.ignore)
    yield* oauth.me({ accessToken: secrets.accessToken }).pipe(Effect.ignore)
    return yield* MockHttp.requests
  })

  it.effect("the API version can be overridden, on every endpoint", () =>
    Effect.gen(function* () {
      const requests = yield* everyEndpoint
      expect(requests).toHaveLength(6)
      for (const request of requests) expect(request.headers["x-ultracart-api-version"]).toBe("2026-03-01")
    }).pipe(Effect.provide(clientLayer({ apiVersion: "2026-03-01" }, okToken)))
  )

  const keyHeaders = [
    {
      credentials: simpleKey,
      header: "x-ultracart-simple-key",
      other: "x-ultracart-browser-key",
      value: secretValues.simpleKey
    },
    {
      credentials: browserKey,
      header: "x-ultracart-browser-key",
      other: "x-ultracart-simple-key",
      value: secretValues.browserKey
    }
  ]
  for (const { credentials, header, other, value } of keyHeaders) {
    it.effect(`a ${credentials._tag} goes in ${header} on the POST endpoints, the only key header`, () =>
      Effect.gen(function* () {
        const posts = (yield* everyEndpoint).filter((r) => r.method === "POST")
        expect(posts).toHaveLength(5)
        for (const request of posts) {
          expect(request.headers[header]).toBe(value)
          expect(request.headers).not.toHaveProperty(other)
          expect(request.headers).not.toHaveProperty("authorization")
        }
      }).pipe(Effect.provide(clientLayer({ credentials }, okToken)))
    )
  }

  it.effect("no key header is sent when no credentials are configured", () =>
    Effect.gen(function* () {
      for (const request of yield* everyEndpoint) {
        expect(
          Object.keys(request.headers).filter((h) => h.startsWith("x-ultracart-") && h !== "x-ultracart-api-version")
        ).toEqual([])
      }
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("a loopback http base URL is used as given, without its trailing slash", () =>
    Effect.gen(function* () {
      const oauth = yield* client
      expect(oauth.baseUrl).toBe("http://127.0.0.1:8080/rest/v2")
      yield* oauth.refresh({ refreshToken: secrets.refreshToken })
      expect((yield* MockHttp.onlyRequest).url).toBe("http://127.0.0.1:8080/rest/v2/oauth/token")
    }).pipe(Effect.provide(clientLayer({ baseUrl: "http://127.0.0.1:8080/rest/v2/" }, okToken)))
  )

  it.effect("trace context is not propagated to UltraCart, even inside a span", () =>
    Effect.gen(function* () {
      const requests = yield* Effect.withSpan(everyEndpoint, "caller")
      expect(requests).toHaveLength(6)
      for (const request of requests) {
        expect(request.headers).not.toHaveProperty("traceparent")
        expect(request.headers).not.toHaveProperty("b3")
      }
    }).pipe(Effect.provide(clientLayer({}, okToken)))
  )

  it.effect("transformClient is applied, and can opt back into trace propagation", () =>
    Effect.gen(function* () {
      yield* Effect.withSpan((yield* client).refresh({ refreshToken: secrets.refreshToken }), "caller")
      const request = yield* MockHttp.onlyRequest
      expect(request.headers["x-proxy-tag"]).toBe("blue")
      expect(request.headers["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    }).pipe(
      Effect.provide(
        clientLayer(
          {
            transformClient: (http) =>
              http.pipe(
                HttpClient.mapRequest(HttpClientRequest.setHeader("x-proxy-tag", "blue")),
                HttpClient.withTracerPropagation(true)
              )
          },
          okToken
        )
      )
    )
  )
})

describe("the Fetch transport", () => {
  /** FetchHttpClient over a fake `fetch` that records the `RequestInit` it is called with. */
  const fetchClient = (reply: () => Response, layerInit: RequestInit | undefined) => {
    const inits: Array<RequestInit> = []
    const fetch = (_input: string | URL | Request, init?: RequestInit) => {
      inits.push(init ?? {})
      return Promise.resolve(reply())
    }
    const context = Layer.mergeAll(
      Layer.succeed(FetchHttpClient.Fetch, fetch as typeof globalThis.fetch),
      layerInit === undefined ? Layer.empty : Layer.succeed(FetchHttpClient.RequestInit, layerInit)
    )
    const layer = OAuthClient.layer(options()).pipe(Layer.provide(FetchHttpClient.layer.pipe(Layer.provide(context))))
    return { inits, layer }
  }
  const tokenResponse = () =>
    new Response(JSON.stringify(tokenBody), { status: 200, headers: { "content-type": "application/json" } })

  it.effect("redirects are not followed, and a RequestInit given to FetchHttpClient.layer is kept", () => {
    const { inits, layer } = fetchClient(tokenResponse, { keepalive: true, redirect: "follow" })
    return Effect.gen(function* () {
      yield* (yield* client).refresh({ refreshToken: secrets.refreshToken })
      expect(inits).toHaveLength(1)
      expect(inits[0]).toMatchObject({ keepalive: true, redirect: "manual", method: "POST" })
      // The RequestInit core sets does not leak into the caller's context.
      expect(Option.isNone(yield* Effect.serviceOption(FetchHttpClient.RequestInit))).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a RequestInit provided by the caller is kept too", () => {
    const { inits, layer } = fetchClient(tokenResponse, undefined)
    return Effect.gen(function* () {
      yield* (yield* client)
        .refresh({ refreshToken: secrets.refreshToken })
        .pipe(Effect.provideService(FetchHttpClient.RequestInit, { credentials: "include" }))
      expect(inits[0]).toMatchObject({ credentials: "include", redirect: "manual" })
      const init = yield* Effect.serviceOption(FetchHttpClient.RequestInit)
      expect(Option.isNone(init)).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a redirect answer is an UnexpectedRedirect, and its location is never requested", () => {
    const { inits, layer } = fetchClient(
      () => new Response(null, { status: 307, headers: { location: "https://elsewhere.example/steal" } }),
      undefined
    )
    return Effect.gen(function* () {
      const error = yield* fail((yield* client).exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI }))
      expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status: 307, endpoint: "token" })
      expect(inits).toHaveLength(1)
    }).pipe(Effect.provide(layer))
  })
})
