/**
 * Model-based tests of the token manager: fast-check writes long random sequences of what can happen to a grant —
 * callers (many at once) in two processes sharing one store, a 401 seen, a forced refresh, clock jumps, a store
 * that stops taking writes or reads, answers lost after UltraCart acted, 5xx, slow answers, logins, logouts, the
 * merchant revoking the app — and runs them against two real managers over the fake UltraCart (rotating refresh
 * tokens with reuse detection) on the TestClock. After each run it checks the invariants and a small model:
 *
 * 1. a refresh token UltraCart accepted is never sent again — once more at most, and only when that answer was lost;
 * 2. no caller ever gets an access token that has expired;
 * 3. a dead grant stays dead until a new login: once revoked at UltraCart, no refresh succeeds;
 * 4. nothing is left that nothing leaves: with the world healed and time passed, no flight is in progress, no
 *    rotation pending, and every manager answers as the model says — a live grant gives a valid token, a
 *    logged-out one `NoTokens`, a revoked one `ReauthorizationRequired`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import { Clock, Effect, Exit, type Fiber, Layer, Logger, LogLevel, Option, Redacted, Scope, TestClock } from "effect"
import * as fc from "fast-check"
import * as TokenManager from "../src/TokenManager.js"
import { TokenStore, TokenStoreError } from "../src/TokenStore.js"
import { FlakyStore } from "./TokenFixtures.js"

type Who = 0 | 1

type Command =
  | { readonly _tag: "Ask"; readonly who: Who; readonly callers: number }
  | { readonly _tag: "Rejected"; readonly who: Who }
  | { readonly _tag: "Force"; readonly who: Who }
  | { readonly _tag: "Advance"; readonly millis: number }
  | { readonly _tag: "Store"; readonly writes: boolean; readonly loads: boolean }
  | { readonly _tag: "Fault"; readonly fault: "lost" | "unsent" | "503" | "slow" }
  | { readonly _tag: "Login"; readonly who: Who }
  | { readonly _tag: "Logout"; readonly who: Who }
  | { readonly _tag: "Revoke" }

const who = fc.constantFrom<Who>(0, 1)
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ _tag: fc.constant("Ask" as const), who, callers: fc.integer({ min: 1, max: 12 }) })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Rejected" as const), who }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Force" as const), who }) },
  {
    weight: 5,
    arbitrary: fc.record({
      _tag: fc.constant("Advance" as const),
      millis: fc.constantFrom(500, 2_000, 30_000, 5 * 60_000, 20 * 60_000, 56 * 60_000, 2 * 3_600_000)
    })
  },
  {
    weight: 2,
    arbitrary: fc.record({ _tag: fc.constant("Store" as const), writes: fc.boolean(), loads: fc.boolean() })
  },
  {
    weight: 2,
    arbitrary: fc.record({
      _tag: fc.constant("Fault" as const),
      fault: fc.constantFrom<"lost" | "unsent" | "503" | "slow">("lost", "unsent", "503", "slow")
    })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Login" as const), who }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Logout" as const), who }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "Revoke" as const }) }
)

const REFRESH = { endpoint: "token", grantType: "refresh_token" } as const
const KEY = "model"

/** What the model knows: a grant stored and alive, or why not. */
interface Model {
  loggedIn: boolean
  /** The merchant revoked the app since the last login. */
  revoked: boolean
  /** When the last login was stored (TestClock time). */
  loginAt: number
  /** The faults armed, in order: the n-th faulted refresh request got the n-th (rules are tried in arming order). */
  readonly faults: Array<"lost" | "unsent" | "503" | "slow">
}

const faultOf = (fault: "lost" | "unsent" | "503" | "slow") =>
  fault === "lost"
    ? Fault.dropAfterProcessing
    : fault === "unsent"
      ? Fault.dropBeforeProcessing
      : fault === "503"
        ? Fault.serverError({ status: 503 })
        : Fault.delay("3 seconds")

