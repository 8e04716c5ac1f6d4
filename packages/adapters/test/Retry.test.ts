import { describe, expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import {
  ConfigProvider,
  type Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Random,
  Redacted,
  TestClock
} from "effect"
import * as Retry from "../src/Retry.js"
import * as Timeouts from "../src/Timeouts.js"
import * as Mock from "./utils/MockHttpClient.js"
import { script } from "./utils/MockHttpClient.js"

const clientOptions: OAuthClient.OAuthClientOptions = Timeouts.withTimeouts(
  { clientId: "cid" },
  Timeouts.make({ requestTimeout: "5 seconds", bodyTimeout: "5 seconds" })
)

/** Core's client over the mock, wrapped by the retry Layer; the mock stays reachable to script and inspect. */
const stack = (options: Parameters<typeof Retry.layer>[0] = {}) =>
  Retry.layer({ jitter: 0, ...options }).pipe(
    Layer.provide(OAuthClient.layer(clientOptions)),
    Layer.provideMerge(Mock.layer)
  )

/** Runs `effect` in a fiber while the TestClock moves far enough for every scheduled retry. */
const settle = <A, E, R>(effect: Effect.Effect<A, E, R>, advance: Duration.DurationInput = "5 minutes") =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(advance)
    return yield* Fiber.await(fiber)
  })

/** The gaps between consecutive requests, in ms of TestClock time. */
const gaps = Effect.map(
  Effect.flatMap(Mock.MockServer, (m) => m.requests),
  (all) => all.slice(1).map((r, i) => r.atMillis - all[i]!.atMillis)
)

const revoke = Effect.flatMap(OAuthClient.OAuthClient, (c) => c.revoke({ token: Redacted.make("tok-secret") }))
const exchangeCode = Effect.flatMap(Retry.RetryingOAuthClient, (c) =>
  c.exchangeCode({ code: Redacted.make("code-secret"), redirectUri: "https://app.example/cb" })
)
const refresh = Effect.flatMap(Retry.RetryingOAuthClient, (c) =>
  c.refresh({ refreshToken: Redacted.make("rt-secret") })
)
const poll = Effect.flatMap(OAuthClient.OAuthClient, (c) => c.exchangeDeviceCode({ deviceCode: Redacted.make("dc") }))

