/**
 * When a failed UltraCart call may be repeated, and how long to wait first.
 *
 * The rules, for every transport:
 * - A repeatable call (revoke, device authorize, device-code poll, `/oauth/me`, any safe HTTP method) is retried
 *   after a transport failure or a 408, 429, 500, 502, 503 or 504.
 * - A single-use call (authorization-code or refresh-token exchange, a non-idempotent HTTP method) is retried only
 *   when the request provably never left this machine, or when a 429/503 came with `Retry-After`. Any other
 *   transport failure leaves its outcome unknown and is never retried (RFC 6749 §10.5).
 * - 400, 401, 403, 410 and OAuth error codes are never retried.
 *
 * @since 0.1.0
 */
import * as RetryAfter from "@ultracart-oauth/core/RetryAfter"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleInterval from "effect/ScheduleInterval"

/**
 * The bounds of a retry policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 turns retries off. */
  readonly maxAttempts: number
  /** The first backoff delay; each later one doubles, up to `maxDelay`. */
  readonly baseDelay: Duration.Duration
  /** The longest backoff delay. */
  readonly maxDelay: Duration.Duration
  /** No retry is scheduled to start later than this after the first attempt started. */
  readonly maxElapsed: Duration.Duration
  /**
   * The longest `Retry-After` honoured. A server asking for a longer wait gets its error back at once (it carries
   * `retryAfterMillis`): retrying earlier than asked only spends the rate limit.
   */
  readonly maxRetryAfter: Duration.Duration
  /** 0 to 1: each backoff delay is drawn uniformly from `[delay × (1 − jitter), delay]`. */
  readonly jitter: number
}

/**
 * The policy fields as options; absent ones take the {@link defaults}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  readonly maxAttempts?: number | undefined
  readonly baseDelay?: Duration.DurationInput | undefined
  readonly maxDelay?: Duration.DurationInput | undefined
  readonly maxElapsed?: Duration.DurationInput | undefined
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  readonly jitter?: number | undefined
}

/**
 * 4 attempts, 250 ms doubling to at most 10 s with 50 % jitter, nothing scheduled after 30 s, `Retry-After`
 * honoured up to 60 s.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: RetryPolicy = {
  maxAttempts: 4,
  baseDelay: Duration.millis(250),
  maxDelay: Duration.seconds(10),
  maxElapsed: Duration.seconds(30),
  maxRetryAfter: Duration.seconds(60),
  jitter: 0.5
}

/**
 * A policy from options. Out-of-range numbers are clamped (at least one attempt, jitter within 0..1).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RetryOptions = {}): RetryPolicy => {
  const duration = (input: Duration.DurationInput | undefined, fallback: Duration.Duration) =>
    input === undefined ? fallback : Duration.decode(input)
  const attempts = options.maxAttempts ?? defaults.maxAttempts
  const jitter = options.jitter ?? defaults.jitter
  return {
    maxAttempts: Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : defaults.maxAttempts,
    baseDelay: duration(options.baseDelay, defaults.baseDelay),
    maxDelay: duration(options.maxDelay, defaults.maxDelay),
    maxElapsed: duration(options.maxElapsed, defaults.maxElapsed),
    maxRetryAfter: duration(options.maxRetryAfter, defaults.maxRetryAfter),
    jitter: Number.isNaN(jitter) ? defaults.jitter : Math.min(1, Math.max(0, jitter))
  }
}

/**
 * The policy from configuration, each setting optional: `ULTRACART_RETRY_MAX_ATTEMPTS`,
 * `ULTRACART_RETRY_BASE_DELAY`, `ULTRACART_RETRY_MAX_DELAY`, `ULTRACART_RETRY_MAX_ELAPSED`,
 * `ULTRACART_RETRY_MAX_RETRY_AFTER` (durations such as `500 millis` or `2 seconds`) and `ULTRACART_RETRY_JITTER`
 * (0 to 1). Out-of-range values are a `ConfigError`.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<RetryPolicy> = Config.all({
  maxAttempts: Config.integer("ULTRACART_RETRY_MAX_ATTEMPTS").pipe(
    Config.validate({ message: "must be at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(defaults.maxAttempts)
  ),
  baseDelay: Config.duration("ULTRACART_RETRY_BASE_DELAY").pipe(Config.withDefault(defaults.baseDelay)),
  maxDelay: Config.duration("ULTRACART_RETRY_MAX_DELAY").pipe(Config.withDefault(defaults.maxDelay)),
  maxElapsed: Config.duration("ULTRACART_RETRY_MAX_ELAPSED").pipe(Config.withDefault(defaults.maxElapsed)),
  maxRetryAfter: Config.duration("ULTRACART_RETRY_MAX_RETRY_AFTER").pipe(Config.withDefault(defaults.maxRetryAfter)),
  jitter: Config.number("ULTRACART_RETRY_JITTER").pipe(
    Config.validate({ message: "must be between 0 and 1", validation: (n) => n >= 0 && n <= 1 }),
    Config.withDefault(defaults.jitter)
  )
})

/**
 * Whether a call may run twice. `Repeatable`: repeating it does no harm (revoke, device authorize, device-code
 * polls, reads). `SingleUse`: it spends something (an authorization code, a rotating refresh token) or is not
 * idempotent.
 *
 * @since 0.1.0
 * @category models
 */
export type CallKind = "Repeatable" | "SingleUse"

