/**
 * UltraCart's API credentials and the headers that carry them.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { withRedactedHeaderNames } from "./internal/redact.js"

/**
 * The header for UltraCart's simple API key.
 *
 * @since 0.1.0
 * @category constants
 */
export const SIMPLE_KEY_HEADER = "x-ultracart-simple-key"

/**
 * The header for UltraCart's browser API key.
 *
 * @since 0.1.0
 * @category constants
 */
export const BROWSER_KEY_HEADER = "x-ultracart-browser-key"

/**
 * Header names whose values are secrets: redacted in spans and logs.
 *
 * @since 0.1.0
 * @category constants
 */
export const SECRET_HEADERS: ReadonlyArray<string> = ["authorization", SIMPLE_KEY_HEADER, BROWSER_KEY_HEADER]

/**
 * One of UltraCart's three auth schemes. The OAuth token, revoke and device endpoints accept any of them (or
 * none); `/oauth/me` and the rest of the API take the bearer.
 *
 * @since 0.1.0
 * @category models
 */
export type Credentials =
  | { readonly _tag: "SimpleKey"; readonly key: Redacted.Redacted<string> }
  | { readonly _tag: "BrowserKey"; readonly key: Redacted.Redacted<string> }
  | { readonly _tag: "Bearer"; readonly token: Redacted.Redacted<string> }

/**
 * The API-key schemes: what the OAuth token, revoke and device endpoints can be called with (the bearer is for
 * `/oauth/me` and the rest of the API).
 *
 * @since 0.1.0
 * @category models
 */
export type ApiKey = Extract<Credentials, { readonly _tag: "SimpleKey" | "BrowserKey" }>

/**
 * @since 0.1.0
 * @category constructors
 */
export const simpleKey = (key: Redacted.Redacted<string>): ApiKey => ({ _tag: "SimpleKey", key })

/**
 * @since 0.1.0
 * @category constructors
 */
export const browserKey = (key: Redacted.Redacted<string>): ApiKey => ({ _tag: "BrowserKey", key })

/**
 * @since 0.1.0
 * @category constructors
 */
export const bearer = (token: Redacted.Redacted<string>): Credentials => ({ _tag: "Bearer", token })

/**
 * Sets the header of a credential on a request. The secret is unwrapped only here, as it goes on the wire.
 * Exactly one scheme's header is set (UltraCart's TypeScript SDK sends one key as both key headers; we don't).
 *
 * @since 0.1.0
 * @category combinators
 */
export const apply = (request: HttpClientRequest.HttpClientRequest, credentials: Credentials) => {
  switch (credentials._tag) {
    case "SimpleKey":
      return HttpClientRequest.setHeader(request, SIMPLE_KEY_HEADER, Redacted.value(credentials.key))
    case "BrowserKey":
      return HttpClientRequest.setHeader(request, BROWSER_KEY_HEADER, Redacted.value(credentials.key))
    case "Bearer":
      return HttpClientRequest.bearerToken(request, Redacted.value(credentials.token))
  }
}

/**
 * Runs an effect with UltraCart's secret headers added to the names the HTTP client redacts in spans and logs.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRedactedHeaders: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> =
  withRedactedHeaderNames(SECRET_HEADERS)
