/**
 * Every way an UltraCart OAuth call can fail, one `Schema.TaggedError` class per meaning, grouped into unions
 * that callers branch on with `Effect.catchTag(s)`.
 *
 * No error carries a secret or a raw response body: only what a person needs to act on it (status, OAuth code
 * and description, UltraCart's `developer_message` / `user_message` / `error_code`, the `UC-REST-ERROR`
 * header, `Retry-After`). Errors are serializable with their schemas.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { TaggedError } from "./internal/taggedError.js"

/**
 * Carried by every error an OAuth call can fail with ({@link OAuthClientError}): what {@link isOAuthClientError}
 * checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/core/OAuthError")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Carried by the OAuth protocol errors ({@link OAuthProtocolError}) besides {@link TypeId}: what
 * {@link isOAuthProtocolError} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const ProtocolErrorTypeId: unique symbol = Symbol.for("@ultracart-oauth/core/OAuthError/Protocol")

/**
 * @since 0.2.0
 * @category type ids
 */
export type ProtocolErrorTypeId = typeof ProtocolErrorTypeId

/** Puts the type ids on an error class's prototype (where `instanceof`-free guards find them). */
const carry = (prototype: object, ...ids: ReadonlyArray<symbol>): void => {
  for (const id of ids) Object.defineProperty(prototype, id, { value: id })
}

/**
 * The UltraCart OAuth endpoint a call went to.
 *
 * @since 0.1.0
 * @category models
 */
export const Endpoint = Schema.Literal("token", "revoke", "device_authorize", "me")

/**
 * @since 0.1.0
 * @category models
 */
export type Endpoint = typeof Endpoint.Type

const endpointPaths: Record<Endpoint, string> = {
  token: "/oauth/token",
  revoke: "/oauth/revoke",
  device_authorize: "/oauth/device/authorize",
  me: "/oauth/me"
}

/** What UltraCart's `ErrorResponse` and the `UC-REST-ERROR` header told us, when they were there. */
const UltraCartDetails = {
  developerMessage: Schema.optional(Schema.String),
  userMessage: Schema.optional(Schema.String),
  errorCode: Schema.optional(Schema.String),
  moreInfo: Schema.optional(Schema.String),
  objectId: Schema.optional(Schema.String),
  ucRestError: Schema.optional(Schema.String)
}

/**
 * UltraCart's error details, as carried by the HTTP-status errors.
 *
 * @since 0.1.0
 * @category models
 */
export type UltraCartDetails = Schema.Struct.Type<typeof UltraCartDetails>

const detailText = (d: UltraCartDetails & { readonly description?: string | undefined }): string => {
  const parts = [d.description, d.developerMessage, d.ucRestError].filter(
    (s, i, all): s is string => s !== undefined && s !== "" && all.indexOf(s) === i
  )
  return parts.length === 0 ? "" : `: ${parts.join(" — ")}`
}

// -----------------------------------------------------------------------------
// OAuth protocol errors (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8628 §3.5)
// -----------------------------------------------------------------------------

const ProtocolFields = {
  endpoint: Endpoint,
  status: Schema.Number,
  description: Schema.optional(Schema.String),
  errorUri: Schema.optional(Schema.String),
  ucRestError: Schema.optional(Schema.String)
}

/**
 * The fields every OAuth protocol error carries.
 *
 * @since 0.1.0
 * @category models
 */
export type ProtocolFields = Schema.Struct.Type<typeof ProtocolFields>

const protocolMessage = (e: ProtocolFields & { readonly code: string }): string =>
  `UltraCart ${endpointPaths[e.endpoint]} answered ${e.code} (HTTP ${e.status})${detailText(e)}`

