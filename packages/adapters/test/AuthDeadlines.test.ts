/**
 * Deadlines by default: every call through the `Auth` Layers and `AuthenticatedClient` has a head and a body
 * deadline (30 s each) unless the options or the configuration turn one off explicitly.
 */
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Credentials } from "@ultracart-oauth/core"
import { ConfigError, ConfigProvider, Duration, Effect, Either, Exit, Layer, Redacted } from "effect"
import * as Auth from "../src/Auth.js"
import * as AuthenticatedClient from "../src/AuthenticatedClient.js"
import * as Timeouts from "../src/Timeouts.js"
import * as TokenManager from "../src/TokenManager.js"
import * as TokenStore from "../src/TokenStore.js"
import { ScriptedServer } from "./TokenFixtures.js"
import { httpFailureOf, settledAt, stillRunningAfterADay } from "./utils/deadlines.js"
import * as Mock from "./utils/MockHttpClient.js"
import { script } from "./utils/MockHttpClient.js"

const key = Redacted.make("deadline-key")
const env = (vars: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))
const getText = Effect.flatMap(Auth.UltraCartHttpClient, (c) =>
  Effect.flatMap(c.get("/order/orders"), (response) => response.text)
)

/** The deadline an exit failed on: the error's tag and the `DeadlineExceeded` cause. */
const deadlineOf = (exit: Exit.Exit<unknown, unknown>) => {
  const { error, cause } = httpFailureOf(exit)
  expect(cause).toBeInstanceOf(Timeouts.DeadlineExceeded)
  return { tag: error._tag, cause }
}

const withManager = (
  api: Layer.Layer<Auth.UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient | TokenManager.TokenManager>
) => {
  const server = new ScriptedServer()
  return api.pipe(
    Layer.provideMerge(TokenManager.layer({ key: "m" })),
    Layer.provide(Layer.merge(TokenStore.layerMemory, server.layer())),
    Layer.tap((context) =>
      Effect.flatMap(Effect.provide(TokenManager.TokenManager, context), (m) => m.save(server.initial()))
    )
  )
}

const byDefault: Record<string, Layer.Layer<Auth.UltraCartHttpClient, unknown, HttpClient.HttpClient>> = {
  "Auth.layerSimpleKey": Auth.layerSimpleKey(key),
  "Auth.layerBrowserKey": Auth.layerBrowserKey(key),
  "Auth.layerBearer": Auth.layerBearer(key),
  "Auth.layerBearerFrom": Auth.layerBearerFrom(Effect.succeed(key)),
  "Auth.layerConfig": Auth.layerConfig.pipe(Layer.provide(env({ ULTRACART_SIMPLE_KEY: "k" }))),
  "AuthenticatedClient.layer": withManager(AuthenticatedClient.layer()),
  "AuthenticatedClient.layerConfig": withManager(AuthenticatedClient.layerConfig())
}

const over = <E>(layer: Layer.Layer<Auth.UltraCartHttpClient, E, HttpClient.HttpClient>) =>
  Layer.provideMerge(Layer.orDie(layer), Mock.layer)

describe("by default, 30 s for the head and 30 s for the body", () => {
  for (const [name, layer] of Object.entries(byDefault)) {
    it.effect(`${name}: a server that never answers fails the call at 30 s`, () =>
      Effect.gen(function* () {
        yield* script(Mock.hang)
        const { cause, tag } = deadlineOf(yield* settledAt(getText, 30_000))
        expect(tag).toBe("RequestError")
        expect(cause).toMatchObject({ phase: "Response", timeoutMillis: 30_000 })
      }).pipe(Effect.provide(over(layer)))
    )

    it.effect(`${name}: a body that never ends fails the call 30 s after the head`, () =>
      Effect.gen(function* () {
        yield* script(Mock.stallBody(200))
        const { cause, tag } = deadlineOf(yield* settledAt(getText, 30_000))
        expect(tag).toBe("ResponseError")
        expect(cause).toMatchObject({ phase: "Body", timeoutMillis: 30_000 })
      }).pipe(Effect.provide(over(layer)))
    )
  }

  it.effect("Auth.transformClient too, with the same defaults", () =>
    Effect.gen(function* () {
      const transform = Either.getOrThrow(Auth.transformClient(Credentials.simpleKey(key)))
      const client = transform(yield* HttpClient.HttpClient)
      yield* script(Mock.hang)
      const { cause } = deadlineOf(yield* settledAt(client.get("/order/orders"), 30_000))
      expect(cause).toMatchObject({ phase: "Response" })
    }).pipe(Effect.provide(Mock.layer))
  )
})

