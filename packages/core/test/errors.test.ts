/**
 * Every failure lands on its own tag, carrying what a person needs (and, through `fail`, no secret).
 */
import { HttpClientError, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import { type OAuthClient, OAuthError } from "../src/index.js"
import { assertTag, client, clientLayer, fail, REDIRECT_URI, secrets, secretValues } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const exchange = Effect.flatMap(client, (oauth) =>
  oauth.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI })
)
const refresh = Effect.flatMap(client, (oauth) => oauth.refresh({ refreshToken: secrets.refreshToken }))
const poll = Effect.flatMap(client, (oauth) => oauth.exchangeDeviceCode({ deviceCode: secrets.deviceCode }))
const revoke = Effect.flatMap(client, (oauth) => oauth.revoke({ token: secrets.refreshToken }))

describe("OAuth protocol errors", () => {
  const cases: ReadonlyArray<{
    readonly code: string
    readonly tag: OAuthError.OAuthProtocolError["_tag"]
    readonly call: Effect.Effect<unknown, OAuthError.OAuthClientError, OAuthClient.OAuthClient>
    readonly endpoint: OAuthError.Endpoint
    readonly status: number
  }> = [
    { code: "invalid_request", tag: "InvalidRequest", call: refresh, endpoint: "token", status: 400 },
    { code: "invalid_client", tag: "InvalidClient", call: refresh, endpoint: "token", status: 401 },
    { code: "invalid_grant", tag: "InvalidGrant", call: exchange, endpoint: "token", status: 400 },
    { code: "unauthorized_client", tag: "UnauthorizedClient", call: refresh, endpoint: "token", status: 400 },
    { code: "unsupported_grant_type", tag: "UnsupportedGrantType", call: poll, endpoint: "token", status: 400 },
    { code: "invalid_scope", tag: "InvalidScope", call: refresh, endpoint: "token", status: 400 },
    { code: "unsupported_token_type", tag: "UnsupportedTokenType", call: revoke, endpoint: "revoke", status: 400 },
    { code: "authorization_pending", tag: "AuthorizationPending", call: poll, endpoint: "token", status: 400 },
    { code: "slow_down", tag: "SlowDown", call: poll, endpoint: "token", status: 400 },
    { code: "access_denied", tag: "AccessDenied", call: poll, endpoint: "token", status: 400 },
    { code: "expired_token", tag: "ExpiredToken", call: poll, endpoint: "token", status: 400 }
  ]

  it("every code with a tag of its own is covered here", () => {
    expect([...OAuthError.knownOAuthCodes].sort()).toEqual(cases.map((c) => c.code).sort())
  })

  for (const { call, code, endpoint, status, tag } of cases) {
    it.effect(`${code} (HTTP ${status}) is ${tag}, with description, error_uri and UC-REST-ERROR`, () =>
      Effect.gen(function* () {
        const error = yield* fail(call)
        expect(error).toMatchObject({
          _tag: tag,
          code,
          endpoint,
          status,
          description: `about ${code}`,
          errorUri: "https://docs.example/oauth",
          ucRestError: `header says ${code}`
        })
        expect(OAuthError.isOAuthProtocolError(error)).toBe(true)
        expect(OAuthError.isOAuthClientError(error)).toBe(true)
        expect(error.message).toContain(code)
        expect(error.message).toContain(`about ${code}`)
      }).pipe(
        Effect.provide(
          clientLayer(
            {},
            MockHttp.json(
              status,
              { error: code, error_description: `about ${code}`, error_uri: "https://docs.example/oauth" },
              { "UC-REST-ERROR": `header says ${code}` }
            )
          )
        )
      )
    )
  }

  it.effect("an unknown code is UnknownOAuthError keeping the code", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "UnknownOAuthError", code: "invalid_dpop_proof", status: 400 })
      expect(OAuthError.isOAuthProtocolError(error)).toBe(true)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(400, { error: "invalid_dpop_proof" }))))
  )

  it.effect("an OAuth error served with HTTP 200 fails, with its protocol tag", () =>
    Effect.gen(function* () {
      const error = yield* fail(exchange)
      expect(error).toMatchObject({ _tag: "InvalidGrant", status: 200, description: "code already used" })
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(200, {
            access_token: secretValues.accessToken,
            error: "invalid_grant",
            error_description: "code already used"
          })
        )
      )
    )
  )

  it.effect("an OAuth error served as text/plain is decoded", () =>
    Effect.gen(function* () {
      const error = yield* fail(poll)
      expect(error).toMatchObject({ _tag: "SlowDown", status: 400 })
    }).pipe(
      Effect.provide(clientLayer({}, MockHttp.json(400, { error: "slow_down" }, { "content-type": "text/plain" })))
    )
  )
})

