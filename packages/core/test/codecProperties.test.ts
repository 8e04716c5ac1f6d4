/**
 * Properties of every codec on the wire, through the client as a user calls it (`properties.test.ts` has the
 * parsers on their own): form bodies round-trip for every endpoint, `expires_in` reads the same in both forms,
 * `Seconds` round-trips, and no answer a server can give — any status, content type, JSON or not — makes a call
 * throw or die, or puts a token it carried into an error.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, FastCheck as fc, Option, Redacted, Schema } from "effect"
import { Callback, Models, type OAuthClient, OAuthError } from "../src/index.js"
import {
  callbackErrorTags,
  client,
  CLIENT_ID,
  clientLayer,
  expectNoSecrets,
  REDIRECT_URI,
  renderings,
  secrets
} from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

/** Well-formed Unicode text (what a form body can carry), blank-free at the ends where the client requires it. */
const unicodeText = fc.string({ unit: "grapheme", maxLength: 40 })
const nonBlank = unicodeText.filter((s) => s.trim() !== "")

/** Every call of the client, each with fixed inputs (the answers are what the generators vary). */
const refresh = Effect.flatMap(client, (c) => c.refresh({ refreshToken: secrets.refreshToken }))
const authorizeDevice = Effect.flatMap(client, (c) => c.authorizeDevice({ scope: "crm" }))
const calls: ReadonlyArray<
  readonly [string, Effect.Effect<unknown, OAuthError.OAuthClientError, OAuthClient.OAuthClient>]
> = [
  ["exchangeCode", Effect.flatMap(client, (c) => c.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI }))],
  ["refresh", refresh],
  ["exchangeDeviceCode", Effect.flatMap(client, (c) => c.exchangeDeviceCode({ deviceCode: secrets.deviceCode }))],
  ["authorizeDevice", authorizeDevice],
  ["revoke", Effect.flatMap(client, (c) => c.revoke({ token: secrets.refreshToken }))],
  ["me", Effect.flatMap(client, (c) => c.me({ accessToken: secrets.accessToken }))]
]

describe("form bodies round-trip on every endpoint", () => {
  /** The form fields a call sent (whatever it made of the answer), decoded. */
  const formSent = <A, E>(call: Effect.Effect<A, E, OAuthClient.OAuthClient>, clientId = CLIENT_ID) =>
    Effect.gen(function* () {
      yield* Effect.exit(call)
      return (yield* MockHttp.onlyRequest).form
    }).pipe(Effect.provide(clientLayer({ clientId }, MockHttp.status(500))))

  it.effect.prop(
    "refresh, device code and revoke send their secret and the client id exactly as given",
    [nonBlank.map((s) => s.trim()), nonBlank, nonBlank, nonBlank],
    ([clientId, refreshToken, deviceCode, token]) =>
      Effect.gen(function* () {
        const refresh = Effect.flatMap(client, (c) => c.refresh({ refreshToken: Redacted.make(refreshToken) }))
        expect(yield* formSent(refresh, clientId)).toEqual([
          ["client_id", clientId],
          ["grant_type", "refresh_token"],
          ["refresh_token", refreshToken]
        ])
        const poll = Effect.flatMap(client, (c) => c.exchangeDeviceCode({ deviceCode: Redacted.make(deviceCode) }))
        expect(yield* formSent(poll, clientId)).toEqual([
          ["client_id", clientId],
          ["grant_type", "urn:ietf:params:oauth:grant-type:device_code"],
          ["device_code", deviceCode]
        ])
        const revoke = Effect.flatMap(client, (c) => c.revoke({ token: Redacted.make(token) }))
        expect(yield* formSent(revoke, clientId)).toEqual([
          ["client_id", clientId],
          ["token", token]
        ])
      }),
    { timeout: 15_000, fastCheck: { numRuns: 40 } }
  )

  it.effect.prop(
    "device authorization sends any scope as given",
    [nonBlank],
    ([scope]) =>
      Effect.gen(function* () {
        const authorize = Effect.flatMap(client, (c) => c.authorizeDevice({ scope }))
        expect(yield* formSent(authorize)).toEqual([
          ["client_id", CLIENT_ID],
          ["scope", scope]
        ])
      }),
    { timeout: 15_000, fastCheck: { numRuns: 40 } }
  )
})

