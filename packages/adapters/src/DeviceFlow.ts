/**
 * The device authorization grant (RFC 8628), run to its end: start the flow, show the merchant a code, poll
 * `/oauth/token` until the merchant approves, declines, or the code expires.
 *
 * The polling policy is a `Schedule` ({@link pollSchedule}): the server's `interval` (5 s when absent) before
 * every poll, 5 s more for this and every later poll after each `slow_down`, exponential backoff after a
 * transport failure, 429 or 5xx. The poller steps that schedule itself, so each state it reports already knows
 * when the next poll will be. Everything waits on `Clock`: tests drive it with `TestClock`, and the flow can be
 * interrupted at any instant (while waiting or while a poll is in flight).
 *
 * @since 0.1.0
 */
import type * as DeviceAuthorization from "@ultracart-oauth/core/DeviceAuthorization"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

// -----------------------------------------------------------------------------
// Errors
// -----------------------------------------------------------------------------

/**
 * Carried by the device flow's own errors ({@link DeviceAuthorizationDenied}, {@link DeviceAuthorizationExpired}):
 * what {@link isDeviceAuthorizationError} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/DeviceFlow/DeviceAuthorizationError")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

const carryTypeId = (prototype: object): void => {
  Object.defineProperty(prototype, TypeId, { value: TypeId })
}

/**
 * The merchant declined the device authorization (`access_denied`).
 *
 * @since 0.1.0
 * @category errors
 */
export class DeviceAuthorizationDenied extends Schema.TaggedError<DeviceAuthorizationDenied>()(
  "DeviceAuthorizationDenied",
  { description: Schema.optional(Schema.String) }
) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carryTypeId(this.prototype)
  }
  override get message(): string {
    return `The merchant declined the device authorization${this.description ? `: ${this.description}` : ""}`
  }
}

/**
 * The device code expired before the merchant approved it: the server said `expired_token`, or `expires_in`
 * (or the configured default when the server sent none) passed. Start the flow again.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeviceAuthorizationExpired extends Schema.TaggedError<DeviceAuthorizationExpired>()(
  "DeviceAuthorizationExpired",
  {
    reason: Schema.Literal("ExpiredToken", "Deadline"),
    description: Schema.optional(Schema.String)
  }
) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carryTypeId(this.prototype)
  }
  override get message(): string {
    const why = this.reason === "ExpiredToken" ? "UltraCart reported expired_token" : "its lifetime passed"
    return `The device code expired before it was approved (${why})${this.description ? `: ${this.description}` : ""}`
  }
}

/**
 * Whether a value is one of the device flow's own errors (it carries {@link TypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isDeviceAuthorizationError = (u: unknown): u is DeviceAuthorizationDenied | DeviceAuthorizationExpired =>
  Predicate.hasProperty(u, TypeId)

/**
 * What ends a poll loop with a failure other than denial or expiry: `invalid_grant`, `invalid_client`, an
 * unknown error code, a malformed answer, a transport failure that cannot be retried (an invalid URL)…
 *
 * @since 0.1.0
 * @category errors
 */
export type DevicePollError = Exclude<
  OAuthError.OAuthClientError,
  OAuthError.AuthorizationPending | OAuthError.SlowDown | OAuthError.AccessDenied | OAuthError.ExpiredToken
>

/**
 * Everything waiting for the device tokens can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type DeviceFlowError = DevicePollError | DeviceAuthorizationDenied | DeviceAuthorizationExpired

/**
 * A failure after which polling goes on, with backoff: a transport failure, a 429 or a 5xx.
 *
 * @since 0.1.0
 * @category errors
 */
export type TransientPollError = OAuthError.TransportError | OAuthError.RateLimited | OAuthError.ServerError

// -----------------------------------------------------------------------------
// The polling schedule
// -----------------------------------------------------------------------------

/**
 * What the last step told the schedule: the flow just started, the server said `authorization_pending` or
 * `slow_down`, or the poll failed transiently (with the server's `Retry-After`, when it sent one).
 *
 * @since 0.1.0
 * @category schedule
 */
export type PollInput = Data.TaggedEnum<{
  Start: {}
  Pending: {}
  SlowDown: {}
  Unavailable: { readonly retryAfter: Option.Option<Duration.Duration> }
}>

/**
 * Constructors for {@link PollInput}.
 *
 * @since 0.1.0
 * @category schedule
 */
