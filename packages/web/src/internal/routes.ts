import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import type * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Effect from "effect/Effect"
import type { ConnectRouteError } from "../ConnectError.js"
import { makeConnect } from "./connect.js"
import { makeDisconnect } from "./disconnect.js"
import type { Settings } from "./settings.js"

/** The three routes at their paths, each answering an error with its page. */
export const makeRoutes = (
  settings: Settings,
  grants: MerchantGrants.MerchantGrants.Service,
  oauth: OAuthClient.OAuthClient.Service
) => {
  const startPath: `/${string}` = `${settings.path}/start`
  const callbackPath: `/${string}` = `${settings.path}/callback`
  const disconnectPath: `/${string}` = `${settings.path}/disconnect`
  const connect = makeConnect(settings, grants, oauth)
  const { csrfToken, disconnect } = makeDisconnect(settings, grants)

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

  /** The callback, with its query kept out of telemetry and its own log line (without the query). */
  const answerCallback = Effect.zipRight(
    connect.hideQuery,
    Effect.tap(respond("callback", connect.callback), (response) =>
      Effect.annotateLogs(Effect.logInfo("connect callback answered"), {
        "http.url": callbackPath,
        "http.status": response.status
      })
    )
  )

  const router = HttpRouter.empty.pipe(
    HttpRouter.get(startPath, respond("start", connect.start)),
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