describe("bodies that do not decode", () => {
  it.effect("malformed JSON is MalformedResponse NotJson, with the content type", () =>
    Effect.gen(function* () {
      const error = yield* fail(exchange)
      expect(error).toMatchObject({
        _tag: "MalformedResponse",
        reason: "NotJson",
        status: 200,
        contentType: "application/json",
        issues: ["body: is not JSON"]
      })
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.text(200, `{"access_token":"${secretValues.accessToken}",`, { "content-type": "application/json" })
        )
      )
    )
  )

  it.effect("a body of the wrong shape lists the paths that failed, never the values", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      assertTag(error, "MalformedResponse")
      expect(error.reason).toBe("Schema")
      expect(error.issues).toEqual([
        "access_token: has an unexpected form",
        "refresh_token: has an unexpected form",
        "expires_in: has an unexpected form"
      ])
      for (const text of [...error.issues, error.message]) {
        expect(text).not.toContain("soon-4417")
        expect(text).not.toContain("4242")
      }
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(200, { access_token: 4242, refresh_token: "", expires_in: "soon-4417", token_type: "bearer" })
        )
      )
    )
  )

  it.effect("an empty 200 token body is missing its access token", () =>
    Effect.gen(function* () {
      const error = yield* fail(exchange)
      expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "Schema", issues: ["access_token: is missing"] })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.status(200))))
  )
})

