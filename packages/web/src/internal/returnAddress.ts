import * as Either from "effect/Either"
import { ReturnAddressRejected } from "../ConnectError.js"

/** Longer than any address an app needs, short enough to keep a cookie small. */
const MAX_LENGTH = 2048
/** Control characters (C0 and DEL) and backslashes: browsers read some of them in ways a parser here may not. */
const isUnsafe = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true
  }
  return false
}

/**
 * A return address checked against the app's origins: a path on the app (`/merchants?page=2`) or an absolute
 * http(s) address whose origin is allowed, with no user name or password. Yields the address as an absolute URL
 * (what the redirect will carry: never the text as given). Never throws.
 */
export const check = (
  input: string,
  appOrigin: string,
  allowedOrigins: ReadonlySet<string>
): Either.Either<string, ReturnAddressRejected> => {
  if (input === "" || input.length > MAX_LENGTH || isUnsafe(input)) {
    return Either.left(new ReturnAddressRejected({ reason: "Malformed" }))
  }
  let url: URL
  try {
    url = new URL(input, appOrigin)
  } catch {
    return Either.left(new ReturnAddressRejected({ reason: "Malformed" }))
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username !== "" || url.password !== "") {
    return Either.left(new ReturnAddressRejected({ reason: "NotAllowed" }))
  }
  if (url.origin !== appOrigin && !allowedOrigins.has(url.origin)) {
    return Either.left(new ReturnAddressRejected({ reason: "NotAllowed" }))
  }
  return Either.right(url.href)
}

/** The address with one query parameter set (e.g. `connected=ACME`), for the page the browser is sent to. */
export const withParam = (address: string, name: string, value: string): string => {
  const url = new URL(address)
  url.searchParams.set(name, value)
  return url.href
}
