/**
 * The token manager and its authenticated client against `@ultracart-oauth/testing`'s fake UltraCart (in
 * memory, on the TestClock): real HTTP requests through core's client, rotation with reuse detection, faults.
 */
import { describe, expect, it } from "@effect/vitest"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
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
  Option,
  Redacted,
  TestClock,
  Tracer
} from "effect"
import * as Auth from "../src/Auth.js"
import * as AuthenticatedClient from "../src/AuthenticatedClient.js"
import * as TokenManager from "../src/TokenManager.js"
import * as TokenStore from "../src/TokenStore.js"

const KEY = "merchant-DEMO"

/** The tracer in place, keeping every span it makes. */
const recording = (tracer: Tracer.Tracer, spans: Array<Tracer.Span>): Tracer.Tracer =>
  Tracer.make({
    span: (...args) => {
      const span = tracer.span(...args)
      spans.push(span)
      return span
    },
    context: (f, fiber) => tracer.context(f, fiber)
  })
const REFRESH = { endpoint: "token", grantType: "refresh_token" } as const

const stack = (options: TokenManager.TokenManagerOptions = {}, fake: FakeUltraCart.FakeUltraCartOptions = {}) =>
  AuthenticatedClient.layer({ baseUrl: FakeUltraCart.DEFAULT_BASE_URL }).pipe(
    Layer.provideMerge(TokenManager.layer({ key: KEY, ...options })),
    Layer.provideMerge(TokenStore.layerMemory),
    Layer.provideMerge(FakeUltraCart.clientLayer()),
    Layer.provideMerge(FakeUltraCart.layer(fake)),
    Layer.orDie
  )

type Env = Layer.Layer.Success<ReturnType<typeof stack>>

/** A merchant's grant, as the browser leg and code exchange would produce it (issued at TestClock time 0). */
const grant = Effect.gen(function* () {
  const fake = yield* FakeUltraCart.FakeUltraCart
  const manager = yield* TokenManager.TokenManager
  const issued = yield* fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
  return yield* manager.save({
    accessToken: issued.accessToken,
    tokenType: "bearer",
    expiresIn: Option.some(issued.expiresIn),
    refreshToken: Option.some(issued.refreshToken),
    scope: Option.none()
  })
})

const stored = Effect.flatMap(TokenStore.TokenStore, (s) => s.load(KEY)).pipe(Effect.map(Option.getOrThrow))

const refreshCount = Effect.flatMap(FakeUltraCart.FakeUltraCart, (fake) => fake.requestCount(REFRESH))

/** What the fake thinks of the stored refresh token: `active` means the grant lives on. */
const storedRefreshStatus = Effect.gen(function* () {
  const fake = yield* FakeUltraCart.FakeUltraCart
  const tokens = yield* stored
  const info = yield* fake.inspectToken(Option.getOrThrow(tokens.refreshToken))
  return Option.map(info, (i) => i.status)
})

const scenario = <A, E>(
  name: string,
  body: Effect.Effect<A, E, Env>,
  options: TokenManager.TokenManagerOptions = {},
  fake: FakeUltraCart.FakeUltraCartOptions = {}
) => it.effect(name, () => Effect.provide(Effect.zipRight(grant, body), stack(options, fake)))

