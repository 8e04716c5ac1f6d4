/**
 * The first step of the browser leg: the URL that sends a merchant to UltraCart's consent page, with a fresh
 * `state` to check when the merchant comes back.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { InvalidInput } from "./OAuthError.js"
import { randomBase64Url } from "./internal/random.js"
import { validateRedirectUri } from "./internal/url.js"
import type { Pkce } from "./Pkce.js"

/**
 * A fresh `state`: 32 bytes (256 bits) from the platform CSPRNG, base64url (RFC 6749 §10.10 asks for ≥128 bits).
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateState: Effect.Effect<Redacted.Redacted<string>> = Effect.sync(() =>
  Redacted.make(randomBase64Url(32))
)

/**
 * What to build an authorize URL from.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationUrlInput {
  /** Must equal one of the app's registered redirect URIs, and later the one sent with the code exchange. */
  readonly redirectUri: string
  /** A state to use instead of a fresh one (bind it to the user agent, e.g. in a session cookie). */
  readonly state?: Redacted.Redacted<string> | undefined
  /** For servers that support PKCE (UltraCart does not document it). */
  readonly pkce?: Pick<Pkce, "challenge" | "method"> | undefined
}

/**
 * An authorize URL and the `state` it carries. The URL holds the state: hand it to the browser, do not log it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthorizationUrl {
  readonly url: string
  readonly state: Redacted.Redacted<string>
}

/**
 * Builds `<baseUrl>/oauth/authorize?response_type=code&client_id=…&redirect_uri=…&state=…`.
 * UltraCart takes no `scope` here: permissions are set on the registered app.
 *
 * @example
 * ```ts
 * import * as AuthorizationUrl from "@ultracart-oauth/core/AuthorizationUrl"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const { state, url } = Effect.runSync(
 *   AuthorizationUrl.make({
 *     baseUrl: "https://secure.ultracart.com/rest/v2",
 *     clientId: "my-app",
 *     redirectUri: "https://app.example/oauth/callback"
 *   })
 * )
 * // Keep `state` with the user agent; send the browser to `url` (which carries it: do not log it).
 * const query = new URL(url).searchParams
 * assert.strictEqual(query.get("response_type"), "code")
 * assert.strictEqual(query.get("state"), Redacted.value(state))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: { readonly baseUrl: string; readonly clientId: string } & AuthorizationUrlInput
): Effect.Effect<AuthorizationUrl, InvalidInput> =>
  Effect.gen(function* () {
    if (options.clientId.trim() === "") return yield* new InvalidInput({ field: "clientId", reason: "is empty" })
    const redirectUri = yield* Either.match(validateRedirectUri(options.redirectUri), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    const state = options.state ?? (yield* generateState)
    if (Redacted.value(state).length < 22) {
      return yield* new InvalidInput({ field: "state", reason: "is shorter than 128 bits of base64url" })
    }
    const url = new URL(`${options.baseUrl}/oauth/authorize`)
    url.searchParams.set("response_type", "code")
    url.searchParams.set("client_id", options.clientId)
    url.searchParams.set("redirect_uri", redirectUri)
    url.searchParams.set("state", Redacted.value(state))
    if (options.pkce !== undefined) {
      url.searchParams.set("code_challenge", options.pkce.challenge)
      url.searchParams.set("code_challenge_method", options.pkce.method)
    }
    return { url: url.toString(), state }
  })
