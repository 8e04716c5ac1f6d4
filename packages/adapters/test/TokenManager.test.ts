import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  DateTime,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Metric,
  type MetricState,
  Option,
  Redacted,
  Scope,
  TestClock
} from "effect"
import * as TokenManager from "../src/TokenManager.js"
import { type TokenSet, TokenStore } from "../src/TokenStore.js"
import * as TokenStoreModule from "../src/TokenStore.js"
import { awaitDriving, ScriptedServer, type ScriptedServerOptions } from "./TokenFixtures.js"

const KEY = "merchant-DEMO"

/** Manager + the store it uses (exposed to the test) + the scripted server. */
const managerLayer = (
  server: ScriptedServer,
  options: TokenManager.TokenManagerOptions = {},
  store = TokenStoreModule.layerMemory
) => TokenManager.layer({ key: KEY, ...options }).pipe(Layer.provideMerge(Layer.merge(store, server.layer())))

const login = (server: ScriptedServer) => Effect.flatMap(TokenManager.TokenManager, (m) => m.save(server.initial()))

const stored = Effect.flatMap(TokenStore, (s) => s.load(KEY)).pipe(Effect.map(Option.getOrThrow))

const value = Redacted.value

/** Lets a refresh started behind a caller finish (the scripted server and memory store never wait). */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** "Another process" refreshes with the current refresh token and stores the result as version 2. */
const refreshElsewhere = (server: ScriptedServer) =>
  Effect.gen(function* () {
    const now = yield* TestClock.currentTimeMillis
    const elsewhere = yield* server.refresh(Redacted.make(server.currentRefreshToken))
    const store = yield* TokenStore
    yield* store.compareAndSet(KEY, 1, {
      accessToken: elsewhere.accessToken,
      refreshToken: elsewhere.refreshToken,
      expiresAt: DateTime.unsafeMake(now + 3_600_000),
      issuedAt: DateTime.unsafeMake(now),
      scope: Option.none()
    })
    return elsewhere
  })

const counter = (metric: Metric.Metric.Counter<number>) =>
  Effect.map(Metric.value(metric), (state: MetricState.MetricState.Counter<number>) => state.count)

const run = <A, E>(
  server: ScriptedServer,
  body: Effect.Effect<A, E, TokenManager.TokenManager | TokenStore>,
  options: TokenManager.TokenManagerOptions = {}
) => Effect.provide(body, managerLayer(server, options))

interface Scenario {
  readonly manager: TokenManager.TokenManager.Service
  readonly server: ScriptedServer
  /** The tokens of the login at time 0 (version 1, expiring after `expiresIn`). */
  readonly first: TokenSet
}

/** A test of a manager over a scripted server, logged in at time 0. */
const scenario = <A, E>(
  name: string,
  body: (scenario: Scenario) => Effect.Effect<A, E, TokenManager.TokenManager | TokenStore>,
  options: { readonly server?: ScriptedServerOptions; readonly manager?: TokenManager.TokenManagerOptions } = {}
) =>
  it.effect(name, () => {
    const server = new ScriptedServer(options.server)
    return run(
      server,
      Effect.gen(function* () {
        const manager = yield* TokenManager.TokenManager
        const first = yield* login(server)
        return yield* body({ manager, server, first })
      }),
      options.manager
    )
  })

