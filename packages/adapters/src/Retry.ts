/**
 * Retries for UltraCart calls that know which calls may be repeated: a wrapped `OAuthClient` (per-method
 * policies on core's typed errors) and an `HttpClient` transform for the rest of the API. The rules are in
 * {@link RetryPolicy}.
 *
 * @since 0.1.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as OAuthError from "@ultracart-oauth/core/OAuthError"
import * as RequestOutcome from "@ultracart-oauth/core/RequestOutcome"
import type * as TokenResponse from "@ultracart-oauth/core/TokenResponse"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Lean from "./internal/lean.js"
import { OutcomeUnknown } from "./OutcomeUnknown.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as Timeouts from "./Timeouts.js"

// -----------------------------------------------------------------------------
// The OAuth client
// -----------------------------------------------------------------------------

const permanent: RetryPolicy.Failure = { _tag: "Permanent" }

/**
 * How the policy sees one of core's errors. `Encode` and `InvalidUrl` transport errors are permanent: the same
 * request would fail the same way.
 *
 * @since 0.1.0
 * @category classification
 */
export const oauthFailure = (error: OAuthError.OAuthClientError): RetryPolicy.Failure => {
  switch (error._tag) {
    case "RateLimited":
    case "ServerError":
      return { _tag: "Status", status: error.status, retryAfterMillis: error.retryAfterMillis }
    case "UltraCartError":
      return { _tag: "Status", status: error.status, retryAfterMillis: undefined }
    case "TransportError":
      return error.reason === "Encode" || error.reason === "InvalidUrl"
        ? permanent
        : { _tag: "Transport", outcome: error.outcome }
    default:
      return permanent
  }
}

/**
 * Runs `call`, and only when it fails enters the retry machinery: the policy's schedule is made, driven by the
 * failures (waiting as it says between attempts) and left at its first `done`, where `exhausted` gets the last
 * error. A call that succeeds at once costs a clock read (when the first attempt started, for `maxElapsed`) and
 * a failure-only handler, which a success passes without allocating — no schedule, no driver, no fiber.
 */
const retrying = <A, E, R, E2>(
  policy: RetryPolicy.RetryPolicy,
  call: Effect.Effect<A, E, R>,
  verdictOf: (error: E, nowMillis: number) => RetryPolicy.Verdict,
  onRetry: ((error: E) => Effect.Effect<void>) | undefined,
  exhausted: (error: E) => Effect.Effect<A, E2>
): Effect.Effect<A, E2, R> =>
  Effect.withFiberRuntime((fiber) => {
    const start = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
    return Effect.catchAllCause(call, afterFailure(policy, start, call, verdictOf, onRetry, exhausted))
  })

/**
 * The retry machinery, entered with the first attempt's failure (`cause`, that attempt having started at `start`):
 * the policy's schedule is made and driven by the failures, `call` repeated as it says.
 */
const afterFailure =
  <A, E, R, E2>(
    policy: RetryPolicy.RetryPolicy,
    start: number,
    call: Effect.Effect<A, E, R>,
    verdictOf: (error: E, nowMillis: number) => RetryPolicy.Verdict,
    onRetry: ((error: E) => Effect.Effect<void>) | undefined,
    exhausted: (error: E) => Effect.Effect<A, E2>
  ) =>
  (cause: Cause.Cause<E>): Effect.Effect<A, E2, R> =>
    // `catchAll` on the cause again: a failure is retried exactly as `Effect.retry` would (not a defect, not an
    // interruption).
    Effect.catchAll(Effect.failCause(cause), (first) =>
      Effect.flatMap(Schedule.driver(RetryPolicy.schedule(policy, start, verdictOf, onRetry)), (driver) => {
        const after = (error: E): Effect.Effect<A, E2, R> =>
          Effect.matchEffect(driver.next(error), {
            onFailure: () => exhausted(error),
            onSuccess: () => Effect.catchAll(call, after)
          })
        return after(first)
      })
    )