export const PollInput = Data.taggedEnum<PollInput>()

/**
 * The schedule's output: the interval in force (the server's plus 5 s per `slow_down`), the wait before the next
 * poll, and how many transient failures came in a row.
 *
 * @since 0.1.0
 * @category schedule
 */
export interface PollPlan {
  readonly interval: Duration.Duration
  readonly delay: Duration.Duration
  readonly failures: number
}

/**
 * How much `slow_down` adds to the interval, for this and every later poll (RFC 8628 §3.5).
 *
 * @since 0.1.0
 * @category constants
 */
export const SLOW_DOWN_INCREMENT: Duration.Duration = Duration.seconds(5)

/**
 * The shortest interval the poller accepts from a server, so that `interval: 0` cannot turn into a busy loop.
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_INTERVAL: Duration.Duration = Duration.seconds(1)

/**
 * The default cap on the backoff after transient failures (never below the interval itself).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_BACKOFF: Duration.Duration = Duration.minutes(1)

/**
 * How long to wait for the merchant when the server sends no `expires_in`.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_EXPIRES_IN: Duration.Duration = Duration.minutes(15)

/**
 * The plan after one more input: pure, so the schedule and its tests read the same rules.
 *
 * @since 0.1.0
 * @category schedule
 */
export const nextPlan = (plan: PollPlan, input: PollInput, maxBackoff: Duration.Duration): PollPlan => {
  switch (input._tag) {
    case "Start":
    case "Pending":
      return { interval: plan.interval, delay: plan.interval, failures: 0 }
    case "SlowDown": {
      const interval = Duration.sum(plan.interval, SLOW_DOWN_INCREMENT)
      return { interval, delay: interval, failures: 0 }
    }
    case "Unavailable": {
      const failures = plan.failures + 1
      // RFC 8628 §3.5: back the interval off exponentially; the cap never drops below the interval itself.
      const backoff = Duration.min(
        Duration.times(plan.interval, 2 ** failures),
        Duration.max(maxBackoff, plan.interval)
      )
      const delay = Option.match(input.retryAfter, {
        onNone: () => backoff,
        onSome: (retryAfter) => Duration.max(backoff, retryAfter)
      })
      return { interval: plan.interval, delay, failures }
    }
  }
}

/**
 * The device flow's polling policy as a `Schedule`: it recurs forever (the deadline is the poller's business),
 * its input is what the last poll said, its output the {@link PollPlan}, and its delay the plan's `delay`.
 *
 * @since 0.1.0
 * @category schedule
 */
export const pollSchedule = (
  interval: Duration.DurationInput,
  options?: { readonly maxBackoff?: Duration.DurationInput | undefined }
): Schedule.Schedule<PollPlan, PollInput> => {
  const start = Duration.max(Duration.decode(interval), MIN_INTERVAL)
  const maxBackoff = Duration.decode(options?.maxBackoff ?? DEFAULT_MAX_BACKOFF)
  const initial: PollPlan = { interval: start, delay: start, failures: 0 }
  return Schedule.makeWithState(initial, (now, input: PollInput, plan: PollPlan) => {
    const next = nextPlan(plan, input, maxBackoff)
    return Effect.succeed([
      next,
      next,
      ScheduleDecision.continueWith(ScheduleInterval.after(now + Duration.toMillis(next.delay)))
    ] as const)
  })
}

// -----------------------------------------------------------------------------
// States
// -----------------------------------------------------------------------------

/**
 * What a UI shows while the flow runs. `Pending`, `SlowedDown` and `Retrying` come after each poll that did not
 * end the flow, with the time of the next poll (`nextPollAt`, epoch millis from `Clock`); `Authorized`,
 * `Denied` and `Expired` end it.
 *
 * @since 0.1.0
 * @category states
 */
export type DeviceFlowState = Data.TaggedEnum<{
  /** `authorization_pending`: the merchant has not finished yet. */
  Pending: { readonly polls: number; readonly nextPollAt: number; readonly expiresAt: number }
  /** `slow_down`: polling goes on with the longer `interval`. */
  SlowedDown: {
    readonly polls: number
    readonly interval: Duration.Duration
    readonly nextPollAt: number
    readonly expiresAt: number
  }
  /** The poll failed transiently; the next one waits longer. */
  Retrying: {
    readonly polls: number
    readonly error: TransientPollError
    readonly nextPollAt: number
    readonly expiresAt: number
  }
  /**
   * The merchant approved: the tokens (secrets, `Redacted`), and when the poll that got them was sent (count the
   * tokens' lifetime from there).
   */
  Authorized: { readonly polls: number; readonly tokens: TokenResponse.TokenResponse; readonly polledAt: number }
  /** The merchant declined. */
  Denied: { readonly polls: number; readonly description: Option.Option<string> }
  /** The device code expired. */
  Expired: {
    readonly polls: number
    readonly reason: "ExpiredToken" | "Deadline"
    readonly description: Option.Option<string>
  }
}>

