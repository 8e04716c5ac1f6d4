/**
 * The UltraCart OAuth client: every OAuth endpoint as a typed Effect, over whatever `HttpClient` the program
 * provides (Fetch, Node, undici, a test double).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AuthorizationUrl from "./AuthorizationUrl.js"
import * as Callback from "./Callback.js"
import * as ConfigWrap from "./ConfigWrap.js"
import * as Credentials from "./Credentials.js"
import * as DeviceAuthorization from "./DeviceAuthorization.js"
import { type Call, makeCall, requestDuration } from "./internal/call.js"
import { checkRedirectUri, makeBuilder, missing, unfitForHeader } from "./internal/request.js"
import { type BodyDecoder, nullableStructDecoder } from "./internal/response.js"
import { validateBaseUrl } from "./internal/url.js"
import * as MerchantIdentity from "./MerchantIdentity.js"
import {
  OauthDeviceAuthorizationResponse,
  OauthRevokeSuccessResponse,
  OauthTokenResponse,
  Seconds,
  Secret,
  TokenType
} from "./Models.js"
import { InvalidInput, type OAuthClientError } from "./OAuthError.js"
import type * as OAuthTransport from "./OAuthTransport.js"
import * as Revocation from "./Revocation.js"
import * as TokenResponse from "./TokenResponse.js"

/**
 * UltraCart's REST v2 base URL.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://secure.ultracart.com/rest/v2"

/**
 * The `X-UltraCart-Api-Version` sent on every call unless overridden.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_API_VERSION = "2017-03-01"

/**
 * The device grant's `grant_type` (RFC 8628 §3.4), UltraCart's choice on its sibling endpoint.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"

/**
 * How long a call waits for the response head unless `requestTimeout` says otherwise: 30 seconds.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_REQUEST_TIMEOUT: Duration.Duration = Duration.seconds(30)

/**
 * How long a call waits for the rest of the body unless `bodyTimeout` says otherwise: 30 seconds.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_BODY_TIMEOUT: Duration.Duration = Duration.seconds(30)

/**
 * The longest answer body a call reads unless `maxBodyBytes` says otherwise: 1 MiB (UltraCart's OAuth answers are
 * a few hundred bytes).
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * The client's metrics. None carries a secret.
 *
 * @example
 * ```ts
 * import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
 * import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 * import * as Metric from "effect/Metric"
 *
 * const tokenCalls = Metric.tagged(OAuthClient.metrics.requestDuration, "endpoint", "/oauth/token")
 *
 * const program = Effect.gen(function* () {
 *   const before = yield* Metric.value(tokenCalls)
 *   const fake = yield* FakeUltraCart.FakeUltraCart
 *   const issued = yield* fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
 *   yield* Effect.flatMap(OAuthClient.OAuthClient, (oauth) => oauth.refresh({ refreshToken: issued.refreshToken }))
 *   const after = yield* Metric.value(tokenCalls)
 *   return after.count - before.count
 * })
 *
 * const TestLive = FakeUltraCart.clientLayer().pipe(Layer.provideMerge(FakeUltraCart.layer()))
 * assert.strictEqual(await Effect.runPromise(Effect.provide(program, TestLive)), 1)
 * ```
 *
 * @since 0.2.0
 * @category metrics
 */
export const metrics: {
  /**
   * How long calls take, from sending the request to the answer read whole (or the send failing), in seconds:
   * `ultracart_oauth_request_duration_seconds`, tagged `endpoint` with the endpoint's path (`/oauth/token`…).
   */
  readonly requestDuration: Metric.Metric.Histogram<number>
} = { requestDuration }

/**
 * How to reach UltraCart and who is calling.
 *
 * @since 0.1.0
 * @category models
 */
