/**
 * An authenticated `HttpClient` for the rest of the UltraCart API: it sets `X-UltraCart-Api-Version`, `Accept`
 * and one credential on every request, resolves paths against the base URL, and keeps the secret headers out of
 * spans and logs.
 *
 * Safe by default: the credential goes only to the base URL's origin (anything else fails with `UrlRefused`
 * before it is attached); every call has a head and a body deadline (30 s each unless turned off); and the
 * responses and errors a call hands back carry its request with the credential redacted, however they are printed.
 *
 * One Layer per UltraCart auth scheme: simple key, browser key, a fixed OAuth bearer token, and a bearer token
 * read from an effect on every request (where a token manager plugs in). Keys come from values or from
 * `Config.redacted`; a missing or empty key fails when the Layer is built, with a `ConfigError`. What the options
 * leave out (base URL, version, deadlines) is read from configuration, as core's `OAuthClient.layerConfig` reads it.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Credentials from "@ultracart-oauth/core/Credentials"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as OAuthTransport from "@ultracart-oauth/core/OAuthTransport"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Lean from "./internal/lean.js"
import { redactClient, redactError } from "./internal/redact.js"
import * as Timeouts from "./Timeouts.js"

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
  /** @since 0.2.0 */
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
 * Carried by {@link UrlRefused}: what {@link isUrlRefused} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const UrlRefusedTypeId: unique symbol = Symbol.for("@ultracart-oauth/adapters/UrlRefused")

/**
 * @since 0.2.0
 * @category type ids
 */
export type UrlRefusedTypeId = typeof UrlRefusedTypeId

/**
 * A request was refused before its credential was attached, and nothing was sent: its URL is not on the base
 * URL's origin (scheme, host and port). `reason`: `ForeignOrigin` (another host, port or scheme), `InsecureHttp`
 * (plain http off loopback), `NotAbsolute` (neither a path starting with `/` nor an absolute URL). The error
 * names the request's origin only — never its path or query.
 *
 * @since 0.2.0
 * @category errors
 */
export class UrlRefused extends Schema.TaggedError<UrlRefused>()("UrlRefused", {
  reason: Schema.Literal("ForeignOrigin", "InsecureHttp", "NotAbsolute"),
  /** The refused URL's origin (its scheme, for a URL without one), when it has one. */
  origin: Schema.optional(Schema.String),
  /** The base URL's origin: where the credential may go. */
  allowedOrigin: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [UrlRefusedTypeId]: UrlRefusedTypeId
  static {
    Object.defineProperty(this.prototype, UrlRefusedTypeId, { value: UrlRefusedTypeId })
  }
  override get message(): string {
    const why =
      this.reason === "NotAbsolute"
        ? "the URL is neither a path starting with / nor an absolute URL"
        : `${this.origin ?? "the URL"} is ${this.reason === "InsecureHttp" ? "plain http off loopback" : "another origin"}`
    return `No UltraCart credential is sent outside ${this.allowedOrigin}: ${why}; no request was sent`
  }
}

/**
 * Whether a value is a {@link UrlRefused} (it carries {@link UrlRefusedTypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isUrlRefused = (u: unknown): u is UrlRefused => Predicate.hasProperty(u, UrlRefusedTypeId)

/**
 * What an authenticated API call can fail with. Every `HttpClientError` it fails with, and every response it
 * answers with, carries its request with the credential header's value replaced by `<redacted>`.
 *
 * @since 0.1.0
 * @category models
 */
export type ApiClientError = HttpClientError.HttpClientError | CredentialUnavailable | UrlRefused

/**
 * The authenticated `HttpClient` for UltraCart's API. Request paths (`/order/orders/…`) are resolved against the
 * base URL; an absolute URL must be on the base URL's origin, else the call fails with {@link UrlRefused} and
 * nothing is sent.
 *
 * @since 0.1.0
 * @category tags
 */
export class UltraCartHttpClient extends Context.Tag("@ultracart-oauth/adapters/UltraCartHttpClient")<
  UltraCartHttpClient,
  HttpClient.HttpClient.With<ApiClientError>
>() {}

/**
 * Where and how the API is called. The Layers of this module and `AuthenticatedClient` read what the options
 * leave out from configuration ({@link optionsConfig}); {@link transformClient} takes the defaults instead.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthOptions {
  /**
   * Defaults to UltraCart's REST v2 base (`OAuthClient.DEFAULT_BASE_URL`). The same rules as core's OAuth client:
   * absolute, https (http on loopback only), no query, fragment or user info.
   */
  readonly baseUrl?: string | undefined
  /** Defaults to `OAuthClient.DEFAULT_API_VERSION`. */
  readonly apiVersion?: string | undefined
  /**
   * From sending a request to its response head (retries beneath the client included): a `RequestError` whose
   * cause is `Timeouts.DeadlineExceeded` after it. Defaults to 30 seconds; `Duration.infinity` turns it off.
   */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /**
   * From the head to the end of the body, read into memory: a `ResponseError` whose cause is
   * `Timeouts.DeadlineExceeded` after it. Defaults to 30 seconds; `Duration.infinity` turns it off (and hands
   * back the response unread, for streaming).
   */
  readonly bodyTimeout?: Duration.DurationInput | undefined
}

