/**
 * The token manager where a grant could be lost or hammered: answers lost after UltraCart acted (the refresh
 * token is sent again at most once, only when the access token can no longer serve), refusals in shapes no
 * OAuth code names (permanent after one confirming attempt), tiny lifetimes, a refresh that never answers, and
 * the events a grant goes through.
 */
import { describe, expect, it } from "@effect/vitest"
import * as OAuthError from "@ultracart-oauth/core/OAuthError"
import {
  Cause,
  Chunk,
  ConfigProvider,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Redacted,
  Ref,
  TestClock
} from "effect"
import type { GrantEvent } from "../src/GrantEvent.js"
import * as TokenManager from "../src/TokenManager.js"
import { TokenStore } from "../src/TokenStore.js"
import * as TokenStoreModule from "../src/TokenStore.js"
import { ScriptedServer, type ScriptedServerOptions } from "./TokenFixtures.js"
import { FakeUltraCart } from "@ultracart-oauth/testing"

const KEY = "merchant-SAFE"
const value = Redacted.value

/** A manager logged in at time 0 over a scripted server and a memory store; `events` collects what it tells. */
const scenario = (
  name: string,
  body: (s: {
    readonly manager: TokenManager.TokenManager.Service
    readonly server: ScriptedServer
    readonly events: Ref.Ref<Chunk.Chunk<GrantEvent>>
  }) => Effect.Effect<void, unknown, TokenStore>,
  options: { readonly server?: ScriptedServerOptions; readonly manager?: TokenManager.TokenManagerOptions } = {}
) =>
  it.effect(name, () => {
    const server = new ScriptedServer(options.server)
    return Effect.gen(function* () {
      const events = yield* Ref.make(Chunk.empty<GrantEvent>())
      const manager = yield* TokenManager.make({
        key: KEY,
        ...options.manager,
        onEvent: (event) => Ref.update(events, Chunk.append(event))
      })
      yield* manager.save(server.initial())
      yield* body({ manager, server, events })
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(TokenStoreModule.layerMemory, server.layer())))
  })

const reason = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.match(exit, {
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), {
        onNone: () => "defect",
        onSome: (e) =>
          e instanceof TokenManager.ReauthorizationRequired
            ? `Reauthorization:${e.reason}`
            : String((e as { _tag?: string })._tag)
      }),
    onSuccess: () => "token"
  })

/**
 * Logged in, then 57 minutes on: the refresh is due, and UltraCart will act on the next one but its answer will be
 * lost. Returns the tokens logged in with.
 */
const dueWithAnswerLost = (manager: TokenManager.TokenManager.Service, server: ScriptedServer) =>
  Effect.gen(function* () {
    const first = yield* manager.tokens
    yield* TestClock.adjust("57 minutes")
    server.faults.push({ _tag: "LoseResponse" })
    return first
  })

