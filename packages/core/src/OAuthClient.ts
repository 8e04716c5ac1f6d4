/**
 * The UltraCart OAuth client: every OAuth endpoint as a typed Effect, over whatever `HttpClient` the program
 * provides (Fetch, Node, undici, a test double).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AuthorizationUrl from "./AuthorizationUrl.js"
import * as Callback from "./Callback.js"
import * as ConfigWrap from "./ConfigWrap.js"
import * as Credentials from "./Credentials.js"
import * as DeviceAuthorization from "./DeviceAuthorization.js"
import { withRedactedHeaderNames } from "./internal/redact.js"
import { type BodyDecoder, nullableStructDecoder, read } from "./internal/response.js"
import { isTracing } from "./internal/tracing.js"
import {
  type BufferedExecute,
  deadlinePhase,
  type Execute,
  forUltraCart,
  fromHttpClientError
} from "./internal/transport.js"
import { validateBaseUrl, validateRedirectUri } from "./internal/url.js"
import * as MerchantIdentity from "./MerchantIdentity.js"
import { OauthDeviceAuthorizationResponse, OauthRevokeSuccessResponse, OauthTokenResponse } from "./Models.js"
import { type Endpoint, InvalidInput, type OAuthClientError, TransportError } from "./OAuthError.js"
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
  /** A deadline for the server's response head; a `TransportError` with reason `Timeout` after it. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** A separate deadline for reading the body; a `TransportError` with reason `BodyTimeout` after it. */
  readonly bodyTimeout?: Duration.DurationInput | undefined
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
 * @since 0.1.0
 * @category tags
 */
export class OAuthClient extends Context.Tag("@ultracart-oauth/core/OAuthClient")<OAuthClient, OAuthClient.Service>() {}

const tokenDecoder: BodyDecoder<TokenResponse.TokenResponse> = nullableStructDecoder(
  OauthTokenResponse,
  TokenResponse.fromWire
)
const revokeDecoder: BodyDecoder<Revocation.Revocation> = nullableStructDecoder(OauthRevokeSuccessResponse, (wire) =>
  Either.right(Revocation.fromWire(wire))
)
const deviceDecoder: BodyDecoder<DeviceAuthorization.DeviceAuthorization> = nullableStructDecoder(
  OauthDeviceAuthorizationResponse,
  DeviceAuthorization.fromWire
)
const meDecoder: BodyDecoder<MerchantIdentity.MerchantIdentity> = MerchantIdentity.fromJson

/**
 * Header values kept out of the HTTP client's spans: the secret headers, and `UC-REST-ERROR`, UltraCart's error
 * text, which may echo a secret (the error carries a scrubbed copy).
 */
const withRedactedHeaders = withRedactedHeaderNames([...Credentials.SECRET_HEADERS, "uc-rest-error"])

/** Sends the request of one call and reads its answer into the call's result or error. */
type Send = <A>(
  endpoint: Endpoint,
  request: HttpClientRequest.HttpClientRequest,
  decoder: BodyDecoder<A>,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
) => Effect.Effect<A, OAuthClientError>

/** The clock a program has until it provides another (a `TestClock`, say): it sleeps with real timers. */
const liveClock = Effect.runSync(Effect.clock)

/** The longest a timer can wait (setTimeout's limit). */
const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** A deadline as a timer's milliseconds: `undefined` for none, `null` for one no timer can keep. */
const timerMillis = (deadline: Option.Option<Duration.Duration>): number | undefined | null => {
  if (deadline._tag === "None") return undefined
  const millis = Duration.toMillis(deadline.value)
  return Number.isFinite(millis) && millis <= MAX_TIMER_MILLIS ? Math.max(0, Math.ceil(millis)) : null
}

const paths: Record<Endpoint, string> = {
  token: "/oauth/token",
  revoke: "/oauth/revoke",
  device_authorize: "/oauth/device/authorize",
  me: "/oauth/me"
}

type FormValue = string | Redacted.Redacted<string> | undefined

/** A form body, and the secrets it carries (to scrub from whatever the server says back). */
interface Form {
  readonly body: string
  readonly secrets: Array<Redacted.Redacted<string>>
}

