/**
 * No credential in any rendering of what an API call hands back: every error type an authenticated call can fail
 * with, and its response, printed every way a program prints things — `String`, `JSON.stringify`, `util.inspect`
 * (also with every depth, hidden members and no custom inspection), `Cause.pretty`, Effect's loggers, and a
 * rejected `Effect.runPromise` printed the same ways.
 */
import { HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Layer, Logger, Redacted, TestClock } from "effect"
import * as util from "node:util"
import * as Auth from "../src/Auth.js"
import * as AuthenticatedClient from "../src/AuthenticatedClient.js"
import { OutcomeUnknown } from "../src/OutcomeUnknown.js"
import * as TokenManager from "../src/TokenManager.js"
import * as TokenStore from "../src/TokenStore.js"
import { FlakyStore, ScriptedServer } from "./TokenFixtures.js"
import * as Mock from "./utils/MockHttpClient.js"
import { script } from "./utils/MockHttpClient.js"

const KEY = "sk-rendering-9d3e71"

/** Every way the value is printed, by name. */
const renderings = (value: unknown) =>
  Effect.gen(function* () {
    const rejection = yield* Effect.promise(() =>
      Effect.runPromise(Effect.fail(value)).then(
        () => undefined,
        (error: unknown) => error
      )
    )
    const logged: Array<string> = []
    const capture = Logger.make((options) => {
      for (const logger of [Logger.logfmtLogger, Logger.jsonLogger, Logger.stringLogger, Logger.structuredLogger]) {
        logged.push(JSON.stringify(logger.log(options)))
      }
    })
    yield* Effect.all([Effect.logError(value), Effect.logError(Cause.fail(value))]).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, capture))
    )
    return {
      String: String(value),
      JSON: JSON.stringify(value),
      inspect: util.inspect(value),
      "inspect, every depth": util.inspect(value, { depth: Infinity }),
      "inspect, every depth, hidden, not custom": util.inspect(value, {
        depth: Infinity,
        showHidden: true,
        customInspect: false
      }),
      "Cause.pretty": Cause.pretty(Cause.fail(value), { renderErrorCause: true }),
      logs: logged.join("\n"),
      "rejection String": String(rejection),
      "rejection JSON": JSON.stringify(rejection),
      "rejection inspect": util.inspect(rejection, { depth: Infinity })
    }
  })

/** Checks that no rendering holds a secret; returns the JSON rendering for further checks. */
const expectNoSecret = (value: unknown, secrets: ReadonlyArray<string>) =>
  Effect.map(renderings(value), (all) => {
    for (const [how, text] of Object.entries(all)) {
      for (const secret of secrets) expect(text.includes(secret), `${how} shows a secret`).toBe(false)
    }
    return all.JSON
  })

const api = Auth.UltraCartHttpClient

/** Each way a call fails (or answers) through the client; `clock` moves the TestClock to let a deadline pass. */
const outcomes = {
  "RequestError (transport)": Effect.zipRight(
    script(Mock.fail("ECONNREFUSED")),
    Effect.flip(Effect.flatMap(api, (c) => c.get("/order/orders")))
  ),
  "RequestError (DeadlineExceeded, head)": Effect.zipRight(
    script(Mock.hang),
    Effect.flatMap(Effect.fork(Effect.flip(Effect.flatMap(api, (c) => c.get("/order/orders")))), (fiber) =>
      Effect.zipRight(TestClock.adjust("30 seconds"), fiber)
    )
  ),
  "ResponseError (DeadlineExceeded, body)": Effect.zipRight(
    script(Mock.stallBody(200)),
    Effect.flatMap(Effect.fork(Effect.flip(Effect.flatMap(api, (c) => c.get("/order/orders")))), (fiber) =>
      Effect.zipRight(TestClock.adjust("30 seconds"), fiber)
    )
  ),
  "ResponseError (StatusCode, the caller's filterStatusOk)": Effect.zipRight(
    script(Mock.respond(500, "{}")),
    Effect.flip(
      Effect.flatMap(
        Effect.flatMap(api, (c) => c.get("/order/orders")),
        HttpClientResponse.filterStatusOk
      )
    )
  ),
  "ResponseError (Decode, reading the body)": Effect.zipRight(
    script(Mock.respond(200, "not json")),
    Effect.flip(
      Effect.flatMap(
        Effect.flatMap(api, (c) => c.get("/order/orders")),
        (r) => r.json
      )
    )
  ),
  UrlRefused: Effect.flip(Effect.flatMap(api, (c) => c.get("https://elsewhere.example/x"))),
  "the response itself": Effect.zipRight(
    script(Mock.respond(401, "{}")),
    Effect.flatMap(api, (c) => c.get("/order/orders"))
  )
}

