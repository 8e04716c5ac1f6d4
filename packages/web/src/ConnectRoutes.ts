/**
 * The browser leg of a many-merchant app, as routes on `@effect/platform`'s `HttpRouter`: a merchant clicks
 * "Connect", goes to UltraCart's consent page and comes back connected; later a button disconnects it.
 *
 * - `GET {path}/start?return_to=/somewhere` — a fresh `state` (and a PKCE verifier when asked for) go into a
 *   short-lived flow cookie, signed with HMAC-SHA-256 (Web Crypto), `HttpOnly`, `SameSite=Lax`, `Secure` unless
 *   the app is on plain-http loopback; the browser is sent to UltraCart's authorize URL.
 * - `GET {path}/callback` — the flow cookie named by the callback's `state` is checked (signature, expiry, state
 *   in constant time, single use: it is cleared, and a replayed callback is refused before anything is sent to
 *   UltraCart), the code is exchanged and the merchant connected through `MerchantGrants.connect`, and the browser
 *   is sent to the return address with `connected=<merchant>`.
 * - `POST {path}/disconnect` — refused unless it comes from the app's own origin (`Origin`, `Sec-Fetch-Site`) and
 *   carries this browser's token (see {@link ConnectRoutes.Service.csrfToken}); then `MerchantGrants.disconnect`
 *   and a redirect with `disconnected=<merchant>`.
 *
 * Every refusal is a typed error (`ConnectError`) answered with a status and an HTML page. No code, `state`,
 * token or cookie value is put in a page, a redirect to the app, a log line or a span: the callback's query is
 * kept out of the server span and of `HttpMiddleware.logger`. A return address is followed only on the app's own
 * origin or an allow list: there is no open redirect.
 *
 * @since 0.2.0
 */
import * as Headers from "@effect/platform/Headers"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as MerchantGrantsModule from "@ultracart-oauth/adapters/MerchantGrants"
import { MerchantGrants } from "@ultracart-oauth/adapters/MerchantGrants"
import { OAuthClient } from "@ultracart-oauth/core/OAuthClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { ConnectRouteError } from "./ConnectError.js"
import * as Fields from "./internal/fields.js"
import { errorPage } from "./internal/page.js"
import * as ReturnAddress from "./internal/returnAddress.js"
import { makeRoutes } from "./internal/routes.js"
import type { Settings } from "./internal/settings.js"
import { MIN_SECRET_LENGTH, makeSigner } from "./internal/signer.js"

/**
 * The form field of the disconnect token.
 *
 * @since 0.2.0
 * @category constants
 */
export const CSRF_FIELD: string = Fields.CSRF_FIELD

/**
 * The form field naming the merchant (its key in the registry) to disconnect.
 *
 * @since 0.2.0
 * @category constants
 */
export const MERCHANT_FIELD: string = Fields.MERCHANT_FIELD

/**
 * The query parameter of the start route, and the form field of the disconnect route, holding the address to go
 * back to (a path on the app, or an address on an allowed origin).
 *
 * @since 0.2.0
 * @category constants
 */
export const RETURN_TO_FIELD: string = Fields.RETURN_TO_FIELD

/**
 * @since 0.2.0
 * @category models
 */
