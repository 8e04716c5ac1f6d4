import { describe, expect, it } from "@effect/vitest"
import { OAuthClient, OAuthError, type TokenResponse } from "@ultracart-oauth/core"
import {
  Chunk,
  Clock,
  Duration,
  Effect,
  Exit,
  FastCheck as fc,
  Fiber,
  Layer,
  Option,
  Redacted,
  Ref,
  Stream,
  TestClock
} from "effect"
import { DeviceFlow } from "../src/index.js"
import { stubOAuthClient } from "./utils/StubOAuthClient.js"

// A scripted OAuthClient: `exchangeDeviceCode` answers from a list of outcomes (the last one repeats) and
// records the TestClock time of every poll. Only the two device-flow methods are used by the poller.

type Outcome =
  | { readonly _tag: "tokens" }
  | { readonly _tag: "fail"; readonly error: OAuthError.OAuthClientError }
  | { readonly _tag: "hang" }

const ACCESS_TOKEN = "device-access-token-secret"
const tokens: TokenResponse.TokenResponse = {
  accessToken: Redacted.make(ACCESS_TOKEN),
  tokenType: "bearer",
  expiresIn: Option.some(3600),
  refreshToken: Option.some(Redacted.make("device-refresh-token-secret")),
  scope: Option.some("crm")
}

const protocol = { endpoint: "token", status: 400 } as const
const pending: Outcome = { _tag: "fail", error: new OAuthError.AuthorizationPending(protocol) }
const slowDown: Outcome = { _tag: "fail", error: new OAuthError.SlowDown(protocol) }
const granted: Outcome = { _tag: "tokens" }
const timeout: Outcome = {
  _tag: "fail",
  error: new OAuthError.TransportError({
    endpoint: "token",
    reason: "Timeout",
    outcome: "Unknown",
    detail: "no response"
  })
}
const fail = (error: OAuthError.OAuthClientError): Outcome => ({ _tag: "fail", error })

interface Script {
  readonly polls: Ref.Ref<ReadonlyArray<number>>
  readonly layer: Layer.Layer<OAuthClient.OAuthClient>
}

const script = (
  outcomes: ReadonlyArray<Outcome>,
  authorization?: {
    readonly interval?: number
    readonly expiresIn?: number | undefined
  }
): Effect.Effect<Script> =>
  Effect.gen(function* () {
    const polls = yield* Ref.make<ReadonlyArray<number>>([])
    const service = stubOAuthClient(
      {
        clientId: "cid",
        authorizeDevice: () =>
          Effect.succeed({
            deviceCode: Redacted.make("device-code-secret"),
            userCode: "WDJB-MJHT",
            verificationUri: "https://ultracart.example/device",
            verificationUriComplete: Option.some("https://ultracart.example/device?user_code=WDJB-MJHT"),
            expiresIn:
              "expiresIn" in (authorization ?? {}) ? Option.fromNullable(authorization?.expiresIn) : Option.some(600),
            interval: authorization?.interval ?? 5
          }),
        exchangeDeviceCode: (input) =>
          Effect.gen(function* () {
            expect(Redacted.value(input.deviceCode)).toBe("device-code-secret")
            const now = yield* Clock.currentTimeMillis
            const done = yield* Ref.getAndUpdate(polls, (ps) => [...ps, now])
            const outcome = outcomes[Math.min(done.length, outcomes.length - 1)]!
            switch (outcome._tag) {
              case "tokens":
                return tokens
              case "fail":
                return yield* Effect.fail(outcome.error)
              case "hang":
                return yield* Effect.never
            }
          })
      },
      "not used by the device flow"
    )
    return { polls, layer: Layer.succeed(OAuthClient.OAuthClient, service) }
  })

/** Starts the flow against the script and forks the poller, so the test drives the clock. */
const forkPoll = (s: Script, options?: DeviceFlow.PollOptions & DeviceFlow.StartOptions) =>
  Effect.gen(function* () {
    const flow = yield* DeviceFlow.start({ scope: "crm", ...options })
    return yield* Effect.fork(DeviceFlow.poll(flow, options))
  }).pipe(Effect.provide(s.layer))

const pollTimes = (s: Script) => Effect.map(Ref.get(s.polls), (ps) => ps.map((t) => t / 1000))