/**
 * Constructors and matchers for {@link DeviceFlowState}.
 *
 * @since 0.1.0
 * @category states
 */
export const DeviceFlowState = Data.taggedEnum<DeviceFlowState>()

/**
 * The states after which the flow goes on.
 *
 * @since 0.1.0
 * @category states
 */
export type ProgressState = Extract<DeviceFlowState, { readonly _tag: "Pending" | "SlowedDown" | "Retrying" }>

/**
 * The states that end the flow.
 *
 * @since 0.1.0
 * @category states
 */
export type FinalState = Extract<DeviceFlowState, { readonly _tag: "Authorized" | "Denied" | "Expired" }>

/**
 * Whether a state ends the flow.
 *
 * @since 0.1.0
 * @category states
 */
export const isFinal = (state: DeviceFlowState): state is FinalState =>
  state._tag === "Authorized" || state._tag === "Denied" || state._tag === "Expired"

/**
 * The tokens of an `Authorized` state, or the typed error a `Denied` / `Expired` state stands for.
 *
 * @since 0.1.0
 * @category states
 */
export const toResult = (
  state: FinalState
): Effect.Effect<TokenResponse.TokenResponse, DeviceAuthorizationDenied | DeviceAuthorizationExpired> => {
  switch (state._tag) {
    case "Authorized":
      return Effect.succeed(state.tokens)
    case "Denied":
      return Effect.fail(new DeviceAuthorizationDenied(describe(state.description)))
    case "Expired":
      return Effect.fail(new DeviceAuthorizationExpired({ reason: state.reason, ...describe(state.description) }))
  }
}

const describe = (description: Option.Option<string>): { description?: string } =>
  Option.match(description, { onNone: () => ({}), onSome: (d) => ({ description: d }) })

// -----------------------------------------------------------------------------
// The flow
// -----------------------------------------------------------------------------

/**
 * A started device flow: what to show the merchant, and what the poller needs. `deviceCode` is a secret; the
 * user code and URIs are meant to be shown. `expiresAt` is epoch millis from `Clock`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceFlow {
  readonly userCode: string
  readonly verificationUri: string
  /** The verification URI with the user code in it, when the server sent one (good for a QR code or a link). */
  readonly verificationUriComplete: Option.Option<string>
  readonly deviceCode: Redacted.Redacted<string>
  /** The server's polling interval (5 s when it sent none). */
  readonly interval: Duration.Duration
  readonly expiresAt: number
}

/**
 * Options for starting a device flow.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartOptions {
  /** UltraCart's application-level scope, such as `crm` or `ultraship`. */
  readonly scope: string
  /** How long to wait when the server sends no `expires_in`. Defaults to {@link DEFAULT_EXPIRES_IN}. */
  readonly defaultExpiresIn?: Duration.DurationInput | undefined
}

/**
 * Options for polling.
 *
 * @since 0.1.0
 * @category models
 */
export interface PollOptions {
  /** The cap on the backoff after transient failures. Defaults to {@link DEFAULT_MAX_BACKOFF}. */
  readonly maxBackoff?: Duration.DurationInput | undefined
}

