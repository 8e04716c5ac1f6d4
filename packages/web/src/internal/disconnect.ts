import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import type * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { DisconnectRefused } from "../ConnectError.js"
import { CSRF_FIELD, MERCHANT_FIELD, RETURN_TO_FIELD } from "./fields.js"
import * as ReturnAddress from "./returnAddress.js"
import { redirect, returnAddressOf, type Settings } from "./settings.js"
import { randomBase64Url, sameText } from "./signer.js"

/**
 * The disconnect route and its CSRF token: a form post is taken only from the app's own origin, carrying a MAC of
 * this browser's random id (kept in an `HttpOnly` cookie).
 */

const CSRF_PURPOSE = "ultracart-oauth/web disconnect token v1"
/** A browser id: 32 CSPRNG bytes, base64url. */
const BROWSER_ID = /^[A-Za-z0-9_-]{43}$/
/** The longest merchant key a form may name (the registry takes any string; a form need not). */
const MAX_KEY_LENGTH = 256
/** The largest disconnect form read. */
const MAX_FORM_BYTES = 16 * 1024

export const makeDisconnect = (settings: Settings, grants: MerchantGrants.MerchantGrants.Service) => {
  const { signer } = settings

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
    // A disconnect form is a few hundred bytes; a larger body is not read (and so carries no token): refused
    // by its length when it says it, cut off by the server while reading when it does not.
    if (Number(request.headers["content-length"] ?? 0) > MAX_FORM_BYTES) {
      return yield* new DisconnectRefused({ reason: "Token" })
    }
    const form = yield* request.urlParamsBody.pipe(
      HttpIncomingMessage.withMaxBodySize(Option.some(MAX_FORM_BYTES)),
      Effect.orElseSucceed(() => UrlParams.empty)
    )
    const field = (name: string) => Option.getOrElse(UrlParams.getFirst(form, name), () => "")
    if (!(yield* tokenMatches(request, field(CSRF_FIELD)))) return yield* new DisconnectRefused({ reason: "Token" })
    const key = field(MERCHANT_FIELD)
    if (key === "" || key.length > MAX_KEY_LENGTH) return yield* new DisconnectRefused({ reason: "NoMerchant" })
    const returnTo = yield* returnAddressOf(settings, field(RETURN_TO_FIELD))
    if (!(yield* settings.canDisconnect(key))) return yield* new DisconnectRefused({ reason: "NotAllowed" })
    const logout = yield* grants.disconnect(key)
    yield* Effect.annotateLogs(Effect.logInfo("merchant disconnected"), {
      merchant: key,
      refresh_token: logout.refreshToken._tag,
      access_token: logout.accessToken._tag
    })
    return redirect(ReturnAddress.withParam(returnTo, "disconnected", key), 303)
  })

  return { csrfToken, disconnect }
}
