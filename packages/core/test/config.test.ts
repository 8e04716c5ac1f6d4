/**
 * `layerConfig`: the client from configuration (`ULTRACART_*`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigError, ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as ConfigWrap from "../src/ConfigWrap.js"
import { Credentials, OAuthClient } from "../src/index.js"
import { client, fail, secrets, secretValues, tokenBody } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const fromEnv = (env: Record<string, string>) =>
  OAuthClient.layerConfig().pipe(
    Layer.provideMerge(MockHttp.layer(MockHttp.json(200, tokenBody))),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
  )

const refresh = Effect.flatMap(client, (o) => o.refresh({ refreshToken: secrets.refreshToken }))

describe("layerConfig", () => {
  it.effect("reads the client id, base URL, API version, device grant type and simple key", () =>
    Effect.gen(function* () {
      const oauth = yield* client
      expect(oauth.clientId).toBe("from-env")
      yield* refresh
      yield* oauth.exchangeDeviceCode({ deviceCode: secrets.deviceCode })
      const [first, second] = yield* MockHttp.requests
      expect(first?.url).toBe("http://127.0.0.1:4010/rest/v2/oauth/token")
      expect(first?.headers["x-ultracart-api-version"]).toBe("2026-03-01")
      expect(first?.headers["x-ultracart-simple-key"]).toBe(secretValues.simpleKey)
      expect(first?.form[0]).toEqual(["client_id", "from-env"])
      expect(second?.form).toContainEqual(["grant_type", "device_code"])
    }).pipe(
      Effect.provide(
        fromEnv({
          ULTRACART_CLIENT_ID: "from-env",
          ULTRACART_BASE_URL: "http://127.0.0.1:4010/rest/v2",
          ULTRACART_API_VERSION: "2026-03-01",
          ULTRACART_DEVICE_GRANT_TYPE: "device_code",
          ULTRACART_SIMPLE_KEY: secretValues.simpleKey
        })
      )
    )
  )

  it.effect("only the client id is required; the rest takes the defaults", () =>
    Effect.gen(function* () {
      const oauth = yield* client
      expect(oauth.baseUrl).toBe(OAuthClient.DEFAULT_BASE_URL)
      yield* refresh
      const request = yield* MockHttp.onlyRequest
      expect(request.headers["x-ultracart-api-version"]).toBe(OAuthClient.DEFAULT_API_VERSION)
      expect(Object.keys(request.headers).filter((h) => h.endsWith("-key"))).toEqual([])
    }).pipe(Effect.provide(fromEnv({ ULTRACART_CLIENT_ID: "from-env" })))
  )

  const keyCases = [
    {
      name: "a browser key is read when no simple key is set",
      env: { ULTRACART_BROWSER_KEY: secretValues.browserKey },
      sent: ["x-ultracart-browser-key", secretValues.browserKey],
      absent: "x-ultracart-simple-key"
    },
    {
      name: "with both keys set, the simple key is used and only it",
      env: { ULTRACART_SIMPLE_KEY: secretValues.simpleKey, ULTRACART_BROWSER_KEY: secretValues.browserKey },
      sent: ["x-ultracart-simple-key", secretValues.simpleKey],
      absent: "x-ultracart-browser-key"
    }
  ] as const
  for (const {
    absent,
    env,
    name,
    sent: [header, value]
  } of keyCases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        yield* refresh
        const request = yield* MockHttp.onlyRequest
        expect(request.headers[header]).toBe(value)
        expect(request.headers).not.toHaveProperty(absent)
      }).pipe(Effect.provide(fromEnv({ ULTRACART_CLIENT_ID: "c", ...env })))
    )
  }

  it.effect("keys are read as Redacted", () =>
    Effect.gen(function* () {
      const options = yield* OAuthClient.config
      expect(options.credentials?._tag).toBe("SimpleKey")
      expect(JSON.stringify(options)).not.toContain(secretValues.simpleKey)
      if (options.credentials?._tag === "SimpleKey") {
        expect(Redacted.value(options.credentials.key)).toBe(secretValues.simpleKey)
      }
    }).pipe(
      Effect.withConfigProvider(
        ConfigProvider.fromMap(
          new Map([
            ["ULTRACART_CLIENT_ID", "c"],
            ["ULTRACART_SIMPLE_KEY", secretValues.simpleKey]
          ])
        )
      )
    )
  )

  for (const [name, env] of [
    ["missing", {}],
    ["empty", { ULTRACART_CLIENT_ID: "" }]
  ] as const) {
    it.effect(`a ${name} client id is a ConfigError`, () =>
      Effect.gen(function* () {
        const error = yield* fail(Layer.build(fromEnv(env)))
        expect(ConfigError.isConfigError(error)).toBe(true)
        expect(String(error)).toContain("ULTRACART_CLIENT_ID")
      }).pipe(Effect.scoped)
    )
  }

  it.effect("a base URL from configuration is checked like any other", () =>
    Effect.gen(function* () {
      const error = yield* fail(
        Layer.build(fromEnv({ ULTRACART_CLIENT_ID: "c", ULTRACART_BASE_URL: "http://ultracart.example" }))
      )
      expect(error).toMatchObject({ _tag: "InvalidInput", field: "baseUrl" })
    }).pipe(Effect.scoped)
  )
})

describe("layerConfig with a Config.Wrap record", () => {
  const provide = (env: Record<string, string>) =>
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

  it.effect("reads each option from its own Config, under the caller's names", () =>
    Effect.gen(function* () {
      const oauth = yield* client
      expect(oauth.clientId).toBe("mine")
      yield* refresh
      const request = yield* MockHttp.onlyRequest
      expect(request.url).toBe("http://127.0.0.1:4010/rest/v2/oauth/token")
      expect(request.headers["x-ultracart-simple-key"]).toBe(secretValues.simpleKey)
    }).pipe(
      Effect.provide(
        OAuthClient.layerConfig({
          clientId: Config.string("MY_CLIENT_ID"),
          baseUrl: Config.string("MY_BASE_URL"),
          credentials: Config.redacted("MY_KEY").pipe(Config.map(Credentials.simpleKey))
        }).pipe(
          Layer.provideMerge(MockHttp.layer(MockHttp.json(200, tokenBody))),
          provide({
            MY_CLIENT_ID: "mine",
            MY_BASE_URL: "http://127.0.0.1:4010/rest/v2",
            MY_KEY: secretValues.simpleKey,
            ULTRACART_CLIENT_ID: "not-read"
          })
        )
      )
    )
  )

  it.effect("a missing entry is a ConfigError naming the caller's variable", () =>
    Effect.gen(function* () {
      const error = yield* fail(
        Layer.build(
          OAuthClient.layerConfig({ clientId: Config.string("MY_CLIENT_ID") }).pipe(
            Layer.provide(MockHttp.layer(MockHttp.json(200, tokenBody))),
            provide({ ULTRACART_CLIENT_ID: "not-read" })
          )
        )
      )
      expect(ConfigError.isConfigError(error)).toBe(true)
      expect(String(error)).toContain("MY_CLIENT_ID")
    }).pipe(Effect.scoped)
  )

  it.effect("an entry left undefined counts as omitted (callers without exactOptionalPropertyTypes)", () =>
    Effect.gen(function* () {
      // What a caller compiled without `exactOptionalPropertyTypes` may write; this project's settings forbid it.
      const loose = {
        clientId: Config.succeed("c"),
        baseUrl: undefined
      } as unknown as Config.Config.Wrap<OAuthClient.OAuthClientOptions>
      const options = yield* ConfigWrap.unwrap(loose)
      expect(options).toEqual({ clientId: "c" })
      const oauth = yield* Effect.provide(
        OAuthClient.OAuthClient,
        OAuthClient.layerConfig(loose).pipe(Layer.provide(MockHttp.layer(MockHttp.json(200, tokenBody))))
      )
      expect(oauth.baseUrl).toBe(OAuthClient.DEFAULT_BASE_URL)
    })
  )

  it.effect("nested records are read field by field", () =>
    Effect.gen(function* () {
      const nested = yield* ConfigWrap.unwrap<{ readonly a: { readonly b: number; readonly c: string } }>({
        a: { b: Config.number("B"), c: Config.succeed("c") }
      }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["B", "7"]]))))
      expect(nested).toEqual({ a: { b: 7, c: "c" } })
    })
  )
})

describe("ConfigWrap.optional", () => {
  const port = ConfigWrap.optional(Config.integer("PORT"))
  const read = (env: Record<string, string>) =>
    Effect.withConfigProvider(port, ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.effect("a setting that is set is read; one that is not is undefined", () =>
    Effect.gen(function* () {
      expect(yield* read({ PORT: "6380" })).toBe(6380)
      expect(yield* read({})).toBeUndefined()
    })
  )

  it.effect("a setting that is set but unusable is a ConfigError, not undefined", () =>
    Effect.gen(function* () {
      expect(ConfigError.isConfigError(yield* Effect.flip(read({ PORT: "many" })))).toBe(true)
    })
  )
})