/**
 * A flow from an authorization received now (the deadline counts from this moment).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromAuthorization = (
  authorization: DeviceAuthorization.DeviceAuthorization,
  options?: { readonly defaultExpiresIn?: Duration.DurationInput | undefined }
): Effect.Effect<DeviceFlow> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const lifetime = Option.match(authorization.expiresIn, {
      onNone: () => Duration.decode(options?.defaultExpiresIn ?? DEFAULT_EXPIRES_IN),
      onSome: Duration.seconds
    })
    return {
      userCode: authorization.userCode,
      verificationUri: authorization.verificationUri,
      verificationUriComplete: authorization.verificationUriComplete,
      deviceCode: authorization.deviceCode,
      interval: Duration.seconds(authorization.interval),
      expiresAt: now + Duration.toMillis(lifetime)
    }
  })

/**
 * Starts the flow (`POST /oauth/device/authorize`). Show the merchant `userCode` and `verificationUri`, then
 * run {@link states} or {@link poll}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (
  options: StartOptions
): Effect.Effect<DeviceFlow, OAuthError.OAuthClientError, OAuthClient.OAuthClient> =>
  OAuthClient.OAuthClient.pipe(
    Effect.flatMap((client) => client.authorizeDevice({ scope: options.scope })),
    Effect.flatMap((authorization) => fromAuthorization(authorization, options))
  )

/** Where the poller stands between two polls: the schedule's state and the time of the next poll. */
interface Cursor {
  readonly scheduleState: unknown
  readonly polls: number
  readonly pollAt: number
}

type Step =
  | { readonly _tag: "Continue"; readonly state: ProgressState; readonly cursor: Cursor }
  | { readonly _tag: "Done"; readonly state: FinalState }

const isTransient = (error: DevicePollError): error is TransientPollError => {
  switch (error._tag) {
    case "RateLimited":
    case "ServerError":
      return true
    case "TransportError":
      // An invalid URL or an unencodable request fails the same way every time.
      return error.reason !== "InvalidUrl" && error.reason !== "Encode"
    default:
      return false
  }
}

/**
 * The poll loop's one step function, shared by {@link states} and {@link poll}: the first cursor comes from
 * stepping the schedule with `Start`; each step sleeps until the cursor's time, polls, and either ends the flow
 * or steps the schedule with what the server said.
 */
const makeStepper = (flow: DeviceFlow, options: PollOptions | undefined) =>
  Effect.gen(function* () {
    const client = yield* OAuthClient.OAuthClient
    const schedule = pollSchedule(flow.interval, options)

    const plan = (polls: number, input: PollInput, scheduleState: unknown) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.map(schedule.step(now, input, scheduleState), ([nextState, out, decision]) => ({
          plan: out,
          cursor: {
            scheduleState: nextState,
            polls,
            // The schedule never ends; a finished decision would mean "now", and the deadline still rules.
            pollAt: ScheduleDecision.isDone(decision) ? now : ScheduleIntervals.start(decision.intervals)
          }
        }))
      )

    /** Steps the schedule with what the poll said; the state reports the poll count and the next poll's time. */
    const proceed = (
      cursor: Cursor,
      polls: number,
      input: PollInput,
      toState: (
        at: { readonly polls: number; readonly nextPollAt: number; readonly expiresAt: number },
        plan: PollPlan
      ) => ProgressState
    ): Effect.Effect<Step> =>
      Effect.map(
        plan(polls, input, cursor.scheduleState),
        (next): Step => ({
          _tag: "Continue",
          state: toState({ polls, nextPollAt: next.cursor.pollAt, expiresAt: flow.expiresAt }, next.plan),
          cursor: next.cursor
        })
      )

    const pollOnce = (cursor: Cursor): Effect.Effect<Step, DevicePollError> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        if (cursor.pollAt > now) yield* Effect.sleep(Duration.millis(cursor.pollAt - now))
        const polls = cursor.polls + 1
        const polledAt = yield* Clock.currentTimeMillis
        const outcome = yield* Effect.either(client.exchangeDeviceCode({ deviceCode: flow.deviceCode }))
        if (outcome._tag === "Right") {
          return {
            _tag: "Done",
            state: DeviceFlowState.Authorized({ polls, tokens: outcome.right, polledAt })
          } as const
        }
        const error = outcome.left
        switch (error._tag) {
          case "AccessDenied":
            return {
              _tag: "Done",
              state: DeviceFlowState.Denied({ polls, description: Option.fromNullable(error.description) })
            } as const
          case "ExpiredToken":
            return {
              _tag: "Done",
              state: DeviceFlowState.Expired({
                polls,
                reason: "ExpiredToken",
                description: Option.fromNullable(error.description)
              })
            } as const
          case "AuthorizationPending":
            return yield* proceed(cursor, polls, PollInput.Pending(), (at) => DeviceFlowState.Pending(at))
          case "SlowDown":
            return yield* proceed(cursor, polls, PollInput.SlowDown(), (at, plan) =>
              DeviceFlowState.SlowedDown({ ...at, interval: plan.interval })
            )
          default: {
            if (!isTransient(error)) return yield* Effect.fail(error)
            const retryAfter =
              error._tag === "TransportError" || error.retryAfterMillis === undefined
                ? Option.none()
                : Option.some(Duration.millis(error.retryAfterMillis))
            return yield* proceed(cursor, polls, PollInput.Unavailable({ retryAfter }), (at) =>
              DeviceFlowState.Retrying({ ...at, error })
            )
          }
        }
      })

    /** One step, cut short at the deadline (also while a poll is in flight: the code is dead by then). */
    const step = (cursor: Cursor): Effect.Effect<Step, DevicePollError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const remaining = flow.expiresAt - now
        const atDeadline: Step = {
          _tag: "Done",
          state: DeviceFlowState.Expired({ polls: cursor.polls, reason: "Deadline", description: Option.none() })
        }
        if (remaining <= 0) return Effect.succeed(atDeadline)
        // A poll due at or after the deadline would ask about a dead code: wait for the deadline instead.
        if (cursor.pollAt >= flow.expiresAt) return Effect.as(Effect.sleep(Duration.millis(remaining)), atDeadline)
        return Effect.timeoutTo(pollOnce(cursor), {
          duration: Duration.millis(remaining),
          onTimeout: () => atDeadline,
          onSuccess: (s) => s
        })
      })

    const first = yield* plan(0, PollInput.Start(), schedule.initial)
    return { first: first.cursor, step }
  })

