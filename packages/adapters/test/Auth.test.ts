import { Headers, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Credentials, OAuthClient } from "@ultracart-oauth/core"
import {
  ConfigError,
  ConfigProvider,
  Effect,
  Either,
  Exit,
  FiberRef,
  Layer,
  Logger,
  LogLevel,
  Redacted,
  Ref,
  Tracer
} from "effect"
import * as Auth from "../src/Auth.js"
import * as Mock from "./utils/MockHttpClient.js"

const SECRET = "sk-very-secret-123"

const env = (vars: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

/** An Auth Layer over the mock; the mock stays reachable. */
const over = <E>(auth: Layer.Layer<Auth.UltraCartHttpClient, E, HttpClient.HttpClient>) =>
  auth.pipe(Layer.provideMerge(Mock.layer))

const getOrders = Effect.flatMap(Auth.UltraCartHttpClient, (client) =>
  Effect.flatMap(client.get("/order/orders"), (r) => r.text)
)

const lastRequest = Effect.flatMap(Mock.MockServer, (m) => Effect.map(m.requests, (all) => all[all.length - 1]!))
const ok = Effect.flatMap(Mock.MockServer, (m) => m.script(Mock.respond(200, "{}")))

const credentialHeaders = (headers: Readonly<Record<string, string>>) =>
  Object.keys(headers).filter((name) => Credentials.SECRET_HEADERS.includes(name))

describe("headers", () => {
  const schemes = [
    {
      name: "simple key",
      layer: Auth.layerSimpleKey(Redacted.make(SECRET)),
      header: "x-ultracart-simple-key",
      value: SECRET
    },
    {
      name: "browser key",
      layer: Auth.layerBrowserKey(Redacted.make(SECRET)),
      header: "x-ultracart-browser-key",
      value: SECRET
    },
    {
      name: "bearer",
      layer: Auth.layerBearer(Redacted.make(SECRET)),
      header: "authorization",
      value: `Bearer ${SECRET}`
    },
    {
      name: "bearer from an effect",
      layer: Auth.layerBearerFrom(Effect.succeed(Redacted.make(SECRET))),
      header: "authorization",
      value: `Bearer ${SECRET}`
    }
  ] as const

  for (const { header, layer, name, value } of schemes) {
    it.effect(`${name}: sets exactly its credential header, the API version and Accept`, () =>
      Effect.gen(function* () {
        yield* ok
        yield* getOrders
        const request = yield* lastRequest
        expect(request.url).toBe(`${OAuthClient.DEFAULT_BASE_URL}/order/orders`)
        expect(request.headers[header]).toBe(value)
        expect(credentialHeaders(request.headers)).toEqual([header])
        expect(request.headers["x-ultracart-api-version"]).toBe(OAuthClient.DEFAULT_API_VERSION)
        expect(request.headers["accept"]).toBe("application/json")
      }).pipe(Effect.provide(over(layer)))
    )
  }

  it.effect("takes the base URL and API version from options; keeps a caller's Accept and URLs on its origin", () =>
    Effect.gen(function* () {
      const client = yield* Auth.UltraCartHttpClient
      yield* Effect.flatMap(Mock.MockServer, (m) => m.script(Mock.respond(200), Mock.respond(200)))
      yield* client.get("/item/items", { headers: { accept: "text/csv" } })
      const first = yield* lastRequest
      expect(first.url).toBe("http://127.0.0.1:8080/rest/v2/item/items")
      expect(first.headers["accept"]).toBe("text/csv")
      expect(first.headers["x-ultracart-api-version"]).toBe("2099-01-01")
      yield* client.get("http://127.0.0.1:8080/rest/v2/x")
      expect((yield* lastRequest).url).toBe("http://127.0.0.1:8080/rest/v2/x")
      // Elsewhere, nothing is sent (test/AuthOrigin.test.ts has the rest).
      expect((yield* Effect.flip(client.get("https://elsewhere.example/x")))._tag).toBe("UrlRefused")
      expect(yield* Effect.flatMap(Mock.MockServer, (m) => m.count)).toBe(2)
    }).pipe(
      Effect.provide(
        over(
          Auth.layerSimpleKey(Redacted.make(SECRET), {
            baseUrl: "http://127.0.0.1:8080/rest/v2/",
            apiVersion: "2099-01-01"
          })
        )
      )
    )
  )

  it.effect("reads the bearer effect before every request", () =>
    Effect.gen(function* () {
      const tokens = yield* Ref.make(0)
      const layer = Auth.layerBearerFrom(
        Effect.map(
          Ref.updateAndGet(tokens, (n) => n + 1),
          (n) => Redacted.make(`t${n}`)
        )
      )
      yield* Effect.gen(function* () {
        yield* Effect.flatMap(Mock.MockServer, (m) => m.script(Mock.respond(200), Mock.respond(200)))
        yield* getOrders
        expect((yield* lastRequest).headers["authorization"]).toBe("Bearer t1")
        yield* getOrders
        expect((yield* lastRequest).headers["authorization"]).toBe("Bearer t2")
      }).pipe(Effect.provide(over(layer)))
    })
  )

  it.effect("a failing bearer effect fails the call with CredentialUnavailable and sends nothing", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(getOrders)
      expect(error).toBeInstanceOf(Auth.CredentialUnavailable)
      expect(error).toMatchObject({ cause: { _tag: "NoToken" } })
      expect(String(error)).toMatch(/\(NoToken\)/)
      expect(yield* Effect.flatMap(Mock.MockServer, (m) => m.count)).toBe(0)
    }).pipe(Effect.provide(over(Auth.layerBearerFrom(Effect.fail({ _tag: "NoToken" } as const)))))
  )
})

