import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
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
import { ConnectFlowRejected, type ConnectRouteError } from "../ConnectError.js"
import { RETURN_TO_FIELD } from "./fields.js"
import * as Flow from "./flow.js"
import * as ReturnAddress from "./returnAddress.js"
import { queryOf, redirect, returnAddressOf, type Settings } from "./settings.js"

/**
 * The start and callback routes: a flow begun in a signed cookie, then checked, used up and turned into a
 * connected merchant.
 */

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

export const makeConnect = (
  settings: Settings,
  grants: MerchantGrants.MerchantGrants.Service,
  oauth: OAuthClient.OAuthClient.Service
) => {
  const { signer } = settings
  const callbackPath = `${settings.path}/callback`
  const spent = new SpentFlows()

  const flowCookie = (maxAge: Duration.Duration) => ({
    httpOnly: true,
    secure: settings.secure,
    sameSite: "lax" as const,
    path: settings.path,
    maxAge
  })

  const start = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const returnTo = yield* returnAddressOf(settings, queryOf(request.url).get(RETURN_TO_FIELD))
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

  return { start, callback, hideQuery: hideQuery(`${settings.appOrigin}${callbackPath}`) }
}
