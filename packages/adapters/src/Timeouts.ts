/**
 * Deadlines for UltraCart calls: one for the response head, a separate one for reading the body.
 *
 * The OAuth client enforces both itself (core's `requestTimeout` / `bodyTimeout` options, failing with a
 * `TransportError` of reason `Timeout` / `BodyTimeout`); this module gives them defaults and configuration, and
 * offers the same deadlines as an `HttpClient` transform for the rest of the API (which the `Auth` Layers and
 * `AuthenticatedClient` apply by default, with {@link apiDefaults}).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Lean from "./internal/lean.js"

/**
 * The two deadlines. `Duration.infinity` turns one off.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timeouts {
  /** From sending the request to the response head. */
  readonly requestTimeout: Duration.Duration
  /** From the response head to the end of its body. */
  readonly bodyTimeout: Duration.Duration
}

/**
 * 10 seconds each: UltraCart's OAuth endpoints answer in well under a second when healthy.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: Timeouts = { requestTimeout: Duration.seconds(10), bodyTimeout: Duration.seconds(10) }

/**
 * 30 seconds each: the deadlines of every call through the `Auth` Layers and `AuthenticatedClient` unless their
 * options or configuration say otherwise. An API call (a large order query, say) may take longer than an OAuth
 * call, and the head deadline covers any retries beneath the client.
 *
 * @since 0.2.0
 * @category constants
 */
export const apiDefaults: Timeouts = { requestTimeout: Duration.seconds(30), bodyTimeout: Duration.seconds(30) }

/**
 * Deadlines from options; absent ones are taken from `base` ({@link defaults} unless another is given).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: {
    readonly requestTimeout?: Duration.DurationInput | undefined
    readonly bodyTimeout?: Duration.DurationInput | undefined
  } = {},
  base: Timeouts = defaults
): Timeouts => ({
  requestTimeout: options.requestTimeout === undefined ? base.requestTimeout : Duration.decode(options.requestTimeout),
  bodyTimeout: options.bodyTimeout === undefined ? base.bodyTimeout : Duration.decode(options.bodyTimeout)
})

/**
 * One deadline from configuration: a positive duration (`30 seconds`), or `off` for none (`Duration.infinity`).
 *
 * @since 0.2.0
 * @category config
 */
export const deadlineConfig = (name: string): Config.Config<Duration.Duration> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => {
      if (text.trim().toLowerCase() === "off") return Either.right(Duration.infinity)
      return Option.match(Duration.decodeUnknown(text.trim()), {
        onNone: () => Either.left(ConfigError.InvalidData([], `Expected a duration or "off" but received "${text}"`)),
        onSome: (duration) =>
          Duration.greaterThan(duration, Duration.zero)
            ? Either.right(duration)
            : Either.left(ConfigError.InvalidData([], `must be longer than zero (or "off"), received "${text}"`))
      })
    })
  )

/**
 * The deadlines from configuration: `ULTRACART_REQUEST_TIMEOUT` and `ULTRACART_BODY_TIMEOUT` (durations such as
 * `5 seconds`), each optional.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Timeouts> = Config.all({
  requestTimeout: Config.duration("ULTRACART_REQUEST_TIMEOUT").pipe(Config.withDefault(defaults.requestTimeout)),
  bodyTimeout: Config.duration("ULTRACART_BODY_TIMEOUT").pipe(Config.withDefault(defaults.bodyTimeout))
})

/**
 * OAuth client options with the deadlines filled in where the options leave them out.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTimeouts = (
  options: OAuthClient.OAuthClientOptions,
  timeouts: Timeouts = defaults
): OAuthClient.OAuthClientOptions => ({
  ...options,
  requestTimeout: options.requestTimeout ?? timeouts.requestTimeout,
  bodyTimeout: options.bodyTimeout ?? timeouts.bodyTimeout
})

/**
 * Core's OAuth client configuration plus the deadlines from {@link config}:
 * `OAuthClient.layerConfig(Timeouts.oauthClientConfig)`.
 *
 * @since 0.1.0
 * @category config
 */
export const oauthClientConfig: Config.Config<OAuthClient.OAuthClientOptions> = Config.zipWith(
  OAuthClient.config,
  config,
  withTimeouts
)