describe("set or turned off by options", () => {
  it.effect("options set each deadline", () =>
    Effect.gen(function* () {
      yield* script(Mock.hang, Mock.stallBody(200))
      expect(deadlineOf(yield* settledAt(getText, 5_000)).cause).toMatchObject({ phase: "Response" })
      expect(deadlineOf(yield* settledAt(getText, 2_000)).cause).toMatchObject({ phase: "Body" })
    }).pipe(Effect.provide(over(Auth.layerSimpleKey(key, { requestTimeout: "5 seconds", bodyTimeout: "2 seconds" }))))
  )

  it.effect("Duration.infinity turns them off: a silent server is waited for, a body handed back unread", () =>
    Effect.gen(function* () {
      yield* script(Mock.hang)
      yield* stillRunningAfterADay(getText)
      yield* script(Mock.stallBody(200))
      const response = yield* Effect.flatMap(Auth.UltraCartHttpClient, (c) => c.get("/order/orders"))
      expect(response.status).toBe(200)
    }).pipe(
      Effect.provide(
        over(
          AuthenticatedClient.layer({ requestTimeout: Duration.infinity, bodyTimeout: Duration.infinity }).pipe(
            withManager
          )
        )
      )
    )
  )

  it.effect("a deadline of zero or less is refused when the Layer is built", () =>
    Effect.gen(function* () {
      for (const requestTimeout of [0, "-1 seconds", Duration.zero] as const) {
        const error = yield* Effect.flip(
          Layer.build(Layer.provide(Auth.layerSimpleKey(key, { requestTimeout }), Mock.layer))
        )
        expect(String(error)).toMatch(/requestTimeout must be a duration longer than zero/)
      }
    }).pipe(Effect.scoped)
  )
})

describe("set or turned off by configuration", () => {
  it.effect("ULTRACART_API_REQUEST_TIMEOUT and ULTRACART_API_BODY_TIMEOUT", () =>
    Effect.gen(function* () {
      yield* script(Mock.hang, Mock.stallBody(200))
      expect(deadlineOf(yield* settledAt(getText, 2_000)).cause).toMatchObject({ phase: "Response" })
      expect(deadlineOf(yield* settledAt(getText, 7_000)).cause).toMatchObject({ phase: "Body" })
    }).pipe(
      Effect.provide(
        over(Auth.layerBearer(key)).pipe(
          Layer.provide(env({ ULTRACART_API_REQUEST_TIMEOUT: "2 seconds", ULTRACART_API_BODY_TIMEOUT: "7 seconds" }))
        )
      )
    )
  )

  it.effect("`off` turns one off; the options still win over configuration", () =>
    Effect.gen(function* () {
      yield* script(Mock.hang)
      yield* stillRunningAfterADay(getText)
      yield* script(Mock.stallBody(200))
      expect(deadlineOf(yield* settledAt(getText, 3_000)).cause).toMatchObject({ phase: "Body" })
    }).pipe(
      Effect.provide(
        over(Auth.layerBearer(key, { bodyTimeout: "3 seconds" })).pipe(
          Layer.provide(env({ ULTRACART_API_REQUEST_TIMEOUT: "off", ULTRACART_API_BODY_TIMEOUT: "off" }))
        )
      )
    )
  )

  for (const value of ["soon", "0 seconds", ""]) {
    it.effect(`ULTRACART_API_REQUEST_TIMEOUT=${JSON.stringify(value)} fails the Layer with a ConfigError`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Layer.build(
            Auth.layerSimpleKey(key).pipe(
              Layer.provide(Mock.layer),
              Layer.provide(env({ ULTRACART_API_REQUEST_TIMEOUT: value }))
            )
          )
        )
        expect(ConfigError.isConfigError(error)).toBe(true)
        expect(String(error)).toContain("ULTRACART_API_REQUEST_TIMEOUT")
      }).pipe(Effect.scoped)
    )
  }
})
