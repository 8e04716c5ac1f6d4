/**
 * The UltraCart API client authenticated by a `TokenManager`: every request carries the manager's current access
 * token, and a 401 for a token the manager believed valid leads to one refresh and one replay — never a loop.
 * It keeps the `Auth` Layers' guarantees: the token goes only to the base URL's origin, every call has deadlines,
 * and nothing it hands back shows the token.
 *
 * @since 0.1.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Credentials from "@ultracart-oauth/core/Credentials"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as Auth from "./Auth.js"
import { sentRequest } from "./internal/redact.js"
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
 * Makes the client from options already filled in (nothing is read from configuration here).
 */
const makeWith = (
  options: Auth.AuthOptions
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
        // The response shows its request redacted; the comparison needs the one that was sent.
        if (sentRequest(refused).headers["authorization"] === `Bearer ${Redacted.value(current.accessToken)}`) {
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
 * Makes the client over the `HttpClient` in context (one per grant: a `TokenManager` in context, options in,
 * client out). Options left out are read from configuration, as the `Auth` Layers read them (`Auth.withConfig`:
 * `ULTRACART_BASE_URL`, `ULTRACART_API_VERSION`, and the deadlines, 30 s each by default).
 *
 * Paths (`/order/orders/…`) resolve against the base URL; an absolute URL off its origin fails the call with
 * `Auth.UrlRefused` before a token is read. A failure to get a token fails the call with
 * `Auth.CredentialUnavailable`, whose `cause` is the token manager's typed error (`ReauthorizationRequired`, …).
 * Responses and errors carry their request with the token redacted. Fails with a `ConfigError` for unacceptable
 * options or configuration.
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
> => Effect.flatMap(Auth.withConfig(options), makeWith)

const layerWith = <E>(
  options: Effect.Effect<Auth.AuthOptions, E>
): Layer.Layer<Auth.UltraCartHttpClient, E | ConfigError.ConfigError, HttpClient.HttpClient | TokenManager> =>
  Layer.merge(Layer.effect(Auth.UltraCartHttpClient, Effect.flatMap(options, makeWith)), Auth.layerRedactSecretHeaders)

/**
 * The client as `Auth.UltraCartHttpClient`, the same service the other `Auth` Layers provide. Options left out
 * are read from configuration (see {@link make}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Auth.AuthOptions = {}
): Layer.Layer<Auth.UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient | TokenManager> =>
  layerWith(Auth.withConfig(options))

/**
 * The client as `Auth.UltraCartHttpClient`, with its options read from `config` (`Auth.optionsConfig` unless
 * another is given). Give it the `Config` the OAuth client is built from (`OAuthClient.config`,
 * `Timeouts.oauthClientConfig`) and the API calls go to the server the tokens come from, by construction.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Auth.AuthOptions> = Auth.optionsConfig
): Layer.Layer<Auth.UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient | TokenManager> =>
  layerWith(ConfigWrap.unwrap(config))