/**
 * A failed attempt as the policy sees it, whatever the client that made it.
 *
 * - `Status`: the server answered with this status (`retryAfterMillis` from `Retry-After`, when sent).
 * - `Transport`: the request or its answer was lost; `NotSent` only when it provably never left this machine.
 * - `Permanent`: nothing a repeat could fix (an OAuth error code, bad input, a malformed answer…).
 *
 * @since 0.1.0
 * @category models
 */
export type Failure =
  | { readonly _tag: "Status"; readonly status: number; readonly retryAfterMillis: number | undefined }
  | { readonly _tag: "Transport"; readonly outcome: "NotSent" | "Unknown" }
  | { readonly _tag: "Permanent" }

/**
 * What to do after a failed attempt: `Retry` (waiting at least `retryAfterMillis` when the server asked),
 * `Stop` (fail with the error as it is), or `OutcomeUnknown` (a single-use call that may have reached the server:
 * fail without retrying, saying so).
 *
 * @since 0.1.0
 * @category models
 */
export type Verdict =
  | { readonly _tag: "Retry"; readonly retryAfterMillis: number | undefined }
  | { readonly _tag: "Stop" }
  | { readonly _tag: "OutcomeUnknown" }

/**
 * The statuses a repeatable call is retried on.
 *
 * @since 0.1.0
 * @category constants
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

const stop: Verdict = { _tag: "Stop" }
const unknownOutcome: Verdict = { _tag: "OutcomeUnknown" }
const retryNow: Verdict = { _tag: "Retry", retryAfterMillis: undefined }

/**
 * The verdict for a failed attempt of a call of the given kind.
 *
 * @since 0.1.0
 * @category classification
 */
export const decide = (kind: CallKind, failure: Failure): Verdict => {
  switch (failure._tag) {
    case "Permanent":
      return stop
    case "Transport":
      return kind === "Repeatable" || failure.outcome === "NotSent" ? retryNow : unknownOutcome
    case "Status": {
      const { retryAfterMillis, status } = failure
      const retryable =
        kind === "Repeatable"
          ? RETRYABLE_STATUSES.has(status)
          : // The server said it did not act and when to come back: the only answer that makes a spent-once call safe.
            (status === 429 || status === 503) && retryAfterMillis !== undefined
      return retryable ? { _tag: "Retry", retryAfterMillis } : stop
    }
  }
}

/**
 * The `Failure` for an HTTP status with its `Retry-After` header, read against `nowMillis`.
 *
 * @since 0.1.0
 * @category classification
 */
export const statusFailure = (status: number, retryAfter: string | undefined, nowMillis: number): Failure => ({
  _tag: "Status",
  status,
  retryAfterMillis: RetryAfter.parseMillis(retryAfter, nowMillis)
})

/**
 * The backoff before retry number `retry` (1 for the first), before jitter: `baseDelay × 2^(retry − 1)`, at most
 * `maxDelay`.
 *
 * @since 0.1.0
 * @category scheduling
 */
export const backoffMillis = (policy: RetryPolicy, retry: number): number =>
  Math.min(Duration.toMillis(policy.maxDelay), Duration.toMillis(policy.baseDelay) * 2 ** (retry - 1))

/**
 * The schedule for `Effect.retry`: it reads each error through `verdictOf` and continues only on `Retry`, within
 * the attempt, time and `Retry-After` bounds of the policy. `startMillis` is when the first attempt started
 * (from `Clock`). The delay is the jittered backoff, or the server's `Retry-After` when that is longer.
 * `onRetry` runs before each wait (to free what the failed attempt holds). Each retry is logged at debug level
 * with the error's tag and the delay (errors carry no secrets).
 *
 * @since 0.1.0
 * @category scheduling
 */
export const schedule = <E>(
  policy: RetryPolicy,
  startMillis: number,
  verdictOf: (error: E, nowMillis: number) => Verdict,
  onRetry: (error: E) => Effect.Effect<void> = () => Effect.void
): Schedule.Schedule<number, E> => {
  const maxAttempts = policy.maxAttempts
  const maxElapsed = Duration.toMillis(policy.maxElapsed)
  const maxRetryAfter = Duration.toMillis(policy.maxRetryAfter)
  const done = (retries: number) => Effect.succeed([retries, retries, ScheduleDecision.done] as const)
  return Schedule.makeWithState(0, (now, error: E, retries) => {
    const verdict = verdictOf(error, now)
    const retry = retries + 1
    if (verdict._tag !== "Retry" || retry >= maxAttempts) return done(retries)
    const serverDelay = verdict.retryAfterMillis
    if (serverDelay !== undefined && serverDelay > maxRetryAfter) return done(retries)
    const backoff = backoffMillis(policy, retry)
    const jittered =
      policy.jitter === 0
        ? Effect.succeed(backoff)
        : Effect.map(Random.next, (r) => Math.round(backoff * (1 - policy.jitter * r)))
    return Effect.flatMap(jittered, (delay) => {
      const wait = serverDelay === undefined ? delay : Math.max(delay, serverDelay)
      if (now + wait - startMillis > maxElapsed) return done(retries)
      const tag = Predicate.hasProperty(error, "_tag") ? String(error._tag) : "unknown"
      return onRetry(error).pipe(
        Effect.zipRight(
          Effect.logDebug("retrying UltraCart call").pipe(Effect.annotateLogs({ error: tag, retry, delayMillis: wait }))
        ),
        Effect.as([retry, retry, ScheduleDecision.continueWith(ScheduleInterval.after(now + wait))] as const)
      )
    })
  })
}