/**
 * Awaits fibers while time passes (a second at a time, at most `limit`): a manager waiting for another's lease,
 * or a retrier waiting out its back-off, needs the clock to move. Still running after that: stuck (a failure).
 */
const driving = <A, E>(fibers: ReadonlyArray<Fiber.Fiber<A, E>>, limit = 30 * 60) =>
  Effect.gen(function* () {
    for (let second = 0; second <= limit; second++) {
      const polls = yield* Effect.forEach(fibers, (fiber) => fiber.poll)
      if (polls.every(Option.isSome)) return polls.map((poll) => Option.getOrThrow(poll))
      yield* TestClock.adjust("1 second")
    }
    return yield* Effect.dieMessage(`stuck: a caller did not finish within ${limit} seconds of a healed world`)
  })

/** Runs one sequence against two managers (two "processes") sharing one store with a lease. */
const runSequence = (
  commands: ReadonlyArray<Command>,
  ambiguousRefresh: TokenManager.TokenManagerOptions["ambiguousRefresh"]
) =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCart.FakeUltraCart
    const flaky = new FlakyStore({ lease: true })
    // Like every real store, the lease is waited for a bounded time (then `Locked`), never forever.
    const inner = flaky.service()
    const store: TokenStore.Service = {
      ...inner,
      lease: (key) =>
        Effect.timeoutFail(inner.lease!(key), {
          duration: "30 seconds",
          onTimeout: () => new TokenStoreError({ operation: "lease", key, reason: "Locked", detail: "waited 30 s" })
        })
    }
    const managers: Array<TokenManager.TokenManager.Service> = []
    for (const process of [0, 1]) {
      // Each "process" marks its requests, so the fake's record tells who sent what.
      const oauth = yield* OAuthClient.make({
        clientId: FakeUltraCart.DEFAULT_CLIENT.clientId,
        baseUrl: fake.baseUrl,
        transformClient: HttpClient.mapRequest(HttpClientRequest.setHeader("x-test-process", String(process)))
      })
      const scope = yield* Effect.scope
      managers.push(
        yield* TokenManager.make({ key: KEY, shutdownGrace: "1 second", ambiguousRefresh }).pipe(
          Scope.extend(scope),
          Effect.provideService(TokenStore, store),
          Effect.provideService(OAuthClient.OAuthClient, oauth)
        )
      )
    }
    const model: Model = { loggedIn: false, revoked: false, loginAt: 0, faults: [] }
    const served: Array<{ readonly token: string; readonly at: number }> = []
    const callers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []

    /** A caller: asks, and records the token it got with the time it got it. */
    const ask = (manager: TokenManager.TokenManager.Service) =>
      Effect.tap(manager.tokens, (tokens) =>
        Effect.map(Clock.currentTimeMillis, (at) => void served.push({ token: Redacted.value(tokens.accessToken), at }))
      )

    for (const c of commands) {
      switch (c._tag) {
        case "Ask":
          for (let i = 0; i < c.callers; i++) callers.push(yield* Effect.fork(ask(managers[c.who]!)))
          break
        case "Rejected":
          callers.push(
            yield* Effect.fork(
              Effect.flatMap(managers[c.who]!.tokens, (tokens) =>
                Effect.tap(managers[c.who]!.invalidate(tokens), (next) =>
                  Effect.map(
                    Clock.currentTimeMillis,
                    (at) => void served.push({ token: Redacted.value(next.accessToken), at })
                  )
                )
              )
            )
          )
          break
        case "Force":
          callers.push(yield* Effect.fork(managers[c.who]!.refresh))
          break
        case "Advance":
          yield* TestClock.adjust(c.millis)
          break
        case "Store":
          flaky.failWrites = c.writes ? "Unavailable" : undefined
          flaky.failLoads = c.loads ? "Timeout" : undefined
          break
        case "Fault":
          yield* fake.injectFault(faultOf(c.fault), REFRESH)
          model.faults.push(c.fault)
          break
        case "Login": {
          const issued = yield* fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
          const save = managers[c.who]!.save({
            accessToken: issued.accessToken,
            tokenType: "bearer",
            expiresIn: Option.some(issued.expiresIn),
            refreshToken: Option.some(issued.refreshToken),
            scope: Option.none()
          })
          // A login waits for the manager's lock (a flight may hold it, waiting out a lease): time must move.
          // The time it was stored is when the save ended, not when the waiting noticed.
          const [exit] = yield* driving([yield* Effect.fork(Effect.zipRight(save, Clock.currentTimeMillis))])
          if (exit !== undefined && Exit.isSuccess(exit)) {
            Object.assign(model, { loggedIn: true, revoked: false, loginAt: exit.value })
          }
          break
        }
        case "Logout": {
          const [exit] = yield* driving([yield* Effect.fork(managers[c.who]!.logout)])
          if (exit !== undefined && Exit.isSuccess(exit)) model.loggedIn = false
          break
        }
        case "Revoke": {
          const current = yield* flaky.inner.load(KEY)
          if (Option.isSome(current)) {
            yield* fake.revoke(current.value.accessToken)
            model.revoked = true
          }
          break
        }
      }
      yield* Effect.yieldNow()
    }
    // Heal the world, let every caller finish, and let time pass.
    flaky.failWrites = undefined
    flaky.failLoads = undefined
    yield* fake.clearFaults
    yield* driving(callers)
    return { flaky, managers, model, served }
  })