export interface ConnectRoutesOptions {
  /**
   * The app's origin as the browser sees it, e.g. `https://app.example.com`. Plain http only on loopback
   * (`127.0.0.1`, `[::1]`, `localhost`), and then the cookies are not `Secure`.
   */
  readonly appOrigin: string
  /** The key that signs the flow cookies and the disconnect tokens: at least 32 characters of randomness. */
  readonly secret: Redacted.Redacted<string>
  /** Where the routes live (default `/connect`): `{path}/start`, `{path}/callback`, `{path}/disconnect`. */
  readonly path?: `/${string}` | undefined
  /**
   * The redirect URI registered with UltraCart (default `{appOrigin}{path}/callback`). It must reach the callback
   * route (behind a proxy that rewrites paths, say so here).
   */
  readonly redirectUri?: string | undefined
  /** Where the browser goes after connecting or disconnecting when no return address was given (default `/`). */
  readonly defaultReturnTo?: string | undefined
  /** Origins besides `appOrigin` a return address may point at (e.g. the app's front end on another origin). */
  readonly allowedReturnOrigins?: ReadonlyArray<string> | undefined
  /** How long the merchant has from start to callback (default 10 minutes). */
  readonly flowLifetime?: Duration.DurationInput | undefined
  /** Send a PKCE challenge (S256) and the verifier with the exchange. Off: UltraCart does not document PKCE. */
  readonly pkce?: boolean | undefined
  /**
   * Runs in the callback's request once the merchant is connected, before the redirect: link the merchant to the
   * app's signed-in user here (never from the `connected` query parameter, which anyone can type).
   */
  readonly onConnected?:
    | ((connection: MerchantGrantsModule.Connection) => Effect.Effect<void, never, HttpServerRequest.HttpServerRequest>)
    | undefined
  /**
   * Whether this request may disconnect the merchant (default: yes). The routes stop cross-site requests; who may
   * disconnect which merchant is the app's to say (its sign-in, its users).
   */
  readonly canDisconnect?:
    | ((key: string) => Effect.Effect<boolean, never, HttpServerRequest.HttpServerRequest>)
    | undefined
  /** Answers an error (default: a plain HTML page with a status from `ConnectError.statusOf`). */
  readonly renderError?: ((error: ConnectRouteError) => HttpServerResponse.HttpServerResponse) | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export declare namespace ConnectRoutes {
  /**
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /** The three routes at their full paths: concatenate them into the app's router (`HttpRouter.concat`). */
    readonly router: HttpRouter.HttpRouter
    /** `{path}/start`. */
    readonly startPath: string
    /** `{path}/disconnect`, the action of a disconnect form. */
    readonly disconnectPath: string
    /** The redirect URI sent to UltraCart. */
    readonly redirectUri: string
    /** A link that starts connecting a merchant, coming back to `returnTo` (checked when followed). */
    readonly startUrl: (returnTo?: string) => string
    /**
     * The token a disconnect form carries in its {@link CSRF_FIELD} field, bound to this browser (a MAC of a
     * random id in an `HttpOnly` cookie, set on this response when the browser has none).
     */
    readonly csrfToken: Effect.Effect<string, never, HttpServerRequest.HttpServerRequest>
  }
}

/**
 * The connect routes.
 *
 * @since 0.2.0
 * @category tags
 */
export class ConnectRoutes extends Context.Tag("@ultracart-oauth/web/ConnectRoutes")<
  ConnectRoutes,
  ConnectRoutes.Service
>() {}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"])

const invalid = (path: string, message: string) => ConfigError.InvalidData([path], message)

/** The app's origin, checked: http(s), and plain http only on loopback. */
const originOf = (input: string, field: string): Effect.Effect<string, ConfigError.ConfigError> =>
  Effect.suspend(() => {
    let url: URL
    try {
      url = new URL(input)
    } catch {
      return Effect.fail(invalid(field, "is not an absolute URL"))
    }
    if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
      return Effect.succeed(url.origin)
    }
    return Effect.fail(invalid(field, "must be https (plain http only on loopback)"))
  })

const isPlainPath = (path: string): path is `/${string}` => /^\/[A-Za-z0-9._~\-/]+$/.test(path)

