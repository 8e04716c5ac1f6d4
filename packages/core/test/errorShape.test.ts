/**
 * UltraCart documents its errors as an `ErrorResponse` whose `error_code` is the HTTP status: the OAuth code, when
 * there is one, is found wherever the body carries it; when there is none, the error still says that the server
 * refused the request (`OAuthError.isRefusal`). The classifier is total: no body makes it throw.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, FastCheck as fc, Option } from "effect"
import { OAuthError } from "../src/index.js"
import { oauthErrorOf } from "../src/internal/errorShape.js"
import { client, clientLayer, fail, secrets } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const refresh = Effect.flatMap(client, (o) => o.refresh({ refreshToken: secrets.refreshToken }))
const poll = Effect.flatMap(client, (o) => o.exchangeDeviceCode({ deviceCode: secrets.deviceCode }))

/** UltraCart's documented shape: `error_code` is the HTTP status. */
const ultraCart = (status: number, messages: { developer_message?: string; user_message?: string }) =>
  MockHttp.json(status, { error: { error_code: String(status), ...messages }, metadata: {}, success: false })

describe("the OAuth code in UltraCart's ErrorResponse", () => {
  it.effect("named in developer_message", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({
        _tag: "InvalidGrant",
        status: 400,
        description: "invalid_grant: The refresh token has expired"
      })
      expect(OAuthError.isRefusal(error)).toBe(true)
    }).pipe(
      Effect.provide(
        clientLayer({}, ultraCart(400, { developer_message: "invalid_grant: The refresh token has expired" }))
      )
    )
  )

  it.effect("named in user_message only", () =>
    Effect.gen(function* () {
      expect(yield* fail(poll)).toMatchObject({ _tag: "AuthorizationPending", status: 400 })
    }).pipe(
      Effect.provide(
        clientLayer({}, ultraCart(400, { developer_message: "Not yet.", user_message: "(authorization_pending)" }))
      )
    )
  )

  it.effect("a code inside a longer word is not a code", () =>
    Effect.gen(function* () {
      expect(yield* fail(refresh)).toMatchObject({ _tag: "UltraCartError", status: 400 })
    }).pipe(Effect.provide(clientLayer({}, ultraCart(400, { developer_message: "my_invalid_grant_type_x" }))))
  )

  it.effect("not named at all: UltraCartError, and a refusal a token manager can tell apart", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({
        _tag: "UltraCartError",
        endpoint: "token",
        status: 400,
        errorCode: "400",
        developerMessage: "The token could not be refreshed."
      })
      expect(OAuthError.isRefusal(error)).toBe(true)
    }).pipe(Effect.provide(clientLayer({}, ultraCart(400, { developer_message: "The token could not be refreshed." }))))
  )

  it.effect("the status keeps its meaning on 429 and 5xx, whatever the text names", () =>
    Effect.gen(function* () {
      const rateLimited = yield* fail(
        refresh.pipe(Effect.provide(clientLayer({}, ultraCart(429, { developer_message: "invalid_grant" }))))
      )
      expect(rateLimited._tag).toBe("RateLimited")
      expect(OAuthError.isRefusal(rateLimited)).toBe(false)
      const server = yield* fail(
        refresh.pipe(Effect.provide(clientLayer({}, ultraCart(503, { developer_message: "invalid_grant" }))))
      )
      expect(server._tag).toBe("ServerError")
      expect(OAuthError.isRefusal(server)).toBe(false)
    })
  )
})

describe("OAuthError.isRefusal", () => {
  const fields = { endpoint: "token", status: 400 } as const
  it("is true for a refusing protocol error or 4xx, false for what may pass or was not an answer", () => {
    expect(OAuthError.isRefusal(new OAuthError.InvalidGrant(fields))).toBe(true)
    expect(OAuthError.isRefusal(new OAuthError.InvalidClient({ ...fields, status: 401 }))).toBe(true)
    expect(OAuthError.isRefusal(new OAuthError.UnknownOAuthError({ ...fields, code: "x" }))).toBe(true)
    expect(OAuthError.isRefusal(new OAuthError.Unauthorized({ ...fields, status: 401 }))).toBe(true)
    expect(OAuthError.isRefusal(new OAuthError.AppDisabled({ ...fields, status: 410 }))).toBe(true)
    expect(OAuthError.isRefusal(new OAuthError.UltraCartError(fields))).toBe(true)
    expect(OAuthError.isRefusal(new OAuthError.AuthorizationPending(fields))).toBe(false)
    expect(OAuthError.isRefusal(new OAuthError.SlowDown(fields))).toBe(false)
    expect(OAuthError.isRefusal(new OAuthError.UltraCartError({ ...fields, status: 408 }))).toBe(false)
    expect(OAuthError.isRefusal(new OAuthError.UltraCartError({ ...fields, status: 200 }))).toBe(false)
    expect(OAuthError.isRefusal(new OAuthError.RateLimited({ ...fields, status: 429 }))).toBe(false)
    expect(OAuthError.isRefusal(new OAuthError.ServerError({ ...fields, status: 500 }))).toBe(false)
    expect(
      OAuthError.isRefusal(
        new OAuthError.TransportError({ endpoint: "token", reason: "Timeout", outcome: "Unknown", detail: "d" })
      )
    ).toBe(false)
    expect(OAuthError.isRefusal(new OAuthError.UnexpectedRedirect({ ...fields, status: 302 }))).toBe(false)
    expect(
      OAuthError.isRefusal(new OAuthError.MalformedResponse({ ...fields, status: 200, reason: "NotJson", issues: [] }))
    ).toBe(false)
  })
})

describe("the error-shape classifier is total", () => {
  it.prop(
    "oauthErrorOf never throws, on any value",
    [fc.anything({ withNullPrototype: true, withMap: true })],
    ([u]) => {
      const found = oauthErrorOf(u)
      if (found !== undefined) expect(typeof found.code).toBe("string")
    }
  )

  const messages = fc.oneof(fc.string(), fc.constantFrom(...OAuthError.knownOAuthCodes), fc.jsonValue())
  const errorResponse = fc.record(
    {
      error: fc.oneof(
        fc.string(),
        fc.record(
          { error_code: messages, developer_message: messages, user_message: messages, more_info: messages },
          { requiredKeys: [] }
        ),
        fc.jsonValue()
      )
    },
    { requiredKeys: [] }
  )
  /** A JSON value as `String` prints it ("[object Object]", "1,2"…); one with its own `toString` key cannot be. */
  const printed = (v: unknown): string => {
    try {
      return String(v)
    } catch {
      return JSON.stringify(v)
    }
  }
  const body = fc.oneof(
    errorResponse.map((v) => JSON.stringify(v)),
    fc.jsonValue().map(printed),
    fc.string()
  )

  it.effect.prop(
    "any answer, any status, any body: a result or a typed error, never a defect",
    // A web `Response` (what the mock answers with) takes no status under 200, nor a body with 204, 205 or 304.
    [fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 205 && s !== 304), body],
    ([status, text]) =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(poll)
        if (Exit.isFailure(exit)) {
          expect(Cause.isDie(exit.cause)).toBe(false)
          const failure = Cause.failureOption(exit.cause)
          expect(Option.isSome(failure) && OAuthError.isOAuthClientError(failure.value)).toBe(true)
        }
      }).pipe(Effect.provide(clientLayer({}, MockHttp.text(status, text)))),
    { fastCheck: { numRuns: 60 } }
  )
})