describe("keys from configuration", () => {
  it.effect("reads ULTRACART_SIMPLE_KEY by default", () =>
    Effect.gen(function* () {
      yield* ok
      yield* getOrders
      expect((yield* lastRequest).headers["x-ultracart-simple-key"]).toBe(SECRET)
    }).pipe(Effect.provide(over(Auth.layerSimpleKey()).pipe(Layer.provide(env({ ULTRACART_SIMPLE_KEY: SECRET })))))
  )

  const missing = [
    { name: "layerSimpleKey", layer: Auth.layerSimpleKey(), variable: "ULTRACART_SIMPLE_KEY" },
    { name: "layerBrowserKey", layer: Auth.layerBrowserKey(), variable: "ULTRACART_BROWSER_KEY" },
    { name: "layerBearer", layer: Auth.layerBearer(), variable: "ULTRACART_ACCESS_TOKEN" }
  ] as const
  for (const { layer, name, variable } of missing) {
    it.effect(`${name}: a missing ${variable} fails when the Layer is built, with a ConfigError`, () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(Layer.build(over(layer).pipe(Layer.provide(env({})))))
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(ConfigError.isConfigError(error)).toBe(true)
        expect(String(error)).toContain(variable)
      }).pipe(Effect.scoped)
    )
  }

  it.effect("an empty key fails when the Layer is built, from a value or from configuration", () =>
    Effect.gen(function* () {
      const fromValue = yield* Effect.flip(Layer.build(over(Auth.layerSimpleKey(Redacted.make(" ")))))
      expect(ConfigError.isConfigError(fromValue)).toBe(true)
      expect(String(fromValue)).toMatch(/simple key is empty/)
      const fromEnv = yield* Effect.flip(
        Layer.build(over(Auth.layerConfig).pipe(Layer.provide(env({ ULTRACART_SIMPLE_KEY: "" }))))
      )
      expect(String(fromEnv)).toMatch(/must not be empty/)
    }).pipe(Effect.scoped)
  )

  it.effect("layerConfig takes the first credential set, with the base URL and version", () =>
    Effect.gen(function* () {
      yield* ok
      yield* getOrders
      const request = yield* lastRequest
      expect(credentialHeaders(request.headers)).toEqual(["x-ultracart-browser-key"])
      expect(request.url).toBe("https://sandbox.example/rest/v2/order/orders")
      expect(request.headers["x-ultracart-api-version"]).toBe("2020-01-01")
    }).pipe(
      Effect.provide(
        over(Auth.layerConfig).pipe(
          Layer.provide(
            env({
              ULTRACART_BROWSER_KEY: SECRET,
              ULTRACART_ACCESS_TOKEN: "other",
              ULTRACART_BASE_URL: "https://sandbox.example/rest/v2",
              ULTRACART_API_VERSION: "2020-01-01"
            })
          )
        )
      )
    )
  )

  it.effect("layerConfig names all three variables when none is set", () =>
    Effect.gen(function* () {
      const error = String(yield* Effect.flip(Layer.build(over(Auth.layerConfig).pipe(Layer.provide(env({}))))))
      for (const name of ["ULTRACART_SIMPLE_KEY", "ULTRACART_BROWSER_KEY", "ULTRACART_ACCESS_TOKEN"]) {
        expect(error).toContain(name)
      }
    }).pipe(Effect.scoped)
  )

  it.effect("refuses a plain-http base URL off loopback", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(over(Auth.layerBearer(Redacted.make(SECRET), { baseUrl: "http://api.example/rest/v2" })))
      )
      expect(ConfigError.isConfigError(error)).toBe(true)
      expect(String(error)).toMatch(/must be https/)
    }).pipe(Effect.scoped)
  )
})