/**
 * A key or token: a `Redacted` value, or a `Config` to read it from (e.g. `Config.redacted("ULTRACART_SIMPLE_KEY")`).
 *
 * @since 0.1.0
 * @category models
 */
export type Secret = Redacted.Redacted<string> | Config.Config<Redacted.Redacted<string>>

/** Options checked and filled in. */
interface Resolved {
  readonly baseUrl: string
  readonly origin: string
  readonly timeouts: Timeouts.Timeouts
  /** The version header, set on every request. */
  readonly versionHeader: Headers.Input
  /** The version header and `Accept: application/json`, for a request that names no `Accept`. */
  readonly headers: Headers.Input
}

/** Core's rule for plain http: loopback only (`OAuthClient`'s base URL check). */
const loopbackHost = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

const isInsecure = (url: URL): boolean => url.protocol === "http:" && !loopbackHost.test(url.hostname)

const invalid = (what: string): Either.Either<never, ConfigError.ConfigError> =>
  Either.left(ConfigError.InvalidData([], `UltraCart API ${what}`))

/** The base URL as core's OAuth client accepts and normalizes it (same rules, same result). */
const checkBaseUrl = (input: string): Either.Either<URL, ConfigError.ConfigError> => {
  if (!URL.canParse(input)) return invalid("base URL is not an absolute URL")
  const url = new URL(input)
  // A bearer token or key in clear text is a leaked credential (RFC 6819 §5.1.1); loopback is for tests.
  if ((url.protocol !== "https:" && url.protocol !== "http:") || isInsecure(url)) {
    return invalid("base URL must be https (http is allowed on loopback only)")
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return invalid("base URL must not carry a query, fragment or user info")
  }
  return Either.right(url)
}

const checkDeadline = (
  name: string,
  input: Duration.DurationInput | undefined
): Either.Either<Duration.DurationInput | undefined, ConfigError.ConfigError> => {
  if (input === undefined) return Either.right(undefined)
  const duration = Duration.decodeUnknown(input)
  return Option.isSome(duration) && Duration.greaterThan(duration.value, Duration.zero)
    ? Either.right(duration.value)
    : invalid(`${name} must be a duration longer than zero (Duration.infinity turns it off)`)
}

const resolve = (options: AuthOptions): Either.Either<Resolved, ConfigError.ConfigError> =>
  Either.gen(function* () {
    const url = yield* checkBaseUrl(options.baseUrl ?? OAuthClient.DEFAULT_BASE_URL)
    const apiVersion = options.apiVersion ?? OAuthClient.DEFAULT_API_VERSION
    if (apiVersion.trim() === "") return yield* invalid("version is empty")
    const requestTimeout = yield* checkDeadline("requestTimeout", options.requestTimeout)
    const bodyTimeout = yield* checkDeadline("bodyTimeout", options.bodyTimeout)
    return {
      baseUrl: url.toString().replace(/\/+$/, ""),
      origin: url.origin,
      versionHeader: { "x-ultracart-api-version": apiVersion },
      headers: { "x-ultracart-api-version": apiVersion, accept: "application/json" },
      timeouts: Timeouts.make({ requestTimeout, bodyTimeout }, Timeouts.apiDefaults)
    }
  })

/**
 * The request on its way to UltraCart: a path resolved against the base URL, an absolute URL admitted only on the
 * base URL's origin; the version header and `Accept` set — in one copy. Runs before the credential is read or
 * attached; a refused URL answers with its {@link UrlRefused}.
 */