describe("TokenManager", () => {
  scenario("serves the stored token without any request while it is fresh", ({ first, manager, server }) =>
    Effect.gen(function* () {
      expect(first.version).toBe(1)
      expect(DateTime.toEpochMillis(first.expiresAt)).toBe(3_600_000)
      const tokens = yield* Effect.forEach([1, 2, 3], () => manager.accessToken)
      expect(tokens.map(value)).toEqual([value(first.accessToken), value(first.accessToken), value(first.accessToken)])
      expect(server.refreshRequests).toBe(0)
    })
  )

  scenario(
    "1,000 concurrent callers with an expired token cause exactly one refresh and all get its result",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        const joinsBefore = yield* counter(TokenManager.metrics.singleFlightJoins)
        const refreshesBefore = yield* counter(TokenManager.metrics.refreshes)
        // The refresh takes a while, so every caller arrives while it is in flight.
        server.faults.push({ _tag: "Delay", duration: "1 second" })
        const fiber = yield* Effect.fork(
          Effect.forEach(
            Array.from({ length: 1000 }, (_, i) => i),
            () => manager.accessToken,
            {
              concurrency: "unbounded"
            }
          )
        )
        yield* TestClock.adjust("1 second")
        const tokens = yield* Fiber.join(fiber)
        expect(server.refreshRequests).toBe(1)
        expect(new Set(tokens.map(value)).size).toBe(1)
        const current = yield* stored
        expect(value(tokens[0]!)).toBe(value(current.accessToken))
        expect(current.version).toBe(2)
        expect((yield* counter(TokenManager.metrics.refreshes)) - refreshesBefore).toBe(1)
        expect((yield* counter(TokenManager.metrics.singleFlightJoins)) - joinsBefore).toBe(999)
      })
  )

  scenario(
    "refreshes at the margin before expiry, not a moment before",
    ({ first, manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust(Duration.millis(3_300_000 - 1))
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        expect(server.refreshRequests).toBe(0)
        yield* TestClock.adjust("1 millis")
        // Still valid: answered at once, while the refresh runs behind the caller.
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        yield* settle
        expect(server.refreshRequests).toBe(1)
        const next = yield* manager.accessToken
        expect(value(next)).not.toBe(value(first.accessToken))
        // The new expiry counts from the moment the refresh was sent.
        expect(DateTime.toEpochMillis((yield* stored).expiresAt)).toBe(3_300_000 + 3_600_000)
      }),
    { server: { expiresIn: 3600 }, manager: { refreshMargin: "5 minutes" } }
  )

  scenario(
    "past the refresh point callers never wait while the token is valid; once it expired they do",
    ({ first, manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("56 minutes")
        server.faults.push({ _tag: "Delay", duration: "10 seconds" })
        const answers = yield* Effect.forEach([1, 2, 3], () => manager.accessToken, { concurrency: "unbounded" })
        expect(answers.map(value)).toEqual([1, 2, 3].map(() => value(first.accessToken)))
        yield* settle
        expect(server.refreshRequests).toBe(1)
        yield* TestClock.adjust("10 seconds")
        const renewed = yield* manager.accessToken
        expect(value(renewed)).not.toBe(value(first.accessToken))
        // Expired: the caller waits for the refresh in flight.
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "Delay", duration: "10 seconds" })
        const waiting = yield* Effect.fork(manager.accessToken)
        yield* settle
        expect(waiting.unsafePoll()).toBeNull()
        yield* TestClock.adjust("10 seconds")
        const after = yield* Fiber.join(waiting)
        expect(value(after)).toBe(value((yield* stored).accessToken))
        expect(server.refreshRequests).toBe(2)
      })
  )

  scenario(
    "a token shorter-lived than twice the margin is refreshed at half-life, not on every call",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("29 seconds")
        yield* Effect.repeatN(manager.accessToken, 5)
        expect(server.refreshRequests).toBe(0)
        yield* TestClock.adjust("1 second")
        yield* Effect.repeatN(manager.accessToken, 5)
        expect(server.refreshRequests).toBe(1)
      }),
    { server: { expiresIn: 60 }, manager: { refreshMargin: "5 minutes" } }
  )

  scenario(
    "a response without expires_in gets the configured default lifetime, for the login and each refresh",
    ({ first, manager, server }) =>
      Effect.gen(function* () {
        expect(DateTime.toEpochMillis(first.expiresAt)).toBe(600_000)
        yield* TestClock.adjust("9 minutes")
        yield* manager.refresh
        expect(server.refreshRequests).toBe(1)
        expect(DateTime.toEpochMillis((yield* stored).expiresAt)).toBe(9 * 60_000 + 600_000)
      }),
    { server: { omitExpiresIn: true }, manager: { defaultLifetime: "10 minutes", refreshMargin: "1 minute" } }
  )

  it.effect("a rotated refresh token replaces the old one; an answer without one keeps the old one", () => {
    const rotating = new ScriptedServer({ rotate: true })
    const fixed = new ScriptedServer({ rotate: false })
    const refreshTwice = (server: ScriptedServer) =>
      run(
        server,
        Effect.gen(function* () {
          const manager = yield* TokenManager.TokenManager
          const first = yield* login(server)
          yield* manager.refresh
          const second = yield* stored
          yield* manager.refresh
          const third = yield* stored
          return [first, second, third].map((t) => value(Option.getOrThrow(t.refreshToken)))
        })
      )
    return Effect.gen(function* () {
      const [r1, r2, r3] = yield* refreshTwice(rotating)
      expect(new Set([r1, r2, r3]).size).toBe(3)
      expect(r3).toBe(rotating.currentRefreshToken)
      const kept = yield* refreshTwice(fixed)
      expect(new Set(kept).size).toBe(1)
      expect(fixed.refreshRequests).toBe(2)
    })
  })

  it.effect("without tokens the typed answer is ReauthorizationRequired(NoTokens)", () => {
    const server = new ScriptedServer()
    return run(
      server,
      Effect.gen(function* () {
        const error = yield* Effect.flip(Effect.flatMap(TokenManager.TokenManager, (m) => m.accessToken))
        expect(error).toBeInstanceOf(TokenManager.ReauthorizationRequired)
        expect(error._tag === "ReauthorizationRequired" && error.reason).toBe("NoTokens")
        expect(server.refreshRequests).toBe(0)
      })
    )
  })

  scenario(
    "a token refreshed by another process (a newer stored version) is used without a request",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* manager.accessToken
        yield* TestClock.adjust("58 minutes")
        const elsewhere = yield* refreshElsewhere(server)
        yield* manager.accessToken
        yield* settle
        expect(value(yield* manager.accessToken)).toBe(value(elsewhere.accessToken))
        expect(server.refreshRequests).toBe(1)
      })
  )

  scenario(
    "losing a race with another process (invalid_grant after its rotation) uses the stored token",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        // Our refresh is slow; meanwhile "another process" rotates and stores, so ours arrives with a spent token.
        server.faults.push({ _tag: "Delay", duration: "1 second" })
        const fiber = yield* Effect.fork(manager.accessToken)
        while (server.refreshRequests === 0) yield* Effect.yieldNow()
        const elsewhere = yield* refreshElsewhere(server)
        yield* TestClock.adjust("1 second")
        const token = yield* Fiber.join(fiber)
        expect(value(token)).toBe(value(elsewhere.accessToken))
        expect((yield* stored).version).toBe(2)
        expect(server.refreshRequests).toBe(2)
      })
  )

  scenario(
    "a real invalid_grant surfaces as ReauthorizationRequired once, keeps the store, and is not retried",
    ({ manager, server }) =>
      Effect.gen(function* () {
        server.familyRevoked = true
        yield* TestClock.adjust("2 hours")
        const error = yield* Effect.flip(manager.accessToken)
        expect(error._tag === "ReauthorizationRequired" && error.reason).toBe("InvalidGrant")
        expect(error.message).toContain("authorize the app again")
        yield* TestClock.adjust("10 minutes")
        const again = yield* Effect.flip(manager.accessToken)
        expect(again._tag).toBe("ReauthorizationRequired")
        expect(server.refreshRequests).toBe(1)
        expect((yield* stored).version).toBe(1)
        // A new authorization brings the grant back.
        server.familyRevoked = false
        const fresh = yield* manager.save(server.initial())
        expect(value(yield* manager.accessToken)).toBe(value(fresh.accessToken))
      })
  )

  scenario(
    "transient failures keep the grant, serve the still-valid token, back off, then recover",
    ({ first, manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("56 minutes") // inside the 5-minute margin, token still valid
        const rateLimited = counter(Metric.tagged(TokenManager.metrics.refreshFailures, "error", "RateLimited"))
        const rateLimitedBefore = yield* rateLimited
        server.faults.push({ _tag: "RateLimited" }, { _tag: "NotSent" })
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        yield* settle
        expect(server.refreshRequests).toBe(1)
        expect((yield* rateLimited) - rateLimitedBefore).toBe(1)
        // Within the back-off no request goes out.
        yield* Effect.repeatN(manager.accessToken, 10)
        yield* settle
        expect(server.refreshRequests).toBe(1)
        yield* TestClock.adjust("1 second")
        expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
        yield* settle
        expect(server.refreshRequests).toBe(2)
        expect((yield* stored).version).toBe(1)
        yield* TestClock.adjust("2 seconds")
        yield* manager.accessToken
        yield* settle
        const recovered = yield* manager.accessToken
        expect(server.refreshRequests).toBe(3)
        expect(value(recovered)).not.toBe(value(first.accessToken))
        expect((yield* stored).version).toBe(2)
      }),
    { manager: { retryBackoff: "1 second" } }
  )

  scenario(
    "once the token has expired a transient failure reaches the caller as itself, store intact",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "RateLimited" })
        const error = yield* Effect.flip(manager.accessToken)
        expect(error._tag).toBe("RateLimited")
        expect((yield* stored).version).toBe(1)
        expect(value(Option.getOrThrow((yield* stored).refreshToken))).toBe(server.currentRefreshToken)
      })
  )

  describe("a lost refresh response (UltraCart rotated, the client never heard)", () => {
    scenario(
      "recovers by repeating the refresh once when the server has a reuse grace period",
      ({ manager, server }) =>
        Effect.gen(function* () {
          yield* TestClock.adjust("2 hours")
          server.faults.push({ _tag: "LoseResponse" })
          const token = yield* manager.accessToken
          expect(server.refreshRequests).toBe(2)
          expect(server.familyRevoked).toBe(false)
          const current = yield* stored
          expect(value(token)).toBe(value(current.accessToken))
          expect(value(Option.getOrThrow(current.refreshToken))).toBe(server.currentRefreshToken)
          // The grant is alive: the next rotation works.
          yield* TestClock.adjust("2 hours")
          yield* manager.accessToken
          expect(server.refreshRequests).toBe(3)
        }),
      { server: { reuseGrace: true } }
    )

    scenario("recovers with no repeat at all when the request never reached UltraCart", ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "NotSent" })
        const error = yield* Effect.flip(manager.accessToken)
        expect(error._tag).toBe("TransportError")
        yield* TestClock.adjust("1 second")
        yield* manager.accessToken
        expect(server.refreshRequests).toBe(2)
      })
    )

    scenario(
      "repeatAtOnce without a grace period: keeps serving the still-valid token, then asks for re-authorization — no loop",
      ({ first, manager, server }) =>
        Effect.gen(function* () {
          yield* TestClock.adjust("57 minutes")
          server.faults.push({ _tag: "LoseResponse" })
          expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
          yield* settle
          expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
          expect(server.refreshRequests).toBe(2)
          yield* TestClock.adjust("3 minutes")
          const error = yield* Effect.flip(manager.accessToken)
          expect(error._tag === "ReauthorizationRequired" && error.reason).toBe("InvalidGrant")
          yield* TestClock.adjust("10 minutes")
          yield* Effect.flip(manager.accessToken)
          expect(server.refreshRequests).toBe(2)
        }),
      { manager: { ambiguousRefresh: "repeatAtOnce" } }
    )
    scenario(
      "with repeatAmbiguousRefresh off: no repeat until the access token runs out",
      ({ first, manager, server }) =>
        Effect.gen(function* () {
          yield* TestClock.adjust("57 minutes")
          server.faults.push({ _tag: "LoseResponse" })
          expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
          yield* settle
          yield* TestClock.adjust("2 minutes")
          expect(value(yield* manager.accessToken)).toBe(value(first.accessToken))
          expect(server.refreshRequests).toBe(1)
          yield* TestClock.adjust("1 minute")
          const error = yield* Effect.flip(manager.accessToken)
          expect(error._tag === "ReauthorizationRequired" && error.reason).toBe("InvalidGrant")
          expect(server.refreshRequests).toBe(2)
        }),
      { manager: { repeatAmbiguousRefresh: false } }
    )
  })

  scenario(
    "a caller that times out during the refresh abandons nothing: the rotation is stored",
    ({ manager, server }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "Delay", duration: "10 seconds" })
        const caller = yield* Effect.fork(Effect.timeout(manager.accessToken, "1 second"))
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.await(caller)
        expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe(Option.map((e) => e._tag))).toEqual(
          Option.some("TimeoutException")
        )
        expect((yield* stored).version).toBe(1)
        yield* TestClock.adjust("9 seconds")
        const current = yield* stored
        expect(current.version).toBe(2)
        expect(value(Option.getOrThrow(current.refreshToken))).toBe(server.currentRefreshToken)
        yield* manager.accessToken
        expect(server.refreshRequests).toBe(1)
      })
  )

  it.effect("closing the Layer during a refresh waits for it, so the store stays consistent with UltraCart", () =>
    Effect.gen(function* () {
      const server = new ScriptedServer()
      const store = TokenStoreModule.makeMemory()
      const storeLayer = Layer.succeed(TokenStore, store)
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(managerLayer(server, {}, storeLayer), scope)
      const manager = TokenManager.TokenManager.pipe(Effect.provide(context))
      yield* Effect.flatMap(manager, (m) => m.save(server.initial()))
      yield* TestClock.adjust("2 hours")
      server.faults.push({ _tag: "Delay", duration: "5 seconds" })
      const caller = yield* Effect.fork(Effect.flatMap(manager, (m) => m.accessToken))
      yield* Effect.yieldNow()
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Fiber.interrupt(caller)
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(closing)
      const current = Option.getOrThrow(yield* store.load(KEY))
      expect(current.version).toBe(2)
      expect(value(Option.getOrThrow(current.refreshToken))).toBe(server.currentRefreshToken)
    })
  )

  it.effect(
    "closing the Layer gives up on a refresh that outlasts shutdownGrace; the store keeps the old grant whole",
    () =>
      Effect.gen(function* () {
        const server = new ScriptedServer()
        const store = TokenStoreModule.makeMemory()
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(
          managerLayer(server, { shutdownGrace: "2 seconds" }, Layer.succeed(TokenStore, store)),
          scope
        )
        yield* Effect.provide(login(server), context)
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "Delay", duration: "1 hour" })
        yield* Effect.fork(
          Effect.provide(
            Effect.flatMap(TokenManager.TokenManager, (m) => m.accessToken),
            context
          )
        )
        while (server.refreshRequests === 0) yield* Effect.yieldNow()
        const closedAt = yield* TestClock.currentTimeMillis
        yield* awaitDriving(yield* Effect.fork(Scope.close(scope, Exit.void)))
        expect((yield* TestClock.currentTimeMillis) - closedAt).toBeGreaterThanOrEqual(2_000)
        expect((yield* TestClock.currentTimeMillis) - closedAt).toBeLessThan(3_000)
        const current = Option.getOrThrow(yield* store.load(KEY))
        expect(current.version).toBe(1)
        expect(value(Option.getOrThrow(current.refreshToken))).toBe(server.currentRefreshToken)
      })
  )

  scenario(
    "invalidate refreshes once for the refused version and not at all for an older one",
    ({ first, manager, server }) =>
      Effect.gen(function* () {
        const results = yield* Effect.forEach([1, 2, 3], () => manager.invalidate(first), { concurrency: "unbounded" })
        expect(server.refreshRequests).toBe(1)
        expect(new Set(results.map((t) => t.version))).toEqual(new Set([2]))
        const again = yield* manager.invalidate(first)
        expect(again.version).toBe(2)
        expect(server.refreshRequests).toBe(1)
      })
  )

  scenario(
    "logout revokes the refresh token first, then the access token, and clears the store even if both fail",
    ({ first, manager, server }) =>
      Effect.gen(function* () {
        server.revokeFails = true
        const result = yield* manager.logout
        expect(result.refreshToken._tag).toBe("Failed")
        expect(result.accessToken._tag).toBe("Failed")
        expect(server.revokeRequests).toEqual([value(Option.getOrThrow(first.refreshToken)), value(first.accessToken)])
        expect(Option.isNone(yield* Effect.flatMap(TokenStore, (s) => s.load(KEY)))).toBe(true)
        const error = yield* Effect.flip(manager.accessToken)
        expect(error._tag === "ReauthorizationRequired" && error.reason).toBe("NoTokens")
      })
  )

  it.effect("background refresh renews at the margin without callers and stops with its Layer", () =>
    Effect.gen(function* () {
      const server = new ScriptedServer()
      const store = TokenStoreModule.makeMemory()
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        managerLayer(server, { backgroundRefresh: true }, Layer.succeed(TokenStore, store)),
        scope
      )
      yield* Effect.provide(login(server), context)
      yield* TestClock.adjust("54 minutes")
      expect(server.refreshRequests).toBe(0)
      yield* TestClock.adjust("1 minute")
      expect(server.refreshRequests).toBe(1)
      yield* TestClock.adjust("55 minutes")
      expect(server.refreshRequests).toBe(2)
      expect(Option.getOrThrow(yield* store.load(KEY)).version).toBe(3)
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust("10 hours")
      expect(server.refreshRequests).toBe(2)
    })
  )

  it.effect("no token appears in any log line, error message or error JSON", () => {
    const server = new ScriptedServer({ reuseGrace: true })
    const lines: Array<string> = []
    const capture = Logger.replace(
      Logger.defaultLogger,
      Logger.make((options) => {
        lines.push(Logger.logfmtLogger.log(options))
      })
    )
    return run(
      server,
      Effect.gen(function* () {
        const manager = yield* TokenManager.TokenManager
        const errors: Array<unknown> = []
        yield* login(server)
        yield* TestClock.adjust("56 minutes")
        server.faults.push({ _tag: "RateLimited" }, { _tag: "LoseResponse" })
        yield* manager.accessToken
        yield* TestClock.adjust("2 hours")
        yield* manager.accessToken
        server.faults.push({ _tag: "NotSent" })
        yield* TestClock.adjust("2 hours")
        errors.push(yield* Effect.flip(manager.accessToken))
        server.familyRevoked = true
        yield* TestClock.adjust("2 hours")
        errors.push(yield* Effect.flip(manager.accessToken))
        yield* manager.logout
        expect(lines.length).toBeGreaterThan(4)
        const text = [...lines, ...errors.map(String), ...errors.map((e) => JSON.stringify(e))].join("\n")
        expect(server.issued.length).toBeGreaterThan(4)
        for (const token of server.issued) expect(text).not.toContain(token)
      }).pipe(Effect.provide(capture), Logger.withMinimumLogLevel(LogLevel.All))
    )
  })
})