/**
 * The flow as a stream of states for a UI: one state per poll, ending with `Authorized`, `Denied` or `Expired`.
 * It fails only with a {@link DevicePollError} (an error after which polling cannot go on). Each run polls anew:
 * run it once.
 *
 * @since 0.1.0
 * @category polling
 */
export const states = (
  flow: DeviceFlow,
  options?: PollOptions
): Stream.Stream<DeviceFlowState, DevicePollError, OAuthClient.OAuthClient> =>
  Stream.unwrap(
    Effect.map(makeStepper(flow, options), ({ first, step }) =>
      Stream.paginateEffect(first, (cursor) =>
        Effect.map(step(cursor), (s): readonly [DeviceFlowState, Option.Option<Cursor>] =>
          s._tag === "Continue" ? [s.state, Option.some(s.cursor)] : [s.state, Option.none()]
        )
      )
    )
  )

/**
 * Polls until the merchant approves, and yields the tokens; fails with `DeviceAuthorizationDenied`,
 * `DeviceAuthorizationExpired` or a {@link DevicePollError}. `onState` sees every state (for a status line).
 *
 * @since 0.1.0
 * @category polling
 */
export const poll = <R = never>(
  flow: DeviceFlow,
  options?: PollOptions & {
    readonly onState?: ((state: DeviceFlowState) => Effect.Effect<void, never, R>) | undefined
  }
): Effect.Effect<TokenResponse.TokenResponse, DeviceFlowError, OAuthClient.OAuthClient | R> =>
  Effect.flatMap(makeStepper(flow, options), ({ first, step }) => {
    const onState = options?.onState
    const loop = (cursor: Cursor): Effect.Effect<TokenResponse.TokenResponse, DeviceFlowError, R> =>
      Effect.flatMap(step(cursor), (s) => {
        const notified = onState === undefined ? Effect.void : onState(s.state)
        return s._tag === "Continue"
          ? Effect.zipRight(
              notified,
              Effect.suspend(() => loop(s.cursor))
            )
          : Effect.zipRight(notified, toResult(s.state))
      })
    return loop(first)
  })

/**
 * The whole flow in one call: starts it, hands the flow to `onPrompt` (show the user code and URI there), polls,
 * and yields the tokens.
 *
 * @since 0.1.0
 * @category polling
 */
export const authorize = <E = never, R = never>(
  options: StartOptions &
    PollOptions & {
      readonly onPrompt: (flow: DeviceFlow) => Effect.Effect<void, E, R>
      readonly onState?: ((state: DeviceFlowState) => Effect.Effect<void, never, R>) | undefined
    }
): Effect.Effect<
  TokenResponse.TokenResponse,
  OAuthError.OAuthClientError | DeviceFlowError | E,
  OAuthClient.OAuthClient | R
> => Effect.flatMap(start(options), (flow) => Effect.zipRight(options.onPrompt(flow), poll(flow, options)))
