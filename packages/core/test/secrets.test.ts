/**
 * Secrets stay out of errors and traces, even when the server echoes them back. (Every error of every other test
 * file is checked too: `fail` asserts it.)
 */
import { HttpClientError, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { OAuthClient, OAuthError } from "../src/index.js"
import {
  browserKey,
  client,
  clientLayer,
  expectNoSecretsIn,
  fail,
  REDIRECT_URI,
  renderings,
  secrets,
  secretValues,
  simpleKey,
  tokenBody
} from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"
import * as RecordingTracer from "./utils/RecordingTracer.js"

type Call = Effect.Effect<unknown, OAuthError.OAuthClientError, OAuthClient.OAuthClient>

/** Every endpoint, each sending secrets of its own (the POSTs also send the simple key). */
const calls: ReadonlyArray<readonly [string, Call]> = [
  ["exchangeCode", Effect.flatMap(client, (o) => o.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI }))],
  [
    "exchangeCode with PKCE",
    Effect.flatMap(client, (o) =>
      o.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI, codeVerifier: secrets.codeVerifier })
    )
  ],
  ["refresh", Effect.flatMap(client, (o) => o.refresh({ refreshToken: secrets.refreshToken }))],
  ["refresh (awkward token)", Effect.flatMap(client, (o) => o.refresh({ refreshToken: secrets.awkwardToken }))],
  ["exchangeDeviceCode", Effect.flatMap(client, (o) => o.exchangeDeviceCode({ deviceCode: secrets.deviceCode }))],
  ["revoke", Effect.flatMap(client, (o) => o.revoke({ token: secrets.refreshToken }))],
  ["authorizeDevice", Effect.flatMap(client, (o) => o.authorizeDevice({ scope: "crm" }))],
  ["me", Effect.flatMap(client, (o) => o.me({ accessToken: secrets.accessToken }))]
]

const decoder = new TextDecoder()

/** All a request carried: its raw body, each form value, each header value. */
const everythingSent = (request: HttpClientRequest.HttpClientRequest): string => {
  const body = request.body._tag === "Uint8Array" ? decoder.decode(request.body.body) : ""
  return [body, ...new URLSearchParams(body).values(), ...Object.values(request.headers)].join(" | ")
}

/** A server that echoes everything it was sent into every text an error can carry. */
const echo =
  (status: number, shape: (echoed: string) => unknown): MockHttp.Reply =>
  (request) =>
    Effect.sync(() => {
      const echoed = `you sent ${everythingSent(request)}`
      return HttpClientResponse.fromWeb(
        request,
        new Response(JSON.stringify(shape(echoed)), {
          status,
          headers: { "content-type": "application/json", "UC-REST-ERROR": echoed, "retry-after": "1" }
        })
      )
    })

const oauthError = (echoed: string) => ({ error: "invalid_grant", error_description: echoed, error_uri: echoed })
const ultraCartError = (echoed: string) => ({
  error: {
    developer_message: echoed,
    user_message: echoed,
    error_code: echoed,
    more_info: echoed,
    object_id: echoed
  }
})

const servers: ReadonlyArray<readonly [string, MockHttp.Reply]> = [
  ["an OAuth error (400)", echo(400, oauthError)],
  ["an OAuth error served with 200", echo(200, oauthError)],
  ["an unknown OAuth code made of the request", echo(400, (echoed) => ({ error: echoed }))],
  ["an UltraCart ErrorResponse (400)", echo(400, ultraCartError)],
  ["401", echo(401, ultraCartError)],
  ["410", echo(410, ultraCartError)],
  ["429", echo(429, ultraCartError)],
  ["503", echo(503, ultraCartError)],
  [
    "a transport failure quoting the request",
    (request) =>
      Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: new Error(`proxy refused: ${everythingSent(request)}`)
        })
      )
  ]
]

describe("errors never carry a secret, even when the server echoes them", () => {
  for (const [server, reply] of servers) {
    it.effect(server, () =>
      Effect.gen(function* () {
        for (const [name, call] of calls) {
          const error = yield* fail(call)
          // The echo reached the error and was scrubbed, rather than never having been there.
          expect(renderings(error).join("\n"), name).toContain("<redacted>")
        }
      }).pipe(Effect.provide(clientLayer({ credentials: simpleKey }, reply)))
    )
  }
})