/** Text the form serializer (WHATWG URL §5.2) leaves as it is. */
const formPlain = /^[\w*.-]*$/
/** What `encodeURIComponent` writes differently from the form serializer. */
const formDifferences = /%20|[!'()~]/g
const formForms: Record<string, string> = { "%20": "+", "!": "%21", "'": "%27", "(": "%28", ")": "%29", "~": "%7E" }

/**
 * One value as `URLSearchParams` serializes it, without building one per call: `encodeURIComponent`, then the
 * characters the form serializer treats otherwise. A lone surrogate (which `encodeURIComponent` refuses) goes
 * through `URLSearchParams`, which writes it as U+FFFD.
 */
const formEncode = (text: string): string => {
  if (formPlain.test(text)) return text
  let encoded: string
  try {
    encoded = encodeURIComponent(text)
  } catch {
    return new URLSearchParams([["", text]]).toString().slice(1)
  }
  formDifferences.lastIndex = 0
  return formDifferences.test(encoded) ? encoded.replace(formDifferences, (match) => formForms[match]!) : encoded
}

/** A form body: absent and empty values are omitted (RFC 6749 App. B); secrets are unwrapped only here. */
const formOf = (
  fields: Record<string, FormValue>,
  credentialSecrets: ReadonlyArray<Redacted.Redacted<string>>
): Form => {
  let body = ""
  const secrets = credentialSecrets.slice()
  for (const key in fields) {
    const value = fields[key]
    let text: string | undefined
    if (Redacted.isRedacted(value)) {
      secrets.push(value)
      text = Redacted.value(value)
    } else {
      text = value
    }
    if (text !== undefined && text !== "") body += `${body === "" ? "" : "&"}${key}=${formEncode(text)}`
  }
  return { body, secrets }
}

/** Why a required value cannot be sent, if it cannot. */
const missing = (field: string, value: FormValue): InvalidInput | undefined => {
  const text = Redacted.isRedacted(value) ? Redacted.value(value) : value
  return text === undefined || text.trim() === ""
    ? new InvalidInput({ field, reason: text === undefined ? "is missing" : "is empty" })
    : undefined
}

const fromEither = <A, E>(either: Either.Either<A, E>): Effect.Effect<A, E> =>
  Either.match(either, { onLeft: Effect.fail, onRight: Effect.succeed })

/**
 * `validateRedirectUri` with a memory of the URIs already accepted: a program sends one or a few, and parsing a
 * URL on every exchange is needless work. Bounded, so that a program sending many cannot grow it without end.
 */
const acceptedRedirectUris = new Set<string>()
const checkRedirectUri = (input: string): InvalidInput | undefined => {
  if (acceptedRedirectUris.has(input)) return undefined
  const checked = validateRedirectUri(input)
  if (checked._tag === "Left") return checked.left
  if (acceptedRedirectUris.size >= 64) acceptedRedirectUris.clear()
  acceptedRedirectUris.add(input)
  return undefined
}

/**
 * Makes the client from options. Fails with `InvalidInput` for an empty client id or an unacceptable base URL.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: OAuthClientOptions
): Effect.Effect<OAuthClient.Service, InvalidInput, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const clientId = options.clientId.trim()
    if (clientId === "") return yield* new InvalidInput({ field: "clientId", reason: "is empty" })
    const baseUrl = yield* fromEither(
      validateBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, options.allowInsecureHttp === true)
    )
    const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION
    if (apiVersion.trim() === "") return yield* new InvalidInput({ field: "apiVersion", reason: "is empty" })
    const deviceGrantType = options.deviceGrantType ?? DEVICE_CODE_GRANT_TYPE
    const credentials = options.credentials
    // Scrubbed from server texts along with each call's own secrets: a server may echo the key it was sent.
    const credentialSecrets = credentials === undefined ? [] : [credentials.key]
    const requestTimeout = Option.map(Option.fromNullable(options.requestTimeout), Duration.decode)
    const bodyTimeout = Option.map(Option.fromNullable(options.bodyTimeout), Duration.decode)
    const base = yield* HttpClient.HttpClient
    const clients = forUltraCart(options.transformClient ? options.transformClient(base) : base)
    // Every call reads its body whole: a lean transport can read head and body in one step and keep both deadlines
    // with timers, where a timer can wait that long.
    const headMillis = timerMillis(requestTimeout)
    const bodyMillis = timerMillis(bodyTimeout)
    const timed = headMillis !== undefined || bodyMillis !== undefined

    // Each endpoint's request without its body, built once (requests are immutable values).
    const headers = { accept: "application/json", "x-ultracart-api-version": apiVersion }
    const postTo = (endpoint: Endpoint) => HttpClientRequest.post(baseUrl + paths[endpoint], { headers })
    const requests: Record<Endpoint, HttpClientRequest.HttpClientRequest> = {
      token: postTo("token"),
      revoke: postTo("revoke"),
      device_authorize: postTo("device_authorize"),
      me: HttpClientRequest.get(baseUrl + paths.me, { headers })
    }

    const timeoutError = (endpoint: Endpoint, reason: "Timeout" | "BodyTimeout", after: Duration.Duration) =>
      new TransportError({
        endpoint,
        reason,
        outcome: "Unknown",
        detail: `no ${reason === "Timeout" ? "response" : "complete body"} within ${Duration.format(after)}`
      })

    const withDeadline = <A, E>(
      effect: Effect.Effect<A, E>,
      endpoint: Endpoint,
      reason: "Timeout" | "BodyTimeout",
      deadline: Option.Option<Duration.Duration>
    ): Effect.Effect<A, E | TransportError> =>
      deadline._tag === "None"
        ? effect
        : Effect.timeoutFail(effect, {
            duration: deadline.value,
            onTimeout: () => timeoutError(endpoint, reason, deadline.value)
          })

    /** Sends one request with `sendRequest` and reads its answer (redirects are never followed). */
    const send =
      (sendRequest: Execute): Send =>
      (endpoint, request, decoder, secrets) =>
        // One `matchEffect` rather than `mapError` + `flatMap`: fewer steps on every call.
        Effect.matchEffect(withDeadline(sendRequest(request), endpoint, "Timeout", requestTimeout), {
          onFailure: (error) =>
            Effect.fail(error._tag === "TransportError" ? error : fromHttpClientError(endpoint, error, secrets)),
          onSuccess: (response: HttpClientResponse.HttpClientResponse) =>
            withDeadline(read(endpoint, response, decoder, secrets), endpoint, "BodyTimeout", bodyTimeout)
        })

    /**
     * Sends one request through the transport's buffered `execute` (head and body in one step, deadlines kept by
     * the transport) and reads its answer.
     */
    const sendBuffered =
      (execute: BufferedExecute, head: number | undefined, body: number | undefined): Send =>
      (endpoint, request, decoder, secrets) =>
        Effect.matchEffect(execute(request, head, body), {
          onFailure: (error) => {
            const phase = deadlinePhase(error)
            if (phase === undefined) return Effect.fail(fromHttpClientError(endpoint, error, secrets))
            const [reason, after] =
              phase === "head" ? (["Timeout", requestTimeout] as const) : (["BodyTimeout", bodyTimeout] as const)
            return Effect.fail(
              timeoutError(
                endpoint,
                reason,
                Option.getOrElse(after, () => Duration.zero)
              )
            )
          },
          onSuccess: (response: HttpClientResponse.HttpClientResponse) => read(endpoint, response, decoder, secrets)
        })

    const sendTraced = send(clients.traced.execute)
    const sendTwoSteps = send(clients.untraced.execute)
    const sendOneStep =
      clients.buffered === undefined || headMillis === null || bodyMillis === null
        ? undefined
        : sendBuffered(clients.buffered, headMillis, bodyMillis)
    /**
     * A call without a tracer: through the transport's buffered `execute` where it has one, and, with deadlines,
     * where they are kept by the live clock (timers wait in real time; under a `TestClock` they go through
     * `Effect.timeout` like any other client's).
     */
    const sendUntraced: Send =
      sendOneStep === undefined
        ? sendTwoSteps
        : !timed
          ? sendOneStep
          : (endpoint, request, decoder, secrets) =>
              Effect.clockWith((clock) =>
                (clock === liveClock ? sendOneStep : sendTwoSteps)(endpoint, request, decoder, secrets)
              )

    /**
     * One call. Under an installed tracer it has its span, and the secret headers are redacted in the HTTP span;
     * without one, neither (no span is made that could show a header).
     */
    const execute = <A>(
      endpoint: Endpoint,
      request: HttpClientRequest.HttpClientRequest,
      decoder: BodyDecoder<A>,
      secrets: ReadonlyArray<Redacted.Redacted<string>>,
      attributes?: Record<string, string>
    ): Effect.Effect<A, OAuthClientError> =>
      Effect.withFiberRuntime((fiber) =>
        isTracing(fiber)
          ? sendTraced(endpoint, request, decoder, secrets).pipe(
              withRedactedHeaders,
              Effect.withSpan(`UltraCartOAuth ${paths[endpoint]}`, {
                kind: "client",
                attributes: { "ultracart.client_id": clientId, "ultracart.endpoint": paths[endpoint], ...attributes }
              })
            )
          : sendUntraced(endpoint, request, decoder, secrets)
      )

    const post = <A>(
      endpoint: Endpoint,
      fields: Record<string, FormValue>,
      decoder: BodyDecoder<A>,
      attributes?: Record<string, string>
    ): Effect.Effect<A, OAuthClientError> => {
      const form = formOf(fields, credentialSecrets)
      let request = HttpClientRequest.bodyText(requests[endpoint], form.body, "application/x-www-form-urlencoded")
      if (credentials !== undefined) request = Credentials.apply(request, credentials)
      return execute(endpoint, request, decoder, form.secrets, attributes)
    }

    const token = (request: TokenRequest): Effect.Effect<TokenResponse.TokenResponse, OAuthClientError> => {
      const clientIdField = request.clientId ?? clientId
      const invalid = missing("grantType", request.grantType) ?? missing("clientId", clientIdField)
      if (invalid !== undefined) return Effect.fail(invalid)
      return post(
        "token",
        {
          client_id: clientIdField,
          grant_type: request.grantType,
          code: request.code,
          redirect_uri: request.redirectUri,
          refresh_token: request.refreshToken,
          device_code: request.deviceCode,
          code_verifier: request.codeVerifier
        },
        tokenDecoder,
        { "oauth.grant_type": request.grantType }
      )
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

    const service: OAuthClient.Service = {
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
          () => token({ grantType: deviceGrantType, deviceCode: input.deviceCode })
        ),
      token: (request) => Effect.suspend(() => token(request)),
      revoke: (input) =>
        checked(
          () => missing("token", input.token),
          () => post("revoke", { client_id: clientId, token: input.token }, revokeDecoder)
        ),
      authorizeDevice: (input) =>
        checked(
          () => missing("scope", input.scope),
          () =>
            post("device_authorize", { client_id: clientId, scope: input.scope }, deviceDecoder, {
              "oauth.scope": input.scope
            })
        ),
      me: (input) =>
        checked(
          () =>
            Redacted.value(input.accessToken).trim() === ""
              ? new InvalidInput({ field: "accessToken", reason: "is empty" })
              : undefined,
          () =>
            execute("me", Credentials.apply(requests.me, Credentials.bearer(input.accessToken)), meDecoder, [
              input.accessToken
            ])
        )
    }
    return service
  })

/**
 * The client as a Layer, from options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: OAuthClientOptions): Layer.Layer<OAuthClient, InvalidInput, HttpClient.HttpClient> =>
  Layer.effect(OAuthClient, make(options))

/**
 * Options read from configuration: `ULTRACART_CLIENT_ID` (required), `ULTRACART_BASE_URL`,
 * `ULTRACART_API_VERSION`, `ULTRACART_DEVICE_GRANT_TYPE`, and one of `ULTRACART_SIMPLE_KEY` /
 * `ULTRACART_BROWSER_KEY` (secrets, read with `Config.redacted`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<OAuthClientOptions> = Config.all({
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

/**
 * The client as a Layer, from configuration: {@link config} (`ULTRACART_*`) unless another is given — one
 * `Config` per option (`layerConfig({ clientId: Config.string("MY_CLIENT_ID") })`, a `Config.Wrap` as in
 * first-party Effect packages) or one `Config` of the whole options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<OAuthClientOptions> = config
): Layer.Layer<OAuthClient, InvalidInput | ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(OAuthClient, Effect.flatMap(ConfigWrap.unwrap(options), make))