/**
 * Carried by {@link DeadlineExceeded}: what {@link isDeadlineExceeded} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/Timeouts/DeadlineExceeded")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The cause inside the `HttpClientError` an API call fails with when a deadline passes: `Response` for the
 * response head, `Body` for the body.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeadlineExceeded extends Schema.TaggedError<DeadlineExceeded>()("DeadlineExceeded", {
  phase: Schema.Literal("Response", "Body"),
  timeoutMillis: Schema.Number
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    Object.defineProperty(this.prototype, TypeId, { value: TypeId })
  }
  override get message(): string {
    return `no ${this.phase === "Response" ? "response" : "complete body"} within ${Duration.format(
      Duration.millis(this.timeoutMillis)
    )}`
  }
}

/**
 * Whether a value is a {@link DeadlineExceeded} (it carries {@link TypeId}): e.g. the `cause` of an API call's
 * `HttpClientError`.
 *
 * @since 0.2.0
 * @category guards
 */
export const isDeadlineExceeded = (u: unknown): u is DeadlineExceeded => Predicate.hasProperty(u, TypeId)

/** Statuses whose responses have no body, which `Response` refuses to be given one. */
const nullBodyStatuses: ReadonlySet<number> = new Set([101, 103, 204, 205, 304])

/** The failure for a response head that did not arrive within `timeout`. */
const headExpired = (request: HttpClientRequest.HttpClientRequest, timeout: Duration.Duration) => {
  const cause = new DeadlineExceeded({ phase: "Response", timeoutMillis: Duration.toMillis(timeout) })
  return new HttpClientError.RequestError({ request, reason: "Transport", cause, description: cause.message })
}

/** The failure for a body not read whole within `timeout` of its head. */
const bodyExpired = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  timeout: Duration.Duration
) => {
  const cause = new DeadlineExceeded({ phase: "Body", timeoutMillis: Duration.toMillis(timeout) })
  return new HttpClientError.ResponseError({ request, response, reason: "Decode", cause, description: cause.message })
}

/** The longest a timer can wait (setTimeout's limit); a longer deadline is never reached by the live clock either. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1

const timerMillis = (deadline: Duration.Duration): number | undefined => {
  const millis = Duration.toMillis(deadline)
  return millis <= MAX_TIMER_MILLIS ? Math.max(0, Math.ceil(millis)) : undefined
}

/**
 * Both deadlines the generic way over `effect` (a call's response), for any client (and under a `TestClock`):
 * `Effect.timeoutFail` on the head — after `headLeft`, failing with the deadline `requestTimeout` — then the body
 * read within its deadline and handed back as a buffered response, unless it already is one.
 */
const bound =
  ({ bodyTimeout, requestTimeout }: Timeouts) =>
  <E, R>(
    effect: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
    request: HttpClientRequest.HttpClientRequest,
    headLeft: Duration.Duration
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | HttpClientError.HttpClientError, R> => {
    const head = !Duration.isFinite(requestTimeout)
      ? effect
      : Effect.timeoutFail(effect, { duration: headLeft, onTimeout: () => headExpired(request, requestTimeout) })
    if (!Duration.isFinite(bodyTimeout)) return head
    return Effect.flatMap(head, (response) =>
      Lean.isBuffered(response)
        ? Effect.succeed(response)
        : response.arrayBuffer.pipe(
            Effect.timeoutFail({
              duration: bodyTimeout,
              onTimeout: () => bodyExpired(request, response, bodyTimeout)
            }),
            Effect.map((body) =>
              HttpClientResponse.fromWeb(
                request,
                new Response(nullBodyStatuses.has(response.status) ? null : body, {
                  status: response.status,
                  headers: response.headers
                })
              )
            )
          )
    )
  }

/** The deadlines as a transport's timers keep them (see `Lean.Whole`), with their errors and generic rest. */
const wholeOf = (timeouts: Timeouts): Lean.Whole => {
  const { bodyTimeout, requestTimeout } = timeouts
  const bufferBody = Duration.isFinite(bodyTimeout)
  const limitHead = Duration.isFinite(requestTimeout)
  const keep = bound(timeouts)
  return {
    requestTimeout: limitHead ? timerMillis(requestTimeout) : undefined,
    bodyTimeout: bufferBody ? timerMillis(bodyTimeout) : undefined,
    maxBodyBytes: Number.POSITIVE_INFINITY,
    read: bufferBody ? "bytes" : "head",
    expired: (phase, request, response) =>
      phase === "requestTimeout" || response === undefined
        ? headExpired(request, requestTimeout)
        : bodyExpired(request, response, bodyTimeout),
    rest: (effect, request, startedMillis) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        keep(effect, request, Duration.subtract(requestTimeout, Duration.millis(Math.max(0, now - startedMillis))))
      )
  }
}