/** An answer that came from another URL (a redirect followed below the client), echoing the request. */
const followedRedirect: MockHttp.Reply = (request) =>
  Effect.sync(() => {
    const response = new Response(JSON.stringify(tokenBody), { status: 200 })
    Object.defineProperty(response, "url", { value: `https://elsewhere.example/?${everythingSent(request)}` })
    return HttpClientResponse.fromWeb(request, response)
  })

/** What each kind of error an OAuth call can produce takes to appear (every one also echoes the request). */
const everyErrorType: ReadonlyArray<readonly [string, MockHttp.Reply, Partial<OAuthClient.OAuthClientOptions>]> = [
  ...servers.map(([name, reply]) => [name, reply, {}] as const),
  ...OAuthError.knownOAuthCodes.map(
    (code) =>
      [
        `the OAuth code ${code}, in UltraCart's ErrorResponse`,
        echo(400, (echoed) => ({ error: { error_code: "400", developer_message: `${code}: ${echoed}` } })),
        {}
      ] as const
  ),
  ["a redirect (307)", MockHttp.status(307, { location: "https://elsewhere.example/" }), {}],
  ["an answer from another URL", followedRedirect, {}],
  ["no answer within the deadline", MockHttp.hang, { requestTimeout: 1 }],
  ["a body that stalls past its deadline", MockHttp.stalledBody(200), { bodyTimeout: 1 }],
  ["a body past the cap", echo(200, (echoed) => ({ access_token: echoed })), { maxBodyBytes: 16 }],
  ["a body cut short", MockHttp.brokenBody(200), {}],
  ["a 2xx body that does not decode", echo(200, (echoed) => [echoed]), {}],
  ["a 2xx body that is not JSON", (request) => MockHttp.text(200, everythingSent(request))(request), {}]
]

/** Every tag an OAuth call's error can have. */
const everyTag = [
  ...OAuthError.knownOAuthCodes.map((code) => OAuthError.fromOAuthCode(code, { endpoint: "token", status: 400 })._tag),
  "UnknownOAuthError",
  "Unauthorized",
  "AppDisabled",
  "RateLimited",
  "ServerError",
  "UltraCartError",
  "UnexpectedRedirect",
  "TransportError",
  "MalformedResponse",
  "InvalidInput"
]

/** Rendered a rejected `Effect.runPromise` of `call` as a program outside Effect's logger would, and checked it. */
const rejectionRenderings = (call: Effect.Effect<unknown, unknown>) =>
  Effect.promise(() =>
    Effect.runPromise(call).then(
      () => undefined,
      (reason: unknown) => reason
    )
  ).pipe(
    Effect.tap((rejection) => {
      expect(rejection).toBeInstanceOf(Error)
      expectNoSecretsIn([...renderings(rejection), JSON.stringify({ rejected: rejection })])
    })
  )

describe("no rendering of an OAuth call's error carries a secret, a rejected promise included", () => {
  const tags = new Set<string>()
  for (const [name, reply, overrides] of everyErrorType) {
    it.live(name, () =>
      Effect.gen(function* () {
        for (const [callName, call] of calls) {
          const layer = clientLayer({ credentials: simpleKey, ...overrides }, reply)
          // Outside Effect's logger: as a program that awaits `Effect.runPromise` prints what it rejects with.
          yield* rejectionRenderings(call.pipe(Effect.provide(layer)))
          const error = yield* fail(call.pipe(Effect.provide(layer)))
          expect(callName.length).toBeGreaterThan(0)
          tags.add(error._tag)
        }
      })
    )
  }

  it.live("input refused before sending", () =>
    Effect.gen(function* () {
      const call = Effect.flatMap(client, (o) =>
        o.exchangeCode({ code: secrets.code, redirectUri: `${secretValues.code} not a URL` })
      )
      const layer = clientLayer({ credentials: simpleKey })
      yield* rejectionRenderings(call.pipe(Effect.provide(layer)))
      tags.add((yield* fail(call.pipe(Effect.provide(layer))))._tag)
    })
  )

  it("covers every error type an OAuth call can fail with", () => {
    expect([...tags].sort()).toEqual([...new Set(everyTag)].sort())
  })
})