const resolve = (
  options: ConnectRoutesOptions
): Effect.Effect<Omit<Settings, "signer" | "renderError">, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    if (Redacted.value(options.secret).length < MIN_SECRET_LENGTH) {
      return yield* Effect.fail(invalid("secret", `is shorter than ${MIN_SECRET_LENGTH} characters`))
    }
    const appOrigin = yield* originOf(options.appOrigin, "appOrigin")
    const path = (options.path ?? "/connect").replace(/\/+$/, "")
    if (!isPlainPath(path)) return yield* Effect.fail(invalid("path", "is not a plain absolute path"))
    const allowedOrigins = new Set<string>()
    for (const origin of options.allowedReturnOrigins ?? []) {
      allowedOrigins.add(yield* originOf(origin, "allowedReturnOrigins"))
    }
    const defaultReturnTo = options.defaultReturnTo ?? "/"
    if (Either.isLeft(ReturnAddress.check(defaultReturnTo, appOrigin, allowedOrigins))) {
      return yield* Effect.fail(invalid("defaultReturnTo", "is not on the app's origin or allow list"))
    }
    const flowLifetime = Duration.toMillis(options.flowLifetime ?? Duration.minutes(10))
    if (!(flowLifetime > 0 && Number.isFinite(flowLifetime))) {
      return yield* Effect.fail(invalid("flowLifetime", "must be finite and longer than zero"))
    }
    const secure = appOrigin.startsWith("https:")
    return {
      appOrigin,
      path,
      redirectUri: options.redirectUri ?? `${appOrigin}${path}/callback`,
      defaultReturnTo,
      allowedOrigins,
      flowLifetime,
      pkce: options.pkce ?? false,
      secure,
      // `__Secure-` / `__Host-`: a browser takes such a cookie only over https from this very origin.
      flowCookiePrefix: `${secure ? "__Secure-" : ""}ucoauth-flow-`,
      csrfCookie: `${secure ? "__Host-" : ""}ucoauth-csrf`,
      onConnected: options.onConnected ?? (() => Effect.void),
      canDisconnect: options.canDisconnect ?? (() => Effect.succeed(true))
    }
  })

/** Adds `location` to the header names whose values spans and logs never show. */
const redactLocation = Effect.locallyScopedWith(Headers.currentRedactedNames, (names) =>
  names.includes("location") ? names : [...names, "location"]
)

/**
 * `Location` headers redacted in the server's spans for the life of the scope: the start route's redirect to
 * UltraCart carries `state`, and the platform's server span records response headers. {@link make} and
 * {@link layer} include it; an HTTP server started later in the same scope (or built on the Layer) inherits it.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerRedactLocation: Layer.Layer<never> = Layer.scopedDiscard(redactLocation)

/**
 * Makes the routes over the `MerchantGrants` registry and the `OAuthClient` in context, and redacts `Location`
 * headers in server spans for the rest of the scope (see {@link layerRedactLocation}): start the app's HTTP server
 * after this. Fails with a `ConfigError` for a short secret, an app origin that is not https (or loopback http),
 * or a redirect URI core does not accept.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: ConnectRoutesOptions
): Effect.Effect<ConnectRoutes.Service, ConfigError.ConfigError, MerchantGrants | OAuthClient | Scope.Scope> =>
  Effect.gen(function* () {
    const grants = yield* MerchantGrants
    const oauth = yield* OAuthClient
    const resolved = yield* resolve(options)
    // The redirect URI is checked once, here, as core will check it on every start.
    yield* Effect.mapError(oauth.authorizationUrl({ redirectUri: resolved.redirectUri }), (error) =>
      invalid("redirectUri", error.message)
    )
    const signer = yield* makeSigner(options.secret)
    const renderError =
      options.renderError ?? ((error: ConnectRouteError) => errorPage(error, resolved.defaultReturnTo))
    const service: ConnectRoutes.Service = makeRoutes({ ...resolved, signer, renderError }, grants, oauth)
    yield* redactLocation
    return service
  })

/**
 * The routes as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: ConnectRoutesOptions
): Layer.Layer<ConnectRoutes, ConfigError.ConfigError, MerchantGrants | OAuthClient> =>
  Layer.scoped(ConnectRoutes, make(options))

/**
 * The routes with the secret and the app's origin from configuration: `ULTRACART_CONNECT_SECRET` (read with
 * `Config.redacted`) and `ULTRACART_APP_ORIGIN`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Omit<ConnectRoutesOptions, "secret" | "appOrigin"> & {
    readonly secret?: Config.Config<Redacted.Redacted<string>> | undefined
    readonly appOrigin?: Config.Config<string> | undefined
  } = {}
): Layer.Layer<ConnectRoutes, ConfigError.ConfigError, MerchantGrants | OAuthClient> =>
  Layer.scoped(
    ConnectRoutes,
    Effect.flatMap(
      Config.all({
        secret: options.secret ?? Config.redacted("ULTRACART_CONNECT_SECRET"),
        appOrigin: options.appOrigin ?? Config.nonEmptyString("ULTRACART_APP_ORIGIN")
      }),
      (config) => make({ ...options, ...config })
    )
  )
