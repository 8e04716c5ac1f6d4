/**
 * What the client does by default that a careful OAuth client must: a deadline on every call, no redirect ever
 * followed, a bounded body, header values that cannot split a request refused before anything is sent,
 * verification URIs that are safe to show, and odd input as typed errors rather than defects.
 */
import { FetchHttpClient, HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Duration,
  Effect,
  Exit,
  FastCheck as fc,
  Fiber,
  Layer,
  Option,
  Redacted,
  Stream,
  TestClock
} from "effect"
import { Callback, Credentials, OAuthClient, OAuthError } from "../src/index.js"
import { client, clientLayer, fail, REDIRECT_URI, secrets, tokenBody } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const refresh = Effect.flatMap(client, (o) => o.refresh({ refreshToken: secrets.refreshToken }))

describe("deadlines by default", () => {
  it.effect("a server that never answers is TransportError Timeout after 30 s, not a moment earlier", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(fail(refresh))
      yield* TestClock.adjust(Duration.seconds(30).pipe(Duration.subtract(Duration.millis(1))))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout", outcome: "Unknown" })
      expect(error.message).toContain("30s")
    }).pipe(Effect.provide(clientLayer({}, MockHttp.hang)))
  )

  it.effect("a body that stalls after the head is TransportError BodyTimeout after 30 s", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(fail(refresh))
      yield* TestClock.adjust(Duration.seconds(30))
      expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "TransportError", reason: "BodyTimeout" })
    }).pipe(Effect.provide(clientLayer({}, MockHttp.stalledBody(200))))
  )

  it("the defaults are documented constants", () => {
    expect(OAuthClient.DEFAULT_REQUEST_TIMEOUT).toEqual(Duration.seconds(30))
    expect(OAuthClient.DEFAULT_BODY_TIMEOUT).toEqual(Duration.seconds(30))
    expect(OAuthClient.DEFAULT_MAX_BODY_BYTES).toBe(1024 * 1024)
  })
})

/** A `fetch` that follows redirects itself, whatever it is told, answering from `/elsewhere`. */
const followingFetch: typeof globalThis.fetch = async () => {
  const response = new Response(JSON.stringify(tokenBody), {
    status: 200,
    headers: { "content-type": "application/json" }
  })
  Object.defineProperty(response, "url", { value: "https://attacker.example/elsewhere" })
  Object.defineProperty(response, "redirected", { value: true })
  return response
}

describe("redirects", () => {
  it.effect("an answer from another URL than the one requested is UnexpectedRedirect (followed), not tokens", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "UnexpectedRedirect", status: 200, followed: true })
      expect(error.message).toContain("another URL")
    }).pipe(
      Effect.provide(
        OAuthClient.layer({ clientId: "app" }).pipe(
          Layer.provide(FetchHttpClient.layer),
          Layer.provide(Layer.succeed(FetchHttpClient.Fetch, followingFetch))
        )
      )
    )
  )

  it.effect("a Fetch client is told redirect: manual, even under a RequestInit that asks to follow", () =>
    Effect.gen(function* () {
      const seen: Array<RequestRedirect | undefined> = []
      const fetch: typeof globalThis.fetch = async (_input, init) => {
        seen.push(init?.redirect)
        return new Response(JSON.stringify(tokenBody), { status: 200 })
      }
      yield* refresh.pipe(
        Effect.provide(
          OAuthClient.layer({ clientId: "app" }).pipe(
            Layer.provide(FetchHttpClient.layer),
            Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch))
          )
        ),
        Effect.provideService(FetchHttpClient.RequestInit, { redirect: "follow" })
      )
      expect(seen).toEqual(["manual"])
    })
  )

  it.effect("a 3xx is UnexpectedRedirect, never followed", () =>
    Effect.gen(function* () {
      expect(yield* fail(refresh)).toMatchObject({ _tag: "UnexpectedRedirect", status: 307 })
      expect(yield* MockHttp.requests).toHaveLength(1)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.status(307, { location: "https://attacker.example/" }))))
  )
})

/** A body of `bytes` bytes, in 64 KiB chunks, with no length declared. */
const longBody = (bytes: number): MockHttp.Reply =>
  MockHttp.respond(() => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    let sent = 0
    return new Response(
      new ReadableStream({
        pull: (controller) => {
          if (sent >= bytes) return controller.close()
          controller.enqueue(chunk)
          sent += chunk.length
        }
      }),
      { status: 200 }
    )
  })