/** Lets the background refresh forked by the last call run. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

const refused400 = new OAuthError.UltraCartError({
  endpoint: "token",
  status: 400,
  developerMessage: "The refresh token is no longer valid"
})

describe("TokenManager: a lost answer", () => {
  scenario(
    "by default the valid access token is served and the refresh token sent again only once it can no longer serve",
    ({ manager, server }) =>
      Effect.gen(function* () {
        const first = yield* dueWithAnswerLost(manager, server)
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        yield* settle
        // Due, refreshed, answer lost: until the token runs out, nothing more is sent, however often it is asked.
        for (let i = 0; i < 5; i++) {
          yield* TestClock.adjust("30 seconds")
          expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        }
        expect(server.refreshRequests).toBe(1)
        expect((yield* manager.status).phase).toBe("OutcomeUnknown")
        // Expired: the one repeat. With a reuse grace period it recovers the grant.
        yield* TestClock.adjust("1 minute")
        const renewed = yield* manager.accessToken
        expect(value(renewed)).not.toBe(value(first.accessToken))
        expect(server.refreshRequests).toBe(2)
        expect(server.familyRevoked).toBe(false)
        expect((yield* manager.status).phase).toBe("Fresh")
      }),
    { server: { reuseGrace: true } }
  )

  scenario(
    "a 401 for the token in doubt is the moment for the one repeat, even before it expires",
    ({ manager, server }) =>
      Effect.gen(function* () {
        const first = yield* dueWithAnswerLost(manager, server)
        yield* manager.tokens
        yield* settle
        expect(server.refreshRequests).toBe(1)
        const next = yield* manager.invalidate(first)
        expect(value(next.accessToken)).not.toBe(value(first.accessToken))
        expect(server.refreshRequests).toBe(2)
      }),
    { server: { reuseGrace: true } }
  )

  scenario(
    "a repeat whose answer is lost too ends the grant: OutcomeUnknown, never a third send",
    ({ events, manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "LoseResponse" }, { _tag: "LoseResponse" })
        const exit = yield* Effect.exit(manager.tokens)
        expect(reason(exit)).toBe("Reauthorization:OutcomeUnknown")
        if (Exit.isFailure(exit)) {
          const error = Option.getOrThrow(Cause.failureOption(exit.cause))
          expect(error._tag === "ReauthorizationRequired" && (error.cause as { _tag: string })._tag).toBe(
            "OutcomeUnknown"
          )
        }
        for (let i = 0; i < 5; i++) {
          yield* TestClock.adjust("5 minutes")
          expect(reason(yield* Effect.exit(manager.tokens))).toBe("Reauthorization:OutcomeUnknown")
        }
        expect(server.refreshRequests).toBe(2)
        const told = Chunk.toReadonlyArray(yield* Ref.get(events)).filter((e) => e._tag === "ReauthorizationRequired")
        expect(told).toEqual([expect.objectContaining({ key: KEY, reason: "OutcomeUnknown" })])
      }),
    { server: { reuseGrace: true } }
  )

  scenario(
    'ambiguousRefresh "never": the refresh token is not sent again; once the token runs out, OutcomeUnknown',
    ({ manager, server }) =>
      Effect.gen(function* () {
        const first = yield* dueWithAnswerLost(manager, server)
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        yield* settle
        yield* TestClock.adjust("4 minutes")
        expect(reason(yield* Effect.exit(manager.tokens))).toBe("Reauthorization:OutcomeUnknown")
        yield* TestClock.adjust("1 hour")
        expect(reason(yield* Effect.exit(manager.tokens))).toBe("Reauthorization:OutcomeUnknown")
        expect(server.refreshRequests).toBe(1)
      }),
    { server: { reuseGrace: true }, manager: { ambiguousRefresh: "never" } }
  )

  scenario(
    "a repeat that fails for sure (not sent) keeps its one chance for later",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "LoseResponse" }, { _tag: "NotSent" })
        expect(reason(yield* Effect.exit(manager.tokens))).toBe("TransportError")
        yield* TestClock.adjust("2 seconds")
        const renewed = yield* manager.tokens
        expect(renewed.version).toBe(2)
        expect(server.refreshRequests).toBe(3)
      }),
    { server: { reuseGrace: true } }
  )
})

describe("TokenManager: refusals in a shape no OAuth code names", () => {
  scenario(
    "a non-429 4xx is confirmed once, then the grant needs the merchant: Refused, with UltraCart's error as cause",
    ({ events, manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "Refuse", error: refused400 }, { _tag: "Refuse", error: refused400 })
        expect(reason(yield* Effect.exit(manager.tokens))).toBe("UltraCartError")
        yield* TestClock.adjust("1 second")
        const exit = yield* Effect.exit(manager.tokens)
        expect(reason(exit)).toBe("Reauthorization:Refused")
        if (Exit.isFailure(exit)) {
          const error = Option.getOrThrow(Cause.failureOption(exit.cause))
          expect(error._tag === "ReauthorizationRequired" && error.cause).toBe(refused400)
        }
        // Dead: no back-off loop against UltraCart.
        for (let i = 0; i < 10; i++) {
          yield* TestClock.adjust("2 minutes")
          expect(reason(yield* Effect.exit(manager.tokens))).toBe("Reauthorization:Refused")
        }
        expect(server.refreshRequests).toBe(2)
        expect(
          Chunk.toReadonlyArray(yield* Ref.get(events)).filter((e) => e._tag === "ReauthorizationRequired")
        ).toHaveLength(1)
      })
  )

  scenario("a 429 is never taken for a refusal: back-off, then the refresh goes through", ({ manager, server }) =>
    Effect.gen(function* () {
      yield* TestClock.adjust("2 hours")
      server.faults.push({ _tag: "RateLimited" }, { _tag: "RateLimited" }, { _tag: "RateLimited" })
      for (let i = 0; i < 3; i++) {
        expect(reason(yield* Effect.exit(manager.tokens))).toBe("RateLimited")
        yield* TestClock.adjust("10 seconds")
      }
      expect((yield* manager.tokens).version).toBe(2)
    })
  )

  scenario("a refusal followed by a success is forgotten: a later refusal is confirmed again", ({ manager, server }) =>
    Effect.gen(function* () {
      yield* TestClock.adjust("2 hours")
      server.faults.push({ _tag: "Refuse", error: refused400 })
      expect(reason(yield* Effect.exit(manager.tokens))).toBe("UltraCartError")
      yield* TestClock.adjust("1 second")
      expect((yield* manager.tokens).version).toBe(2)
      yield* TestClock.adjust("2 hours")
      server.faults.push({ _tag: "Refuse", error: refused400 })
      expect(reason(yield* Effect.exit(manager.tokens))).toBe("UltraCartError")
      yield* TestClock.adjust("1 second")
      expect((yield* manager.tokens).version).toBe(3)
    })
  )
})

describe("TokenManager: tiny lifetimes and slow answers", () => {
  scenario(
    "expires_in 0 does not turn every call into a refresh: at most one per half minRefreshInterval",
    ({ manager, server }) =>
      Effect.gen(function* () {
        for (let i = 0; i < 100; i++) {
          yield* manager.tokens
          yield* TestClock.adjust("100 millis")
        }
        // 100 calls in 10 seconds, a 4-second floor: a refresh about every 2 seconds, never one per call.
        expect(server.refreshRequests).toBeLessThanOrEqual(6)
        expect(server.refreshRequests).toBeGreaterThanOrEqual(4)
      }),
    { server: { expiresIn: 0 }, manager: { minRefreshInterval: "4 seconds" } }
  )

  scenario(
    "by default the floor is one second: a refresh at most every half second, however many calls",
    ({ manager, server }) =>
      Effect.gen(function* () {
        for (let i = 0; i < 200; i++) {
          yield* Effect.all([manager.tokens, manager.tokens, manager.tokens])
          yield* TestClock.adjust("20 millis")
        }
        // 600 calls in 4 seconds: about 8 refreshes.
        expect(server.refreshRequests).toBeLessThanOrEqual(9)
        expect(server.refreshRequests).toBeGreaterThanOrEqual(6)
      }),
    { server: { expiresIn: 0 } }
  )

  scenario(
    "a token UltraCart refuses before the floor is over is refreshed once through invalidate",
    ({ manager, server }) =>
      Effect.gen(function* () {
        const first = yield* manager.tokens
        const next = yield* manager.invalidate(first)
        expect(next.version).toBe(2)
        expect(server.refreshRequests).toBe(1)
      }),
    { server: { expiresIn: 0 } }
  )

  scenario(
    "a refresh is awaited by the manager: a caller that gives up abandons nothing, the late rotation is stored",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "Delay", duration: "20 seconds" })
        const caller = yield* Effect.fork(Effect.timeout(manager.tokens, "1 second"))
        yield* TestClock.adjust("1 second")
        expect(reason(yield* Fiber.await(caller))).toBe("TimeoutException")
        yield* TestClock.adjust("19 seconds")
        const stored = Option.getOrThrow(yield* Effect.flatMap(TokenStore, (s) => s.load(KEY)))
        expect(stored.version).toBe(2)
        expect(value(Option.getOrThrow(stored.refreshToken))).toBe(server.currentRefreshToken)
      })
  )

  scenario(
    "a refresh that never answers ends at refreshTimeout with an unknown outcome (not a hang)",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "Delay", duration: "1 hour" }, { _tag: "Delay", duration: "1 hour" })
        const caller = yield* Effect.fork(manager.tokens)
        yield* TestClock.adjust("30 seconds")
        yield* TestClock.adjust("30 seconds")
        expect(reason(yield* Fiber.await(caller))).toBe("Reauthorization:OutcomeUnknown")
        expect(server.refreshRequests).toBe(2)
      }),
    { manager: { refreshTimeout: "30 seconds" } }
  )
})

describe("TokenManager: events", () => {
  scenario(
    "a grant's life, told as it happens: connected, refreshed, reauthorization required once, disconnected",
    ({ events, manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        yield* manager.tokens
        server.familyRevoked = true
        yield* TestClock.adjust("2 hours")
        yield* Effect.exit(manager.tokens)
        yield* TestClock.adjust("5 minutes")
        yield* Effect.exit(manager.tokens)
        yield* manager.logout
        expect(Chunk.toReadonlyArray(yield* Ref.get(events)).map((e) => e._tag)).toEqual([
          "Connected",
          "Refreshed",
          "ReauthorizationRequired",
          "Disconnected"
        ])
      })
  )
})

describe("TokenManager: configuration", () => {
  it.effect("every option can be read from configuration", () =>
    Effect.gen(function* () {
      const options = yield* TokenManager.config.pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["ULTRACART_TOKEN_GRANT", "shop"],
              ["ULTRACART_TOKEN_REFRESH_MARGIN", "2 minutes"],
              ["ULTRACART_TOKEN_DEFAULT_LIFETIME", "20 minutes"],
              ["ULTRACART_TOKEN_BACKGROUND_REFRESH", "true"],
              ["ULTRACART_TOKEN_RETRY_BACKOFF", "2 seconds"],
              ["ULTRACART_TOKEN_MAX_RETRY_BACKOFF", "30 seconds"],
              ["ULTRACART_TOKEN_AMBIGUOUS_REFRESH", "never"],
              ["ULTRACART_TOKEN_MIN_REFRESH_INTERVAL", "0 seconds"],
              ["ULTRACART_TOKEN_REFRESH_TIMEOUT", "45 seconds"],
              ["ULTRACART_TOKEN_SHUTDOWN_GRACE", "3 seconds"]
            ])
          )
        )
      )
      const millis = (d: Duration.DurationInput | undefined) => (d === undefined ? undefined : Duration.toMillis(d))
      expect({
        key: options.key,
        backgroundRefresh: options.backgroundRefresh,
        ambiguousRefresh: options.ambiguousRefresh,
        durations: [
          options.refreshMargin,
          options.defaultLifetime,
          options.retryBackoff,
          options.maxRetryBackoff,
          options.minRefreshInterval,
          options.refreshTimeout,
          options.shutdownGrace
        ].map(millis)
      }).toEqual({
        key: "shop",
        backgroundRefresh: true,
        ambiguousRefresh: "never",
        durations: [120_000, 1_200_000, 2_000, 30_000, 0, 45_000, 3_000]
      })
      const none = yield* TokenManager.config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
      expect(Object.values(none).filter((v) => v !== undefined)).toEqual([false])
      const wrong = yield* Effect.exit(
        TokenManager.config.pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ULTRACART_TOKEN_AMBIGUOUS_REFRESH", "always"]])))
        )
      )
      expect(Exit.isFailure(wrong)).toBe(true)
    })
  )
})

describe("TokenManager against the fake's UltraCart-shaped errors", () => {
  for (const format of ["ultracart", "ultracart-unnamed"] as const) {
    it.effect(
      `a revoked grant answered in UltraCart's ErrorResponse (${format}): one typed end, no back-off loop`,
      () =>
        Effect.gen(function* () {
          const fake = yield* FakeUltraCart.FakeUltraCart
          const manager = yield* TokenManager.TokenManager
          const issued = yield* fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
          yield* manager.save({
            accessToken: issued.accessToken,
            tokenType: "bearer",
            expiresIn: Option.some(issued.expiresIn),
            refreshToken: Option.some(issued.refreshToken),
            scope: Option.none()
          })
          yield* fake.revoke(issued.refreshToken)
          yield* TestClock.adjust("2 hours")
          const reasons: Array<string> = []
          for (let i = 0; i < 6; i++) {
            reasons.push(reason(yield* Effect.exit(manager.tokens)))
            yield* TestClock.adjust("2 minutes")
          }
          // Named in the text: invalid_grant at once. Unnamed: a refusal, confirmed once.
          expect(reasons).toEqual(
            format === "ultracart"
              ? Array(6).fill("Reauthorization:InvalidGrant")
              : ["UltraCartError", ...Array(5).fill("Reauthorization:Refused")]
          )
          expect(yield* fake.requestCount({ endpoint: "token", grantType: "refresh_token" })).toBe(
            format === "ultracart" ? 1 : 2
          )
        }).pipe(
          Effect.provide(
            TokenManager.layer({ key: KEY }).pipe(
              Layer.provideMerge(TokenStoreModule.layerMemory),
              Layer.provideMerge(FakeUltraCart.clientLayer()),
              Layer.provideMerge(FakeUltraCart.layer({ tokenErrorFormat: format })),
              Layer.orDie
            )
          )
        )
    )
  }
})