describe("redaction", () => {
  /** The native tracer, keeping every span it makes. */
  const recordingTracer = Effect.map(Effect.tracer, (native) => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (...args) => {
        const span = native.span(...args)
        spans.push(span)
        return span
      },
      context: native.context
    })
    return { spans, tracer }
  })

  const schemes = [
    Auth.layerSimpleKey(Redacted.make(SECRET)),
    Auth.layerBrowserKey(Redacted.make(SECRET)),
    Auth.layerBearer(Redacted.make(SECRET))
  ]

  for (const [i, layer] of schemes.entries()) {
    it.effect(`keeps the credential out of span attributes (scheme ${i + 1})`, () =>
      Effect.gen(function* () {
        const { spans, tracer } = yield* recordingTracer
        yield* ok
        yield* Effect.withTracer(getOrders, tracer)
        const attributes = spans.flatMap((span) => [...span.attributes.entries()])
        const headerAttributes = attributes.filter(([key]) => key.startsWith("http.request.header."))
        expect(headerAttributes.map(([key]) => key)).toContain("http.request.header.x-ultracart-api-version")
        expect(headerAttributes.length).toBeGreaterThanOrEqual(3)
        expect(JSON.stringify(attributes)).not.toContain(SECRET)
      }).pipe(Effect.provide(over(layer)))
    )
  }

  it.effect("keeps the credential out of logs, including a logged request", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const logger = Logger.make((options) => {
        lines.push(Logger.logfmtLogger.log(options))
      })
      yield* Effect.gen(function* () {
        yield* Effect.flatMap(Mock.MockServer, (m) => m.script(Mock.respond(200), Mock.respond(200)))
        yield* getOrders
        // A program that logs the requests it builds.
        yield* Effect.log(
          "sending",
          Credentials.apply(HttpClientRequest.get("/x"), Credentials.simpleKey(Redacted.make(SECRET)))
        )
        yield* Effect.log(
          "sending",
          Credentials.apply(HttpClientRequest.get("/x"), Credentials.bearer(Redacted.make(SECRET)))
        )
      }).pipe(
        Effect.provide(over(Auth.layerSimpleKey(Redacted.make(SECRET)))),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      expect(lines.length).toBeGreaterThanOrEqual(2)
      expect(lines.join("\n")).toContain("x-ultracart-simple-key")
      expect(lines.join("\n")).not.toContain(SECRET)
    })
  )

  it.effect("transformClient without the Layers keeps the credential out of span attributes too", () =>
    Effect.gen(function* () {
      const { spans, tracer } = yield* recordingTracer
      yield* ok
      const transform = Either.getOrThrow(Auth.transformClient(Credentials.simpleKey(Redacted.make(SECRET))))
      const client = transform(yield* HttpClient.HttpClient)
      yield* Effect.withTracer(
        Effect.flatMap(client.get("/order/orders"), (r) => r.text),
        tracer
      )
      const attributes = spans.flatMap((span) => [...span.attributes.entries()])
      expect(attributes.map(([key]) => key)).toContain("http.request.header.x-ultracart-simple-key")
      expect(JSON.stringify(attributes)).not.toContain(SECRET)
      // The names are added for the call only.
      expect(yield* FiberRef.get(Headers.currentRedactedNames)).not.toContain("x-ultracart-simple-key")
    }).pipe(Effect.provide(Mock.layer))
  )

  it.effect("the redacted names include UltraCart's secret headers while a Layer of this module is in use", () =>
    Effect.gen(function* () {
      const inside = yield* Effect.provide(
        FiberRef.get(Headers.currentRedactedNames),
        over(Auth.layerBearer(Redacted.make(SECRET)))
      )
      for (const name of Credentials.SECRET_HEADERS) expect(inside).toContain(name)
      const outside = yield* FiberRef.get(Headers.currentRedactedNames)
      expect(outside).not.toContain("x-ultracart-simple-key")
    })
  )
})
