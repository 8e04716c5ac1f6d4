/**
 * The fake's behaviour suite, written once and run against both forms of the fake (in memory and on a loopback
 * socket). Most checks drive the fake with core's real `OAuthClient`; the ones core cannot express (a missing
 * version header, a JSON body) use the raw `HttpClient`.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Credentials } from "@ultracart-oauth/core"
import { Chunk, Duration, Effect, Fiber, Layer, Logger, LogLevel, Option, Redacted, TestClock } from "effect"
import { AuthorizeDecision, FakeUltraCart, Fault } from "../src/index.js"

/** Builds the fake (with an `HttpClient` that reaches it) from options. */
export type FakeEnv = (
  options: FakeUltraCart.FakeUltraCartOptions
) => Layer.Layer<FakeUltraCart.FakeUltraCart | HttpClient.HttpClient, unknown>

const CLIENT_ID = FakeUltraCart.DEFAULT_CLIENT.clientId
const REDIRECT = "https://app.example.test/oauth/callback"

type Env = OAuthClient.OAuthClient | FakeUltraCart.FakeUltraCart | HttpClient.HttpClient

const oauth = OAuthClient.OAuthClient
const fakeTag = FakeUltraCart.FakeUltraCart

/** Waits in real time (sockets need it; the TestClock does not move). */
const tick = Effect.async<void>((resume) => {
  const timer = setTimeout(() => resume(Effect.void), 1)
  return Effect.sync(() => clearTimeout(timer))
})

const waitFor = (condition: Effect.Effect<boolean>): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (let i = 0; i < 2_000; i++) {
      if (yield* condition) return
      yield* tick
    }
    return yield* Effect.dieMessage("condition not reached")
  })

/** Approves an authorize URL built by core and reads the code back through core. */
const authorizeCode = (grant?: AuthorizeDecision.Grant) =>
  Effect.gen(function* () {
    const client = yield* oauth
    const fake = yield* fakeTag
    const { state, url } = yield* client.authorizationUrl({ redirectUri: REDIRECT })
    const back = yield* fake.approve(url, grant)
    return yield* client.parseCallback(back, state)
  })

const login = (grant?: AuthorizeDecision.Grant) =>
  Effect.flatMap(authorizeCode(grant), (code) =>
    Effect.flatMap(oauth, (client) => client.exchangeCode({ code, redirectUri: REDIRECT }))
  )

const refreshTokenOf = (tokens: { readonly refreshToken: Option.Option<Redacted.Redacted<string>> }) =>
  Option.getOrThrow(tokens.refreshToken)

const statusOf = (token: Redacted.Redacted<string>) =>
  Effect.flatMap(fakeTag, (fake) =>
    Effect.map(
      fake.inspectToken(token),
      Option.map((info) => info.status)
    )
  )

interface RawAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly text: string
}

/** A request core would never send, through the same transport. Redirects are not followed. */
const raw = (
  method: "GET" | "POST",
  path: string,
  options: {
    readonly headers?: Record<string, string>
    readonly form?: string
    readonly json?: string
    readonly url?: string
  } = {}
) =>
  Effect.gen(function* () {
    const fake = yield* fakeTag
    const client = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(options.url ?? fake.baseUrl + path).pipe(
      HttpClientRequest.setHeaders(options.headers ?? {})
    )
    if (options.form !== undefined) {
      request = HttpClientRequest.bodyText(request, options.form, "application/x-www-form-urlencoded")
    }
    if (options.json !== undefined) request = HttpClientRequest.bodyText(request, options.json, "application/json")
    const response = yield* client.execute(request)
    const text = yield* response.text
    return { status: response.status, headers: response.headers, text } satisfies RawAnswer
  }).pipe(Effect.provideService(FetchHttpClient.RequestInit, { redirect: "manual" }), Effect.orDie)

const versionHeader = { "x-ultracart-api-version": OAuthClient.DEFAULT_API_VERSION }

