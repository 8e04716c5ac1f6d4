/**
 * An authenticated `HttpClient` for the rest of the UltraCart API: it sets `X-UltraCart-Api-Version`, `Accept`
 * and one credential on every request, resolves paths against the base URL, and keeps the secret headers out of
 * spans and logs.
 *
 * One Layer per UltraCart auth scheme: simple key, browser key, a fixed OAuth bearer token, and a bearer token
 * read from an effect on every request (where a token manager plugs in). Keys come from values or from
 * `Config.redacted`; a missing or empty key fails when the Layer is built, with a `ConfigError`.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Credentials from "@ultracart-oauth/core/Credentials"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/**
 * Carried by {@link CredentialUnavailable}: what {@link isCredentialUnavailable} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const CredentialUnavailableTypeId: unique symbol = Symbol.for(
  "@ultracart-oauth/adapters/Auth/CredentialUnavailable"
)

/**
 * @since 0.2.0
 * @category type ids
 */
export type CredentialUnavailableTypeId = typeof CredentialUnavailableTypeId

/**
 * The credential effect of {@link layerBearerFrom} failed, so no request was sent. `cause` is that effect's
 * error, for the caller to inspect; the message names only its tag.
 *
 * @since 0.1.0
 * @category errors
 */
export class CredentialUnavailable extends Schema.TaggedError<CredentialUnavailable>()("CredentialUnavailable", {
  cause: Schema.Unknown
}) {
  declare readonly [CredentialUnavailableTypeId]: CredentialUnavailableTypeId
  static {
    Object.defineProperty(this.prototype, CredentialUnavailableTypeId, { value: CredentialUnavailableTypeId })
  }
  override get message(): string {
    const tag = Predicate.hasProperty(this.cause, "_tag") ? ` (${String(this.cause._tag)})` : ""
    return `No credential for the UltraCart API: the credential effect failed${tag}; no request was sent`
  }
}

/**
 * Whether a value is a {@link CredentialUnavailable} (it carries {@link CredentialUnavailableTypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isCredentialUnavailable = (u: unknown): u is CredentialUnavailable =>
  Predicate.hasProperty(u, CredentialUnavailableTypeId)

/**
 * What an authenticated API call can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type ApiClientError = HttpClientError.HttpClientError | CredentialUnavailable

/**
 * The authenticated `HttpClient` for UltraCart's API. Request paths (`/order/orders/…`) are resolved against the
 * base URL; absolute URLs are sent as they are.
 *
 * @since 0.1.0
 * @category tags
 */
export class UltraCartHttpClient extends Context.Tag("@ultracart-oauth/adapters/UltraCartHttpClient")<
  UltraCartHttpClient,
  HttpClient.HttpClient.With<ApiClientError>
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthOptions {
  /** Defaults to UltraCart's REST v2 base (`OAuthClient.DEFAULT_BASE_URL`). Must be https except on loopback. */
  readonly baseUrl?: string | undefined
  /** Defaults to `OAuthClient.DEFAULT_API_VERSION`. */
  readonly apiVersion?: string | undefined
}

/**
 * A key or token: a `Redacted` value, or a `Config` to read it from (e.g. `Config.redacted("ULTRACART_SIMPLE_KEY")`).
 *
 * @since 0.1.0
 * @category models
 */
export type Secret = Redacted.Redacted<string> | Config.Config<Redacted.Redacted<string>>

const loopbackHosts: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"])

const checkBaseUrl = (baseUrl: string): Either.Either<string, ConfigError.ConfigError> => {
  const invalid = (why: string) => Either.left(ConfigError.InvalidData([], `UltraCart API base URL ${why}`))
  if (!URL.canParse(baseUrl)) return invalid("is not a URL")
  const url = new URL(baseUrl)
  // A bearer token or key in clear text is a leaked credential (RFC 6819 §5.1.1); loopback is for tests.
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopbackHosts.has(url.hostname))) {
    return invalid("must be https (http is allowed on loopback only)")
  }
  return Either.right(baseUrl.replace(/\/+$/, ""))
}

/**
 * An `HttpClient` transform that authenticates every request with the credential `credential` yields (a fixed
 * credential costs nothing per request; an effect runs once per request, so a refreshed token is picked up).
 * Returns a `ConfigError` for an unacceptable base URL.
 *
 * @since 0.1.0
 * @category http client
 */
export const transformClient = <E = never, R = never>(
  credential: Credentials.Credentials | Effect.Effect<Credentials.Credentials, E, R>,
  options: AuthOptions = {}
): Either.Either<
  <E0, R0>(
    client: HttpClient.HttpClient.With<E0, R0>
  ) => HttpClient.HttpClient.With<E0 | CredentialUnavailable, R0 | R>,
  ConfigError.ConfigError
> =>
  Either.map(checkBaseUrl(options.baseUrl ?? OAuthClient.DEFAULT_BASE_URL), (baseUrl) => {
    const apiVersion = options.apiVersion ?? OAuthClient.DEFAULT_API_VERSION
    const prepare = (request: HttpClientRequest.HttpClientRequest) => {
      let out = request.url.startsWith("/") ? HttpClientRequest.prependUrl(request, baseUrl) : request
      out = HttpClientRequest.setHeader(out, "x-ultracart-api-version", apiVersion)
      return out.headers["accept"] === undefined ? HttpClientRequest.acceptJson(out) : out
    }
    return <E0, R0>(client: HttpClient.HttpClient.With<E0, R0>) => {
      const authenticated: HttpClient.HttpClient.With<E0 | CredentialUnavailable, R0 | R> = Effect.isEffect(credential)
        ? HttpClient.mapRequestEffect(client, (request) =>
            Effect.mapBoth(credential, {
              onFailure: (cause) => new CredentialUnavailable({ cause }),
              onSuccess: (c) => Credentials.apply(prepare(request), c)
            })
          )
        : HttpClient.mapRequest(client, (request) => Credentials.apply(prepare(request), credential))
      // Outermost, so that the span the client opens for each request sees the redacted names.
      return HttpClient.transformResponse(authenticated, Credentials.withRedactedHeaders)
    }
  })