/**
 * These deadlines (`own`, per attempt, reading the body whole) under an outer client's (`outer`): the outer head
 * deadline runs from the send across both phases, as the outer's `Effect.timeoutFail` over this client does; the
 * outer body deadline never starts, the body being read here. `undefined` when that does not hold (a body left
 * unread here, an outer that already combines two).
 */
const underOuter = (own: Lean.Whole, outer: Lean.Whole): Lean.Whole | undefined => {
  if (own.read !== "bytes" || outer.callTimeout !== undefined) return undefined
  if (outer.requestTimeout === undefined) return own
  const expired = outer.expired
  return {
    ...own,
    callTimeout: outer.requestTimeout,
    callExpired: expired === undefined ? undefined : (request) => expired("requestTimeout", request, undefined)
  }
}

/**
 * An `HttpClient` transform with both deadlines. The response head must arrive within `requestTimeout`
 * (else a `RequestError`, reason `Transport`, whose cause is a {@link DeadlineExceeded}); when `bodyTimeout` is
 * finite the body is then read into memory within it (else a `ResponseError`, reason `Decode`, same cause) and
 * handed back as a buffered response — fine for UltraCart's JSON, not meant for large downloads.
 *
 * Over one of this package's transports (`NodeTransport`, `FetchTransport`, given directly, or under `Retry` and
 * `Timeouts` of this module) the transport keeps the deadlines with one timer per phase and reads the body into the
 * response it hands back; over any other client, with a tracer, or under a `TestClock`, they are kept with
 * `Effect.timeoutFail` (which races the call against a sleep in forked fibers, several times the cost of a call
 * over loopback). Either way the same errors.
 *
 * @since 0.1.0
 * @category http client
 */
export const transformClient =
  (timeouts: Timeouts) =>
  <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ): HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R> => {
    if (!Duration.isFinite(timeouts.bodyTimeout) && !Duration.isFinite(timeouts.requestTimeout)) return client
    const keep = bound(timeouts)
    const fallback = HttpClient.transform(client, (effect, request) => keep(effect, request, timeouts.requestTimeout))
    const timedSend = Lean.outerSendOf(client) ?? Lean.timedSendOf(client)
    if (timedSend === undefined) return fallback
    const whole = wholeOf(timeouts)
    const execute = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, E | HttpClientError.HttpClientError, R>(
        (fiber) => timedSend(request, fiber, whole) ?? fallback.execute(request)
      )
    // Under another client's deadlines: both handed down together (one combination per outer client).
    let outerSeen: Lean.Whole | undefined
    let combined: Lean.Whole | undefined
    const timed: Lean.TimedSend<E, R> = (request, fiber, outer) => {
      if (outer !== outerSeen) {
        outerSeen = outer
        combined = underOuter(whole, outer)
      }
      return combined === undefined ? undefined : timedSend(request, fiber, combined)
    }
    return Lean.withOuterSend(
      HttpClient.makeWith(
        (effect: Effect.Effect<HttpClientRequest.HttpClientRequest, E | HttpClientError.HttpClientError, R>) =>
          Effect.flatMap(effect, execute),
        Effect.succeed
      ),
      timed
    )
  }

/**
 * Replaces the `HttpClient` in context with {@link transformClient} applied (for the API client; the OAuth client
 * takes its deadlines as options, see {@link withTimeouts}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpClient = (
  timeouts: Timeouts = defaults
): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, transformClient(timeouts)))

/**
 * {@link layerHttpClient} with the deadlines read from configuration ({@link config} unless another is given).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpClientConfig = (
  timeouts: Config.Config<Timeouts> = config
): Layer.Layer<HttpClient.HttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.zipWith(HttpClient.HttpClient, timeouts, (client, t) => transformClient(t)(client))
  )