describe("traces", () => {
  const everyCall = Effect.forEach(calls, ([, call]) => Effect.either(call))

  it.effect("no secret reaches a span, and the secret headers are redacted", () =>
    Effect.gen(function* () {
      const { spans } = yield* RecordingTracer.recording(everyCall)
      const httpSpans = spans.filter((span) => span.name.startsWith("http.client"))
      expect(httpSpans).toHaveLength(calls.length)
      expect(spans.filter((span) => span.name.startsWith("UltraCartOAuth /oauth/"))).toHaveLength(calls.length)
      for (const span of spans) expectNoSecretsIn(span.renderings)

      const posts = httpSpans.filter((span) => span.attributes.get("http.request.method") === "POST")
      expect(posts).toHaveLength(calls.length - 1)
      for (const span of posts) {
        expect(span.attributes.get("http.request.header.x-ultracart-simple-key")).toBe("<redacted>")
      }
      const get = httpSpans.find((span) => span.attributes.get("http.request.method") === "GET")
      expect(get?.attributes.get("http.request.header.authorization")).toBe("<redacted>")
    }).pipe(Effect.provide(clientLayer({ credentials: simpleKey }, MockHttp.json(200, tokenBody))))
  )

  it.effect("a browser key header is redacted too", () =>
    Effect.gen(function* () {
      const { spans } = yield* RecordingTracer.recording(everyCall)
      for (const span of spans) expectNoSecretsIn(span.renderings)
      const keys = spans.flatMap((span) =>
        [...span.attributes].filter(([key]) => key.endsWith("x-ultracart-browser-key"))
      )
      expect(keys.length).toBe(calls.length - 1)
      for (const [, value] of keys) expect(value).toBe("<redacted>")
    }).pipe(Effect.provide(clientLayer({ credentials: browserKey }, MockHttp.json(200, tokenBody))))
  )

  it.effect("an echoing server's UC-REST-ERROR header does not reach the HTTP span; failed spans carry no secret", () =>
    Effect.gen(function* () {
      const { spans } = yield* RecordingTracer.recording(everyCall)
      const headers = spans.flatMap((span) => [...span.attributes].filter(([key]) => key.endsWith("uc-rest-error")))
      expect(headers.length).toBe(calls.length)
      for (const [, value] of headers) expect(value).toBe("<redacted>")
      const failed = spans.filter((span) => span.status._tag === "Ended" && span.status.exit._tag === "Failure")
      expect(failed.length).toBeGreaterThanOrEqual(calls.length)
      for (const span of spans) expectNoSecretsIn(span.renderings)
    }).pipe(Effect.provide(clientLayer({ credentials: simpleKey }, echo(400, oauthError))))
  )

  it.effect("the OAuth span names the endpoint and client, and the grant type", () =>
    Effect.gen(function* () {
      const { result, spans } = yield* RecordingTracer.recording(
        Effect.flatMap(client, (o) => o.refresh({ refreshToken: secrets.refreshToken }))
      )
      expect(Either.isRight(result)).toBe(true)
      const span = spans.find((s) => s.name === "UltraCartOAuth /oauth/token")
      expect(span?.kind).toBe("client")
      expect(Object.fromEntries(span?.attributes ?? [])).toMatchObject({
        "ultracart.client_id": "app-client-7",
        "ultracart.endpoint": "/oauth/token",
        "oauth.grant_type": "refresh_token"
      })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, tokenBody))))
  )
})

describe("client options", () => {
  it.effect("the configured key is not in the service's printable surface", () =>
    Effect.gen(function* () {
      const oauth = yield* OAuthClient.OAuthClient
      expectNoSecretsIn([JSON.stringify(oauth), String(oauth)])
    }).pipe(Effect.provide(clientLayer({ credentials: simpleKey })))
  )
})