/**
 * `invalid_request`: a parameter is missing, repeated or malformed.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class InvalidRequest extends TaggedError<InvalidRequest>()("InvalidRequest", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "invalid_request"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `invalid_client`: the client id (or its credentials) was not accepted.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class InvalidClient extends TaggedError<InvalidClient>()("InvalidClient", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "invalid_client"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `invalid_grant`: the code, refresh token or device code is invalid, expired, used or revoked — or the
 * redirect URI does not match. The merchant must authorize again (unless another process already refreshed).
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class InvalidGrant extends TaggedError<InvalidGrant>()("InvalidGrant", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "invalid_grant"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `unauthorized_client`: this client may not use this grant type.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class UnauthorizedClient extends TaggedError<UnauthorizedClient>()("UnauthorizedClient", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "unauthorized_client"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `unsupported_grant_type`.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class UnsupportedGrantType extends TaggedError<UnsupportedGrantType>()("UnsupportedGrantType", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "unsupported_grant_type"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `invalid_scope`.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class InvalidScope extends TaggedError<InvalidScope>()("InvalidScope", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "invalid_scope"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `unsupported_token_type` (RFC 7009): the revocation endpoint does not revoke this kind of token.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class UnsupportedTokenType extends TaggedError<UnsupportedTokenType>()("UnsupportedTokenType", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "unsupported_token_type"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `authorization_pending` (RFC 8628): the merchant has not finished yet; keep polling.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class AuthorizationPending extends TaggedError<AuthorizationPending>()("AuthorizationPending", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "authorization_pending"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `slow_down` (RFC 8628): keep polling, 5 seconds slower for this and every later poll.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class SlowDown extends TaggedError<SlowDown>()("SlowDown", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "slow_down"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `access_denied`: the merchant declined.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class AccessDenied extends TaggedError<AccessDenied>()("AccessDenied", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "access_denied"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * `expired_token` (RFC 8628): the device code expired; start again.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class ExpiredToken extends TaggedError<ExpiredToken>()("ExpiredToken", ProtocolFields) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  /**
   * The OAuth `error` code.
   *
   * @since 0.1.0
   */
  readonly code = "expired_token"
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * An OAuth `error` code this library does not know; the code is kept.
 *
 * @since 0.1.0
 * @category protocol errors
 */
