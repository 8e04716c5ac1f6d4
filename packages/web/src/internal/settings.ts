import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as MerchantGrants from "@ultracart-oauth/adapters/MerchantGrants"
import type * as Effect from "effect/Effect"
import type { ConnectRouteError } from "../ConnectError.js"
import { securityHeaders } from "./page.js"
import * as ReturnAddress from "./returnAddress.js"
import type { Signer } from "./signer.js"

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

/** The query of a request URL (what follows `?`), parsed; never throws. */
export const queryOf = (url: string): URLSearchParams => {
  const at = url.indexOf("?")
  return new URLSearchParams(at < 0 ? "" : url.slice(at + 1))
}

/** A redirect with the routes' headers. */
export const redirect = (location: string, status: number): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.redirect(location, { status, headers: securityHeaders })

/** A return address checked against the app's origins (the default one when none was given). */
export const returnAddressOf = (settings: Settings, input: string | null) =>
  ReturnAddress.check(input || settings.defaultReturnTo, settings.appOrigin, settings.allowedOrigins)
