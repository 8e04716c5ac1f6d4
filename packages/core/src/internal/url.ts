import * as Either from "effect/Either"
import { InvalidInput } from "../OAuthError.js"

const loopbackHosts = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** Whether a URL points at this machine (where plain http is acceptable: tests, fakes, local proxies). */
export const isLoopback = (url: URL): boolean => loopbackHosts.test(url.hostname)

/**
 * An UltraCart base URL: absolute, https (or http on loopback, or when explicitly allowed, RFC 6819 §5.1.1),
 * no query or fragment, no trailing slash.
 */
export const validateBaseUrl = (
  input: string,
  allowInsecureHttp: boolean,
  field = "baseUrl"
): Either.Either<string, InvalidInput> => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return Either.left(new InvalidInput({ field, reason: "is not an absolute URL" }))
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Either.left(new InvalidInput({ field, reason: `uses ${url.protocol} (https required)` }))
  }
  if (url.protocol === "http:" && !allowInsecureHttp && !isLoopback(url)) {
    return Either.left(
      new InvalidInput({
        field,
        reason: "uses plain http on a non-loopback host (https required; set allowInsecureHttp to override)"
      })
    )
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return Either.left(new InvalidInput({ field, reason: "must not carry a query, fragment or user info" }))
  }
  return Either.right(url.toString().replace(/\/+$/, ""))
}

/** A redirect URI: absolute, without fragment (RFC 6749 §3.1.2). */
export const validateRedirectUri = (input: string): Either.Either<string, InvalidInput> => {
  const field = "redirectUri"
  if (input.trim() === "") return Either.left(new InvalidInput({ field, reason: "is empty" }))
  // The URL parser would trim it, but the token request sends it as given: it must match the registered one exactly.
  if (input.trim() !== input) {
    return Either.left(new InvalidInput({ field, reason: "has surrounding whitespace" }))
  }
  try {
    const url = new URL(input)
    if (url.hash !== "") return Either.left(new InvalidInput({ field, reason: "must not carry a fragment" }))
    return Either.right(input)
  } catch {
    return Either.left(new InvalidInput({ field, reason: "is not an absolute URL" }))
  }
}