export class UnknownOAuthError extends TaggedError<UnknownOAuthError>()("UnknownOAuthError", {
  ...ProtocolFields,
  code: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  /** @since 0.2.0 */
  declare readonly [ProtocolErrorTypeId]: ProtocolErrorTypeId
  static {
    carry(this.prototype, TypeId, ProtocolErrorTypeId)
  }
  override get message(): string {
    return protocolMessage(this)
  }
}

/**
 * An OAuth `error` response, whatever its code.
 *
 * @since 0.1.0
 * @category unions
 */
export type OAuthProtocolError =
  | InvalidRequest
  | InvalidClient
  | InvalidGrant
  | UnauthorizedClient
  | UnsupportedGrantType
  | InvalidScope
  | UnsupportedTokenType
  | AuthorizationPending
  | SlowDown
  | AccessDenied
  | ExpiredToken
  | UnknownOAuthError

const protocolErrorsByCode = {
  invalid_request: InvalidRequest,
  invalid_client: InvalidClient,
  invalid_grant: InvalidGrant,
  unauthorized_client: UnauthorizedClient,
  unsupported_grant_type: UnsupportedGrantType,
  invalid_scope: InvalidScope,
  unsupported_token_type: UnsupportedTokenType,
  authorization_pending: AuthorizationPending,
  slow_down: SlowDown,
  access_denied: AccessDenied,
  expired_token: ExpiredToken
} as const

/**
 * The error class for an OAuth `error` code; unrecognised codes become `UnknownOAuthError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromOAuthCode = (code: string, fields: ProtocolFields): OAuthProtocolError =>
  Object.hasOwn(protocolErrorsByCode, code)
    ? new protocolErrorsByCode[code as keyof typeof protocolErrorsByCode](fields)
    : new UnknownOAuthError({ ...fields, code })

/**
 * The OAuth error codes this library gives a tag of their own.
 *
 * @since 0.1.0
 * @category models
 */
export const knownOAuthCodes: ReadonlyArray<string> = Object.keys(protocolErrorsByCode)

// -----------------------------------------------------------------------------
// HTTP status errors
// -----------------------------------------------------------------------------

const statusMessage = (what: string, e: { readonly endpoint: Endpoint; readonly status: number } & UltraCartDetails) =>
  `UltraCart ${endpointPaths[e.endpoint]} ${what} (HTTP ${e.status})${detailText(e)}`

const retryAfterText = (millis: number | undefined): string =>
  millis === undefined ? "" : `; retry after ${Math.ceil(millis / 1000)}s`

/**
 * HTTP 401: the credentials (bearer token or API key) were not accepted.
 *
 * @since 0.1.0
 * @category http errors
 */
export class Unauthorized extends TaggedError<Unauthorized>()("Unauthorized", {
  endpoint: Endpoint,
  status: Schema.Number,
  ...UltraCartDetails
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    return statusMessage("refused the credentials", this)
  }
}

/**
 * HTTP 410: UltraCart has disabled this application.
 *
 * @since 0.1.0
 * @category http errors
 */
export class AppDisabled extends TaggedError<AppDisabled>()("AppDisabled", {
  endpoint: Endpoint,
  status: Schema.Number,
  ...UltraCartDetails
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    return statusMessage("says the application is disabled", this)
  }
}

/**
 * HTTP 429: rate limited. `retryAfterMillis` is the parsed `Retry-After` (delta-seconds or HTTP-date), when sent.
 *
 * @since 0.1.0
 * @category http errors
 */
export class RateLimited extends TaggedError<RateLimited>()("RateLimited", {
  endpoint: Endpoint,
  status: Schema.Number,
  retryAfterMillis: Schema.optional(Schema.NonNegative),
  ...UltraCartDetails
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    return statusMessage("rate limited the call", this) + retryAfterText(this.retryAfterMillis)
  }
}

/**
 * HTTP 5xx. `retryAfterMillis` is the parsed `Retry-After`, when sent (RFC 7009: after a 503 on revocation the
 * token must be assumed still valid).
 *
 * @since 0.1.0
 * @category http errors
 */
export class ServerError extends TaggedError<ServerError>()("ServerError", {
  endpoint: Endpoint,
  status: Schema.Number,
  retryAfterMillis: Schema.optional(Schema.NonNegative),
  ...UltraCartDetails
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    return statusMessage("failed with a server error", this) + retryAfterText(this.retryAfterMillis)
  }
}

/**
 * Any other 4xx that carries no OAuth error code, usually with UltraCart's `ErrorResponse` — or that
 * `ErrorResponse` served with a 2xx status.
 *
 * @since 0.1.0
 * @category http errors
 */
export class UltraCartError extends TaggedError<UltraCartError>()("UltraCartError", {
  endpoint: Endpoint,
  status: Schema.Number,
  ...UltraCartDetails
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    return statusMessage("rejected the call", this)
  }
}

/**
 * A 3xx answer (status 0 when `fetch` does not tell it: a browser's opaque redirect, or Node's `fetch` refusing the
 * redirect itself, as `FetchTransport` has it do for OAuth calls) — or, with
 * `followed: true`, an answer that came from another URL than the one requested, because something below the
 * client followed a redirect (a dispatcher's redirect interceptor, a `fetch` told to follow); `status` is then the
 * status of that other answer, which is refused. Redirects are never followed on these calls (RFC 9700): a
 * redirected POST could carry a code or token to another host.
 *
 * @since 0.1.0
 * @category http errors
 */
export class UnexpectedRedirect extends TaggedError<UnexpectedRedirect>()("UnexpectedRedirect", {
  endpoint: Endpoint,
  status: Schema.Number,
  /** @since 0.2.0 */
  followed: Schema.optional(Schema.Boolean)
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    if (this.followed === true) {
      return `UltraCart ${endpointPaths[this.endpoint]} was answered from another URL (HTTP ${this.status}): a redirect was followed below the client; the answer is refused`
    }
    // Status 0: `fetch` refused or hid the redirect (a browser's opaque redirect) and did not tell its status.
    const status = this.status === 0 ? "its status not told by fetch" : `HTTP ${this.status}`
    return `UltraCart ${endpointPaths[this.endpoint]} answered with a redirect (${status}); redirects are not followed`
  }
}

/**
 * An HTTP status error.
 *
 * @since 0.1.0
 * @category unions
 */
export type HttpStatusError =
  | Unauthorized
  | AppDisabled
  | RateLimited
  | ServerError
  | UltraCartError
  | UnexpectedRedirect

// -----------------------------------------------------------------------------
// Transport and decoding
// -----------------------------------------------------------------------------

/**
 * Whether the server may have acted on a request that failed in transport. `NotSent` only when that is certain
 * (connection refused, name not resolved, invalid URL); otherwise `Unknown` — which matters for single-use grants.
 *
 * @since 0.1.0
 * @category models
 */
export const RequestOutcome = Schema.Literal("NotSent", "Unknown")

/**
 * @since 0.1.0
 * @category models
 */
export type RequestOutcome = typeof RequestOutcome.Type

/**
 * The request or its response body did not make it across: connection failures, timeouts, a body cut short, or
 * (`BodyTooLarge`, since 0.2.0) a body longer than the client reads (`maxBodyBytes`), whose read was stopped.
 *
 * @since 0.1.0
 * @category transport errors
 */
export class TransportError extends TaggedError<TransportError>()("TransportError", {
  endpoint: Endpoint,
  reason: Schema.Literal("Transport", "Encode", "InvalidUrl", "Timeout", "Body", "BodyTimeout", "BodyTooLarge"),
  outcome: RequestOutcome,
  code: Schema.optional(Schema.String),
  detail: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    const code = this.code === undefined ? "" : ` ${this.code}`
    return `UltraCart ${endpointPaths[this.endpoint]}: ${this.reason}${code} — ${this.detail} (request ${
      this.outcome === "NotSent" ? "not sent" : "may have reached the server"
    })`
  }
}

/**
 * The server answered, but not in a form this client can trust: not JSON, a body missing required members, a
 * token type other than bearer, an unexpected status. `issues` lists where decoding failed (paths and kinds
 * only, never values).
 *
 * @since 0.1.0
 * @category transport errors
 */
export class MalformedResponse extends TaggedError<MalformedResponse>()("MalformedResponse", {
  endpoint: Endpoint,
  status: Schema.Number,
  contentType: Schema.optional(Schema.String),
  reason: Schema.Literal("NotJson", "Schema", "UnexpectedStatus"),
  issues: Schema.Array(Schema.String),
  ucRestError: Schema.optional(Schema.String)
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    const issues = this.issues.length === 0 ? "" : `: ${this.issues.join("; ")}`
    return `UltraCart ${endpointPaths[this.endpoint]} sent a response that does not decode (HTTP ${this.status}, ${this.reason})${issues}`
  }
}

/**
 * Caller input rejected before any request was made (an empty client id, a missing code, a non-https base URL…).
 *
 * @since 0.1.0
 * @category input errors
 */
export class InvalidInput extends TaggedError<InvalidInput>()("InvalidInput", {
  field: Schema.String,
  reason: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carry(this.prototype, TypeId)
  }
  override get message(): string {
    return `Invalid ${this.field}: ${this.reason}`
  }
}

/**
 * Everything an UltraCart OAuth endpoint call can fail with.
 *
 * @since 0.1.0
 * @category unions
 */
export type OAuthClientError = OAuthProtocolError | HttpStatusError | TransportError | MalformedResponse | InvalidInput

/**
 * Whether a value is one of this library's OAuth call errors (it carries {@link TypeId}).
 *
 * @example
 * ```ts
 * import * as OAuthError from "@ultracart-oauth/core/OAuthError"
 *
 * assert.ok(OAuthError.isOAuthClientError(new OAuthError.InvalidGrant({ endpoint: "token", status: 400 })))
 * // A look-alike is not one: the guard checks the type id, not the tag.
 * assert.ok(!OAuthError.isOAuthClientError({ _tag: "InvalidGrant" }))
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isOAuthClientError = (u: unknown): u is OAuthClientError => Predicate.hasProperty(u, TypeId)

/**
 * Whether an error is an OAuth protocol error (an `error` code from the server; it carries
 * {@link ProtocolErrorTypeId}).
 *
 * @since 0.1.0
 * @category guards
 */
export const isOAuthProtocolError = (u: unknown): u is OAuthProtocolError =>
  Predicate.hasProperty(u, ProtocolErrorTypeId)

/**
 * Whether the server answered the call with a refusal that sending the same request again will not change: an
 * OAuth error code other than `authorization_pending` and `slow_down` (which ask for another poll), or any other
 * 4xx answer except 408 and 429 — `Unauthorized`, `AppDisabled`, and `UltraCartError` (UltraCart's
 * `ErrorResponse`, whose `error_code` is the HTTP status, when the body names no OAuth code). A token manager
 * reads such an answer to a refresh as a dead grant; transport failures, 408, 429, 5xx, redirects and undecodable
 * answers are not refusals.
 *
 * @example
 * ```ts
 * import * as OAuthError from "@ultracart-oauth/core/OAuthError"
 *
 * // UltraCart's ErrorResponse naming no OAuth code: `error_code` is the HTTP status.
 * const unnamed = new OAuthError.UltraCartError({ endpoint: "token", status: 400, errorCode: "400" })
 * assert.strictEqual(OAuthError.isRefusal(unnamed), true) // a refresh answered so: the grant is dead
 * assert.strictEqual(OAuthError.isRefusal(new OAuthError.RateLimited({ endpoint: "token", status: 429 })), false)
 * ```
 *
 * @since 0.2.0
 * @category guards
 */
export const isRefusal = (error: OAuthClientError): boolean => {
  switch (error._tag) {
    case "AuthorizationPending":
    case "SlowDown":
    case "RateLimited":
    case "ServerError":
    case "UnexpectedRedirect":
    case "TransportError":
    case "MalformedResponse":
    case "InvalidInput":
      return false
    case "Unauthorized":
    case "AppDisabled":
    case "UltraCartError":
      return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429
    default:
      return true
  }
}