describe("DeviceFlow.poll", () => {
  it.effect("waits the server's interval before the first poll and between polls", () =>
    Effect.gen(function* () {
      const s = yield* script([pending, pending, granted], { interval: 7 })
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("6999 millis")
      expect(yield* pollTimes(s)).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* pollTimes(s)).toEqual([7])
      yield* TestClock.adjust("14 seconds")
      const result = yield* Fiber.join(fiber)
      expect(yield* pollTimes(s)).toEqual([7, 14, 21])
      expect(Redacted.value(result.accessToken)).toBe(ACCESS_TOKEN)
    })
  )

  it.effect("adds 5 s for this and every later poll after each slow_down", () =>
    Effect.gen(function* () {
      const s = yield* script([slowDown, pending, slowDown, pending, granted], { interval: 5 })
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("2 minutes")
      yield* Fiber.join(fiber)
      // 5 → slow_down → 10 → 10 → slow_down → 15 → 15
      expect(yield* pollTimes(s)).toEqual([5, 15, 25, 40, 55])
    })
  )

  it.effect("never polls faster than once a second, even when told interval 0", () =>
    Effect.gen(function* () {
      const s = yield* script([pending, granted], { interval: 0 })
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      expect(yield* pollTimes(s)).toEqual([1, 2])
    })
  )

  it.effect("backs off exponentially on transport timeouts, then returns to the interval", () =>
    Effect.gen(function* () {
      const s = yield* script([timeout, timeout, timeout, pending, granted], { interval: 5 })
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.join(fiber)
      // waits: 5, then 10, 20, 40 after the three timeouts, then the interval again
      expect(yield* pollTimes(s)).toEqual([5, 15, 35, 75, 80])
    })
  )

  it.effect("caps the backoff at maxBackoff", () =>
    Effect.gen(function* () {
      const s = yield* script([timeout, timeout, timeout, timeout, granted], { interval: 5 })
      const fiber = yield* forkPoll(s, { scope: "crm", maxBackoff: "15 seconds" })
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.join(fiber)
      expect(yield* pollTimes(s)).toEqual([5, 15, 30, 45, 60])
    })
  )

  it.effect("waits at least Retry-After after a 429, and keeps going after a 5xx", () =>
    Effect.gen(function* () {
      const s = yield* script([
        fail(new OAuthError.RateLimited({ endpoint: "token", status: 429, retryAfterMillis: 30_000 })),
        fail(new OAuthError.ServerError({ endpoint: "token", status: 503 })),
        granted
      ])
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.join(fiber)
      // 5, then max(10 s backoff, 30 s Retry-After), then 20 s (second failure in a row)
      expect(yield* pollTimes(s)).toEqual([5, 35, 55])
    })
  )

  it.effect("stops with DeviceAuthorizationDenied on access_denied", () =>
    Effect.gen(function* () {
      const s = yield* script([
        pending,
        fail(new OAuthError.AccessDenied({ ...protocol, description: "the merchant said no" }))
      ])
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("5 minutes")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("DeviceAuthorizationDenied")
      expect(error.message).toContain("the merchant said no")
      expect(yield* pollTimes(s)).toEqual([5, 10])
    })
  )

  it.effect("stops with DeviceAuthorizationExpired on expired_token", () =>
    Effect.gen(function* () {
      const s = yield* script([fail(new OAuthError.ExpiredToken(protocol))])
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("5 minutes")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toEqual(new DeviceFlow.DeviceAuthorizationExpired({ reason: "ExpiredToken" }))
      expect(yield* pollTimes(s)).toEqual([5])
    })
  )

  it.effect("stops on any other error code, and on errors that cannot be retried", () =>
    Effect.gen(function* () {
      const others: ReadonlyArray<OAuthError.OAuthClientError> = [
        new OAuthError.InvalidGrant(protocol),
        new OAuthError.UnknownOAuthError({ ...protocol, code: "mystery" }),
        new OAuthError.InvalidClient({ ...protocol, status: 401 }),
        new OAuthError.MalformedResponse({ endpoint: "token", status: 200, reason: "NotJson", issues: [] }),
        new OAuthError.TransportError({ endpoint: "token", reason: "InvalidUrl", outcome: "NotSent", detail: "x" })
      ]
      for (const other of others) {
        const s = yield* script([pending, fail(other), granted])
        const fiber = yield* forkPoll(s)
        yield* TestClock.adjust("5 minutes")
        expect(yield* Effect.flip(Fiber.join(fiber))).toBe(other)
        expect(yield* pollTimes(s)).toHaveLength(2)
      }
    })
  )

  it.effect("stops when expires_in has passed, without polling after it", () =>
    Effect.gen(function* () {
      const s = yield* script([pending], { interval: 5, expiresIn: 12 })
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("11999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.await(fiber)
      expect(exit).toEqual(Exit.fail(new DeviceFlow.DeviceAuthorizationExpired({ reason: "Deadline" })))
      expect(yield* pollTimes(s)).toEqual([5, 10])
    })
  )

  it.effect("cuts a poll still in flight at the deadline", () =>
    Effect.gen(function* () {
      const s = yield* script([pending, { _tag: "hang" }], { interval: 5, expiresIn: 30 })
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("30 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("DeviceAuthorizationExpired")
      expect(yield* pollTimes(s)).toEqual([5, 10])
    })
  )

  it.effect("bounds the wait with defaultExpiresIn when the server sends no expires_in", () =>
    Effect.gen(function* () {
      const s = yield* script([pending], { interval: 5, expiresIn: undefined })
      const fiber = yield* forkPoll(s, { scope: "crm", defaultExpiresIn: "1 minute" })
      yield* TestClock.adjust("59 seconds")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toEqual(new DeviceFlow.DeviceAuthorizationExpired({ reason: "Deadline" }))
      expect(yield* pollTimes(s)).toHaveLength(11)
    })
  )

  it.effect("falls back to 15 minutes without expires_in or defaultExpiresIn", () =>
    Effect.gen(function* () {
      const s = yield* script([pending], { interval: 60, expiresIn: undefined })
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("899 seconds")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.flip(Fiber.join(fiber))).toEqual(
        new DeviceFlow.DeviceAuthorizationExpired({ reason: "Deadline" })
      )
    })
  )

  it.effect("can be interrupted while waiting: no poll follows", () =>
    Effect.gen(function* () {
      const s = yield* script([pending, granted])
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("7 seconds")
      expect(yield* pollTimes(s)).toEqual([5])
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(yield* pollTimes(s)).toEqual([5])
    })
  )

  it.effect("can be interrupted while a poll is in flight", () =>
    Effect.gen(function* () {
      const s = yield* script([{ _tag: "hang" }])
      const fiber = yield* forkPoll(s)
      yield* TestClock.adjust("5 seconds")
      expect(yield* pollTimes(s)).toEqual([5])
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
    })
  )

  it.effect("authorize shows the prompt before the first poll, then yields the tokens", () =>
    Effect.gen(function* () {
      const s = yield* script([pending, granted])
      const seen: Array<string> = []
      const fiber = yield* DeviceFlow.authorize({
        scope: "crm",
        onPrompt: (flow) =>
          Effect.flatMap(Ref.get(s.polls), (polls) =>
            Effect.sync(() => seen.push(`${flow.userCode} ${flow.verificationUri} after ${polls.length} polls`))
          )
      }).pipe(Effect.provide(s.layer), Effect.fork)
      yield* TestClock.adjust("10 seconds")
      const result = yield* Fiber.join(fiber)
      expect(seen).toEqual(["WDJB-MJHT https://ultracart.example/device after 0 polls"])
      expect(Redacted.value(result.accessToken)).toBe(ACCESS_TOKEN)
    })
  )
})