describe("expires_in and Seconds", () => {
  const tokenBody = fc.record({
    access_token: nonBlank,
    refresh_token: fc.option(nonBlank, { nil: undefined }),
    scope: fc.option(unicodeText, { nil: undefined }),
    token_type: fc.constantFrom(undefined, "bearer", "Bearer", "BEARER")
  })
  /** Up to 12 digits: what `Seconds` accepts as a string. */
  const seconds = fc.integer({ min: 0, max: 999_999_999_999 })

  it.effect.prop(
    "a token answer reads the same whether expires_in is a number or a string, and none without it",
    [tokenBody, seconds, fc.constantFrom("number", "string", "absent", "null")],
    ([body, expiresIn, form]) =>
      Effect.gen(function* () {
        const wire = {
          ...body,
          ...(form === "number" ? { expires_in: expiresIn } : {}),
          ...(form === "string" ? { expires_in: String(expiresIn) } : {}),
          ...(form === "null" ? { expires_in: null } : {})
        }
        const token = yield* refresh.pipe(Effect.provide(clientLayer({}, MockHttp.json(200, wire))))
        expect(token.expiresIn).toEqual(form === "number" || form === "string" ? Option.some(expiresIn) : Option.none())
        expect(Redacted.value(token.accessToken)).toBe(body.access_token)
        expect(Option.map(token.refreshToken, Redacted.value)).toEqual(Option.fromNullable(body.refresh_token))
      }),
    { timeout: 15_000, fastCheck: { numRuns: 60 } }
  )

  it.effect.prop(
    "a device authorization reads expires_in and interval the same in both forms",
    [seconds, seconds, fc.boolean()],
    ([expiresIn, interval, asStrings]) =>
      Effect.gen(function* () {
        const wire = {
          device_code: "dc",
          user_code: "ABCD-EFGH",
          verification_uri: "https://ultracart.example/device",
          expires_in: asStrings ? String(expiresIn) : expiresIn,
          interval: asStrings ? String(interval) : interval
        }
        const device = yield* authorizeDevice.pipe(Effect.provide(clientLayer({}, MockHttp.json(200, wire))))
        expect(device.expiresIn).toEqual(Option.some(expiresIn))
        expect(device.interval).toBe(interval)
      }),
    { timeout: 15_000, fastCheck: { numRuns: 40 } }
  )

  it.prop("Seconds round-trips: decode ∘ encode is the identity, from either wire form", [seconds], ([n]) => {
    const decode = Schema.decodeUnknownEither(Models.Seconds)
    const encode = Schema.encodeEither(Models.Seconds)
    expect(Either.flatMap(encode(n), decode)).toEqual(Either.right(n))
    expect(Either.flatMap(decode(String(n)), encode)).toEqual(Either.right(n))
    expect(Either.flatMap(Either.flatMap(decode(String(n)), encode), decode)).toEqual(Either.right(n))
  })
})