export interface OAuthClientOptions {
  /** The application's client id (not secret). */
  readonly clientId: string
  /** Defaults to {@link DEFAULT_BASE_URL}. Must be https, except on loopback or with `allowInsecureHttp`. */
  readonly baseUrl?: string | undefined
  /** Defaults to {@link DEFAULT_API_VERSION}. */
  readonly apiVersion?: string | undefined
  /** Defaults to {@link DEVICE_CODE_GRANT_TYPE}. */
  readonly deviceGrantType?: string | undefined
  /** A simple or browser key sent to the token, revoke and device endpoints (optional there). */
  readonly credentials?: Credentials.ApiKey | undefined
  /**
   * The deadline for the server's response head: a `TransportError` with reason `Timeout` after it. Defaults to
   * {@link DEFAULT_REQUEST_TIMEOUT} (30 s); `Duration.infinity` turns it off.
   */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /**
   * A separate deadline for reading the body: a `TransportError` with reason `BodyTimeout` after it. Defaults to
   * {@link DEFAULT_BODY_TIMEOUT} (30 s); `Duration.infinity` turns it off.
   */
  readonly bodyTimeout?: Duration.DurationInput | undefined
  /**
   * The longest answer body read, in bytes: past it the read stops, the connection is dropped, and the call fails
   * with a `TransportError` of reason `BodyTooLarge`. Defaults to {@link DEFAULT_MAX_BODY_BYTES} (1 MiB).
   */
  readonly maxBodyBytes?: number | undefined
  /** Allow plain http to a non-loopback host. Off by default (RFC 6819 §5.1.1). */
  readonly allowInsecureHttp?: boolean | undefined
  /**
   * Applied to the `HttpClient` once, when the client is made (add retries, logging, a proxy…). Trace-context
   * headers are off for UltraCart; `HttpClient.withTracerPropagation(true)` here turns them back on.
   */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The general token request, mirroring UltraCart's `oauth_access_token(client_id, grant_type, opts)`.
 * Prefer the grant-specific methods, which check their inputs.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenRequest {
  readonly grantType: string
  /** Defaults to the configured client id. */
  readonly clientId?: string | undefined
  readonly code?: Redacted.Redacted<string> | undefined
  readonly redirectUri?: string | undefined
  readonly refreshToken?: Redacted.Redacted<string> | undefined
  readonly deviceCode?: Redacted.Redacted<string> | undefined
  /** PKCE verifier, for servers that support it (UltraCart does not document it). */
  readonly codeVerifier?: Redacted.Redacted<string> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace OAuthClient {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly clientId: string
    readonly baseUrl: string
    /** Builds the authorize URL with a fresh `state` (or the one given). No request is made. */
    readonly authorizationUrl: (
      input: AuthorizationUrl.AuthorizationUrlInput
    ) => Effect.Effect<AuthorizationUrl.AuthorizationUrl, InvalidInput>
    /** Reads the redirect back from UltraCart, checking `state`; yields the code. No request is made. */
    readonly parseCallback: (
      callback: string | URL | URLSearchParams,
      expectedState: Redacted.Redacted<string>
    ) => Effect.Effect<Redacted.Redacted<string>, Callback.CallbackError>
    /** `grant_type=authorization_code`. The code is single-use: never retry this blindly. */
    readonly exchangeCode: (input: {
      readonly code: Redacted.Redacted<string>
      readonly redirectUri: string
      readonly codeVerifier?: Redacted.Redacted<string> | undefined
    }) => Effect.Effect<TokenResponse.TokenResponse, OAuthClientError>
    /** `grant_type=refresh_token`. A rotated refresh token comes back in the response. */
    readonly refresh: (input: {
      readonly refreshToken: Redacted.Redacted<string>
    }) => Effect.Effect<TokenResponse.TokenResponse, OAuthClientError>
    /** The device grant: one poll. `AuthorizationPending` / `SlowDown` are its ordinary answers. */
    readonly exchangeDeviceCode: (input: {
      readonly deviceCode: Redacted.Redacted<string>
    }) => Effect.Effect<TokenResponse.TokenResponse, OAuthClientError>
    /** The general form of `POST /oauth/token`. */
    readonly token: (request: TokenRequest) => Effect.Effect<TokenResponse.TokenResponse, OAuthClientError>
    /** `POST /oauth/revoke`. A 200 is the answer, also for a token that was already invalid (RFC 7009). */
    readonly revoke: (input: {
      readonly token: Redacted.Redacted<string>
    }) => Effect.Effect<Revocation.Revocation, OAuthClientError>
    /** `POST /oauth/device/authorize` with an application-level scope such as `crm` or `ultraship`. */
    readonly authorizeDevice: (input: {
      readonly scope: string
    }) => Effect.Effect<DeviceAuthorization.DeviceAuthorization, OAuthClientError>
    /** `GET /oauth/me` with a bearer token. */
    readonly me: (input: {
      readonly accessToken: Redacted.Redacted<string>
    }) => Effect.Effect<MerchantIdentity.MerchantIdentity, OAuthClientError>
  }
}

/**
 * The UltraCart OAuth client service.
 *
 * @example
 * ```ts
 * import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
 * import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const REDIRECT_URI = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0]!
 *
 * // The browser leg against the fake UltraCart: authorize URL, consent, callback, code exchange, `/oauth/me`.
 * const connect = Effect.gen(function* () {
 *   const oauth = yield* OAuthClient.OAuthClient
 *   const { state, url } = yield* oauth.authorizationUrl({ redirectUri: REDIRECT_URI })
 *   const fake = yield* FakeUltraCart.FakeUltraCart
 *   const callback = yield* fake.approve(url, { merchantId: "SHOP1" }) // the merchant clicks "Approve"
 *   const code = yield* oauth.parseCallback(callback, state)
 *   const tokens = yield* oauth.exchangeCode({ code, redirectUri: REDIRECT_URI })
 *   return yield* oauth.me({ accessToken: tokens.accessToken })
 * })
 *
 * const TestLive = FakeUltraCart.clientLayer().pipe(Layer.provideMerge(FakeUltraCart.layer()))
 * const me = await Effect.runPromise(Effect.provide(connect, TestLive))
 * assert.deepStrictEqual(me.merchantId._tag === "Some" && me.merchantId.value, "SHOP1")
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class OAuthClient extends Context.Tag("@ultracart-oauth/core/OAuthClient")<OAuthClient, OAuthClient.Service>() {}

const tokenDecoder: BodyDecoder<TokenResponse.TokenResponse> = nullableStructDecoder(
  OauthTokenResponse,
  TokenResponse.fromWire,
  () => ({
    access_token: Secret,
    refresh_token: Secret,
    expires_in: Seconds,
    scope: Schema.String,
    token_type: TokenType,
    error: Schema.String,
    error_description: Schema.String,
    error_uri: Schema.String
  })
)
const revokeDecoder: BodyDecoder<Revocation.Revocation> = nullableStructDecoder(OauthRevokeSuccessResponse, (wire) =>
  Either.right(Revocation.fromWire(wire))
)
const deviceDecoder: BodyDecoder<DeviceAuthorization.DeviceAuthorization> = nullableStructDecoder(
  OauthDeviceAuthorizationResponse,
  DeviceAuthorization.fromWire
)
const meDecoder: BodyDecoder<MerchantIdentity.MerchantIdentity> = MerchantIdentity.fromJson

/** A deadline from an option: the default when absent, none when infinite; `InvalidInput` for no duration. */
const deadlineOf = (
  field: "requestTimeout" | "bodyTimeout",
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration
): Either.Either<Option.Option<Duration.Duration>, InvalidInput> => {
  const deadline = input === undefined ? Option.some(fallback) : Duration.decodeUnknown(input)
  if (Option.isNone(deadline)) return Either.left(new InvalidInput({ field, reason: "is not a duration" }))
  return Either.right(Duration.isFinite(deadline.value) ? deadline : Option.none())
}

/** The options, checked and with their defaults. */
interface Settings {
  readonly clientId: string
  readonly baseUrl: string
  readonly apiVersion: string
  readonly deviceGrantType: string
  readonly credentials: Credentials.ApiKey | undefined
  readonly exchange: OAuthTransport.Exchange
}

/** Checks the options and fills in their defaults. */
const settingsOf = (options: OAuthClientOptions): Either.Either<Settings, InvalidInput> => {
  const clientId = options.clientId.trim()
  if (clientId === "") return Either.left(new InvalidInput({ field: "clientId", reason: "is empty" }))
  const baseUrl = validateBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, options.allowInsecureHttp === true)
  if (Either.isLeft(baseUrl)) return Either.left(baseUrl.left)
  const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION
  if (apiVersion.trim() === "") return Either.left(new InvalidInput({ field: "apiVersion", reason: "is empty" }))
  const credentials = options.credentials
  const unfit =
    unfitForHeader("apiVersion", apiVersion) ??
    (credentials === undefined ? undefined : unfitForHeader("credentials", Redacted.value(credentials.key)))
  if (unfit !== undefined) return Either.left(unfit)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    return Either.left(new InvalidInput({ field: "maxBodyBytes", reason: "is not a whole number of bytes" }))
  }
  const requestTimeout = deadlineOf("requestTimeout", options.requestTimeout, DEFAULT_REQUEST_TIMEOUT)
  if (Either.isLeft(requestTimeout)) return Either.left(requestTimeout.left)
  const bodyTimeout = deadlineOf("bodyTimeout", options.bodyTimeout, DEFAULT_BODY_TIMEOUT)
  if (Either.isLeft(bodyTimeout)) return Either.left(bodyTimeout.left)
  return Either.right({
    clientId,
    baseUrl: baseUrl.right,
    apiVersion,
    deviceGrantType: options.deviceGrantType ?? DEVICE_CODE_GRANT_TYPE,
    credentials,
    exchange: { requestTimeout: requestTimeout.right, bodyTimeout: bodyTimeout.right, maxBodyBytes }
  })
}

