import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import type * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import { AuthorizationDenied, AuthorizationExpired, AuthorizationFailed } from "@ultracart-oauth/core/Callback"
import type * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Pkce from "@ultracart-oauth/core/Pkce"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Tracer from "effect/Tracer"
import { ConnectFlowRejected, type ConnectRouteError, DisconnectRefused } from "../ConnectError.js"
import { CSRF_FIELD, MERCHANT_FIELD, RETURN_TO_FIELD } from "./fields.js"
import * as Flow from "./flow.js"
import { securityHeaders } from "./page.js"
import * as ReturnAddress from "./returnAddress.js"
import { randomBase64Url, type Signer, sameText } from "./signer.js"

/** The routes' settings, resolved and checked. */
export interface Settings {
  readonly appOrigin: string
  readonly path: `/${string}`
  readonly redirectUri: string
  readonly defaultReturnTo: string
  readonly allowedOrigins: ReadonlySet<string>
  /** Milliseconds. */
  readonly flowLifetime: number
  readonly pkce: boolean
  readonly secure: boolean
  readonly flowCookiePrefix: string
  readonly csrfCookie: string
  readonly onConnected: (
    connection: MerchantGrants.Connection
  ) => Effect.Effect<void, never, HttpServerRequest.HttpServerRequest>
  readonly canDisconnect: (key: string) => Effect.Effect<boolean, never, HttpServerRequest.HttpServerRequest>
  readonly renderError: (error: ConnectRouteError) => HttpServerResponse.HttpServerResponse
  readonly signer: Signer
}

const CSRF_PURPOSE = "ultracart-oauth/web disconnect token v1"
/** A browser id: 32 CSPRNG bytes, base64url. */
const BROWSER_ID = /^[A-Za-z0-9_-]{43}$/
/** The longest merchant key a form may name (the registry takes any string; a form need not). */
const MAX_KEY_LENGTH = 256

/** The query of a request URL (what follows `?`), parsed; never throws. */
const queryOf = (url: string): URLSearchParams => {
  const at = url.indexOf("?")
  return new URLSearchParams(at < 0 ? "" : url.slice(at + 1))
}

/** UltraCart's error on a redirect that carries no `state` to check: shown, and nothing else done. */
const redirectErrorOf = (error: string): ConnectRouteError => {
  switch (error) {
    case "access_denied":
      return new AuthorizationDenied({})
    case "invalid_request":
      return new AuthorizationExpired({})
    default:
      return new AuthorizationFailed({ code: error.slice(0, 64) })
  }
}

/**
 * Keeps the callback's query (a code and `state`) out of telemetry: the server span's `url.full` and `url.query`
 * are overwritten (the span is still open: exporters see only the new values), and `HttpMiddleware.logger` skips
 * this request (the route logs its own line, without the query).
 */
const hideQuery = (path: string): Effect.Effect<void> =>
  Effect.flatMap(Effect.option(Effect.currentSpan), (current) => {
    let span: Tracer.AnySpan | undefined = Option.getOrUndefined(current)
    while (span !== undefined && span._tag === "Span") {
      if (span.attributes.has("url.full")) span.attribute("url.full", path)
      if (span.attributes.has("url.query")) span.attribute("url.query", "redacted")
      span = Option.getOrUndefined(span.parent)
    }
    return HttpMiddleware.withLoggerDisabled(Effect.void)
  })

/** Flows whose callback was used, kept until they would have expired anyway. */
class SpentFlows {
  private readonly expiries = new Map<string, number>()
  private static readonly MAX = 100_000

  has(id: string, now: number): boolean {
    const expiresAt = this.expiries.get(id)
    return expiresAt !== undefined && expiresAt > now
  }

  add(id: string, expiresAt: number, now: number): void {
    for (const [known, at] of this.expiries) {
      if (at > now && this.expiries.size < SpentFlows.MAX) break
      this.expiries.delete(known)
    }
    this.expiries.set(id, expiresAt)
  }
}