const retriedWith =
  (policy: RetryPolicy.RetryPolicy) =>
  <E>(verdictOf: (error: E, nowMillis: number) => RetryPolicy.Verdict) =>
  <A>(call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    policy.maxAttempts <= 1 ? call : retrying(policy, call, verdictOf, undefined, Effect.fail)

/**
 * A token request spends its grant unless it is a device-code poll (RFC 8628 polls repeat by design). Any grant
 * type this library cannot tell apart is treated as single-use.
 */
const tokenCallKind = (request: OAuthClient.TokenRequest): RetryPolicy.CallKind =>
  request.deviceCode !== undefined && request.code === undefined && request.refreshToken === undefined
    ? "Repeatable"
    : "SingleUse"

/**
 * Wraps an `OAuthClient` so that each method retries by its policy: revoke, device authorize, device-code polls
 * and `/oauth/me` as repeatable calls; code and refresh-token exchanges as single-use calls. A single-use call
 * whose outcome is unknown fails with core's `TransportError` (outcome `Unknown`) unretried; see
 * {@link withOutcomeUnknown} for the typed form.
 *
 * @since 0.1.0
 * @category constructors
 */
export const wrap = (
  client: OAuthClient.OAuthClient.Service,
  policy: RetryPolicy.RetryPolicy
): OAuthClient.OAuthClient.Service => {
  const retried = retriedWith(policy)
  const repeatable = retried((error: OAuthError.OAuthClientError) =>
    RetryPolicy.decide("Repeatable", oauthFailure(error))
  )
  const singleUse = retried((error: OAuthError.OAuthClientError) =>
    RetryPolicy.decide("SingleUse", oauthFailure(error))
  )
  return {
    ...client,
    exchangeCode: (input) => singleUse(client.exchangeCode(input)),
    refresh: (input) => singleUse(client.refresh(input)),
    exchangeDeviceCode: (input) => repeatable(client.exchangeDeviceCode(input)),
    token: (request) => (tokenCallKind(request) === "Repeatable" ? repeatable : singleUse)(client.token(request)),
    revoke: (input) => repeatable(client.revoke(input)),
    authorizeDevice: (input) => repeatable(client.authorizeDevice(input)),
    me: (input) => repeatable(client.me(input))
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace RetryingOAuthClient {
  /**
   * `OAuthClient`'s service where the single-use exchanges also fail with `OutcomeUnknown`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service extends Omit<OAuthClient.OAuthClient.Service, "exchangeCode" | "refresh" | "token"> {
    readonly exchangeCode: (
      input: Parameters<OAuthClient.OAuthClient.Service["exchangeCode"]>[0]
    ) => Effect.Effect<TokenResponse.TokenResponse, OAuthError.OAuthClientError | OutcomeUnknown>
    readonly refresh: (
      input: Parameters<OAuthClient.OAuthClient.Service["refresh"]>[0]
    ) => Effect.Effect<TokenResponse.TokenResponse, OAuthError.OAuthClientError | OutcomeUnknown>
    readonly token: (
      request: OAuthClient.TokenRequest
    ) => Effect.Effect<TokenResponse.TokenResponse, OAuthError.OAuthClientError | OutcomeUnknown>
  }
}

/**
 * The OAuth client with retries, whose single-use exchanges fail with `OutcomeUnknown` when the request may have
 * reached UltraCart (a timeout, a reset after sending, a body cut short). Use it where your own code performs a
 * single-use exchange and wants that case as its own tag. (The `TokenManager` takes the plain `OAuthClient`, where
 * the same failure arrives unretried as core's `TransportError` with `outcome: "Unknown"`, and recovers from it by
 * re-reading its store.)
 *
 * @since 0.1.0
 * @category tags
 */
export class RetryingOAuthClient extends Context.Tag("@ultracart-oauth/adapters/RetryingOAuthClient")<
  RetryingOAuthClient,
  RetryingOAuthClient.Service
>() {}

const isUnknownOutcome = (error: OAuthError.OAuthClientError): error is OAuthError.TransportError =>
  RetryPolicy.decide("SingleUse", oauthFailure(error))._tag === "OutcomeUnknown"

const surfaceOutcome = <A>(
  grantType: string,
  call: Effect.Effect<A, OAuthError.OAuthClientError>
): Effect.Effect<A, OAuthError.OAuthClientError | OutcomeUnknown> =>
  Effect.catchIf(call, isUnknownOutcome, (error) =>
    Effect.fail(new OutcomeUnknown({ grantType, reason: error.reason, detail: error.detail }))
  )

/**
 * Turns the unknown-outcome failures of the single-use exchanges into `OutcomeUnknown`. Nothing is retried here:
 * apply it on top of {@link wrap} (as {@link layer} does).
 *
 * @since 0.1.0
 * @category constructors
 */
export const withOutcomeUnknown = (client: OAuthClient.OAuthClient.Service): RetryingOAuthClient.Service => ({
  ...client,
  exchangeCode: (input) => surfaceOutcome("authorization_code", client.exchangeCode(input)),
  refresh: (input) => surfaceOutcome("refresh_token", client.refresh(input)),
  token: (request) =>
    tokenCallKind(request) === "Repeatable"
      ? client.token(request)
      : surfaceOutcome(request.grantType, client.token(request))
})

const layerFromPolicy = <E, R>(
  policy: Effect.Effect<RetryPolicy.RetryPolicy, E, R>
): Layer.Layer<OAuthClient.OAuthClient | RetryingOAuthClient, E, OAuthClient.OAuthClient | R> =>
  Layer.effectContext(
    Effect.zipWith(OAuthClient.OAuthClient, policy, (client, policy) => {
      const wrapped = wrap(client, policy)
      return Context.make(OAuthClient.OAuthClient, wrapped).pipe(
        Context.add(RetryingOAuthClient, withOutcomeUnknown(wrapped))
      )
    })
  )

/**
 * Replaces the `OAuthClient` in context with one that retries (see {@link wrap}), and adds it as a
 * {@link RetryingOAuthClient}. Compose it over the client:
 * `Retry.layer().pipe(Layer.provide(OAuthClient.layer(options)))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: RetryPolicy.RetryOptions
): Layer.Layer<OAuthClient.OAuthClient | RetryingOAuthClient, never, OAuthClient.OAuthClient> =>
  layerFromPolicy(Effect.succeed(RetryPolicy.make(options)))

/**
 * {@link layer} with the policy read from configuration ({@link RetryPolicy.config} unless another is given).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<RetryPolicy.RetryPolicy> = RetryPolicy.config
): Layer.Layer<OAuthClient.OAuthClient | RetryingOAuthClient, ConfigError.ConfigError, OAuthClient.OAuthClient> =>
  layerFromPolicy(ConfigWrap.unwrap(config))

// -----------------------------------------------------------------------------
// The HTTP client (the rest of the UltraCart API)
// -----------------------------------------------------------------------------

/** Methods that may be repeated (RFC 9110 §9.2.2). */
const idempotentMethods: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])

/** A response the policy may retry, carried through `Effect.retry` as a failure and handed back if not retried. */
class RetryableResponse {
  readonly _tag = "RetryableResponse"
  constructor(
    readonly response: HttpClientResponse.HttpClientResponse,
    readonly failure: RetryPolicy.Failure
  ) {}
}

/**
 * How the policy sees an `HttpClient` failure: a lost connection is `Transport` (`NotSent` when no connection was
 * made), a deadline missed while reading the body is `Transport` too, a status error is `Status`, and the rest
 * (an invalid URL, an unencodable body, a body that does not decode) is permanent.
 *
 * @since 0.1.0
 * @category classification
 */
export const httpFailure = (error: unknown, nowMillis: number): RetryPolicy.Failure => {
  if (error instanceof RetryableResponse) return error.failure
  if (!HttpClientError.isHttpClientError(error)) return permanent
  if (error._tag === "RequestError") {
    if (error.reason !== "Transport") return permanent
    return { _tag: "Transport", outcome: RequestOutcome.ofHttpClientError(error) }
  }
  if (error.reason === "StatusCode") {
    return RetryPolicy.statusFailure(error.response.status, error.response.headers["retry-after"], nowMillis)
  }
  return Timeouts.isDeadlineExceeded(error.cause) ? { _tag: "Transport", outcome: "Unknown" } : permanent
}

/** Frees the connection of a response that is about to be retried (bounded: a stalled body must not block). */
const discard = (error: unknown): Effect.Effect<void> =>
  error instanceof RetryableResponse
    ? Effect.ignore(Effect.timeout(Stream.runDrain(error.response.stream), Duration.seconds(5)))
    : Effect.void

/**
 * An `HttpClient` transform that retries by the policy: safe methods (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) as
 * repeatable calls, others (POST, PATCH) as single-use calls. A retryable status that runs out of retries is
 * returned as the response it is, for the caller to read. Apply it under the credentials (see `Auth`), and over
 * `Timeouts.transformClient` so that each attempt has its own deadline.
 *
 * @since 0.1.0
 * @category http client
 */
export const transformClient =
  (policy: RetryPolicy.RetryPolicy) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> => {
    if (policy.maxAttempts <= 1) return client
    const retried = HttpClient.transform(client, (effect, request) =>
      retrying(policy, Effect.flatMap(effect, retryableStatus), verdictFor<E>(request), discard, handBack)
    )
    const outerSend = Lean.outerSendOf(client)
    return outerSend === undefined ? retried : Lean.withOuterSend(retried, firstAttemptTimed(policy, client, outerSend))
  }

/** How the policy sees a failed attempt of `request`: by its method, repeatable or single-use. */
const verdictFor =
  <E>(request: HttpClientRequest.HttpClientRequest) =>
  (error: E | RetryableResponse, now: number): RetryPolicy.Verdict =>
    RetryPolicy.decide(idempotentMethods.has(request.method) ? "Repeatable" : "SingleUse", httpFailure(error, now))

/**
 * Under an outer client's deadlines (`Timeouts`, see `Lean.TimedSend`): the first attempt goes to the client beneath
 * with those deadlines handed down to the transport's timers — a first attempt that succeeds is the whole call, so
 * nothing more is set up. Only when it fails (and not by the outer head deadline, which ends the call) does the call
 * enter the retry machinery, there bounded by the outer deadlines the generic way, the head deadline counted from
 * the call's start: the same bounds, errors and retries as the outer `Effect.timeoutFail` over {@link retrying}.
 */
const firstAttemptTimed =
  <E, R>(
    policy: RetryPolicy.RetryPolicy,
    client: HttpClient.HttpClient.With<E, R>,
    timedSend: Lean.TimedSend<E, R>
  ): Lean.TimedSend<E, R> =>
  (request, fiber, outer) => {
    const rest = outer.rest
    if (rest === undefined) return undefined
    const first = timedSend(request, fiber, outer)
    if (first === undefined) return undefined
    const start = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
    return Effect.catchAllCause(Effect.flatMap(first, retryableStatus), (cause) => {
      // The outer head deadline passed: it ends the call, as the outer `Effect.timeoutFail` would.
      if (Cause.isFailType(cause) && Lean.isCallExpiry(cause.error)) return Effect.fail(cause.error)
      type Failure = E | HttpClientError.HttpClientError | RetryableResponse
      const call: Effect.Effect<HttpClientResponse.HttpClientResponse, Failure, R> = Effect.flatMap(
        client.execute(request),
        retryableStatus
      )
      return rest(
        afterFailure(policy, start, call, verdictFor<Failure>(request), discard, handBack)(cause),
        request,
        start
      )
    })
  }

/** A response whose status the policy may retry fails the attempt, carried in a {@link RetryableResponse}. */
const retryableStatus = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<HttpClientResponse.HttpClientResponse, RetryableResponse> =>
  RetryPolicy.RETRYABLE_STATUSES.has(response.status)
    ? Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.fail(
          new RetryableResponse(
            response,
            RetryPolicy.statusFailure(response.status, response.headers["retry-after"], now)
          )
        )
      )
    : Effect.succeed(response)

const handBack = <E>(error: E | RetryableResponse): Effect.Effect<HttpClientResponse.HttpClientResponse, E> =>
  error instanceof RetryableResponse ? Effect.succeed(error.response) : Effect.fail(error)

/**
 * Replaces the `HttpClient` in context with {@link transformClient} applied. Provide it to the layer that builds
 * the API client only (`Auth.layer…().pipe(Layer.provide(Retry.layerHttpClient()), Layer.provide(transport))`):
 * the OAuth client must not retry at the HTTP level, where it cannot tell a spent grant from a safe repeat.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpClient = (
  options?: RetryPolicy.RetryOptions
): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, transformClient(RetryPolicy.make(options))))

/**
 * {@link layerHttpClient} with the policy read from configuration ({@link RetryPolicy.config} unless another is
 * given).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpClientConfig = (
  config: Config.Config.Wrap<RetryPolicy.RetryPolicy> = RetryPolicy.config
): Layer.Layer<HttpClient.HttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.zipWith(HttpClient.HttpClient, ConfigWrap.unwrap(config), (client, policy) =>
      transformClient(policy)(client)
    )
  )