/** Checks inputs when the effect runs (not when it is built), like every other step of a call. */
const checked = <A>(
  invalid: () => InvalidInput | undefined,
  call: () => Effect.Effect<A, OAuthClientError>
): Effect.Effect<A, OAuthClientError> =>
  Effect.suspend(() => {
    const error = invalid()
    return error === undefined ? call() : Effect.fail(error)
  })

/** The service over checked settings and the calls of one client. */
const makeService = (settings: Settings, call: Call): OAuthClient.Service => {
  const { baseUrl, clientId } = settings
  const build = makeBuilder(settings)
  const token = (request: TokenRequest): Effect.Effect<TokenResponse.TokenResponse, OAuthClientError> => {
    const clientIdField = request.clientId ?? clientId
    const invalid = missing("grantType", request.grantType) ?? missing("clientId", clientIdField)
    if (invalid !== undefined) return Effect.fail(invalid)
    const built = build.post("token", {
      client_id: clientIdField,
      grant_type: request.grantType,
      code: request.code,
      redirect_uri: request.redirectUri,
      refresh_token: request.refreshToken,
      device_code: request.deviceCode,
      code_verifier: request.codeVerifier
    })
    return call(built, tokenDecoder, { "oauth.grant_type": request.grantType })
  }
  return {
    clientId,
    baseUrl,
    authorizationUrl: (input) => AuthorizationUrl.make({ ...input, baseUrl, clientId }),
    parseCallback: Callback.parse,
    exchangeCode: (input) =>
      checked(
        () => missing("code", input.code) ?? checkRedirectUri(input.redirectUri),
        () =>
          token({
            grantType: "authorization_code",
            code: input.code,
            redirectUri: input.redirectUri,
            codeVerifier: input.codeVerifier
          })
      ),
    refresh: (input) =>
      checked(
        () => missing("refreshToken", input.refreshToken),
        () => token({ grantType: "refresh_token", refreshToken: input.refreshToken })
      ),
    exchangeDeviceCode: (input) =>
      checked(
        () => missing("deviceCode", input.deviceCode),
        () => token({ grantType: settings.deviceGrantType, deviceCode: input.deviceCode })
      ),
    token: (request) => Effect.suspend(() => token(request)),
    revoke: (input) =>
      checked(
        () => missing("token", input.token),
        () => call(build.post("revoke", { client_id: clientId, token: input.token }), revokeDecoder)
      ),
    authorizeDevice: (input) =>
      checked(
        () => missing("scope", input.scope),
        () =>
          call(build.post("device_authorize", { client_id: clientId, scope: input.scope }), deviceDecoder, {
            "oauth.scope": input.scope
          })
      ),
    me: (input) =>
      checked(
        () =>
          missing("accessToken", input.accessToken) ?? unfitForHeader("accessToken", Redacted.value(input.accessToken)),
        () => call(build.me(input.accessToken), meDecoder)
      )
  }
}