describe("the Auth Layers: every error, and the response, renders without the key or token", () => {
  const schemes = {
    "simple key": Auth.layerSimpleKey(Redacted.make(KEY)),
    "browser key": Auth.layerBrowserKey(Redacted.make(KEY)),
    bearer: Auth.layerBearer(Redacted.make(KEY)),
    "bearer from an effect": Auth.layerBearerFrom(Effect.succeed(Redacted.make(KEY)))
  }
  for (const [scheme, layer] of Object.entries(schemes)) {
    for (const [name, outcome] of Object.entries(outcomes)) {
      it.effect(`${scheme}: ${name}`, () =>
        Effect.gen(function* () {
          const value = yield* outcome
          const json = yield* expectNoSecret(value, [KEY])
          // The renderings do show the request (a redacted header is there to see), so the check is not empty.
          if (name !== "UrlRefused") expect(json).toContain("<redacted>")
          // The client still works as a client: the caller's request is the one that went out.
          const sent = yield* Effect.flatMap(Mock.MockServer, (m) => m.requests)
          if (name !== "UrlRefused") expect(JSON.stringify(sent)).toContain(KEY)
        }).pipe(Effect.provide(Layer.provideMerge(Layer.orDie(layer), Mock.layer)))
      )
    }
  }

  it.effect("a bearer effect failing with an HttpClientError of its own: CredentialUnavailable shows it redacted", () =>
    Effect.gen(function* () {
      // A token effect that itself called an API with the key and failed.
      const inner = yield* Effect.zipRight(
        script(Mock.fail("ECONNRESET")),
        Effect.flip(Effect.flatMap(api, (c) => c.get("/oauth/token")))
      ).pipe(Effect.provide(Layer.provideMerge(Layer.orDie(Auth.layerSimpleKey(Redacted.make(KEY))), Mock.layer)))
      const layer = Auth.layerBearerFrom(Effect.fail(inner))
      const error = yield* Effect.flip(Effect.flatMap(api, (c) => c.get("/order/orders"))).pipe(
        Effect.provide(Layer.provideMerge(Layer.orDie(layer), Mock.layer))
      )
      expect(error._tag).toBe("CredentialUnavailable")
      yield* expectNoSecret(error, [KEY])
    })
  )
})

describe("AuthenticatedClient: every error it can return renders without a token", () => {
  /** A grant that expires after a minute, on a scripted OAuth server; the API answers from the mock. */
  const setup = (server: ScriptedServer, store: Layer.Layer<TokenStore.TokenStore> = TokenStore.layerMemory) =>
    AuthenticatedClient.layer({ baseUrl: "https://api.ultracart.fake.test/rest/v2" }).pipe(
      Layer.provideMerge(TokenManager.layer({ key: "m", retryBackoff: "1 second" })),
      Layer.provide(Layer.merge(store, server.layer())),
      Layer.provideMerge(Mock.layer),
      Layer.orDie
    )
  const login = (server: ScriptedServer) =>
    Effect.flatMap(TokenManager.TokenManager, (manager) => manager.save(server.initial()))
  const expired = TestClock.adjust("2 minutes")
  const failedCall = Effect.flip(Effect.flatMap(api, (c) => c.get("/order/orders")))

  const cases: Record<
    string,
    (
      server: ScriptedServer
    ) => Effect.Effect<unknown, unknown, Auth.UltraCartHttpClient | TokenManager.TokenManager | Mock.MockServer>
  > = {
    "CredentialUnavailable (ReauthorizationRequired: no tokens)": () => failedCall,
    "CredentialUnavailable (ReauthorizationRequired: invalid grant)": (server) =>
      Effect.gen(function* () {
        yield* login(server)
        yield* expired
        server.familyRevoked = true
        return yield* failedCall
      }),
    "CredentialUnavailable (RateLimited)": (server) =>
      Effect.gen(function* () {
        yield* login(server)
        yield* expired
        server.faults.push({ _tag: "RateLimited" })
        return yield* failedCall
      }),
    "CredentialUnavailable (TransportError)": (server) =>
      Effect.gen(function* () {
        yield* login(server)
        yield* expired
        server.faults.push({ _tag: "NotSent" })
        return yield* failedCall
      }),
    "RequestError (transport)": (server) =>
      Effect.gen(function* () {
        yield* login(server)
        yield* script(Mock.fail("ECONNREFUSED"))
        return yield* failedCall
      }),
    "RequestError (DeadlineExceeded)": (server) =>
      Effect.gen(function* () {
        yield* login(server)
        yield* script(Mock.hang)
        const fiber = yield* Effect.fork(failedCall)
        yield* TestClock.adjust("30 seconds")
        return yield* fiber
      }),
    "a 401 answered twice (the response)": (server) =>
      Effect.gen(function* () {
        yield* login(server)
        yield* script(Mock.respond(401), Mock.respond(401))
        return yield* Effect.orDie(Effect.flatMap(api, (c) => c.get("/order/orders")))
      })
  }

  for (const [name, make] of Object.entries(cases)) {
    it.effect(name, () => {
      const server = new ScriptedServer({ expiresIn: 60 })
      return Effect.gen(function* () {
        const value = yield* make(server)
        if (name.startsWith("CredentialUnavailable")) {
          const tag = /\((\w+)/.exec(name)?.[1]
          expect(value).toMatchObject({ _tag: "CredentialUnavailable", cause: { _tag: tag } })
        }
        yield* expectNoSecret(value, server.issued)
      }).pipe(Effect.provide(setup(server)))
    })
  }

  it.effect("CredentialUnavailable (TokenStoreError)", () => {
    const server = new ScriptedServer({ expiresIn: 60 })
    const store = new FlakyStore()
    return Effect.gen(function* () {
      yield* login(server)
      yield* expired
      store.failLoads = "Io"
      const error = yield* failedCall
      expect(error).toMatchObject({ _tag: "CredentialUnavailable", cause: { _tag: "TokenStoreError" } })
      yield* expectNoSecret(error, server.issued)
    }).pipe(Effect.provide(setup(server, store.layer())))
  })

  it.effect("CredentialUnavailable (OutcomeUnknown), through a token effect", () =>
    Effect.gen(function* () {
      const cause = new OutcomeUnknown({ grantType: "refresh_token", reason: "Timeout", detail: "no response" })
      const error = yield* failedCall.pipe(
        Effect.provide(Layer.provideMerge(Layer.orDie(Auth.layerBearerFrom(Effect.fail(cause))), Mock.layer))
      )
      expect(error).toMatchObject({ _tag: "CredentialUnavailable", cause: { _tag: "OutcomeUnknown" } })
      yield* expectNoSecret(error, [KEY])
    })
  )
})