describe("HTTP status errors", () => {
  const ultraCartBody = {
    error: {
      developer_message: "The client id is unknown",
      user_message: "Please contact the application developer",
      error_code: "OAUTH-17",
      more_info: "https://ultracart.example/errors/17",
      object_id: "app-7"
    },
    metadata: { payload_name: "error" },
    success: false
  }
  const details = {
    developerMessage: "The client id is unknown",
    userMessage: "Please contact the application developer",
    errorCode: "OAUTH-17",
    moreInfo: "https://ultracart.example/errors/17",
    objectId: "app-7",
    ucRestError: "Unknown client"
  }
  const ucHeaders = { "UC-REST-ERROR": "Unknown client" }

  it.effect("an UltraCart ErrorResponse on 400 is UltraCartError with its messages and the UC-REST-ERROR header", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "UltraCartError", status: 400, endpoint: "token", ...details })
      expect(error.message).toContain("The client id is unknown")
      expect(error.message).toContain("Unknown client")
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(400, ultraCartBody, ucHeaders))))
  )

  for (const [name, call] of [
    ["revoke", revoke],
    ["refresh", refresh]
  ] as const) {
    it.effect(`an UltraCart ErrorResponse served with 200 to ${name} is UltraCartError, not a success`, () =>
      Effect.gen(function* () {
        const error = yield* fail(call)
        expect(error).toMatchObject({ _tag: "UltraCartError", status: 200, ...details })
      }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, ultraCartBody, ucHeaders))))
    )
  }

  it.effect("401 is Unauthorized", () =>
    Effect.gen(function* () {
      const error = yield* fail(Effect.flatMap(client, (oauth) => oauth.me({ accessToken: secrets.accessToken })))
      expect(error).toMatchObject({ _tag: "Unauthorized", status: 401, endpoint: "me", ...details })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(401, ultraCartBody, ucHeaders))))
  )

  it.effect("410 is AppDisabled, even with an OAuth error body", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "AppDisabled", status: 410, errorCode: "invalid_client" })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(410, { error: "invalid_client" }))))
  )

  it.effect("another 4xx without a body is UltraCartError with the status alone", () =>
    Effect.gen(function* () {
      const error = yield* fail(revoke)
      expect(error).toEqual(new OAuthError.UltraCartError({ endpoint: "revoke", status: 404 }))
    }).pipe(Effect.provide(clientLayer({}, MockHttp.status(404))))
  )

  it.effect("429 with delta-seconds is RateLimited with retryAfterMillis", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "RateLimited", status: 429, retryAfterMillis: 120_000 })
      expect(error.message).toContain("retry after 120s")
    }).pipe(Effect.provide(clientLayer({}, MockHttp.status(429, { "retry-after": "120" }))))
  )

  it.effect("429 with an HTTP-date counts from the clock's now", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-03-01T12:00:00Z"))
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfterMillis: 90_000 })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.status(429, { "Retry-After": "Sun, 01 Mar 2026 12:01:30 GMT" }))))
  )

  it.effect("429 with an HTTP-date in the past means now", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-03-01T12:00:00Z"))
      expect(yield* fail(refresh)).toMatchObject({ _tag: "RateLimited", retryAfterMillis: 0 })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.status(429, { "Retry-After": "Sun, 01 Mar 2026 11:00:00 GMT" }))))
  )

  for (const retryAfter of [undefined, "soon", "x 1", "-5", "1.5"]) {
    it.effect(`429 with Retry-After ${JSON.stringify(retryAfter)} has no retryAfterMillis`, () =>
      Effect.gen(function* () {
        const error = yield* fail(refresh)
        expect(error._tag).toBe("RateLimited")
        expect(error).not.toHaveProperty("retryAfterMillis")
      }).pipe(
        Effect.provide(
          clientLayer({}, MockHttp.status(429, retryAfter === undefined ? {} : { "retry-after": retryAfter }))
        )
      )
    )
  }

  for (const status of [500, 502, 503, 504]) {
    it.effect(`${status} is ServerError`, () =>
      Effect.gen(function* () {
        const error = yield* fail(revoke)
        expect(error).toMatchObject({ _tag: "ServerError", status, endpoint: "revoke", retryAfterMillis: 30_000 })
      }).pipe(Effect.provide(clientLayer({}, MockHttp.text(status, "<html>busy</html>", { "retry-after": "30" }))))
    )
  }

  it.effect("a 5xx keeps its status meaning even with an OAuth error body", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "ServerError", status: 503, errorCode: "temporarily_unavailable" })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(503, { error: "temporarily_unavailable" }))))
  )

  for (const status of [301, 302, 303, 307, 308]) {
    it.effect(`${status} is UnexpectedRedirect`, () =>
      Effect.gen(function* () {
        const error = yield* fail(exchange)
        expect(error).toEqual(new OAuthError.UnexpectedRedirect({ endpoint: "token", status }))
        expect(yield* MockHttp.requests).toHaveLength(1)
      }).pipe(Effect.provide(clientLayer({}, MockHttp.status(status, { location: "https://elsewhere.example/" }))))
    )
  }

  it.effect("status 0 (a browser's opaque redirect) is UnexpectedRedirect", () =>
    Effect.gen(function* () {
      expect(yield* fail(exchange)).toEqual(new OAuthError.UnexpectedRedirect({ endpoint: "token", status: 0 }))
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.respond(() => Response.error())
        )
      )
    )
  )
})

describe("transport failures", () => {
  const notSent = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "UND_ERR_CONNECT_TIMEOUT"]
  for (const code of notSent) {
    it.effect(`${code}: TransportError, outcome NotSent`, () =>
      Effect.gen(function* () {
        const error = yield* fail(exchange)
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Transport", outcome: "NotSent", code })
        expect(error.message).toContain("not sent")
      }).pipe(Effect.provide(clientLayer({}, MockHttp.transportFailure(code))))
    )
  }

  for (const code of ["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", undefined]) {
    it.effect(`${code ?? "no code"}: TransportError, outcome Unknown`, () =>
      Effect.gen(function* () {
        const error = yield* fail(exchange)
        assertTag(error, "TransportError")
        expect(error).toMatchObject({ reason: "Transport", outcome: "Unknown" })
        expect(error.code).toBe(code)
        expect(error.message).toContain("may have reached the server")
      }).pipe(Effect.provide(clientLayer({}, MockHttp.transportFailure(code))))
    )
  }

  for (const reason of ["InvalidUrl", "Encode"] as const) {
    it.effect(`a request that could not be built (${reason}) was not sent`, () =>
      Effect.gen(function* () {
        const error = yield* fail(refresh)
        expect(error).toMatchObject({ _tag: "TransportError", reason, outcome: "NotSent" })
      }).pipe(
        Effect.provide(
          clientLayer({}, (request) =>
            Effect.fail(new HttpClientError.RequestError({ request, reason, description: "bad request" }))
          )
        )
      )
    )
  }

  const bodyFailures: ReadonlyArray<[string, MockHttp.Reply]> = [
    ["a body cut short", MockHttp.brokenBody(200)],
    [
      "a response error raised by the transport",
      (request) =>
        Effect.fail(
          new HttpClientError.ResponseError({
            request,
            response: HttpClientResponse.fromWeb(request, new Response("")),
            reason: "Decode"
          })
        )
    ]
  ]
  for (const [name, reply] of bodyFailures) {
    it.effect(`${name} is TransportError Body, outcome Unknown`, () =>
      Effect.gen(function* () {
        const error = yield* fail(exchange)
        expect(error).toMatchObject({ _tag: "TransportError", reason: "Body", outcome: "Unknown" })
      }).pipe(Effect.provide(clientLayer({}, reply)))
    )
  }
})