export const behaviourSuite = (name: string, fakeEnv: FakeEnv): void => {
  const run = <A, E>(
    effect: Effect.Effect<A, E, Env>,
    options: FakeUltraCart.FakeUltraCartOptions = {},
    clientOptions: Omit<OAuthClient.OAuthClientOptions, "baseUrl"> = { clientId: CLIENT_ID }
  ) =>
    effect.pipe(
      Effect.provide(FakeUltraCart.clientLayer(clientOptions).pipe(Layer.provideMerge(fakeEnv(options)))),
      Effect.orDie
    )

  /** A test on the fake built from `options`, with core's client on it (`client`) and the fake's controls (`fake`). */
  const fakeTest = <A, E>(
    name: string,
    body: (services: {
      readonly client: OAuthClient.OAuthClient.Service
      readonly fake: FakeUltraCart.FakeUltraCart.Service
    }) => Effect.Effect<A, E, Env>,
    options?: FakeUltraCart.FakeUltraCartOptions,
    clientOptions?: Omit<OAuthClient.OAuthClientOptions, "baseUrl">
  ) =>
    it.effect(name, () =>
      run(Effect.flatMap(Effect.all({ client: oauth, fake: fakeTag }), body), options, clientOptions)
    )

  describe(`${name}: authorization code`, () => {
    fakeTest("approve → exchange → /oauth/me, with expires_in as a JSON string by default", ({ client }) =>
      Effect.gen(function* () {
        const tokens = yield* login({ merchantId: "SHOP1", permissions: ["order_read", "item_write"] })
        expect(tokens.tokenType).toBe("bearer")
        expect(tokens.expiresIn).toEqual(Option.some(3600))
        expect(Option.isSome(tokens.refreshToken)).toBe(true)
        const me = yield* client.me({ accessToken: tokens.accessToken })
        expect(me.merchantId).toEqual(Option.some("SHOP1"))
        expect(me.permissions).toEqual(["order_read", "item_write"])
        const wire = yield* raw("POST", "/oauth/token", {
          headers: versionHeader,
          form: `client_id=${CLIENT_ID}&grant_type=refresh_token&refresh_token=${Redacted.value(
            refreshTokenOf(tokens)
          )}`
        })
        expect(JSON.parse(wire.text)).toMatchObject({ expires_in: "3600", token_type: "bearer" })
      })
    )

    fakeTest(
      "the redirect carries the state sent; deny gives access_denied, expire gives invalid_request",
      ({ client, fake }) =>
        Effect.gen(function* () {
          const { state, url } = yield* client.authorizationUrl({ redirectUri: REDIRECT })
          const approved = new URL(yield* fake.approve(url))
          expect(approved.origin + approved.pathname).toBe(REDIRECT)
          expect(approved.searchParams.get("state")).toBe(Redacted.value(state))
          const denied = yield* fake.deny(url)
          expect(new URL(denied).searchParams.get("error")).toBe("access_denied")
          expect(yield* Effect.flip(client.parseCallback(denied, state))).toMatchObject({ _tag: "AuthorizationDenied" })
          const expired = yield* fake.expire({ clientId: CLIENT_ID, redirectUri: REDIRECT, state })
          expect(new URL(expired).searchParams.get("error")).toBe("invalid_request")
          expect(yield* Effect.flip(client.parseCallback(expired, state))).toMatchObject({
            _tag: "AuthorizationExpired"
          })
        })
    )

    fakeTest("an unknown client or an unregistered redirect URI is refused without a redirect", ({ fake }) =>
      Effect.gen(function* () {
        const state = "s".repeat(30)
        const unknown = yield* Effect.flip(fake.approve({ clientId: "nope", redirectUri: REDIRECT, state }))
        expect(unknown.reason).toBe("UnknownClient")
        const unregistered = yield* Effect.flip(
          fake.approve({ clientId: CLIENT_ID, redirectUri: "https://evil.example.test/cb", state })
        )
        expect(unregistered.reason).toBe("UnregisteredRedirectUri")
      })
    )

    fakeTest(
      "loopbackAnyPort lets a CLI use whatever port it got (RFC 8252 §7.3); exact match otherwise",
      ({ client, fake }) =>
        Effect.gen(function* () {
          const { state, url } = yield* client.authorizationUrl({ redirectUri: "http://127.0.0.1:53124/callback" })
          const code = yield* client.parseCallback(yield* fake.approve(url), state)
          yield* client.exchangeCode({ code, redirectUri: "http://127.0.0.1:53124/callback" })
          const otherPath = { clientId: "cli", redirectUri: "http://127.0.0.1:53124/other", state }
          expect((yield* Effect.flip(fake.approve(otherPath))).reason).toBe("UnregisteredRedirectUri")
          yield* fake.registerClient({ clientId: "cli", redirectUris: ["http://127.0.0.1/callback"] })
          const exact = { clientId: "cli", redirectUri: "http://127.0.0.1:53124/callback", state }
          expect((yield* Effect.flip(fake.approve(exact))).reason).toBe("UnregisteredRedirectUri")
        }),
      { clients: [{ clientId: "cli", redirectUris: ["http://127.0.0.1/callback"], loopbackAnyPort: true }] },
      { clientId: "cli" }
    )

    fakeTest(
      "a code is single-use: a second exchange fails and revokes what the first issued (RFC 6749 §10.5)",
      ({ client }) =>
        Effect.gen(function* () {
          const code = yield* authorizeCode()
          const tokens = yield* client.exchangeCode({ code, redirectUri: REDIRECT })
          const again = yield* Effect.flip(client.exchangeCode({ code, redirectUri: REDIRECT }))
          expect(again._tag).toBe("InvalidGrant")
          expect(yield* statusOf(tokens.accessToken)).toEqual(Option.some("revoked"))
          expect(yield* statusOf(refreshTokenOf(tokens))).toEqual(Option.some("revoked"))
          expect((yield* Effect.flip(client.me({ accessToken: tokens.accessToken })))._tag).toBe("Unauthorized")
        })
    )

    fakeTest(
      "a code expires after its lifetime (TestClock)",
      ({ client }) =>
        Effect.gen(function* () {
          const code = yield* authorizeCode()
          yield* TestClock.adjust("30 seconds")
          const expired = yield* Effect.flip(client.exchangeCode({ code, redirectUri: REDIRECT }))
          expect(expired._tag).toBe("InvalidGrant")
          const fresh = yield* authorizeCode()
          yield* TestClock.adjust("29 seconds")
          yield* client.exchangeCode({ code: fresh, redirectUri: REDIRECT })
        }),
      { codeLifetime: "30 seconds" }
    )

    fakeTest("redirect_uri must equal the authorize one; a mismatch does not burn the code", ({ client }) =>
      Effect.gen(function* () {
        const code = yield* authorizeCode()
        const other = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0]!
        const mismatch = yield* Effect.flip(client.exchangeCode({ code, redirectUri: other }))
        expect(mismatch._tag).toBe("InvalidGrant")
        yield* client.exchangeCode({ code, redirectUri: REDIRECT })
      })
    )

    fakeTest(
      "GET /oauth/authorize answers 302 to redirect_uri with code and state; scripted decisions apply",
      ({ client, fake }) =>
        Effect.gen(function* () {
          const { state, url } = yield* client.authorizationUrl({ redirectUri: REDIRECT })
          const approved = yield* raw("GET", "", { url })
          expect(approved.status).toBe(302)
          const code = yield* client.parseCallback(approved.headers["location"] ?? "", state)
          yield* client.exchangeCode({ code, redirectUri: REDIRECT })

          yield* fake.setAuthorizeDecision(AuthorizeDecision.deny("no thanks"))
          const denied = yield* raw("GET", "", { url })
          expect(denied.status).toBe(302)
          const location = new URL(denied.headers["location"] ?? "")
          expect(location.searchParams.get("error")).toBe("access_denied")
          expect(location.searchParams.get("state")).toBe(Redacted.value(state))

          yield* fake.setAuthorizeDecision(() => AuthorizeDecision.expire)
          const expired = yield* raw("GET", "", { url })
          expect(new URL(expired.headers["location"] ?? "").searchParams.get("error")).toBe("invalid_request")

          const noState = new URL(url)
          noState.searchParams.delete("state")
          const stateless = yield* raw("GET", "", { url: noState.toString() })
          expect(new URL(stateless.headers["location"] ?? "").searchParams.get("error")).toBe("invalid_request")
          const token = new URL(url)
          token.searchParams.set("response_type", "token")
          const implicit = yield* raw("GET", "", { url: token.toString() })
          expect(new URL(implicit.headers["location"] ?? "").searchParams.get("error")).toBe(
            "unsupported_response_type"
          )

          const bad = new URL(url)
          bad.searchParams.set("redirect_uri", "https://evil.example.test/cb")
          const refused = yield* raw("GET", "", { url: bad.toString() })
          expect(refused.status).toBe(400)
          expect(refused.headers["location"]).toBeUndefined()
        })
    )
  })

  describe(`${name}: refresh tokens`, () => {
    fakeTest("refresh rotates; reusing a retired refresh token revokes the whole family", ({ client }) =>
      Effect.gen(function* () {
        const first = yield* login()
        const second = yield* client.refresh({ refreshToken: refreshTokenOf(first) })
        expect(Redacted.value(refreshTokenOf(second))).not.toBe(Redacted.value(refreshTokenOf(first)))
        expect(yield* statusOf(refreshTokenOf(first))).toEqual(Option.some("rotated"))
        yield* client.me({ accessToken: second.accessToken })
        const reuse = yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(first) }))
        expect(reuse._tag).toBe("InvalidGrant")
        expect(yield* statusOf(refreshTokenOf(second))).toEqual(Option.some("revoked"))
        expect((yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(second) })))._tag).toBe("InvalidGrant")
        expect((yield* Effect.flip(client.me({ accessToken: second.accessToken })))._tag).toBe("Unauthorized")
      })
    )

    fakeTest(
      "without rotation the same refresh token comes back and stays valid",
      ({ client }) =>
        Effect.gen(function* () {
          const first = yield* login()
          const second = yield* client.refresh({ refreshToken: refreshTokenOf(first) })
          expect(Redacted.value(refreshTokenOf(second))).toBe(Redacted.value(refreshTokenOf(first)))
          yield* client.refresh({ refreshToken: refreshTokenOf(first) })
        }),
      { rotateRefreshTokens: false }
    )

    fakeTest(
      "omitRefreshTokenOnRefresh: no refresh_token in the answer, the old one keeps working",
      ({ client }) =>
        Effect.gen(function* () {
          const first = yield* login()
          expect(Option.isSome(first.refreshToken)).toBe(true)
          const second = yield* client.refresh({ refreshToken: refreshTokenOf(first) })
          expect(second.refreshToken).toEqual(Option.none())
          yield* client.refresh({ refreshToken: refreshTokenOf(first) })
        }),
      { omitRefreshTokenOnRefresh: true }
    )

    fakeTest(
      "expires_in can be sent as a JSON number or omitted; the lifetime is configurable",
      ({ client, fake }) =>
        Effect.gen(function* () {
          const tokens = yield* login()
          expect(tokens.expiresIn).toEqual(Option.some(120))
          const wire = yield* raw("POST", "/oauth/token", {
            headers: versionHeader,
            form: `client_id=${CLIENT_ID}&grant_type=refresh_token&refresh_token=${Redacted.value(
              refreshTokenOf(tokens)
            )}`
          })
          expect(JSON.parse(wire.text).expires_in).toBe(120)
          expect(wire.headers["cache-control"]).toBe("no-store")
          yield* fake.configure({ expiresInFormat: "omit" })
          const next = yield* client.refresh({ refreshToken: Redacted.make(JSON.parse(wire.text).refresh_token) })
          expect(next.expiresIn).toEqual(Option.none())
        }),
      { expiresInFormat: "number", accessTokenLifetime: "2 minutes" }
    )

    fakeTest("access tokens expire on the server's clock (TestClock)", ({ client }) =>
      Effect.gen(function* () {
        const tokens = yield* login()
        yield* TestClock.adjust(Duration.subtract(Duration.hours(1), Duration.millis(1)))
        yield* client.me({ accessToken: tokens.accessToken })
        yield* TestClock.adjust("1 millis")
        const expired = yield* Effect.flip(client.me({ accessToken: tokens.accessToken }))
        expect(expired._tag).toBe("Unauthorized")
        expect(yield* statusOf(tokens.accessToken)).toEqual(Option.some("expired"))
      })
    )

    fakeTest(
      "refresh tokens may be given a lifetime",
      ({ client }) =>
        Effect.gen(function* () {
          const tokens = yield* login()
          yield* TestClock.adjust("1 day")
          const expired = yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(tokens) }))
          expect(expired._tag).toBe("InvalidGrant")
        }),
      { refreshTokenLifetime: "1 day" }
    )
  })

  describe(`${name}: revocation`, () => {
    fakeTest("revoke answers 200 for an unknown token too (RFC 7009)", ({ client }) =>
      Effect.gen(function* () {
        const answer = yield* client.revoke({ token: Redacted.make("never-issued") })
        expect(answer).toBeDefined()
      })
    )

    fakeTest("revoking a refresh token kills its family; revoking an access token revokes the grant", ({ client }) =>
      Effect.gen(function* () {
        const a = yield* login()
        yield* client.revoke({ token: refreshTokenOf(a) })
        expect((yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(a) })))._tag).toBe("InvalidGrant")
        expect((yield* Effect.flip(client.me({ accessToken: a.accessToken })))._tag).toBe("Unauthorized")
        const b = yield* login()
        yield* client.revoke({ token: b.accessToken })
        expect((yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(b) })))._tag).toBe("InvalidGrant")
      })
    )

    fakeTest(
      "with revokeAccessTokenRevokesGrant off, only the access token dies",
      ({ client }) =>
        Effect.gen(function* () {
          const tokens = yield* login()
          yield* client.revoke({ token: tokens.accessToken })
          expect((yield* Effect.flip(client.me({ accessToken: tokens.accessToken })))._tag).toBe("Unauthorized")
          yield* client.refresh({ refreshToken: refreshTokenOf(tokens) })
        }),
      { revokeAccessTokenRevokesGrant: false }
    )

    fakeTest("the revoke control kills a grant as the merchant removing the app would", ({ client, fake }) =>
      Effect.gen(function* () {
        const tokens = yield* login()
        expect(yield* fake.revoke(tokens.accessToken)).toBe(true)
        expect(yield* fake.revoke("unknown")).toBe(false)
        expect((yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(tokens) })))._tag).toBe("InvalidGrant")
      })
    )
  })

  describe(`${name}: device flow`, () => {
    fakeTest("pending, slow_down (with a growing interval), approval, then the code is spent", ({ client, fake }) =>
      Effect.gen(function* () {
        const device = yield* client.authorizeDevice({ scope: "crm" })
        expect(device.interval).toBe(5)
        expect(device.expiresIn).toEqual(Option.some(900))
        expect(device.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/)
        expect(Option.getOrThrow(device.verificationUriComplete)).toContain(device.userCode)
        const poll = client.exchangeDeviceCode({ deviceCode: device.deviceCode })
        expect((yield* Effect.flip(poll))._tag).toBe("AuthorizationPending")
        expect((yield* Effect.flip(poll))._tag).toBe("SlowDown")
        expect((yield* fake.deviceAuthorizations)[0]?.intervalSeconds).toBe(10)
        yield* TestClock.adjust("9 seconds")
        expect((yield* Effect.flip(poll))._tag).toBe("SlowDown")
        yield* TestClock.adjust("15 seconds")
        expect((yield* Effect.flip(poll))._tag).toBe("AuthorizationPending")
        yield* fake.approveDevice(device.userCode, { merchantId: "DEV1" })
        const tokens = yield* poll
        const me = yield* client.me({ accessToken: tokens.accessToken })
        expect(me.merchantId).toEqual(Option.some("DEV1"))
        yield* TestClock.adjust("20 seconds")
        expect((yield* Effect.flip(poll))._tag).toBe("InvalidGrant")
        expect((yield* Effect.flip(fake.approveDevice(device.userCode))).reason).toBe("AlreadyDecided")
      })
    )

    fakeTest(
      "a denied user code answers access_denied; an old device code expired_token",
      ({ client, fake }) =>
        Effect.gen(function* () {
          const denied = yield* client.authorizeDevice({ scope: "crm" })
          yield* fake.denyDevice(denied.userCode)
          expect((yield* Effect.flip(client.exchangeDeviceCode({ deviceCode: denied.deviceCode })))._tag).toBe(
            "AccessDenied"
          )
          const late = yield* client.authorizeDevice({ scope: "crm" })
          yield* TestClock.adjust("1 minute")
          expect((yield* Effect.flip(client.exchangeDeviceCode({ deviceCode: late.deviceCode })))._tag).toBe(
            "ExpiredToken"
          )
          expect((yield* Effect.flip(fake.approveDevice(late.userCode))).reason).toBe("Expired")
          expect((yield* Effect.flip(fake.approveDevice("ZZZZ-ZZZZ"))).reason).toBe("Unknown")
        }),
      { deviceCodeLifetime: "1 minute" }
    )

    fakeTest(
      "without interval in the answer the client assumes 5 s; registered device scopes are enforced",
      ({ client }) =>
        Effect.gen(function* () {
          const device = yield* client.authorizeDevice({ scope: "ultraship" })
          expect(device.interval).toBe(5)
          expect((yield* Effect.flip(client.authorizeDevice({ scope: "crm" })))._tag).toBe("InvalidScope")
        }),
      {
        sendDeviceInterval: false,
        clients: [{ ...FakeUltraCart.DEFAULT_CLIENT, deviceScopes: ["ultraship"] }]
      }
    )
  })

  describe(`${name}: UltraCart's request rules`, () => {
    fakeTest("without X-UltraCart-Api-Version: 400 ErrorResponse with UC-REST-ERROR", () =>
      Effect.gen(function* () {
        const answer = yield* raw("POST", "/oauth/token", { form: `client_id=${CLIENT_ID}&grant_type=refresh_token` })
        expect(answer.status).toBe(400)
        expect(answer.headers["uc-rest-error"]).toContain("X-UltraCart-Api-Version")
        const body = JSON.parse(answer.text)
        expect(body.success).toBe(false)
        expect(body.error.error_code).toBe("missing_api_version")
        expect(body.error.developer_message).toContain("X-UltraCart-Api-Version")
        expect(typeof body.error.user_message).toBe("string")
        expect(body.metadata).toEqual({})
        const me = yield* raw("GET", "/oauth/me", { headers: { authorization: "Bearer x" } })
        expect(me.status).toBe(400)
        const unknown = yield* raw("POST", "/oauth/token", {
          headers: { "x-ultracart-api-version": "1999-01-01" },
          form: `client_id=${CLIENT_ID}`
        })
        expect(JSON.parse(unknown.text).error.error_code).toBe("invalid_api_version")
      })
    )

    fakeTest("form bodies are required, parameters may not repeat, unknown paths are 404", () =>
      Effect.gen(function* () {
        const json = yield* raw("POST", "/oauth/token", { headers: versionHeader, json: `{"client_id":"x"}` })
        expect(json.status).toBe(415)
        expect(JSON.parse(json.text).success).toBe(false)
        const repeated = yield* raw("POST", "/oauth/token", {
          headers: versionHeader,
          form: `client_id=${CLIENT_ID}&grant_type=refresh_token&grant_type=authorization_code`
        })
        expect(repeated.status).toBe(400)
        expect(JSON.parse(repeated.text).error).toBe("invalid_request")
        const missing = yield* raw("GET", "/oauth/nothing", { headers: versionHeader })
        expect(missing.status).toBe(404)
        expect(missing.headers["uc-rest-error"]).toBeDefined()
        const wrongMethod = yield* raw("GET", "/oauth/token", { headers: versionHeader })
        expect(wrongMethod.status).toBe(405)
      })
    )

    fakeTest(
      "client_id is checked: unknown → 401 invalid_client; missing → invalid_request",
      ({ client }) =>
        Effect.gen(function* () {
          const failure = yield* Effect.flip(client.refresh({ refreshToken: Redacted.make("rt") }))
          expect(failure._tag).toBe("InvalidClient")
          expect(failure).toMatchObject({ status: 401 })
          const missing = yield* raw("POST", "/oauth/token", {
            headers: versionHeader,
            form: "grant_type=refresh_token"
          })
          expect(JSON.parse(missing.text).error).toBe("invalid_request")
        }),
      {},
      { clientId: "not-registered" }
    )

    fakeTest(
      "an app that requires a key refuses calls without it and accepts the simple key",
      ({ fake }) =>
        Effect.gen(function* () {
          const withKey = yield* OAuthClient.make({
            clientId: "keyed",
            baseUrl: fake.baseUrl,
            credentials: Credentials.simpleKey(Redacted.make("simple-secret"))
          })
          const withoutKey = yield* OAuthClient.make({ clientId: "keyed", baseUrl: fake.baseUrl })
          const wrongKey = yield* OAuthClient.make({
            clientId: "keyed",
            baseUrl: fake.baseUrl,
            credentials: Credentials.browserKey(Redacted.make("guess"))
          })
          expect((yield* withKey.authorizeDevice({ scope: "crm" })).userCode).toBeDefined()
          expect((yield* Effect.flip(withoutKey.authorizeDevice({ scope: "crm" })))._tag).toBe("InvalidClient")
          expect((yield* Effect.flip(wrongKey.authorizeDevice({ scope: "crm" })))._tag).toBe("InvalidClient")
        }),
      { clients: [{ clientId: "keyed", redirectUris: [REDIRECT], simpleKey: Redacted.make("simple-secret") }] }
    )

    fakeTest(
      "an unknown grant_type is unsupported_grant_type; the device grant type is configurable",
      ({ client }) =>
        Effect.gen(function* () {
          const failure = yield* Effect.flip(client.token({ grantType: "password" }))
          expect(failure._tag).toBe("UnsupportedGrantType")
          const device = yield* client.authorizeDevice({ scope: "crm" })
          const pending = yield* Effect.flip(client.exchangeDeviceCode({ deviceCode: device.deviceCode }))
          expect(pending._tag).toBe("UnsupportedGrantType")
          const viaCustom = yield* Effect.flip(
            client.token({ grantType: "device_code", deviceCode: device.deviceCode })
          )
          expect(viaCustom._tag).toBe("AuthorizationPending")
        }),
      { deviceGrantType: "device_code" }
    )

    fakeTest("/oauth/me needs a valid bearer: 401 ErrorResponse with UC-REST-ERROR otherwise", ({ client }) =>
      Effect.gen(function* () {
        const failure = yield* Effect.flip(client.me({ accessToken: Redacted.make("uc_at_unknown") }))
        expect(failure._tag).toBe("Unauthorized")
        expect(failure).toMatchObject({ status: 401, errorCode: "invalid_credentials" })
        expect(failure).toHaveProperty("ucRestError")
        const tokens = yield* login()
        const noPrefix = yield* raw("GET", "/oauth/me", {
          headers: { ...versionHeader, authorization: Redacted.value(tokens.accessToken) }
        })
        expect(noPrefix.status).toBe(401)
        expect(noPrefix.headers["www-authenticate"]).toContain("invalid_token")
      })
    )

    fakeTest(
      "token errors can be served as UltraCart ErrorResponses instead of RFC 6749 JSON",
      () =>
        Effect.gen(function* () {
          const answer = yield* raw("POST", "/oauth/token", {
            headers: versionHeader,
            form: `client_id=${CLIENT_ID}&grant_type=refresh_token&refresh_token=nope`
          })
          expect(answer.status).toBe(400)
          expect(answer.headers["uc-rest-error"]).toBeDefined()
          expect(JSON.parse(answer.text)).toMatchObject({ success: false, error: { error_code: "invalid_grant" } })
        }),
      { tokenErrorFormat: "error-response" }
    )

    for (const [format, named] of [
      ["ultracart", true],
      ["ultracart-unnamed", false]
    ] as const) {
      fakeTest(
        `token errors as UltraCart documents them (${format}): error_code is the status`,
        () =>
          Effect.gen(function* () {
            const answer = yield* raw("POST", "/oauth/token", {
              headers: versionHeader,
              form: `client_id=${CLIENT_ID}&grant_type=refresh_token&refresh_token=nope`
            })
            expect(answer.status).toBe(400)
            const body = JSON.parse(answer.text)
            expect(body).toMatchObject({ success: false, error: { error_code: "400" } })
            expect(String(body.error.developer_message).includes("invalid_grant")).toBe(named)
            // The client reads either: the code where it is named, a refusal where it is not.
            const failure = yield* Effect.flip((yield* oauth).refresh({ refreshToken: Redacted.make("nope") }))
            expect(failure._tag).toBe(named ? "InvalidGrant" : "UltraCartError")
            expect(failure).toMatchObject({ status: 400 })
          }),
        { tokenErrorFormat: format }
      )
    }
  })

  describe(`${name}: faults`, () => {
    fakeTest("429 with Retry-After in seconds, then normal answers", ({ client, fake }) =>
      Effect.gen(function* () {
        yield* fake.injectFault(Fault.rateLimited({ retryAfter: "30 seconds" }), { endpoint: "device_authorize" })
        const limited = yield* Effect.flip(client.authorizeDevice({ scope: "crm" }))
        expect(limited).toMatchObject({ _tag: "RateLimited", status: 429, retryAfterMillis: 30_000 })
        yield* client.authorizeDevice({ scope: "crm" })
        expect(yield* fake.pendingFaults).toBe(0)
      })
    )

    fakeTest("Retry-After as an HTTP-date is written on the server's clock (offset included)", ({ client, fake }) =>
      Effect.gen(function* () {
        yield* fake.setClockOffset(60_000)
        yield* fake.injectFault(Fault.rateLimited({ retryAfter: "30 seconds", retryAfterFormat: "http-date" }))
        const limited = yield* Effect.flip(client.authorizeDevice({ scope: "crm" }))
        // The client's clock is 60 s behind the server's, so it waits 90 s.
        expect(limited).toMatchObject({ _tag: "RateLimited", retryAfterMillis: 90_000 })
        const answer = yield* raw("POST", "/oauth/token", { headers: versionHeader })
        expect(Date.parse(answer.headers["date"] ?? "")).toBe(60_000)
      })
    )

    fakeTest("a 5xx burst: n failures, then normal; 502 comes as a gateway's HTML page", ({ client, fake }) =>
      Effect.gen(function* () {
        yield* fake.injectFault(Fault.serverError({ status: 503, retryAfter: "2 seconds" }), { times: 2 })
        for (let i = 0; i < 2; i++) {
          const failure = yield* Effect.flip(client.authorizeDevice({ scope: "crm" }))
          expect(failure).toMatchObject({ _tag: "ServerError", status: 503, retryAfterMillis: 2_000 })
        }
        yield* client.authorizeDevice({ scope: "crm" })
        yield* fake.injectFault(Fault.serverError({ status: 502 }))
        const gateway = yield* raw("POST", "/oauth/device/authorize", { headers: versionHeader, form: "scope=crm" })
        expect(gateway.status).toBe(502)
        expect(gateway.headers["content-type"]).toContain("text/html")
        yield* fake.injectFault(Fault.serverError())
        expect(yield* Effect.flip(client.authorizeDevice({ scope: "crm" }))).toMatchObject({
          _tag: "ServerError",
          status: 500
        })
      })
    )

    fakeTest("a connection dropped before processing leaves the code usable", ({ client, fake }) =>
      Effect.gen(function* () {
        const code = yield* authorizeCode()
        yield* fake.injectFault(Fault.dropBeforeProcessing, { endpoint: "token" })
        const dropped = yield* Effect.flip(client.exchangeCode({ code, redirectUri: REDIRECT }))
        expect(dropped).toMatchObject({ _tag: "TransportError", reason: "Transport", outcome: "Unknown" })
        yield* client.exchangeCode({ code, redirectUri: REDIRECT })
      })
    )

    it.effect(
      "a connection dropped after processing: the refresh rotated, the answer is lost, a retry kills the grant",
      () =>
        run(
          Effect.gen(function* () {
            const client = yield* oauth
            const fake = yield* fakeTag
            const tokens = yield* login()
            yield* fake.injectFault(Fault.dropAfterProcessing, { grantType: "refresh_token" })
            const lost = yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(tokens) }))
            expect(lost).toMatchObject({ _tag: "TransportError", outcome: "Unknown" })
            expect(yield* statusOf(refreshTokenOf(tokens))).toEqual(Option.some("rotated"))
            const retry = yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(tokens) }))
            expect(retry._tag).toBe("InvalidGrant")
            expect(yield* fake.requestCount({ grantType: "refresh_token" })).toBe(2)
          })
        )
    )

    fakeTest("a body cut short after the head: the work is done, the client fails reading", ({ client, fake }) =>
      Effect.gen(function* () {
        const code = yield* authorizeCode()
        yield* fake.injectFault(Fault.dropDuringBody)
        const cut = yield* Effect.flip(client.exchangeCode({ code, redirectUri: REDIRECT }))
        expect(cut).toMatchObject({ _tag: "TransportError", outcome: "Unknown" })
        expect((yield* Effect.flip(client.exchangeCode({ code, redirectUri: REDIRECT })))._tag).toBe("InvalidGrant")
      })
    )

    fakeTest("200 carrying an OAuth error; JSON as text/plain; malformed JSON after processing", ({ client, fake }) =>
      Effect.gen(function* () {
        const tokens = yield* login()
        const refreshToken = refreshTokenOf(tokens)
        yield* fake.injectFault(Fault.oauthErrorWithOk("invalid_grant", "stale"))
        expect(yield* Effect.flip(client.refresh({ refreshToken }))).toMatchObject({
          _tag: "InvalidGrant",
          status: 200
        })
        yield* fake.injectFault(Fault.jsonAsTextPlain)
        const plain = yield* client.refresh({ refreshToken })
        expect((yield* fake.requests).at(-1)?.fault).toBe("JsonAsTextPlain")
        yield* fake.injectFault(Fault.malformedJson)
        const malformed = yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(plain) }))
        expect(malformed).toMatchObject({ _tag: "MalformedResponse", reason: "NotJson" })
        expect(yield* statusOf(refreshTokenOf(plain))).toEqual(Option.some("rotated"))
        yield* fake.injectFault(Fault.jsonAsTextPlain)
        const answer = yield* raw("POST", "/oauth/device/authorize", {
          headers: versionHeader,
          form: `client_id=${CLIENT_ID}&scope=crm`
        })
        expect(answer.headers["content-type"]).toContain("text/plain")
        expect(JSON.parse(answer.text).user_code).toBeDefined()
      })
    )

    fakeTest("a delay holds the answer on the server's Clock until TestClock moves", ({ client, fake }) =>
      Effect.gen(function* () {
        yield* fake.injectFault(Fault.delay("10 seconds"))
        const fiber = yield* Effect.fork(client.authorizeDevice({ scope: "crm" }))
        yield* waitFor(Effect.map(TestClock.sleeps(), Chunk.isNonEmpty))
        yield* TestClock.adjust("9 seconds")
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* TestClock.adjust("1 second")
        const device = yield* Fiber.join(fiber)
        expect(device.userCode).toBeDefined()
      })
    )

    fakeTest("faults match by endpoint, grant type or predicate, and respond() answers verbatim", ({ client, fake }) =>
      Effect.gen(function* () {
        yield* fake.injectFault(Fault.serverError(), { grantType: "refresh_token", times: Infinity })
        yield* fake.injectFault(Fault.respond({ status: 410, body: "{}" }), {
          when: (request) => request.form["scope"] === "gone"
        })
        const tokens = yield* login()
        expect((yield* Effect.flip(client.refresh({ refreshToken: refreshTokenOf(tokens) })))._tag).toBe("ServerError")
        expect((yield* Effect.flip(client.authorizeDevice({ scope: "gone" })))._tag).toBe("AppDisabled")
        yield* client.authorizeDevice({ scope: "crm" })
        yield* fake.clearFaults
        yield* client.refresh({ refreshToken: refreshTokenOf(tokens) })
      })
    )

    fakeTest("a server clock ahead expires tokens early from the client's point of view", ({ client, fake }) =>
      Effect.gen(function* () {
        const tokens = yield* login()
        yield* fake.setClockOffset(Duration.toMillis("2 hours"))
        expect((yield* Effect.flip(client.me({ accessToken: tokens.accessToken })))._tag).toBe("Unauthorized")
        yield* fake.setClockOffset(0)
        yield* client.me({ accessToken: tokens.accessToken })
        expect(yield* fake.now).toBe(0)
      })
    )
  })

  describe(`${name}: inspection`, () => {
    fakeTest("every request is recorded with its headers and form; counts per endpoint and grant", ({ client, fake }) =>
      Effect.gen(function* () {
        const tokens = yield* login()
        yield* client.refresh({ refreshToken: refreshTokenOf(tokens) })
        yield* client.me({ accessToken: tokens.accessToken }).pipe(Effect.ignore)
        const requests = yield* fake.requests
        expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
          "POST /oauth/token 200",
          "POST /oauth/token 200",
          "GET /oauth/me 200"
        ])
        const refresh = requests[1]!
        expect(refresh.headers["x-ultracart-api-version"]).toBe(OAuthClient.DEFAULT_API_VERSION)
        expect(refresh.headers["content-type"]).toContain("application/x-www-form-urlencoded")
        expect(refresh.form).toMatchObject({
          client_id: CLIENT_ID,
          grant_type: "refresh_token",
          refresh_token: Redacted.value(refreshTokenOf(tokens))
        })
        expect(requests[2]?.headers["authorization"]).toBe(`Bearer ${Redacted.value(tokens.accessToken)}`)
        expect(yield* fake.requestCount()).toBe(3)
        expect(yield* fake.requestCount({ endpoint: "token" })).toBe(2)
        expect(yield* fake.requestCount({ grantType: "authorization_code" })).toBe(1)
        expect(yield* fake.requestCount({ endpoint: "me" })).toBe(1)
        yield* fake.clearRequests
        expect(yield* fake.requestCount()).toBe(0)
        expect(yield* fake.requests).toEqual([])
      })
    )

    fakeTest(
      "with recording off nothing is kept, but counting goes on",
      ({ fake }) =>
        Effect.gen(function* () {
          yield* login()
          expect(yield* fake.requests).toEqual([])
          expect(yield* fake.requestCount({ grantType: "authorization_code" })).toBe(1)
          yield* fake.configure({ recordRequests: true })
          yield* login()
          expect((yield* fake.requests).map((r) => r.grantType)).toEqual(["authorization_code"])
        }),
      { recordRequests: false }
    )

    it.effect("the server's own logs carry no secret", () => {
      const lines: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => {
        lines.push(JSON.stringify({ message, annotations: Object.fromEntries(annotations) }))
      })
      // The logger wraps the fake's construction too: the loopback server's fibers inherit it from there.
      return run(
        Effect.gen(function* () {
          const client = yield* oauth
          const tokens = yield* login()
          const secrets = [Redacted.value(tokens.accessToken), Redacted.value(refreshTokenOf(tokens))]
          yield* client.refresh({ refreshToken: refreshTokenOf(tokens) })
          yield* client.me({ accessToken: tokens.accessToken })
          expect(lines.some((line) => line.includes("/oauth/token"))).toBe(true)
          for (const secret of secrets) expect(lines.join("\n")).not.toContain(secret)
          expect(lines.join("\n")).not.toContain("uc_code_")
        })
      ).pipe(Effect.provide(Logger.add(logger)), Logger.withMinimumLogLevel(LogLevel.Debug))
    })

    fakeTest(
      "reset forgets tokens, requests, faults and the clock offset but keeps apps and settings",
      ({ fake }) =>
        Effect.gen(function* () {
          const tokens = yield* login()
          yield* fake.injectFault(Fault.serverError())
          yield* fake.setClockOffset(5_000)
          yield* fake.reset
          expect(yield* fake.inspectToken(tokens.accessToken)).toEqual(Option.none())
          expect(yield* fake.requestCount()).toBe(0)
          expect(yield* fake.pendingFaults).toBe(0)
          expect(yield* fake.now).toBe(0)
          const again = yield* login()
          expect(again.expiresIn).toEqual(Option.some(60))
        }),
      { accessTokenLifetime: "1 minute" }
    )

    fakeTest("issueTokens seeds a grant without the browser leg", ({ client, fake }) =>
      Effect.gen(function* () {
        const issued = yield* fake.issueTokens({ clientId: CLIENT_ID, merchantId: "SEED" })
        expect(issued.expiresIn).toBe(3600)
        const me = yield* client.me({ accessToken: issued.accessToken })
        expect(me.merchantId).toEqual(Option.some("SEED"))
        expect(me.permissions).toEqual(FakeUltraCart.DEFAULT_CLIENT.permissions)
        yield* client.refresh({ refreshToken: issued.refreshToken })
        const info = Option.getOrThrow(yield* fake.inspectToken(issued.refreshToken))
        expect(info).toMatchObject({ kind: "refresh", status: "rotated", clientId: CLIENT_ID, merchantId: "SEED" })
        expect((yield* Effect.flip(fake.issueTokens({ clientId: "nope" }))).reason).toBe("UnknownClient")
      })
    )
  })
}