describe("DeviceFlow.states", () => {
  it.effect("reports each poll with the time of the next one, and ends with Authorized", () =>
    Effect.gen(function* () {
      const s = yield* script([pending, slowDown, timeout, granted], { interval: 5, expiresIn: 600 })
      const flow = yield* DeviceFlow.start({ scope: "crm" }).pipe(Effect.provide(s.layer))
      const fiber = yield* DeviceFlow.states(flow).pipe(Stream.runCollect, Effect.provide(s.layer), Effect.fork)
      yield* TestClock.adjust("5 minutes")
      const states = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(states.map((st) => st._tag)).toEqual(["Pending", "SlowedDown", "Retrying", "Authorized"])
      const [p, sd, r, a] = states
      expect(p).toMatchObject({ polls: 1, nextPollAt: 10_000, expiresAt: 600_000 })
      expect(sd).toMatchObject({ polls: 2, nextPollAt: 20_000 })
      expect(sd?._tag === "SlowedDown" && Duration.toSeconds(sd.interval)).toBe(10)
      // after a timeout the 10 s interval doubles
      expect(r).toMatchObject({ polls: 3, nextPollAt: 40_000 })
      expect(r?._tag === "Retrying" && r.error._tag).toBe("TransportError")
      expect(a).toMatchObject({ _tag: "Authorized", polls: 4, polledAt: 40_000 })
    })
  )

  it.effect("ends with Denied or Expired states rather than failing", () =>
    Effect.gen(function* () {
      const denied = yield* script([fail(new OAuthError.AccessDenied(protocol))])
      const expired = yield* script([pending], { interval: 5, expiresIn: 7 })
      const run = (s: Script) =>
        Effect.gen(function* () {
          const flow = yield* DeviceFlow.start({ scope: "crm" })
          return yield* Effect.fork(Stream.runCollect(DeviceFlow.states(flow)))
        }).pipe(Effect.provide(s.layer))
      const f1 = yield* run(denied)
      const f2 = yield* run(expired)
      yield* TestClock.adjust("1 minute")
      expect(Chunk.toReadonlyArray(yield* Fiber.join(f1)).map((st) => st._tag)).toEqual(["Denied"])
      const last = Chunk.last(yield* Fiber.join(f2))
      expect(Option.map(last, (st) => st._tag === "Expired" && st.reason)).toEqual(Option.some("Deadline"))
    })
  )

  it.effect("fails with the poll error when polling cannot go on", () =>
    Effect.gen(function* () {
      const s = yield* script([pending, fail(new OAuthError.InvalidGrant(protocol))])
      const flow = yield* DeviceFlow.start({ scope: "crm" }).pipe(Effect.provide(s.layer))
      const fiber = yield* DeviceFlow.states(flow).pipe(Stream.runCollect, Effect.provide(s.layer), Effect.fork)
      yield* TestClock.adjust("1 minute")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("InvalidGrant")
    })
  )

  it.effect("never shows a token or the device code in a state's printed form", () =>
    Effect.gen(function* () {
      const s = yield* script([granted])
      const flow = yield* DeviceFlow.start({ scope: "crm" }).pipe(Effect.provide(s.layer))
      const fiber = yield* DeviceFlow.states(flow).pipe(Stream.runCollect, Effect.provide(s.layer), Effect.fork)
      yield* TestClock.adjust("5 seconds")
      const printed = [String(yield* Fiber.join(fiber)), JSON.stringify(flow), String(flow.deviceCode)].join("\n")
      expect(printed).toContain("Authorized")
      expect(printed).not.toContain(ACCESS_TOKEN)
      expect(printed).not.toContain("device-refresh-token-secret")
      expect(printed).not.toContain("device-code-secret")
    })
  )
})

