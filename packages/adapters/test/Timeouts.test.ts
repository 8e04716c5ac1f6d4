import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import * as Timeouts from "../src/Timeouts.js"
import { httpFailureOf, settledAt } from "./utils/deadlines.js"
import * as Mock from "./utils/MockHttpClient.js"
import { script } from "./utils/MockHttpClient.js"

const withDeadlines = (timeouts: Timeouts.Timeouts) =>
  Layer.provideMerge(
    Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, Timeouts.transformClient(timeouts))),
    Mock.layer
  )

const fetchText = Effect.flatMap(HttpClient.HttpClient, (c) =>
  Effect.flatMap(c.get("https://api.example/item"), (r) => Effect.map(r.text, (text) => ({ status: r.status, text })))
)

describe("Timeouts.transformClient (API client)", () => {
  const layer = withDeadlines(Timeouts.make({ requestTimeout: "3 seconds", bodyTimeout: "2 seconds" }))

  it.effect("fails a request with no response head exactly at requestTimeout", () =>
    Effect.gen(function* () {
      yield* script(Mock.hang)
      const exit = yield* settledAt(fetchText, 3000)
      const { cause: deadline, error } = httpFailureOf(exit)
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      expect(deadline).toBeInstanceOf(Timeouts.DeadlineExceeded)
      expect(deadline).toMatchObject({ phase: "Response", timeoutMillis: 3000 })
    }).pipe(Effect.provide(layer))
  )

  it.effect("fails a body that does not finish within bodyTimeout of the head", () =>
    Effect.gen(function* () {
      yield* script(Mock.stallBody(200))
      const exit = yield* settledAt(fetchText, 2000)
      const { cause: deadline, error } = httpFailureOf(exit)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(deadline).toMatchObject({ _tag: "DeadlineExceeded", phase: "Body", timeoutMillis: 2000 })
      expect(String(deadline)).toMatch(/no complete body within 2s/)
    }).pipe(Effect.provide(layer))
  )

  it.effect("hands back a timely response with its status, headers and body", () =>
    Effect.gen(function* () {
      yield* script(Mock.respond(201, "hello", { "x-thing": "1" }), Mock.respond(204))
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get("https://api.example/item")
      expect(response.status).toBe(201)
      expect(response.headers["x-thing"]).toBe("1")
      expect(yield* response.text).toBe("hello")
      expect((yield* client.get("https://api.example/item")).status).toBe(204)
    }).pipe(Effect.provide(layer))
  )

  it.effect("with an infinite body deadline, hands back the head without reading the body", () =>
    Effect.gen(function* () {
      yield* script(Mock.stallBody(200))
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get("https://api.example/item")
      expect(response.status).toBe(200)
    }).pipe(Effect.provide(withDeadlines(Timeouts.make({ bodyTimeout: Duration.infinity }))))
  )
})

describe("deadlines of the OAuth client", () => {
  const revoke = Effect.flatMap(OAuthClient.OAuthClient, (c) => c.revoke({ token: Redacted.make("t") }))

  it.effect("withTimeouts fills in the 10 s defaults: a silent server is a Timeout after 10 s", () =>
    Effect.gen(function* () {
      yield* script(Mock.hang)
      const exit = yield* settledAt(revoke, 10000)
      expect(exit).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "TransportError", reason: "Timeout" } } })
    }).pipe(
      Effect.provide(OAuthClient.layer(Timeouts.withTimeouts({ clientId: "cid" })).pipe(Layer.provideMerge(Mock.layer)))
    )
  )

  it.effect("withTimeouts keeps deadlines the options already set", () =>
    Effect.sync(() => {
      const options = Timeouts.withTimeouts({ clientId: "cid", bodyTimeout: "1 second" })
      expect(options.bodyTimeout).toBe("1 second")
      expect(options.requestTimeout).toEqual(Duration.seconds(10))
    })
  )

  it.effect("oauthClientConfig reads ULTRACART_REQUEST_TIMEOUT and ULTRACART_BODY_TIMEOUT", () =>
    Effect.gen(function* () {
      yield* script(Mock.stallBody(200))
      const exit = yield* settledAt(revoke, 4000)
      expect(exit).toMatchObject({
        _tag: "Failure",
        cause: { error: { _tag: "TransportError", reason: "BodyTimeout" } }
      })
    }).pipe(
      Effect.provide(
        OAuthClient.layerConfig(Timeouts.oauthClientConfig).pipe(
          Layer.provideMerge(Mock.layer),
          Layer.provide(
            Layer.setConfigProvider(
              ConfigProvider.fromMap(
                new Map([
                  ["ULTRACART_CLIENT_ID", "cid"],
                  ["ULTRACART_REQUEST_TIMEOUT", "1 second"],
                  ["ULTRACART_BODY_TIMEOUT", "4 seconds"]
                ])
              )
            )
          )
        )
      )
    )
  )
})