/**
 * Makes the client from options. Fails with `InvalidInput` for an empty client id or API version, an unacceptable
 * base URL, or a value no header can carry.
 *
 * @example
 * ```ts
 * import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
 * import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
 * import * as Effect from "effect/Effect"
 *
 * const refused = await Effect.runPromise(
 *   OAuthClient.make({ clientId: "my-app", baseUrl: "http://ultracart.example" }).pipe(
 *     Effect.flip,
 *     Effect.provide(FakeUltraCart.layer())
 *   )
 * )
 * // Plain http is refused except on loopback (or with `allowInsecureHttp`).
 * assert.strictEqual(refused._tag, "InvalidInput")
 * assert.strictEqual(refused.field, "baseUrl")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: OAuthClientOptions
): Effect.Effect<OAuthClient.Service, InvalidInput, HttpClient.HttpClient> =>
  Effect.flatMap(settingsOf(options), (settings) =>
    Effect.map(HttpClient.HttpClient, (base) => {
      const client = options.transformClient ? options.transformClient(base) : base
      const call = makeCall(client, settings.exchange, { "ultracart.client_id": settings.clientId })
      return makeService(settings, call)
    })
  )

/**
 * The client as a Layer, from options. It needs an `HttpClient`: `NodeTransport.layer()` or `FetchTransport.layer()`
 * of `@ultracart-oauth/adapters` in a program, the fake UltraCart in tests.
 *
 * @example
 * ```ts
 * import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
 * import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
 * import * as Duration from "effect/Duration"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 * import * as Option from "effect/Option"
 * import * as Redacted from "effect/Redacted"
 *
 * const OAuthLive = OAuthClient.layer({
 *   clientId: FakeUltraCart.DEFAULT_CLIENT.clientId,
 *   baseUrl: FakeUltraCart.DEFAULT_BASE_URL,
 *   requestTimeout: Duration.seconds(10), // the defaults are 30 s; Duration.infinity turns one off
 *   bodyTimeout: Duration.seconds(10)
 * })
 *
 * const rotated = Effect.gen(function* () {
 *   const fake = yield* FakeUltraCart.FakeUltraCart
 *   const issued = yield* fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
 *   const oauth = yield* OAuthClient.OAuthClient
 *   const next = yield* oauth.refresh({ refreshToken: issued.refreshToken })
 *   // RFC 6749 §6: a new refresh token replaces the old one; none means "keep the one you have".
 *   const refreshToken = Option.getOrElse(next.refreshToken, () => issued.refreshToken)
 *   return Redacted.value(refreshToken) !== Redacted.value(issued.refreshToken)
 * })
 *
 * assert.ok(await Effect.runPromise(Effect.provide(rotated, OAuthLive.pipe(Layer.provideMerge(FakeUltraCart.layer())))))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: OAuthClientOptions): Layer.Layer<OAuthClient, InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(OAuthClient, make(options))

// Built when read, and marked pure so that a bundler drops it (and Effect's `Config` with it) from a program that
// never reads configuration.
/**
 * Options read from configuration: `ULTRACART_CLIENT_ID` (required), `ULTRACART_BASE_URL`,
 * `ULTRACART_API_VERSION`, `ULTRACART_DEVICE_GRANT_TYPE`, and one of `ULTRACART_SIMPLE_KEY` /
 * `ULTRACART_BROWSER_KEY` (secrets, read with `Config.redacted`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<OAuthClientOptions> = /* @__PURE__ */ Config.suspend(() =>
  Config.all({
    clientId: Config.nonEmptyString("ULTRACART_CLIENT_ID"),
    baseUrl: Config.option(Config.nonEmptyString("ULTRACART_BASE_URL")),
    apiVersion: Config.option(Config.nonEmptyString("ULTRACART_API_VERSION")),
    deviceGrantType: Config.option(Config.nonEmptyString("ULTRACART_DEVICE_GRANT_TYPE")),
    simpleKey: Config.option(Config.redacted("ULTRACART_SIMPLE_KEY")),
    browserKey: Config.option(Config.redacted("ULTRACART_BROWSER_KEY"))
  }).pipe(
    Config.map(({ browserKey, simpleKey, ...rest }): OAuthClientOptions => {
      const credentials = Option.orElse(Option.map(simpleKey, Credentials.simpleKey), () =>
        Option.map(browserKey, Credentials.browserKey)
      )
      return {
        clientId: rest.clientId,
        baseUrl: Option.getOrUndefined(rest.baseUrl),
        apiVersion: Option.getOrUndefined(rest.apiVersion),
        deviceGrantType: Option.getOrUndefined(rest.deviceGrantType),
        credentials: Option.getOrUndefined(credentials)
      }
    })
  )
)