/** The refresh requests UltraCart saw, each with the fault it got (if any) and whether it acted on it. */
const refreshSends = (model: Model) =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCart.FakeUltraCart
    const sends = (yield* fake.requests).filter((r) => r.endpoint === "token" && r.grantType === "refresh_token")
    let faulted = 0
    return sends.map((r) => {
      const fault = r.fault === undefined ? undefined : model.faults[faulted++]
      return {
        token: r.form["refresh_token"] ?? "",
        process: r.headers["x-test-process"] ?? "?",
        at: r.receivedAt,
        // A connection dropped before or after UltraCart acted: the client cannot tell which.
        lost: fault === "lost" || fault === "unsent",
        status: r.status
      }
    })
  })

/**
 * Invariant 1. A refresh token whose rotation reached a process (a 200 delivered) is never sent again, by anyone:
 * the rotation is stored before the grant's lease is freed. One whose answer was lost is sent again by that
 * process at most once, counting the sends UltraCart may have acted on (one answered 503 it did not). (Another
 * process cannot know of a lost answer — the store holds nothing about it — and may send the token once itself;
 * against reuse detection that finds a grant the lost rotation has already doomed. Counting what reaches a still-live grant would need the fake to say when reuse detection fired.)
 */
const checkRefreshTokensSpentOnce = (
  sends: ReadonlyArray<{ token: string; process: string; lost: boolean; status: number | undefined }>
) => {
  const delivered = new Set<string>()
  const lostBy = new Map<string, number>()
  for (const send of sends) {
    if (delivered.has(send.token)) expect.fail("a refresh token whose rotation was delivered was sent again")
    const key = `${send.process}:${send.token}`
    const earlier = lostBy.get(key)
    // A 503 says UltraCart did not act: such a send spends nothing, the repeat included (RFC 7009's rule for 503).
    const actedOn = send.lost || send.status !== 503
    if (earlier !== undefined && earlier >= 2 && actedOn)
      expect.fail("a process sent a refresh token with a lost answer twice more")
    if (send.lost || (earlier !== undefined && actedOn)) lostBy.set(key, (earlier ?? 0) + 1)
    if (send.status === 200) delivered.add(send.token)
  }
}

