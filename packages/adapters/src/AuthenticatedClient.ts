/**
 * The UltraCart API client authenticated by a `TokenManager`: every request carries the manager's current access
 * token, and a 401 for a token the manager believed valid leads to one refresh and one replay — never a loop.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Credentials from "@ultracart-oauth/core/Credentials"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as Auth from "./Auth.js"
import { TokenManager, type TokenManagerError } from "./TokenManager.js"

/**
 * The client's metrics.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  /** Requests sent again after a 401, with a refreshed (or newer) token. */
  unauthorizedReplays: Metric.counter("ultracart_oauth_unauthorized_replays", { incremental: true })
}

/** A streamed body has been consumed by the first attempt; anything else can be sent again. */
const replayable = (request: HttpClientRequest.HttpClientRequest): boolean => request.body._tag !== "Stream"

const unavailable = <A>(effect: Effect.Effect<A, TokenManagerError>) =>
  Effect.mapError(effect, (cause) => new Auth.CredentialUnavailable({ cause }))

/**
 * Makes the client over the `HttpClient` in context. Paths (`/order/orders/…`) resolve against the base URL (see
 * `Auth.AuthOptions`); a failure to get a token fails the call with `Auth.CredentialUnavailable`, whose `cause`
 * is the token manager's typed error (`ReauthorizationRequired`, …). Fails with a `ConfigError` for an
 * unacceptable base URL.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Auth.AuthOptions = {}
): Effect.Effect<
  HttpClient.HttpClient.With<Auth.ApiClientError>,
  ConfigError.ConfigError,
  HttpClient.HttpClient | TokenManager
> =>
  Effect.gen(function* () {
    const manager = yield* TokenManager
    const transform = yield* Auth.transformClient(
      Effect.map(manager.tokens, (tokens) => Credentials.bearer(tokens.accessToken)),
      options
    )
    const authenticated = transform(yield* HttpClient.HttpClient)

    /**
     * The API refused the token this request carried. If that is still the manager's current token, ask for a
     * refresh; if the manager already has a newer one, just use it. Either way: one replay.
     */
    const afterUnauthorized = (
      request: HttpClientRequest.HttpClientRequest,
      refused: HttpClientResponse.HttpClientResponse
    ) =>
      Effect.gen(function* () {
        const current = yield* unavailable(manager.tokens)
        if (refused.request.headers["authorization"] === `Bearer ${Redacted.value(current.accessToken)}`) {
          yield* unavailable(manager.invalidate(current))
        }
        if (!replayable(request)) return refused
        yield* Metric.increment(metrics.unauthorizedReplays)
        return yield* authenticated.execute(request)
      })

    return HttpClient.makeWith(
      (prepared: Effect.Effect<HttpClientRequest.HttpClientRequest>) =>
        Effect.flatMap(prepared, (request) =>
          Effect.flatMap(authenticated.execute(request), (response) =>
            response.status === 401 ? afterUnauthorized(request, response) : Effect.succeed(response)
          )
        ),
      Effect.succeed
    )
  })

/**
 * The client as `Auth.UltraCartHttpClient`, the same service the other `Auth` Layers provide.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Auth.AuthOptions = {}
): Layer.Layer<Auth.UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient | TokenManager> =>
  Layer.merge(Layer.effect(Auth.UltraCartHttpClient, make(options)), Auth.layerRedactSecretHeaders)