/**
 * The client as a Layer, from configuration: {@link config} (`ULTRACART_*`) unless another is given — one
 * `Config` per option (`layerConfig({ clientId: Config.string("MY_CLIENT_ID") })`, a `Config.Wrap` as in
 * first-party Effect packages) or one `Config` of the whole options.
 *
 * @example
 * ```ts
 * import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
 * import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
 * import * as ConfigProvider from "effect/ConfigProvider"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * // What the environment would say (ULTRACART_SIMPLE_KEY is read with Config.redacted).
 * const environment = ConfigProvider.fromMap(
 *   new Map([
 *     ["ULTRACART_CLIENT_ID", FakeUltraCart.DEFAULT_CLIENT.clientId],
 *     ["ULTRACART_BASE_URL", FakeUltraCart.DEFAULT_BASE_URL]
 *   ])
 * )
 * const OAuthLive = OAuthClient.layerConfig().pipe(Layer.provideMerge(FakeUltraCart.layer()))
 *
 * const clientId = await Effect.runPromise(
 *   Effect.map(OAuthClient.OAuthClient, (oauth) => oauth.clientId).pipe(
 *     Effect.provide(OAuthLive),
 *     Effect.withConfigProvider(environment)
 *   )
 * )
 * assert.strictEqual(clientId, FakeUltraCart.DEFAULT_CLIENT.clientId)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<OAuthClientOptions> = config
): Layer.Layer<OAuthClient, InvalidInput | ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(OAuthClient, Effect.flatMap(ConfigWrap.unwrap(options), make))