export const makeRoutes = (
  settings: Settings,
  grants: MerchantGrants.MerchantGrants.Service,
  oauth: OAuthClient.OAuthClient.Service
) => {
  const { path, signer } = settings
  const startPath: `/${string}` = `${path}/start`
  const callbackPath: `/${string}` = `${path}/callback`
  const disconnectPath: `/${string}` = `${path}/disconnect`
  const spent = new SpentFlows()

  const returnAddress = (input: string | null) =>
    ReturnAddress.check(input || settings.defaultReturnTo, settings.appOrigin, settings.allowedOrigins)

  const redirect = (location: string, status: number) =>
    HttpServerResponse.redirect(location, { status, headers: securityHeaders })

  const flowCookie = (maxAge: Duration.Duration) => ({
    httpOnly: true,
    secure: settings.secure,
    sameSite: "lax" as const,
    path,
    maxAge
  })

  /** Logs what was refused: its tag and reason, nothing secret. */
  const logRefusal = (route: string, error: ConnectRouteError) =>
    Effect.annotateLogs(
      error._tag === "AuthorizationDenied"
        ? Effect.logInfo(`${route}: declined`)
        : Effect.logWarning(`${route}: refused`),
      { error: error._tag, ...("reason" in error && typeof error.reason === "string" ? { reason: error.reason } : {}) }
    )

  /** Answers an error with its page; every answer is uncached and sends no `Referer` on. */
  const respond = <R>(
    route: string,
    handler: Effect.Effect<HttpServerResponse.HttpServerResponse, ConnectRouteError, R>
  ) =>
    handler.pipe(
      Effect.catchAll((error) => Effect.as(logRefusal(route, error), settings.renderError(error))),
      Effect.map(HttpServerResponse.setHeaders({ "cache-control": "no-store", "referrer-policy": "no-referrer" })),
      Effect.withSpan(`ConnectRoutes.${route}`)
    )

  const start = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const returnTo = yield* returnAddress(queryOf(request.url).get(RETURN_TO_FIELD))
    const pkce = settings.pkce ? Option.some(yield* Pkce.make) : Option.none<Pkce.Pkce>()
    const authorization = yield* oauth.authorizationUrl({
      redirectUri: settings.redirectUri,
      pkce: Option.getOrUndefined(pkce)
    })
    const now = yield* Clock.currentTimeMillis
    const flow: Flow.Flow = {
      state: authorization.state,
      returnTo,
      codeVerifier: Option.map(pkce, (p) => p.verifier),
      expiresAt: now + settings.flowLifetime
    }
    const id = yield* Flow.idOf(signer, Redacted.value(authorization.state))
    const value = yield* Flow.seal(signer, flow)
    return HttpServerResponse.unsafeSetCookie(
      redirect(authorization.url, 302),
      settings.flowCookiePrefix + id,
      value,
      flowCookie(Duration.millis(settings.flowLifetime))
    )
  })

  /** The callback of one flow, once its cookie is found by `state`: checked, used up, connected. */
  const finish = (request: HttpServerRequest.HttpServerRequest, params: URLSearchParams, id: string, cookie: string) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (spent.has(id, now)) return yield* new ConnectFlowRejected({ reason: "Replayed" })
      const value = request.cookies[cookie]
      if (value === undefined) return yield* new ConnectFlowRejected({ reason: "NotFound" })
      const opened = yield* Flow.open(signer, value, now)
      if (Either.isLeft(opened)) return yield* new ConnectFlowRejected({ reason: opened.left })
      const flow = opened.right
      // From here the flow is used up, whatever UltraCart answers: a second callback of it is refused.
      spent.add(id, flow.expiresAt, now)
      const code = yield* oauth.parseCallback(params, flow.state)
      const connection = yield* grants.connect({
        code,
        redirectUri: settings.redirectUri,
        codeVerifier: Option.getOrUndefined(flow.codeVerifier)
      })
      yield* settings.onConnected(connection)
      yield* Effect.annotateLogs(Effect.logInfo("merchant connected"), { merchant: connection.key })
      return redirect(ReturnAddress.withParam(flow.returnTo, "connected", connection.key), 303)
    })

  const callback = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = queryOf(request.url)
    const state = params.get("state")
    if (state === null || state === "") {
      const error = params.get("error")
      return yield* Effect.fail(
        error === null ? new ConnectFlowRejected({ reason: "NoState" }) : redirectErrorOf(error)
      )
    }
    const id = yield* Flow.idOf(signer, state)
    const cookie = settings.flowCookiePrefix + id
    // The flow's cookie goes with the answer, whatever it is (another flow's cookie is never touched).
    yield* HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.succeed(HttpServerResponse.expireCookie(response, cookie, flowCookie(Duration.zero)))
    )
    return yield* finish(request, params, id, cookie)
  })

  /** The callback, with its query kept out of telemetry and its own log line (without the query). */
  const answerCallback = Effect.zipRight(
    hideQuery(callbackPath),
    Effect.tap(respond("callback", callback), (response) =>
      Effect.annotateLogs(Effect.logInfo("connect callback answered"), {
        "http.url": callbackPath,
        "http.status": response.status
      })
    )
  )

  // --- disconnect -------------------------------------------------------------------------------------------------

  /** A browser's id: the one in its cookie, or a new one (set on this response) for a browser without. */
  const browserIds = new WeakMap<object, string>()
  const browserIdOf = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<string> =>
    Effect.suspend(() => {
      const known = request.cookies[settings.csrfCookie]
      if (known !== undefined && BROWSER_ID.test(known)) return Effect.succeed(known)
      const key = typeof request.source === "object" && request.source !== null ? request.source : request
      const made = browserIds.get(key)
      if (made !== undefined) return Effect.succeed(made)
      const id = randomBase64Url(32)
      browserIds.set(key, id)
      return Effect.as(
        HttpApp.appendPreResponseHandler((_request, response) =>
          Effect.succeed(
            HttpServerResponse.unsafeSetCookie(response, settings.csrfCookie, id, {
              httpOnly: true,
              secure: settings.secure,
              sameSite: "lax",
              path: "/"
            })
          )
        ),
        id
      )
    })

  const csrfToken = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.flatMap(browserIdOf(request), (id) => signer.tag(CSRF_PURPOSE, id))
  )

  /** Sent from another site: a browser says so in `Sec-Fetch-Site`, and in `Origin` on every POST. */
  const crossSite = (headers: Readonly<Record<string, string | undefined>>): boolean => {
    const site = headers["sec-fetch-site"]
    const origin = headers["origin"]
    return (site !== undefined && site !== "same-origin") || (origin !== undefined && origin !== settings.appOrigin)
  }

  const tokenMatches = (request: HttpServerRequest.HttpServerRequest, submitted: string): Effect.Effect<boolean> => {
    const id = request.cookies[settings.csrfCookie]
    if (id === undefined || !BROWSER_ID.test(id)) return Effect.succeed(false)
    return Effect.map(signer.tag(CSRF_PURPOSE, id), (expected) => sameText(expected, submitted))
  }

  const disconnect = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (crossSite(request.headers)) return yield* new DisconnectRefused({ reason: "CrossSite" })
    const form = yield* Effect.orElseSucceed(request.urlParamsBody, () => UrlParams.empty)
    const field = (name: string) => Option.getOrElse(UrlParams.getFirst(form, name), () => "")
    if (!(yield* tokenMatches(request, field(CSRF_FIELD)))) return yield* new DisconnectRefused({ reason: "Token" })
    const key = field(MERCHANT_FIELD)
    if (key === "" || key.length > MAX_KEY_LENGTH) return yield* new DisconnectRefused({ reason: "NoMerchant" })
    const returnTo = yield* returnAddress(field(RETURN_TO_FIELD))
    if (!(yield* settings.canDisconnect(key))) return yield* new DisconnectRefused({ reason: "NotAllowed" })
    const logout = yield* grants.disconnect(key)
    yield* Effect.annotateLogs(Effect.logInfo("merchant disconnected"), {
      merchant: key,
      refresh_token: logout.refreshToken._tag,
      access_token: logout.accessToken._tag
    })
    return redirect(ReturnAddress.withParam(returnTo, "disconnected", key), 303)
  })

  const router = HttpRouter.empty.pipe(
    HttpRouter.get(startPath, respond("start", start)),
    HttpRouter.get(callbackPath, answerCallback),
    HttpRouter.post(disconnectPath, respond("disconnect", disconnect))
  )

  return {
    router,
    startPath,
    disconnectPath,
    redirectUri: settings.redirectUri,
    startUrl: (returnTo?: string) =>
      returnTo === undefined ? startPath : `${startPath}?return_to=${encodeURIComponent(returnTo)}`,
    csrfToken
  }
}