describe("any answer from the server", () => {
  /** A token that a server put in its answer: it must not reach an error. */
  const ANSWERED = "ANSWERED-SECRET-6b0e1f"
  const secretKeys = ["access_token", "refresh_token", "device_code"] as const
  const otherKeys = [
    "expires_in",
    "token_type",
    "scope",
    "error",
    "error_description",
    "error_uri",
    "user_code",
    "verification_uri",
    "verification_uri_complete",
    "interval",
    "successful",
    "message",
    "merchant_id",
    "permissions",
    "success",
    "metadata"
  ] as const
  const plainJson = fc.jsonValue({ maxDepth: 2 }).filter((v) => !JSON.stringify(v).includes(ANSWERED))
  /** A body shaped like the models (their keys with values of any JSON type), or any JSON, or not JSON at all. */
  const body = fc.oneof(
    fc
      .record(
        {
          ...Object.fromEntries(
            secretKeys.map((k) => [
              k,
              fc.oneof(fc.constant(ANSWERED), fc.constant({ token: ANSWERED }), fc.constant([ANSWERED]))
            ])
          ),
          ...Object.fromEntries(
            otherKeys.map((k) => [
              k,
              fc.oneof(plainJson, fc.nat().map(String), fc.constantFrom("bearer", "mac", "invalid_grant", "slow_down"))
            ])
          )
        },
        { requiredKeys: [] }
      )
      .map((value) => JSON.stringify(value)),
    fc
      .record(
        {
          error: fc.record(
            { developer_message: plainJson, user_message: plainJson, error_code: plainJson },
            { requiredKeys: [] }
          ),
          success: fc.boolean()
        },
        {
          requiredKeys: []
        }
      )
      .map((value) => JSON.stringify(value)),
    plainJson.map((value) => JSON.stringify(value)),
    fc.string({ unit: "binary", maxLength: 60 }).filter((s) => !s.includes(ANSWERED))
  )
  const status = fc.constantFrom(200, 201, 204, 299, 302, 400, 401, 403, 404, 409, 410, 429, 500, 502, 503, 504)
  const contentType = fc.constantFrom(
    undefined,
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "text/html"
  )
  /** Header values as a server may send them (visible ASCII and spaces: what `Headers` accepts). */
  const retryAfter = fc.option(
    fc.oneof(
      fc.nat().map(String),
      fc.string({ unit: "grapheme-ascii", maxLength: 30 }),
      fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())
    ),
    {
      nil: undefined
    }
  )

  it.effect.prop(
    "never throws or dies: every call succeeds or fails with an OAuthClientError that carries no token",
    [fc.constantFrom(...calls), status, contentType, retryAfter, body],
    ([[, call], code, type, retry, text]) =>
      Effect.gen(function* () {
        const headers: Record<string, string> = {}
        if (type !== undefined) headers["content-type"] = type
        if (retry !== undefined) headers["retry-after"] = retry
        if (code === 302) headers.location = "https://elsewhere.example/"
        const exit = yield* Effect.exit(call.pipe(Effect.provide(clientLayer({}, MockHttp.text(code, text, headers)))))
        if (Exit.isFailure(exit)) {
          expect(Cause.isDie(exit.cause), Cause.pretty(exit.cause)).toBe(false)
          const error = Cause.failureOption(exit.cause)
          expect(Option.isSome(error), Cause.pretty(exit.cause)).toBe(true)
          if (Option.isSome(error)) {
            expect(OAuthError.isOAuthClientError(error.value)).toBe(true)
            expectNoSecrets(error.value)
            for (const rendering of renderings(error.value)) expect(rendering).not.toContain(ANSWERED)
          }
        } else {
          // A success decoded any secret member into a Redacted: it prints as such. (`me`'s `raw` is the body
          // as sent, by design: /oauth/me carries no secrets, and `raw` is there for members this library lacks.)
          const { raw: _raw, ...decoded } =
            exit.value !== null && typeof exit.value === "object"
              ? (exit.value as Record<string, unknown>)
              : { raw: undefined }
          expect(JSON.stringify(decoded) ?? "").not.toContain(ANSWERED)
        }
      }),
    { timeout: 30_000, fastCheck: { numRuns: 250 } }
  )

  it.prop("the decoders never throw on any value, JSON or not", [fc.anything()], ([value]) => {
    for (const schema of [
      Models.OauthTokenResponse,
      Models.OauthDeviceAuthorizationResponse,
      Models.OauthRevokeSuccessResponse,
      Models.ErrorResponse
    ]) {
      expect(() => Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>)(value)).not.toThrow()
    }
  })
})

describe("callbacks with arbitrary query strings", () => {
  /** Raw query text: percent signs with and without valid escapes, encoded lone surrogates, repeated names. */
  const rawQuery = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          "code=",
          "state=",
          "error=",
          "&",
          "=",
          "%",
          "%2",
          "%ZZ",
          "%ED%A0%80",
          "%C3",
          "+",
          "#",
          "?",
          ";",
          "code",
          "state"
        ),
        fc.webQueryParameters(),
        fc.string({ unit: "binary", maxLength: 8 })
      ),
      { maxLength: 10 }
    )
    .map((parts) => parts.join(""))
  const callback = fc.oneof(
    rawQuery,
    rawQuery.map((q) => `?${q}`),
    rawQuery.map((q) => `${REDIRECT_URI}?${q}`),
    rawQuery.map((q) => new URLSearchParams(q)),
    rawQuery.map((q) => new URL(`${REDIRECT_URI}?${q}`))
  )

  it.prop(
    "parsing never throws or dies, whatever the query; a failure is a callback error",
    [callback, unicodeText],
    ([input, state]) => {
      const exit = Effect.runSyncExit(Callback.parse(input, Redacted.make(state)))
      if (Exit.isFailure(exit)) {
        expect(Cause.isDie(exit.cause)).toBe(false)
        const failure = Cause.failureOption(exit.cause)
        expect(Option.map(failure, (e) => callbackErrorTags.has(e._tag))).toEqual(Option.some(true))
      } else {
        expect(Redacted.isRedacted(exit.value)).toBe(true)
      }
    },
    { timeout: 15_000, fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "a code and state placed anywhere among arbitrary other parameters are found",
    [nonBlank, nonBlank, fc.webQueryParameters(), fc.webQueryParameters()],
    ([code, state, before, after]) => {
      const other = (q: string) =>
        [...new URLSearchParams(q)].filter(([k]) => k !== "code" && k !== "state" && k !== "error")
      const params = new URLSearchParams([...other(before), ["code", code], ...other(after), ["state", state]])
      const parsed = Effect.runSync(Callback.parse(`${REDIRECT_URI}?${params}`, Redacted.make(state)))
      expect(Redacted.value(parsed)).toBe(code)
    }
  )
})