describe("timeouts (TestClock)", () => {
  /** Runs a failing call on the TestClock: still pending a millisecond before `millis`, failed at `millis`. */
  const failsAt = <A, E, R>(call: Effect.Effect<A, E, R>, millis: number) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(fail(call))
      yield* TestClock.adjust(millis - 1)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(1)
      return yield* Fiber.join(fiber)
    })

  it.effect("requestTimeout: no response head in time is TransportError Timeout, not a moment earlier", () =>
    Effect.gen(function* () {
      const error = yield* failsAt(refresh, 10_000)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout", outcome: "Unknown", endpoint: "token" })
      expect(error.message).toContain("10s")
    }).pipe(Effect.provide(clientLayer({ requestTimeout: "10 seconds" }, MockHttp.hang)))
  )

  it.effect("bodyTimeout: a stalled body is TransportError BodyTimeout, timed separately from the head", () =>
    Effect.gen(function* () {
      // The head arrived at once: the 5 s request deadline no longer applies, the 20 s body deadline does.
      const error = yield* failsAt(exchange, 20_000)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "BodyTimeout", outcome: "Unknown" })
    }).pipe(
      Effect.provide(clientLayer({ requestTimeout: "5 seconds", bodyTimeout: "20 seconds" }, MockHttp.stalledBody(200)))
    )
  )

  it.effect("with the deadlines turned off (Duration.infinity), a slow server is waited for", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(refresh)
      yield* TestClock.adjust("1 hour")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* Fiber.interrupt(fiber)
    }).pipe(
      Effect.provide(clientLayer({ requestTimeout: Duration.infinity, bodyTimeout: Duration.infinity }, MockHttp.hang))
    )
  )
})

describe("OAuth codes in UltraCart's ErrorResponse shape", () => {
  it.effect("a known OAuth code in error.error_code is its protocol tag, described by developer_message", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({
        _tag: "InvalidGrant",
        status: 400,
        description: "The refresh token is not valid",
        errorUri: "https://docs.example/errors",
        ucRestError: "bad grant"
      })
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(
            400,
            {
              error: {
                error_code: "invalid_grant",
                developer_message: "The refresh token is not valid",
                more_info: "https://docs.example/errors"
              },
              success: false
            },
            { "UC-REST-ERROR": "bad grant" }
          )
        )
      )
    )
  )

  it.effect("an UltraCart error_code that is not an OAuth code stays UltraCartError", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "UltraCartError", status: 400, errorCode: "MISSING_FIELD" })
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          MockHttp.json(400, { error: { error_code: "MISSING_FIELD", developer_message: "client_id" }, success: false })
        )
      )
    )
  )
})

describe("Retry-After in messages", () => {
  it.effect("a 503's message says when to retry", () =>
    Effect.gen(function* () {
      const error = yield* fail(revoke)
      expect(error).toMatchObject({ _tag: "ServerError", retryAfterMillis: 7000 })
      expect(error.message).toContain("retry after 7s")
    }).pipe(Effect.provide(clientLayer({}, MockHttp.status(503, { "Retry-After": "7" }))))
  )
})