describe("bounded bodies", () => {
  it.effect("a body past the cap is TransportError BodyTooLarge, outcome Unknown", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "BodyTooLarge", outcome: "Unknown" })
      expect(error.message).toContain(String(OAuthClient.DEFAULT_MAX_BODY_BYTES))
    }).pipe(Effect.provide(clientLayer({}, longBody(5 * 1024 * 1024))))
  )

  it.effect("a declared Content-Length past the cap fails before the body is read", () =>
    Effect.gen(function* () {
      let pulled = 0
      const reply: MockHttp.Reply = MockHttp.respond(
        () =>
          new Response(
            new ReadableStream({
              pull: (controller) => {
                pulled++
                controller.enqueue(new Uint8Array(10))
              }
            }),
            { status: 200, headers: { "content-length": "2000" } }
          )
      )
      const error = yield* fail(refresh.pipe(Effect.provide(clientLayer({ maxBodyBytes: 1000 }, reply))))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "BodyTooLarge" })
      expect(pulled).toBeLessThanOrEqual(1)
    })
  )

  it.effect("maxBodyBytes sets the cap: a body at the cap is read, one byte more is not", () =>
    Effect.gen(function* () {
      const body = JSON.stringify(tokenBody)
      const at = clientLayer({ maxBodyBytes: body.length }, MockHttp.text(200, body))
      expect(Redacted.value((yield* refresh.pipe(Effect.provide(at))).accessToken)).toBe(tokenBody.access_token)
      const under = clientLayer({ maxBodyBytes: body.length - 1 }, MockHttp.text(200, body))
      expect(yield* fail(refresh.pipe(Effect.provide(under)))).toMatchObject({ reason: "BodyTooLarge" })
    })
  )

  it.effect("a negative or fractional cap is InvalidInput", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(OAuthClient.make({ clientId: "app", maxBodyBytes: 1.5 }))
      expect(error).toMatchObject({ _tag: "InvalidInput", field: "maxBodyBytes" })
    }).pipe(Effect.provide(MockHttp.layer()))
  )

  it.effect("a deadline that is no duration (from untyped configuration) is InvalidInput, not a defect", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(OAuthClient.make({ clientId: "app", requestTimeout: "soon" as never }))
      expect(error).toMatchObject({ _tag: "InvalidInput", field: "requestTimeout", reason: "is not a duration" })
    }).pipe(Effect.provide(MockHttp.layer()))
  )
})

describe("header values", () => {
  const injected = Redacted.make("at-1\r\nx-injected: yes")

  it.effect("a bearer token with CR/LF is InvalidInput before anything is sent, and not quoted", () =>
    Effect.gen(function* () {
      const error = yield* fail(Effect.flatMap(client, (o) => o.me({ accessToken: injected })))
      expect(error).toMatchObject({ _tag: "InvalidInput", field: "accessToken" })
      expect(error.message).not.toContain("x-injected")
      expect(yield* MockHttp.requests).toHaveLength(0)
    }).pipe(Effect.provide(clientLayer({})))
  )

  it.effect("an API key or API version that no header can carry is refused when the client is made", () =>
    Effect.gen(function* () {
      const key = yield* Effect.flip(
        OAuthClient.make({ clientId: "app", credentials: Credentials.simpleKey(Redacted.make("sk\nx")) })
      )
      expect(key).toMatchObject({ _tag: "InvalidInput", field: "credentials" })
      const version = yield* Effect.flip(OAuthClient.make({ clientId: "app", apiVersion: "2017-03-01\r\nx: y" }))
      expect(version).toMatchObject({ _tag: "InvalidInput", field: "apiVersion" })
    }).pipe(Effect.provide(MockHttp.layer()))
  )
})

