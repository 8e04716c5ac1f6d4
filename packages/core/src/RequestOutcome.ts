/**
 * Whether a request that failed in transport may have reached the server — the question a retry policy must
 * answer before it replays a single-use grant.
 *
 * @since 0.1.0
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Predicate from "effect/Predicate"
import type { RequestOutcome } from "./OAuthError.js"

/**
 * System error codes that prove a request never left this machine (no connection was made).
 *
 * @since 0.1.0
 * @category constants
 */
export const notSentCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT"
])

/**
 * The first system error code (`code` property) along a cause chain: fetch wraps undici's in `cause`.
 *
 * @since 0.1.0
 * @category classification
 */
export const errorCode = (cause: unknown): string | undefined => {
  let current = cause
  for (let depth = 0; depth < 5 && Predicate.isObject(current); depth++) {
    if (Predicate.hasProperty(current, "code") && typeof current.code === "string") return current.code
    current = Predicate.hasProperty(current, "cause") ? current.cause : undefined
  }
  return undefined
}

/**
 * `NotSent` only when that is certain: the request could not be encoded or addressed, or the connection was
 * never made (refused, name not resolved, connect timeout). Everything else — a reset, a timeout after
 * sending, a body cut short — is `Unknown`.
 *
 * @since 0.1.0
 * @category classification
 */
export const ofHttpClientError = (error: HttpClientError.HttpClientError): RequestOutcome => {
  if (error._tag === "ResponseError") return "Unknown"
  if (error.reason !== "Transport") return "NotSent"
  const code = errorCode(error.cause)
  return code !== undefined && notSentCodes.has(code) ? "NotSent" : "Unknown"
}