describe("DeviceFlow.pollSchedule", () => {
  const input = fc.constantFrom<DeviceFlow.PollInput>(
    DeviceFlow.PollInput.Pending(),
    DeviceFlow.PollInput.SlowDown(),
    DeviceFlow.PollInput.Unavailable({ retryAfter: Option.none() })
  )

  it.effect("drives delays through Schedule: interval, +5 s per slow_down, reset after a failure streak", () =>
    Effect.gen(function* () {
      const schedule = DeviceFlow.pollSchedule("5 seconds")
      const { Pending, SlowDown, Start, Unavailable } = DeviceFlow.PollInput
      const inputs = [Start(), SlowDown(), Unavailable({ retryAfter: Option.none() }), Pending(), SlowDown()]
      let state = schedule.initial
      const delays: Array<number> = []
      for (const i of inputs) {
        const [next, plan] = yield* schedule.step(0, i, state)
        state = next
        delays.push(Duration.toSeconds(plan.delay))
      }
      expect(delays).toEqual([5, 10, 20, 10, 15])
    })
  )

  it("keeps the interval at the server's plus 5 s per slow_down seen, and never waits less than it", () =>
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(input, { maxLength: 40 }), (seconds, inputs) => {
        let plan: DeviceFlow.PollPlan = {
          interval: Duration.seconds(seconds),
          delay: Duration.seconds(seconds),
          failures: 0
        }
        for (const i of inputs) {
          plan = DeviceFlow.nextPlan(plan, i, DeviceFlow.DEFAULT_MAX_BACKOFF)
          expect(Duration.greaterThanOrEqualTo(plan.delay, plan.interval)).toBe(true)
        }
        const slowDowns = inputs.filter((i) => i._tag === "SlowDown").length
        expect(Duration.toSeconds(plan.interval)).toBe(seconds + 5 * slowDowns)
      })
    ))
})
