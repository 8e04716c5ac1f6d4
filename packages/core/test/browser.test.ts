/**
 * The browser leg: the authorize URL with its state, reading the redirect back, and PKCE.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { AuthorizationUrl, Callback, OAuthError, Pkce } from "../src/index.js"
import { client, CLIENT_ID, clientLayer, fail, REDIRECT_URI, secrets, secretValues } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const base64UrlBytes = (text: string): number => Buffer.from(text, "base64url").length

describe("authorizationUrl", () => {
  it.effect("carries response_type=code, client_id, redirect_uri and a fresh state, and nothing else", () =>
    Effect.gen(function* () {
      const { state, url } = yield* (yield* client).authorizationUrl({ redirectUri: REDIRECT_URI })
      const parsed = new URL(url)
      expect(parsed.origin + parsed.pathname).toBe("https://secure.ultracart.com/rest/v2/oauth/authorize")
      expect([...parsed.searchParams]).toEqual([
        ["response_type", "code"],
        ["client_id", CLIENT_ID],
        ["redirect_uri", REDIRECT_URI],
        ["state", Redacted.value(state)]
      ])
      expect(yield* MockHttp.requests).toEqual([])
    }).pipe(Effect.provide(clientLayer({})))
  )

  it.effect("the state has at least 128 bits and is fresh every time", () =>
    Effect.gen(function* () {
      const oauth = yield* client
      const states = yield* Effect.forEach(Array.from({ length: 200 }), () =>
        Effect.map(oauth.authorizationUrl({ redirectUri: REDIRECT_URI }), (u) => Redacted.value(u.state))
      )
      for (const state of states) {
        expect(state).toMatch(/^[A-Za-z0-9_-]+$/)
        expect(base64UrlBytes(state) * 8).toBeGreaterThanOrEqual(128)
      }
      expect(new Set(states).size).toBe(states.length)
      const generated = Redacted.value(yield* AuthorizationUrl.generateState)
      expect(base64UrlBytes(generated)).toBe(32)
    }).pipe(Effect.provide(clientLayer({})))
  )

  it.effect("a state given by the caller is used as is", () =>
    Effect.gen(function* () {
      const result = yield* (yield* client).authorizationUrl({ redirectUri: REDIRECT_URI, state: secrets.state })
      expect(result.state).toBe(secrets.state)
      expect(new URL(result.url).searchParams.get("state")).toBe(secretValues.state)
    }).pipe(Effect.provide(clientLayer({})))
  )

  it.effect("PKCE adds the S256 challenge", () =>
    Effect.gen(function* () {
      const pkce = yield* Pkce.make
      const { url } = yield* (yield* client).authorizationUrl({ redirectUri: REDIRECT_URI, pkce })
      const params = new URL(url).searchParams
      expect(params.get("code_challenge")).toBe(pkce.challenge)
      expect(params.get("code_challenge_method")).toBe("S256")
      expect(url).not.toContain(Redacted.value(pkce.verifier))
    }).pipe(Effect.provide(clientLayer({})))
  )

  const refused: ReadonlyArray<[string, AuthorizationUrl.AuthorizationUrlInput, string]> = [
    ["a state under 128 bits", { redirectUri: REDIRECT_URI, state: Redacted.make("short-state") }, "state"],
    ["a relative redirect URI", { redirectUri: "/cb" }, "redirectUri"],
    ["a redirect URI with a fragment", { redirectUri: `${REDIRECT_URI}#x` }, "redirectUri"]
  ]
  for (const [name, input, field] of refused) {
    it.effect(`${name} is InvalidInput(${field})`, () =>
      Effect.gen(function* () {
        const error = yield* fail((yield* client).authorizationUrl(input))
        expect(error).toBeInstanceOf(OAuthError.InvalidInput)
        expect(error.field).toBe(field)
      }).pipe(Effect.provide(clientLayer({})))
    )
  }

  it.effect("an empty client id is InvalidInput", () =>
    Effect.gen(function* () {
      const error = yield* fail(
        AuthorizationUrl.make({
          baseUrl: "https://secure.ultracart.com/rest/v2",
          clientId: " ",
          redirectUri: REDIRECT_URI
        })
      )
      expect(error).toEqual(new OAuthError.InvalidInput({ field: "clientId", reason: "is empty" }))
    })
  )
})

describe("parseCallback", () => {
  const query = (params: Record<string, string>) => new URLSearchParams(params).toString()
  const good = query({ code: secretValues.code, state: secretValues.state })

  const forms: ReadonlyArray<[string, string | URL | URLSearchParams]> = [
    ["a full URL", `${REDIRECT_URI}?${good}`],
    ["a URL object", new URL(`${REDIRECT_URI}?${good}`)],
    ["URLSearchParams", new URLSearchParams(good)],
    ["a query string with ?", `?${good}`],
    ["a bare query string", good],
    ["a request path (Node's req.url)", `/oauth/callback?${good}`]
  ]
  for (const [name, callback] of forms) {
    it.effect(`reads the code from ${name}`, () =>
      Effect.gen(function* () {
        const code = yield* Callback.parse(callback, secrets.state)
        expect(Redacted.isRedacted(code)).toBe(true)
        expect(Redacted.value(code)).toBe(secretValues.code)
      })
    )
  }

  it.effect("is on the client too", () =>
    Effect.gen(function* () {
      const code = yield* (yield* client).parseCallback(`${REDIRECT_URI}?${good}`, secrets.state)
      expect(Redacted.value(code)).toBe(secretValues.code)
    }).pipe(Effect.provide(clientLayer({})))
  )

  const failures: ReadonlyArray<[name: string, callback: string, expected: Callback.CallbackError]> = [
    [
      "access_denied is AuthorizationDenied",
      query({ error: "access_denied", error_description: "The merchant said no", state: secretValues.state }),
      new Callback.AuthorizationDenied({ description: "The merchant said no" })
    ],
    [
      "invalid_request is AuthorizationExpired",
      query({ error: "invalid_request", state: secretValues.state }),
      new Callback.AuthorizationExpired({})
    ],
    [
      "another error code is AuthorizationFailed keeping the code",
      query({ error: "server_error", state: secretValues.state }),
      new Callback.AuthorizationFailed({ code: "server_error" })
    ],
    [
      "a missing code",
      query({ state: secretValues.state }),
      new Callback.CallbackMissingCode({ reason: "no code parameter" })
    ],
    [
      "an empty code",
      query({ code: "", state: secretValues.state }),
      new Callback.CallbackMissingCode({ reason: "no code parameter" })
    ],
    [
      "two codes",
      `code=${secretValues.code}&code=other&state=${secretValues.state}`,
      new Callback.CallbackMissingCode({ reason: "more than one code parameter" })
    ],
    ["a missing state", query({ code: secretValues.code }), new Callback.StateMismatch({ reason: "Missing" })],
    [
      "an empty state",
      query({ code: secretValues.code, state: "" }),
      new Callback.StateMismatch({ reason: "Missing" })
    ],
    [
      "a different state",
      query({ code: secretValues.code, state: `${secretValues.state}x` }),
      new Callback.StateMismatch({ reason: "Different" })
    ],
    [
      "a duplicated state, even when both copies match",
      `code=${secretValues.code}&state=${secretValues.state}&state=${secretValues.state}`,
      new Callback.StateMismatch({ reason: "Different" })
    ],
    [
      "a duplicated state where the first copy matches",
      `code=${secretValues.code}&state=${secretValues.state}&state=forged`,
      new Callback.StateMismatch({ reason: "Different" })
    ],
    [
      "an error with a forged state (state is checked before the error is trusted)",
      query({ error: "access_denied", state: "forged-state-value-0123456789" }),
      new Callback.StateMismatch({ reason: "Different" })
    ],
    ["an error without state", query({ error: "invalid_request" }), new Callback.StateMismatch({ reason: "Missing" })],
    [
      "text that is no URL and no query",
      "no callback here",
      new Callback.CallbackMissingCode({ reason: "not a URL or query string" })
    ]
  ]
  for (const [name, callback, expected] of failures) {
    it.effect(`${name}: ${expected._tag}`, () =>
      Effect.gen(function* () {
        expect(yield* fail(Callback.parse(callback, secrets.state))).toEqual(expected)
      })
    )
  }
})

describe("constantTimeEquals", () => {
  const cases: ReadonlyArray<[string, string, boolean]> = [
    [secretValues.state, secretValues.state, true],
    ["", "", true],
    ["ü😀", "ü😀", true],
    [secretValues.state, `${secretValues.state}x`, false],
    [`${secretValues.state}x`, secretValues.state, false],
    ["abcdef", "abcdeg", false],
    ["", "a", false],
    ["a", "", false],
    ["\u00e9", "e\u0301", false],
    // Lone surrogates differ, though a UTF-8 encoder turns both into U+FFFD.
    ["\ud800", "\ud801", false],
    ["\ud800", "\ufffd", false]
  ]
  for (const [a, b, equal] of cases) {
    it(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${equal}`, () => {
      expect(Callback.constantTimeEquals(Redacted.make(a), Redacted.make(b))).toBe(equal)
    })
  }
})

describe("PKCE", () => {
  it.effect("the challenge matches RFC 7636 appendix B", () =>
    Effect.gen(function* () {
      const challenge = yield* Pkce.challengeOf(Redacted.make("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
      expect(challenge).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    })
  )

  it.effect("a fresh verifier is 43 unreserved characters, and its challenge is S256 of it", () =>
    Effect.gen(function* () {
      const first = yield* Pkce.make
      const second = yield* Pkce.make
      expect(Redacted.value(first.verifier)).toMatch(/^[A-Za-z0-9\-._~]{43}$/)
      expect(first.method).toBe("S256")
      expect(first.challenge).toBe(yield* Pkce.challengeOf(first.verifier))
      expect(Redacted.value(first.verifier)).not.toBe(Redacted.value(second.verifier))
    })
  )
})