describe("device verification URIs", () => {
  const device = (verification: Record<string, string>) =>
    Effect.flatMap(client, (o) => o.authorizeDevice({ scope: "crm" })).pipe(
      Effect.provide(
        clientLayer({}, MockHttp.json(200, { device_code: "dc", user_code: "ABCD", expires_in: 600, ...verification }))
      )
    )

  for (const uri of ["http://ultracart.example/device", "javascript:alert(1)", "file:///etc/passwd", "not a url"]) {
    it.effect(`${uri} is MalformedResponse`, () =>
      Effect.gen(function* () {
        const error = yield* fail(device({ verification_uri: uri }))
        expect(error).toMatchObject({ _tag: "MalformedResponse", reason: "Schema" })
        expect(error).toMatchObject({ issues: ["verification_uri: is not an https URL (or http on loopback)"] })
      })
    )
  }

  it.effect("so is an unsafe verification_uri_complete", () =>
    Effect.gen(function* () {
      const error = yield* fail(
        device({ verification_uri: "https://ultracart.example/d", verification_uri_complete: "http://evil.example/" })
      )
      expect(error).toMatchObject({ _tag: "MalformedResponse" })
    })
  )

  for (const uri of ["https://secure.ultracart.com/device", "http://127.0.0.1:8080/device", "http://localhost/d"]) {
    it.effect(`${uri} is accepted`, () =>
      Effect.gen(function* () {
        expect((yield* device({ verification_uri: uri })).verificationUri).toBe(uri)
      })
    )
  }
})

describe("odd input to parseCallback", () => {
  const expected = Redacted.make("state-1")
  for (const input of [null, undefined, 42, {}, [], Symbol("x")]) {
    it.effect(`${String(input)} is CallbackMissingCode, not a defect`, () =>
      Effect.gen(function* () {
        // Untyped callers (a framework handing over `req.query.url`) can pass anything.
        const exit = yield* Effect.exit(Callback.parse(input as never, expected))
        expect(exit).toEqual(Exit.fail(new Callback.CallbackMissingCode({ reason: "not a URL or query string" })))
      })
    )
  }

  it.prop(
    "never throws on anything, and fails only with a callback error",
    [fc.anything(), fc.anything()],
    ([a, b]) => {
      const exit = Effect.runSyncExit(
        Callback.parse(a as never, (Redacted.isRedacted(b) ? b : Redacted.make(b)) as never)
      )
      if (Exit.isFailure(exit)) {
        expect(Cause.isDie(exit.cause)).toBe(false)
        const failure = Cause.failureOption(exit.cause)
        expect(Option.isSome(failure) && Callback.isCallbackError(failure.value)).toBe(true)
      }
    }
  )
})

describe("guards check type ids, not tags", () => {
  it.effect("a real error passes; a look-alike with the same _tag does not", () =>
    Effect.gen(function* () {
      const error = yield* fail(refresh)
      expect(OAuthError.isOAuthClientError(error)).toBe(true)
      expect(OAuthError.isOAuthProtocolError(error)).toBe(true)
      const lookAlike = { _tag: error._tag, status: 400 }
      expect(OAuthError.isOAuthClientError(lookAlike)).toBe(false)
      expect(OAuthError.isOAuthProtocolError(lookAlike)).toBe(false)
      expect(OAuthError.isOAuthProtocolError(new OAuthError.InvalidInput({ field: "f", reason: "r" }))).toBe(false)
      expect(Callback.isCallbackError(new Callback.StateMismatch({ reason: "Missing" }))).toBe(true)
      expect(Callback.isCallbackError({ _tag: "StateMismatch", reason: "Missing" })).toBe(false)
    }).pipe(Effect.provide(clientLayer({}, MockHttp.json(400, { error: "invalid_grant" }))))
  )
})

describe("reading a long body through any HttpClient stops at the cap", () => {
  it.effect("the stream is not read to its end", () =>
    Effect.gen(function* () {
      let chunks = 0
      const endless = HttpClient.make((request) =>
        Effect.succeed(
          HttpClientResponse.fromWeb(
            request,
            new Response(
              Stream.toReadableStream(Stream.repeatEffect(Effect.sync(() => (chunks++, new Uint8Array(64 * 1024))))),
              { status: 200 }
            )
          )
        )
      )
      const oauth = yield* OAuthClient.make({ clientId: "app" }).pipe(
        Effect.provide(Layer.succeed(HttpClient.HttpClient, endless))
      )
      const error = yield* Effect.flip(oauth.exchangeCode({ code: secrets.code, redirectUri: REDIRECT_URI }))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "BodyTooLarge" })
      // 1 MiB is 16 chunks; a few more may be pulled ahead by the stream.
      expect(chunks).toBeLessThan(40)
    })
  )
})