const revoked = Mock.json(200, { successful: true })
const count = Effect.flatMap(Mock.MockServer, (m) => m.count)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${exit.cause._tag}`)
  return failure
}

describe("repeatable calls (revoke, device authorize, /oauth/me, device polls)", () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    it.effect(`retries ${status} with exponential backoff`, () =>
      Effect.gen(function* () {
        yield* script(Mock.json(status, {}), Mock.json(status, {}), revoked)
        const exit = yield* settle(revoke)
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(yield* count).toBe(3)
        expect(yield* gaps).toEqual([250, 500])
      }).pipe(Effect.provide(stack()))
    )
  }

  for (const status of [400, 401, 403, 410]) {
    it.effect(`never retries ${status}`, () =>
      Effect.gen(function* () {
        yield* script(Mock.json(status, { error: { developer_message: "no" } }))
        const exit = yield* settle(revoke)
        expect(failureOf(exit)).toMatchObject({ status })
        expect(yield* count).toBe(1)
      }).pipe(Effect.provide(stack()))
    )
  }

  it.effect("never retries an OAuth error code, whatever the status", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(400, { error: "invalid_request" }), Mock.json(200, { error: "unsupported_token_type" }))
      expect(failureOf(yield* settle(revoke))._tag).toBe("InvalidRequest")
      expect(failureOf(yield* settle(revoke))._tag).toBe("UnsupportedTokenType")
      expect(yield* count).toBe(2)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("stops after maxAttempts and fails with the last error", () =>
    Effect.gen(function* () {
      yield* script(...Array.from({ length: 6 }, () => Mock.json(503, {})))
      const exit = yield* settle(revoke)
      expect(failureOf(exit)).toMatchObject({ _tag: "ServerError", status: 503 })
      expect(yield* count).toBe(3)
    }).pipe(Effect.provide(stack({ maxAttempts: 3 })))
  )

  it.effect("caps each delay at maxDelay", () =>
    Effect.gen(function* () {
      yield* script(...Array.from({ length: 4 }, () => Mock.json(500, {})), revoked)
      yield* settle(revoke)
      expect(yield* gaps).toEqual([1000, 2000, 2000, 2000])
    }).pipe(Effect.provide(stack({ maxAttempts: 5, baseDelay: "1 second", maxDelay: "2 seconds" })))
  )

  it.effect("schedules no retry past maxElapsed", () =>
    Effect.gen(function* () {
      yield* script(...Array.from({ length: 5 }, () => Mock.json(500, {})))
      yield* settle(revoke)
      // 400 ms, then 800 ms would start the third attempt at 1.2 s > 1 s.
      expect(yield* gaps).toEqual([400])
    }).pipe(Effect.provide(stack({ maxAttempts: 10, baseDelay: "400 millis", maxElapsed: "1 second" })))
  )

  it.effect("maxAttempts 1 turns retries off", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(503, {}))
      yield* settle(revoke)
      expect(yield* count).toBe(1)
    }).pipe(Effect.provide(stack({ maxAttempts: 1 })))
  )

  it.effect("retries transport failures, before or after sending", () =>
    Effect.gen(function* () {
      yield* script(Mock.fail("ECONNRESET"), Mock.fail("ECONNREFUSED"), revoked)
      expect(Exit.isSuccess(yield* settle(revoke))).toBe(true)
      expect(yield* count).toBe(3)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("retries a request timeout and a body timeout, each attempt with its own deadline", () =>
    Effect.gen(function* () {
      yield* script(Mock.hang, Mock.stallBody(), revoked)
      const fiber = yield* Effect.fork(revoke)
      yield* TestClock.adjust("4999 millis")
      expect(yield* count).toBe(1)
      yield* TestClock.adjust("1 millis") // the 5 s head deadline passes; retry after 250 ms
      yield* TestClock.adjust("250 millis")
      expect(yield* count).toBe(2)
      yield* TestClock.adjust("5 seconds") // the 5 s body deadline passes; retry after 500 ms
      yield* TestClock.adjust("500 millis")
      expect(yield* count).toBe(3)
      expect(Exit.isSuccess(yield* Fiber.await(fiber))).toBe(true)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("retries device-code polls on transport errors but never authorization_pending or slow_down", () =>
    Effect.gen(function* () {
      yield* script(Mock.fail("ECONNRESET"), Mock.json(200, Mock.tokenBody))
      expect(Exit.isSuccess(yield* settle(poll))).toBe(true)
      expect(yield* count).toBe(2)
      yield* script(Mock.json(400, { error: "authorization_pending" }), Mock.json(400, { error: "slow_down" }))
      expect(failureOf(yield* settle(poll))._tag).toBe("AuthorizationPending")
      expect(failureOf(yield* settle(poll))._tag).toBe("SlowDown")
      expect(yield* count).toBe(4)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("retries authorizeDevice and me", () =>
    Effect.gen(function* () {
      const client = yield* OAuthClient.OAuthClient
      yield* script(
        Mock.json(502, {}),
        Mock.json(200, { device_code: "d", user_code: "u", verification_uri: "https://v.example", expires_in: 600 }),
        Mock.json(504, {}),
        Mock.json(200, { merchant_id: "DEMO" })
      )
      expect(Exit.isSuccess(yield* settle(client.authorizeDevice({ scope: "crm" })))).toBe(true)
      expect(Exit.isSuccess(yield* settle(client.me({ accessToken: Redacted.make("at") })))).toBe(true)
      expect(yield* count).toBe(4)
    }).pipe(Effect.provide(stack()))
  )
})

describe("Retry-After", () => {
  it.effect("waits the delta-seconds the server asks for", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(429, {}, { "retry-after": "3" }), revoked)
      yield* settle(revoke)
      expect(yield* gaps).toEqual([3000])
    }).pipe(Effect.provide(stack()))
  )

  it.effect("waits until the HTTP-date the server names", () =>
    Effect.gen(function* () {
      // The TestClock starts at the epoch: the date is 7 s from now.
      yield* script(Mock.json(503, {}, { "retry-after": new Date(7000).toUTCString() }), revoked)
      yield* settle(revoke)
      expect(yield* gaps).toEqual([7000])
    }).pipe(Effect.provide(stack()))
  )

  it.effect("keeps the backoff when Retry-After asks for less", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(503, {}, { "retry-after": "0" }), revoked)
      yield* settle(revoke)
      expect(yield* gaps).toEqual([1000])
    }).pipe(Effect.provide(stack({ baseDelay: "1 second" })))
  )

  it.effect("gives the error back at once when Retry-After exceeds maxRetryAfter", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(429, {}, { "retry-after": "120" }), revoked)
      const exit = yield* settle(revoke)
      expect(failureOf(exit)).toMatchObject({ _tag: "RateLimited", retryAfterMillis: 120_000 })
      expect(yield* count).toBe(1)
    }).pipe(Effect.provide(stack({ maxRetryAfter: "1 minute", maxElapsed: "1 hour" })))
  )

  it.effect("counts the Retry-After wait against maxElapsed", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(503, {}, { "retry-after": "40" }), revoked)
      yield* settle(revoke)
      expect(yield* count).toBe(1)
    }).pipe(Effect.provide(stack({ maxElapsed: "30 seconds" })))
  )
})

describe("jitter", () => {
  const firstGap = (seed: number) =>
    Effect.gen(function* () {
      yield* script(Mock.json(503, {}), revoked)
      yield* settle(Effect.withRandom(revoke, Random.make(seed)))
      return (yield* gaps)[0]!
    }).pipe(Effect.provide(stack({ baseDelay: "1 second", jitter: 0.5 })))

  it.effect("draws each delay from [delay × (1 − jitter), delay]", () =>
    Effect.gen(function* () {
      const delays = yield* Effect.forEach(
        Array.from({ length: 12 }, (_, i) => i),
        firstGap
      )
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(500)
        expect(delay).toBeLessThanOrEqual(1000)
      }
      expect(new Set(delays).size).toBeGreaterThan(1)
    })
  )

  it.effect("never wakes before the lower bound", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(503, {}), revoked)
      const fiber = yield* Effect.fork(revoke)
      yield* TestClock.adjust("499 millis")
      expect(yield* count).toBe(1)
      yield* TestClock.adjust("501 millis")
      expect(yield* count).toBe(2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(stack({ baseDelay: "1 second", jitter: 0.5 })))
  )
})

describe("single-use grants (authorization code, refresh token)", () => {
  const grants = [
    { name: "authorization code", call: exchangeCode, grantType: "authorization_code" },
    { name: "refresh token", call: refresh, grantType: "refresh_token" },
    {
      name: "refresh token through token()",
      call: Effect.flatMap(Retry.RetryingOAuthClient, (c) =>
        c.token({ grantType: "refresh_token", refreshToken: Redacted.make("rt-secret") })
      ),
      grantType: "refresh_token"
    }
  ] as const

  for (const { call, grantType, name } of grants) {
    describe(name, () => {
      it.effect("is retried when the request provably never left (connection refused, DNS)", () =>
        Effect.gen(function* () {
          yield* script(Mock.fail("ECONNREFUSED"), Mock.fail("ENOTFOUND"), Mock.json(200, Mock.tokenBody))
          expect(Exit.isSuccess(yield* settle(call))).toBe(true)
          expect(yield* count).toBe(3)
        }).pipe(Effect.provide(stack()))
      )

      it.effect("is retried on 429 or 503 with Retry-After, waiting as asked", () =>
        Effect.gen(function* () {
          yield* script(
            Mock.json(429, {}, { "retry-after": "2" }),
            Mock.json(503, {}, { "retry-after": "4" }),
            Mock.json(200, Mock.tokenBody)
          )
          expect(Exit.isSuccess(yield* settle(call))).toBe(true)
          expect(yield* gaps).toEqual([2000, 4000])
        }).pipe(Effect.provide(stack()))
      )

      for (const status of [429, 500, 502, 503, 504]) {
        it.effect(`is not retried on ${status} without Retry-After`, () =>
          Effect.gen(function* () {
            yield* script(Mock.json(status, {}))
            expect(failureOf(yield* settle(call))).toMatchObject({ status })
            expect(yield* count).toBe(1)
          }).pipe(Effect.provide(stack()))
        )
      }

      const ambiguous = [
        { what: "a connection reset after sending", step: Mock.fail("ECONNRESET"), reason: "Transport" },
        { what: "a request timeout", step: Mock.hang, reason: "Timeout" },
        { what: "a body timeout", step: Mock.stallBody(), reason: "BodyTimeout" }
      ] as const
      for (const { reason, step, what } of ambiguous) {
        it.effect(`fails with OutcomeUnknown after ${what}, without retrying`, () =>
          Effect.gen(function* () {
            yield* script(step, Mock.json(200, Mock.tokenBody))
            const error = failureOf(yield* settle(call))
            expect(error).toMatchObject({ _tag: "OutcomeUnknown", grantType, reason })
            expect(String(error)).not.toMatch(/secret/)
            expect(yield* count).toBe(1)
          }).pipe(Effect.provide(stack()))
        )
      }

      it.effect("is never retried on invalid_grant", () =>
        Effect.gen(function* () {
          yield* script(Mock.json(400, { error: "invalid_grant" }), Mock.json(200, Mock.tokenBody))
          expect(failureOf(yield* settle(call))._tag).toBe("InvalidGrant")
          expect(yield* count).toBe(1)
        }).pipe(Effect.provide(stack()))
      )
    })
  }

  it.effect("through the plain OAuthClient tag, an unknown outcome stays core's TransportError, unretried", () =>
    Effect.gen(function* () {
      yield* script(Mock.fail("ECONNRESET"), Mock.json(200, Mock.tokenBody))
      const client = yield* OAuthClient.OAuthClient
      const exit = yield* settle(client.refresh({ refreshToken: Redacted.make("rt") }))
      expect(failureOf(exit)).toMatchObject({ _tag: "TransportError", outcome: "Unknown" })
      expect(yield* count).toBe(1)
    }).pipe(Effect.provide(stack()))
  )

  it.effect("a refused connection that never recovers fails with the transport error, not OutcomeUnknown", () =>
    Effect.gen(function* () {
      yield* script(...Array.from({ length: 4 }, () => Mock.fail("ECONNREFUSED")))
      expect(failureOf(yield* settle(refresh))).toMatchObject({ _tag: "TransportError", outcome: "NotSent" })
      expect(yield* count).toBe(4)
    }).pipe(Effect.provide(stack()))
  )
})

describe("logs", () => {
  it.effect("log each retry at debug level with the error's tag and delay, and no secret", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const logger = Logger.make((options) => {
        lines.push(Logger.logfmtLogger.log(options))
      })
      yield* script(
        Mock.fail("ECONNREFUSED"),
        Mock.json(429, {}, { "retry-after": "1" }),
        Mock.json(200, Mock.tokenBody)
      )
      const exit = yield* settle(refresh).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatch(/retrying UltraCart call/)
      expect(lines[0]).toMatch(/retry=1 delayMillis=250 error=TransportError/)
      expect(lines[1]).toMatch(/retry=2 delayMillis=1000 error=RateLimited/)
      expect(lines.join("\n")).not.toMatch(/rt-secret|access-1|refresh-1/)
    }).pipe(Effect.provide(stack()))
  )
})

describe("configuration", () => {
  const fromEnv = (env: Record<string, string>) =>
    Retry.layerConfig().pipe(
      Layer.provide(OAuthClient.layer(clientOptions)),
      Layer.provideMerge(Mock.layer),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
    )

  it.effect("reads ULTRACART_RETRY_* settings", () =>
    Effect.gen(function* () {
      yield* script(Mock.json(503, {}), Mock.json(503, {}), revoked)
      const exit = yield* settle(revoke)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(yield* count).toBe(2)
      expect(yield* gaps).toEqual([2000])
    }).pipe(
      Effect.provide(
        fromEnv({
          ULTRACART_RETRY_MAX_ATTEMPTS: "2",
          ULTRACART_RETRY_BASE_DELAY: "2 seconds",
          ULTRACART_RETRY_JITTER: "0"
        })
      )
    )
  )

  it.effect("refuses out-of-range settings when the Layer is built", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Layer.build(fromEnv({ ULTRACART_RETRY_JITTER: "2" })))
      expect(String(error)).toMatch(/ULTRACART_RETRY_JITTER/)
      const attempts = yield* Effect.flip(Layer.build(fromEnv({ ULTRACART_RETRY_MAX_ATTEMPTS: "0" })))
      expect(String(attempts)).toMatch(/ULTRACART_RETRY_MAX_ATTEMPTS/)
    }).pipe(Effect.scoped)
  )
})