describe("TokenManager against the fake UltraCart", () => {
  scenario(
    "1,000 concurrent callers with an expired token: exactly one refresh request reaches the server",
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const manager = yield* TokenManager.TokenManager
      yield* TestClock.adjust("2 hours")
      yield* fake.injectFault(Fault.delay("500 millis"), REFRESH)
      const callers = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          () => manager.accessToken,
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust("500 millis")
      const tokens = yield* Fiber.join(callers)
      expect(yield* refreshCount).toBe(1)
      expect(new Set(tokens.map(Redacted.value)).size).toBe(1)
      expect(yield* storedRefreshStatus).toEqual(Option.some("active"))
    })
  )

  scenario(
    "refreshes at the margin, not before",
    Effect.gen(function* () {
      const manager = yield* TokenManager.TokenManager
      yield* TestClock.adjust(Duration.millis(55 * 60_000 - 1))
      yield* Effect.repeatN(manager.accessToken, 20)
      expect(yield* refreshCount).toBe(0)
      yield* TestClock.adjust("1 millis")
      yield* Effect.repeatN(manager.accessToken, 20)
      expect(yield* refreshCount).toBe(1)
    }),
    { refreshMargin: "5 minutes" }
  )

  scenario(
    "interrupting the caller during a refresh leaves the store consistent with the server",
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const manager = yield* TokenManager.TokenManager
      yield* TestClock.adjust("2 hours")
      yield* fake.injectFault(Fault.delay("10 seconds"), REFRESH)
      const caller = yield* Effect.fork(manager.accessToken)
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(caller)
      yield* TestClock.adjust("9 seconds")
      expect((yield* stored).version).toBe(2)
      expect(yield* storedRefreshStatus).toEqual(Option.some("active"))
      yield* manager.accessToken
      expect(yield* refreshCount).toBe(1)
    })
  )

  scenario(
    "rotation with reuse detection never kills the grant under concurrency",
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const manager = yield* TokenManager.TokenManager
      const client = yield* Auth.UltraCartHttpClient
      for (let round = 0; round < 5; round++) {
        yield* TestClock.adjust("2 hours")
        yield* fake.injectFault(Fault.delay(`${100 * (round + 1)} millis`), REFRESH)
        const work = yield* Effect.fork(
          Effect.all(
            [
              Effect.forEach(
                Array.from({ length: 50 }, (_, i) => i),
                () => manager.accessToken,
                { concurrency: "unbounded" }
              ),
              Effect.forEach(
                Array.from({ length: 20 }, (_, i) => i),
                () => client.get("/oauth/me"),
                { concurrency: "unbounded" }
              ),
              Effect.forEach([1, 2, 3], () => manager.refresh, { concurrency: "unbounded" })
            ],
            { concurrency: "unbounded" }
          )
        )
        yield* TestClock.adjust("1 second")
        const [, responses] = yield* Fiber.join(work)
        expect(responses.every((r) => r.status === 200)).toBe(true)
        expect(yield* storedRefreshStatus).toEqual(Option.some("active"))
      }
      // One refresh per round, however many callers.
      expect(yield* refreshCount).toBe(5)
    })
  )

  describe("a lost refresh response", () => {
    scenario(
      "a request dropped before UltraCart processed it: recovered by one repeat",
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const manager = yield* TokenManager.TokenManager
        yield* TestClock.adjust("2 hours")
        yield* fake.injectFault(Fault.dropBeforeProcessing, REFRESH)
        const token = yield* manager.accessToken
        expect(yield* refreshCount).toBe(2)
        expect(Redacted.value(token)).toBe(Redacted.value((yield* stored).accessToken))
        expect(yield* storedRefreshStatus).toEqual(Option.some("active"))
      })
    )

    scenario(
      "UltraCart rotated and the answer was lost (strict reuse detection): typed re-authorization, no loop, then a new grant works",
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const manager = yield* TokenManager.TokenManager
        yield* TestClock.adjust("2 hours")
        yield* fake.injectFault(Fault.dropAfterProcessing, REFRESH)
        const error = yield* Effect.flip(manager.accessToken)
        expect(error._tag === "ReauthorizationRequired" && error.reason).toBe("InvalidGrant")
        expect(yield* refreshCount).toBe(2)
        yield* TestClock.adjust("5 minutes")
        yield* Effect.flip(manager.accessToken)
        expect(yield* refreshCount).toBe(2)
        expect((yield* stored).version).toBe(1)
        yield* grant
        yield* manager.accessToken
        expect(yield* refreshCount).toBe(2)
      })
    )

    scenario(
      "another process stored the rotation it got: used without a repeat",
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const manager = yield* TokenManager.TokenManager
        const store = yield* TokenStore.TokenStore
        yield* TestClock.adjust("2 hours")
        yield* fake.injectFault(Fault.delay("1 second", Fault.dropAfterProcessing), REFRESH)
        const caller = yield* Effect.fork(manager.accessToken)
        yield* TestClock.adjust("500 millis")
        // Meanwhile another process (sharing the store) rotated — with a token the server issued for the same grant.
        const other = yield* fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
        const now = yield* TestClock.currentTimeMillis
        yield* store.compareAndSet(KEY, 1, {
          accessToken: other.accessToken,
          refreshToken: Option.some(other.refreshToken),
          expiresAt: DateTime.unsafeMake(now + other.expiresIn * 1000),
          issuedAt: DateTime.unsafeMake(now),
          scope: Option.none()
        })
        yield* TestClock.adjust("500 millis")
        const token = yield* Fiber.join(caller)
        expect(Redacted.value(token)).toBe(Redacted.value(other.accessToken))
        expect(yield* refreshCount).toBe(1)
      })
    )
  })

  describe("401 from the API for a token believed valid", () => {
    scenario(
      "one refresh and one replay (the server's clock is ahead)",
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const client = yield* Auth.UltraCartHttpClient
        yield* TestClock.adjust("30 minutes")
        // The server thinks the token expired; the client, with 30 minutes left, does not.
        yield* fake.setClockOffset(45 * 60_000)
        const response = yield* client.get("/oauth/me")
        expect(response.status).toBe(200)
        expect(yield* refreshCount).toBe(1)
        expect(yield* fake.requestCount({ endpoint: "me" })).toBe(2)
      })
    )

    scenario(
      "a dead grant: one refresh attempt, no replay loop, a typed error",
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const client = yield* Auth.UltraCartHttpClient
        yield* fake.revoke(Option.getOrThrow((yield* stored).refreshToken))
        const error = yield* Effect.flip(client.get("/oauth/me"))
        expect(error._tag).toBe("CredentialUnavailable")
        expect(error._tag === "CredentialUnavailable" && error.cause).toBeInstanceOf(
          TokenManager.ReauthorizationRequired
        )
        expect(yield* refreshCount).toBe(1)
        expect(yield* fake.requestCount({ endpoint: "me" })).toBe(1)
      })
    )
  })

  scenario(
    "logout revokes at UltraCart and clears the store",
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const manager = yield* TokenManager.TokenManager
      const tokens = yield* stored
      const result = yield* manager.logout
      expect([result.refreshToken._tag, result.accessToken._tag]).toEqual(["Revoked", "Revoked"])
      const revokes = (yield* fake.requests).filter((r) => r.endpoint === "revoke").map((r) => r.form["token"])
      expect(revokes).toEqual([
        Redacted.value(Option.getOrThrow(tokens.refreshToken)),
        Redacted.value(tokens.accessToken)
      ])
      expect(Option.map(yield* fake.inspectToken(tokens.accessToken), (i) => i.status)).toEqual(Option.some("revoked"))
      expect(Option.isNone(yield* Effect.flatMap(TokenStore.TokenStore, (s) => s.load(KEY)))).toBe(true)
    })
  )

  it.effect("no token in any log line or span captured while tokens rotate, fail and are revoked", () => {
    const lines: Array<string> = []
    const spans: Array<Tracer.Span> = []
    const capture = Logger.replace(
      Logger.defaultLogger,
      Logger.make((options) => void lines.push(Logger.logfmtLogger.log(options)))
    )
    return Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const manager = yield* TokenManager.TokenManager
      const client = yield* Auth.UltraCartHttpClient
      const seen = new Set<string>()
      const remember = Effect.map(stored, (t) => {
        seen.add(Redacted.value(t.accessToken))
        Option.map(t.refreshToken, (r) => seen.add(Redacted.value(r)))
      })
      yield* grant
      yield* remember
      for (const fault of [Fault.rateLimited(), Fault.dropBeforeProcessing, Fault.serverError({ status: 503 })]) {
        yield* TestClock.adjust("56 minutes")
        yield* fake.injectFault(fault, REFRESH)
        yield* Effect.exit(manager.accessToken)
        yield* TestClock.adjust("5 seconds")
        yield* client.get("/oauth/me")
        yield* remember
      }
      yield* fake.setClockOffset(3 * 3600_000)
      yield* client.get("/oauth/me")
      yield* remember
      yield* fake.injectFault(Fault.dropAfterProcessing, REFRESH)
      yield* TestClock.adjust("2 hours")
      const failed = yield* Effect.exit(manager.accessToken)
      yield* manager.logout
      for (const r of yield* fake.requests) {
        if (r.form["refresh_token"]) seen.add(r.form["refresh_token"])
        if (r.form["token"]) seen.add(r.form["token"])
        const bearer = r.headers["authorization"]?.replace(/^Bearer /, "")
        if (bearer) seen.add(bearer)
      }
      expect(seen.size).toBeGreaterThan(6)
      expect(lines.length).toBeGreaterThan(5)
      expect(spans.map((span) => span.name)).toEqual(
        expect.arrayContaining(["TokenManager.refresh", "TokenManager.logout", "UltraCartOAuth /oauth/token"])
      )
      const spanText = spans.map((span) =>
        JSON.stringify([span.name, [...span.attributes], span.status._tag === "Ended" ? String(span.status.exit) : ""])
      )
      expect(spanText.join("\n")).toContain("ultracart.grant")
      const text = [...lines, ...spanText, Exit.isFailure(failed) ? Cause.pretty(failed.cause) : ""].join("\n")
      for (const token of seen) expect(text).not.toContain(token)
    }).pipe(Effect.provide(stack()), Effect.provide(capture), Logger.withMinimumLogLevel(LogLevel.All), (effect) =>
      Effect.flatMap(Effect.tracer, (tracer) => Effect.withTracer(effect, recording(tracer, spans)))
    )
  })
})