/** Histories that once broke an invariant, replayed on every run before the random ones. */
const regressions: Array<[Array<Command>, TokenManager.TokenManagerOptions["ambiguousRefresh"]]> = [
  // A lost answer, then a repeat answered 503 (UltraCart did not act): the repeat is not used up by it.
  [
    [
      { _tag: "Fault", fault: "lost" },
      { _tag: "Fault", fault: "503" },
      { _tag: "Login", who: 0 },
      { _tag: "Advance", millis: 7_200_000 },
      { _tag: "Ask", who: 0, callers: 1 },
      { _tag: "Advance", millis: 500 },
      { _tag: "Fault", fault: "lost" },
      { _tag: "Revoke" },
      { _tag: "Fault", fault: "lost" },
      { _tag: "Ask", who: 0, callers: 1 },
      { _tag: "Force", who: 0 }
    ],
    "repeatAtExpiry"
  ],
  // A logout and a new login by the other process: the new grant starts at version 1 again, like the old one.
  [
    [
      { _tag: "Login", who: 0 },
      { _tag: "Logout", who: 1 },
      { _tag: "Store", writes: false, loads: true },
      { _tag: "Ask", who: 0, callers: 1 },
      { _tag: "Ask", who: 0, callers: 1 },
      { _tag: "Rejected", who: 0 },
      { _tag: "Login", who: 1 }
    ],
    "repeatAtExpiry"
  ],
  // A logout while the other process holds the lease with a rotation its store will not take: bounded, not stuck.
  [
    [
      { _tag: "Login", who: 0 },
      { _tag: "Advance", millis: 7_200_000 },
      { _tag: "Store", writes: true, loads: false },
      { _tag: "Ask", who: 1, callers: 1 },
      { _tag: "Advance", millis: 500 },
      { _tag: "Advance", millis: 500 },
      { _tag: "Logout", who: 0 }
    ],
    "repeatAtExpiry"
  ]
]

describe("TokenManager, model-based", () => {
  it.effect.prop(
    "random histories keep every invariant and end where the model says",
    [
      fc.array(command, { minLength: 5, maxLength: 60 }),
      fc.constantFrom<TokenManager.TokenManagerOptions["ambiguousRefresh"]>("repeatAtExpiry", "repeatAtOnce", "never")
    ],
    ([commands, ambiguousRefresh]) =>
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const { flaky, managers, model, served } = yield* runSequence(commands, ambiguousRefresh)
        const sends = yield* refreshSends(model)
        checkRefreshTokensSpentOnce(sends)
        const lostSinceLogin = sends.some((send) => send.lost && send.at >= model.loginAt)
        // 2. No caller got a token past its expiry.
        for (const { at, token } of served) {
          const info = yield* fake.inspectToken(token)
          expect(Option.map(info, (i) => (i.expiresAt ?? Number.POSITIVE_INFINITY) > at)).toEqual(Option.some(true))
        }
        // 4. At rest, and as the model says.
        yield* TestClock.adjust("2 hours")
        const finals = yield* driving(yield* Effect.forEach(managers, (manager) => Effect.fork(manager.tokens)))
        for (const [i, manager] of managers.entries()) {
          const exit = finals[i]!
          const status = yield* manager.status
          expect(status.refreshing).toBe(false)
          expect(status.phase).not.toBe("RotationPending")
          const stored = yield* flaky.inner.load(KEY)
          if (!model.loggedIn || Option.isNone(stored)) {
            expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ReauthorizationRequired" })))
          } else if (model.revoked) {
            // 3. Dead stays dead.
            expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ReauthorizationRequired" })))
          } else if (!lostSinceLogin) {
            if (Exit.isFailure(exit)) expect.fail(`a live grant failed: ${JSON.stringify(exit.cause)}`)
            const info = yield* fake.inspectToken(exit.value.accessToken)
            expect(Option.map(info, (i) => i.status)).toEqual(Option.some("active"))
          }
        }
      }).pipe(
        Effect.provide(Layer.provideMerge(FakeUltraCart.clientLayer(), FakeUltraCart.layer()).pipe(Layer.orDie)),
        Effect.scoped,
        Logger.withMinimumLogLevel(LogLevel.None)
      ),
    { timeout: 900_000, fastCheck: { numRuns: 200, examples: regressions } }
  )
})