const admit =
  (resolved: Resolved) =>
  (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest | UrlRefused => {
    const refused = refusal(request.url, resolved.origin)
    if (refused !== undefined) return refused
    // A path appended to the base URL (which has a host, and no query) cannot leave its origin.
    const out = request.url.startsWith("/") ? HttpClientRequest.prependUrl(request, resolved.baseUrl) : request
    return HttpClientRequest.setHeaders(
      out,
      out.headers["accept"] === undefined ? resolved.headers : resolved.versionHeader
    )
  }

/** Why a request URL may not carry the credential, if it may not: not a path, and not on the allowed origin. */
const refusal = (input: string, allowedOrigin: string): UrlRefused | undefined => {
  if (input.startsWith("/")) return undefined
  if (!URL.canParse(input)) return new UrlRefused({ reason: "NotAbsolute", allowedOrigin })
  const url = new URL(input)
  if (url.origin === allowedOrigin) return undefined
  return new UrlRefused({
    reason: isInsecure(url) ? "InsecureHttp" : "ForeignOrigin",
    origin: url.origin === "null" ? url.protocol : url.origin,
    allowedOrigin
  })
}

/**
 * An `HttpClient` transform that authenticates every request with the credential `credential` yields (a fixed
 * credential costs nothing per request; an effect runs once per request, so a refreshed token is picked up).
 *
 * Each request is first admitted (see {@link UltraCartHttpClient}: a URL off the base URL's origin fails with
 * {@link UrlRefused}, and neither the credential is read nor anything sent); each is sent under the deadlines
 * (`Timeouts.transformClient`), with a Fetch transport told not to follow redirects (a 3xx is the answer: `fetch`
 * would re-send the key headers to wherever it points); the responses and errors handed back carry the request
 * with its credential redacted. Options left out take the defaults (configuration is not read here: see {@link optionsConfig}).
 * Returns a `ConfigError` for unacceptable options.
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
  ) => HttpClient.HttpClient.With<E0 | HttpClientError.HttpClientError | CredentialUnavailable | UrlRefused, R0 | R>,
  ConfigError.ConfigError
> =>
  Either.map(resolve(options), (resolved) => {
    const prepare = admit(resolved)
    return <E0, R0>(client: HttpClient.HttpClient.With<E0, R0>) => {
      // No redirect is followed (a Fetch transport would re-send the key headers to wherever a 3xx points): one of
      // this package's transports, given directly, is used through its twin that follows none; under `Retry` or
      // `Timeouts` of this package, it follows none for the requests marked below; any other client is told so
      // through Fetch's `RequestInit` (a context change per call).
      const refusing = Lean.refusingRedirectsOf(client)
      const mark = refusing === undefined && Lean.sendsThroughLean(client)
      // The deadlines directly over the transport, so that one of this package's keeps them with its own timers.
      const transport: HttpClient.HttpClient.With<E0 | HttpClientError.HttpClientError, R0> = refusing ?? client
      const beneath = Timeouts.transformClient(resolved.timeouts)(transport)
      const timed = refusing !== undefined || mark ? beneath : OAuthTransport.withoutFetchRedirects(beneath)
      const finish = mark ? Lean.refuseRedirects : identity
      const authenticated: HttpClient.HttpClient.With<
        E0 | HttpClientError.HttpClientError | CredentialUnavailable | UrlRefused,
        R0 | R
      > = Effect.isEffect(credential)
        ? HttpClient.mapRequestEffect(
            timed,
            (request): Effect.Effect<HttpClientRequest.HttpClientRequest, UrlRefused | CredentialUnavailable, R> => {
              const admitted = prepare(request)
              return admitted instanceof UrlRefused
                ? Effect.fail(admitted)
                : Effect.mapBoth(credential, {
                    onFailure: (cause) => new CredentialUnavailable({ cause: redactError(cause) }),
                    onSuccess: (c) => finish(Credentials.apply(admitted, c))
                  })
            }
          )
        : HttpClient.mapRequestEffect(timed, (request) => {
            const admitted = prepare(request)
            return admitted instanceof UrlRefused
              ? Effect.fail(admitted)
              : Effect.succeed(finish(Credentials.apply(admitted, credential)))
          })
      // Outermost, so that the span the client opens for each request sees the redacted names.
      return redactClient(authenticated)
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
 * Options from configuration: `ULTRACART_BASE_URL` and `ULTRACART_API_VERSION` (the variables core's
 * `OAuthClient.config` reads, read the same way), and the API calls' deadlines `ULTRACART_API_REQUEST_TIMEOUT`
 * and `ULTRACART_API_BODY_TIMEOUT` (a duration, or `off`; see `Timeouts.deadlineConfig`). Each is optional.
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<AuthOptions> = Config.all({
  baseUrl: Config.option(Config.nonEmptyString("ULTRACART_BASE_URL")),
  apiVersion: Config.option(Config.nonEmptyString("ULTRACART_API_VERSION")),
  requestTimeout: Config.option(Timeouts.deadlineConfig("ULTRACART_API_REQUEST_TIMEOUT")),
  bodyTimeout: Config.option(Timeouts.deadlineConfig("ULTRACART_API_BODY_TIMEOUT"))
}).pipe(
  Config.map(
    (o): AuthOptions => ({
      baseUrl: Option.getOrUndefined(o.baseUrl),
      apiVersion: Option.getOrUndefined(o.apiVersion),
      requestTimeout: Option.getOrUndefined(o.requestTimeout),
      bodyTimeout: Option.getOrUndefined(o.bodyTimeout)
    })
  )
)

/**
 * `options`, with every member they leave out read from {@link optionsConfig} — so that a program configured with
 * `ULTRACART_BASE_URL` sends its API calls where its OAuth calls go, unless the code says otherwise.
 *
 * @since 0.2.0
 * @category config
 */
export const withConfig = (options: AuthOptions = {}): Effect.Effect<AuthOptions, ConfigError.ConfigError> =>
  Effect.map(optionsConfig, (configured) => ({
    baseUrl: options.baseUrl ?? configured.baseUrl,
    apiVersion: options.apiVersion ?? configured.apiVersion,
    requestTimeout: options.requestTimeout ?? configured.requestTimeout,
    bodyTimeout: options.bodyTimeout ?? configured.bodyTimeout
  }))

/**
 * The API client from an effect that yields its credential and one that yields its options.
 */
const layerWith = <E, R, E1>(
  credential: Effect.Effect<Credentials.Credentials | Effect.Effect<Credentials.Credentials, unknown>, E, R>,
  options: Effect.Effect<AuthOptions, E1>
): Layer.Layer<UltraCartHttpClient, E | E1 | ConfigError.ConfigError, HttpClient.HttpClient | R> =>
  Layer.provideMerge(
    Layer.effect(
      UltraCartHttpClient,
      Effect.gen(function* () {
        const source = yield* credential
        const transform = yield* transformClient(source, yield* options)
        return transform(yield* HttpClient.HttpClient)
      })
    ),
    // Built first and in sequence (not merged concurrently), so that the names are restored when the scope closes.
    layerRedactSecretHeaders
  )

/**
 * The API client with a simple API key (`x-ultracart-simple-key`), by default from `ULTRACART_SIMPLE_KEY`.
 * Options left out are read from configuration ({@link withConfig}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSimpleKey = (
  key: Secret = Config.redacted("ULTRACART_SIMPLE_KEY"),
  options: AuthOptions = {}
): Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  layerWith(Effect.map(readSecret(key, "UltraCart simple key"), Credentials.simpleKey), withConfig(options))

/**
 * The API client with a browser API key (`x-ultracart-browser-key`), by default from `ULTRACART_BROWSER_KEY`.
 * Options left out are read from configuration ({@link withConfig}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerBrowserKey = (
  key: Secret = Config.redacted("ULTRACART_BROWSER_KEY"),
  options: AuthOptions = {}
): Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  layerWith(Effect.map(readSecret(key, "UltraCart browser key"), Credentials.browserKey), withConfig(options))

/**
 * The API client with a fixed OAuth access token (`Authorization: Bearer …`), by default from
 * `ULTRACART_ACCESS_TOKEN`. For tokens that expire, use {@link layerBearerFrom} with a token manager. Options left
 * out are read from configuration ({@link withConfig}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerBearer = (
  token: Secret = Config.redacted("ULTRACART_ACCESS_TOKEN"),
  options: AuthOptions = {}
): Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  layerWith(Effect.map(readSecret(token, "UltraCart access token"), Credentials.bearer), withConfig(options))

/**
 * The API client with a bearer token read from `token` before every request — the current access token of a
 * token manager. Its failure fails the call with {@link CredentialUnavailable} (no request is sent). The
 * services `token` needs are taken from the Layer's context. Options left out are read from configuration
 * ({@link withConfig}).
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
    withConfig(options)
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
 * The API client from configuration: {@link credentialsConfig} and {@link optionsConfig}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<UltraCartHttpClient, ConfigError.ConfigError, HttpClient.HttpClient> = layerWith(
  credentialsConfig,
  optionsConfig
)