/**
 * Adds UltraCart's secret header names to those redacted for the whole program (spans, and requests or headers
 * that end up in logs). Every Layer of this module includes it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedactSecretHeaders: Layer.Layer<never> = Layer.scopedDiscard(
  Effect.locallyScopedWith(Headers.currentRedactedNames, (names) => [
    ...names,
    ...Credentials.SECRET_HEADERS.filter((name) => !names.includes(name))
  ])
)

const nonEmpty = (what: string) => (secret: Redacted.Redacted<string>) =>
  Redacted.value(secret).trim() === ""
    ? Effect.fail(ConfigError.InvalidData([], `${what} is empty`))
    : Effect.succeed(secret)

const readSecret = (secret: Secret, what: string): Effect.Effect<Redacted.Redacted<string>, ConfigError.ConfigError> =>
  Effect.flatMap(Redacted.isRedacted(secret) ? Effect.succeed(secret) : secret, nonEmpty(what))

/**
 * The API client from an effect that builds its transform.
 */
const layerWith = <E, R>(
  credential: Effect.Effect<Credentials.Credentials | Effect.Effect<Credentials.Credentials, unknown>, E, R>,
  options: AuthOptions
): Layer.Layer<UltraCartHttpClient, E | ConfigError.ConfigError, HttpClient.HttpClient | R> =>
  Layer.provideMerge(
    Layer.effect(
      UltraCartHttpClient,
      Effect.gen(function* () {
        const source = yield* credential
        const transform = yield* transformClient(source, options)
        return transform(yield* HttpClient.HttpClient)
      })
    ),
    // Built first and in sequence (not merged concurrently), so that the names are restored when the scope closes.
    layerRedactSecretHeaders
  )

/**
 * The API client with a simple API key (`x-ultracart-simple-key`), by default from `ULTRACART_SIMPLE_KEY`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSimpleKey = (
  key: Secret = Config.redacted("ULTRACART_SIMPLE_KEY"),
  options: AuthOptions = {}
): Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  layerWith(Effect.map(readSecret(key, "UltraCart simple key"), Credentials.simpleKey), options)

/**
 * The API client with a browser API key (`x-ultracart-browser-key`), by default from `ULTRACART_BROWSER_KEY`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerBrowserKey = (
  key: Secret = Config.redacted("ULTRACART_BROWSER_KEY"),
  options: AuthOptions = {}
): Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  layerWith(Effect.map(readSecret(key, "UltraCart browser key"), Credentials.browserKey), options)

/**
 * The API client with a fixed OAuth access token (`Authorization: Bearer …`), by default from
 * `ULTRACART_ACCESS_TOKEN`. For tokens that expire, use {@link layerBearerFrom} with a token manager.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerBearer = (
  token: Secret = Config.redacted("ULTRACART_ACCESS_TOKEN"),
  options: AuthOptions = {}
): Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  layerWith(Effect.map(readSecret(token, "UltraCart access token"), Credentials.bearer), options)

/**
 * The API client with a bearer token read from `token` before every request — the current access token of a
 * token manager. Its failure fails the call with {@link CredentialUnavailable} (no request is sent). The
 * services `token` needs are taken from the Layer's context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerBearerFrom = <E, R>(
  token: Effect.Effect<Redacted.Redacted<string>, E, R>,
  options: AuthOptions = {}
): Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient | R> =>
  layerWith(
    Effect.map(Effect.context<R>(), (context) => Effect.map(Effect.provide(token, context), Credentials.bearer)),
    options
  )

const secretConfig = (name: string) =>
  Config.redacted(name).pipe(
    Config.validate({ message: "must not be empty", validation: (secret) => Redacted.value(secret).trim() !== "" })
  )

/**
 * The credential from configuration: the first of `ULTRACART_SIMPLE_KEY`, `ULTRACART_BROWSER_KEY`,
 * `ULTRACART_ACCESS_TOKEN` that is set. When none is, the `ConfigError` names all three.
 *
 * @since 0.1.0
 * @category config
 */
export const credentialsConfig: Config.Config<Credentials.Credentials> = Config.map(
  secretConfig("ULTRACART_SIMPLE_KEY"),
  Credentials.simpleKey
).pipe(
  Config.orElse(() => Config.map(secretConfig("ULTRACART_BROWSER_KEY"), Credentials.browserKey)),
  Config.orElse(() => Config.map(secretConfig("ULTRACART_ACCESS_TOKEN"), Credentials.bearer))
)

/**
 * Options from configuration: `ULTRACART_BASE_URL` and `ULTRACART_API_VERSION`, each optional (the same
 * variables core's `OAuthClient.config` reads).
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<AuthOptions> = Config.all({
  baseUrl: Config.option(Config.nonEmptyString("ULTRACART_BASE_URL")),
  apiVersion: Config.option(Config.nonEmptyString("ULTRACART_API_VERSION"))
}).pipe(
  Config.map(
    (o): AuthOptions => ({
      baseUrl: Option.getOrUndefined(o.baseUrl),
      apiVersion: Option.getOrUndefined(o.apiVersion)
    })
  )
)

/**
 * The API client from configuration: {@link credentialsConfig} and {@link optionsConfig}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =
  Layer.unwrapEffect(
    Effect.map(Config.all([credentialsConfig, optionsConfig]), ([credential, options]) =>
      layerWith(Effect.succeed(credential), options)
    )
  )
