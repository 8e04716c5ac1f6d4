/**
 * The answer of `POST /oauth/device/authorize` (RFC 8628 §3.2).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { isLoopback } from "./internal/url.js"
import type { OauthDeviceAuthorizationResponse } from "./Models.js"

/**
 * The polling interval when the server sends none (RFC 8628 §3.2).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_INTERVAL_SECONDS = 5

/**
 * What to show the merchant (`userCode`, `verificationUri`, `verificationUriComplete`) and what to poll with
 * (`deviceCode`, secret). `expiresIn` is optional because UltraCart documents every field as optional; a poller
 * must then bound its wait another way.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceAuthorization {
  readonly deviceCode: Redacted.Redacted<string>
  readonly userCode: string
  readonly verificationUri: string
  readonly verificationUriComplete: Option.Option<string>
  readonly expiresIn: Option.Option<number>
  readonly interval: number
}

/**
 * Whether a verification URI may be shown to the merchant (and opened for them): an absolute `https` URL, or `http`
 * on loopback (a local fake); a `javascript:`, `file:` or plain-http address from a server is not.
 *
 * @since 0.2.0
 * @category decoding
 */
export const isSafeVerificationUri = (uri: string): boolean => {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return false
  }
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url))
}

/**
 * Checks a decoded device authorization body for the members a device flow cannot do without, and that its
 * verification URIs are safe to show ({@link isSafeVerificationUri}); the problems by member name otherwise.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromWire = (
  wire: OauthDeviceAuthorizationResponse
): Either.Either<DeviceAuthorization, ReadonlyArray<string>> => {
  const { device_code, user_code, verification_uri } = wire
  if (device_code === undefined || user_code === undefined || verification_uri === undefined) {
    return Either.left(
      (["device_code", "user_code", "verification_uri"] as const)
        .filter((k) => wire[k] === undefined)
        .map((k) => `${k}: is missing`)
    )
  }
  const unsafe = (["verification_uri", "verification_uri_complete"] as const).filter((k) => {
    const uri = wire[k]
    return uri !== undefined && !isSafeVerificationUri(uri)
  })
  if (unsafe.length > 0) return Either.left(unsafe.map((k) => `${k}: is not an https URL (or http on loopback)`))
  return Either.right({
    deviceCode: device_code,
    userCode: user_code,
    verificationUri: verification_uri,
    verificationUriComplete: Option.fromNullable(wire.verification_uri_complete),
    expiresIn: Option.fromNullable(wire.expires_in),
    interval: wire.interval ?? DEFAULT_INTERVAL_SECONDS
  })
}
