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
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", ProtocolFields) {
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
export class InvalidClient extends Schema.TaggedError<InvalidClient>()("InvalidClient", ProtocolFields) {
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
export class InvalidGrant extends Schema.TaggedError<InvalidGrant>()("InvalidGrant", ProtocolFields) {
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
export class UnauthorizedClient extends Schema.TaggedError<UnauthorizedClient>()("UnauthorizedClient", ProtocolFields) {
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
export class UnsupportedGrantType extends Schema.TaggedError<UnsupportedGrantType>()(
  "UnsupportedGrantType",
  ProtocolFields
) {
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
export class InvalidScope extends Schema.TaggedError<InvalidScope>()("InvalidScope", ProtocolFields) {
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
export class UnsupportedTokenType extends Schema.TaggedError<UnsupportedTokenType>()(
  "UnsupportedTokenType",
  ProtocolFields
) {
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
export class AuthorizationPending extends Schema.TaggedError<AuthorizationPending>()(
  "AuthorizationPending",
  ProtocolFields
) {
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
export class SlowDown extends Schema.TaggedError<SlowDown>()("SlowDown", ProtocolFields) {
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
export class AccessDenied extends Schema.TaggedError<AccessDenied>()("AccessDenied", ProtocolFields) {
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
export class ExpiredToken extends Schema.TaggedError<ExpiredToken>()("ExpiredToken", ProtocolFields) {
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
export class UnknownOAuthError extends Schema.TaggedError<UnknownOAuthError>()("UnknownOAuthError", {
  ...ProtocolFields,
  code: Schema.String
}) {
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
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  endpoint: Endpoint,
  status: Schema.Number,
  ...UltraCartDetails
}) {
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
export class AppDisabled extends Schema.TaggedError<AppDisabled>()("AppDisabled", {
  endpoint: Endpoint,
  status: Schema.Number,
  ...UltraCartDetails
}) {
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
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  endpoint: Endpoint,
  status: Schema.Number,
  retryAfterMillis: Schema.optional(Schema.NonNegative),
  ...UltraCartDetails
}) {
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
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  endpoint: Endpoint,
  status: Schema.Number,
  retryAfterMillis: Schema.optional(Schema.NonNegative),
  ...UltraCartDetails
}) {
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
export class UltraCartError extends Schema.TaggedError<UltraCartError>()("UltraCartError", {
  endpoint: Endpoint,
  status: Schema.Number,
  ...UltraCartDetails
}) {
  override get message(): string {
    return statusMessage("rejected the call", this)
  }
}

/**
 * A 3xx answer (status 0 when a browser's fetch hides the redirect it was told not to follow). Redirects are
 * never followed on these calls (RFC 9700): a redirected POST could carry a code or token to another host.
 *
 * @since 0.1.0
 * @category http errors
 */
export class UnexpectedRedirect extends Schema.TaggedError<UnexpectedRedirect>()("UnexpectedRedirect", {
  endpoint: Endpoint,
  status: Schema.Number
}) {
  override get message(): string {
    return `UltraCart ${endpointPaths[this.endpoint]} answered with a redirect (HTTP ${this.status}); redirects are not followed`
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
 * The request or its response body did not make it across: connection failures, timeouts, a body cut short.
 *
 * @since 0.1.0
 * @category transport errors
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  endpoint: Endpoint,
  reason: Schema.Literal("Transport", "Encode", "InvalidUrl", "Timeout", "Body", "BodyTimeout"),
  outcome: RequestOutcome,
  code: Schema.optional(Schema.String),
  detail: Schema.String
}) {
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
export class MalformedResponse extends Schema.TaggedError<MalformedResponse>()("MalformedResponse", {
  endpoint: Endpoint,
  status: Schema.Number,
  contentType: Schema.optional(Schema.String),
  reason: Schema.Literal("NotJson", "Schema", "UnexpectedStatus"),
  issues: Schema.Array(Schema.String),
  ucRestError: Schema.optional(Schema.String)
}) {
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
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  field: Schema.String,
  reason: Schema.String
}) {
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

const protocolTags: ReadonlySet<string> = new Set([
  ...Object.values(protocolErrorsByCode).map((c) => c._tag),
  "UnknownOAuthError"
])

const allTags: ReadonlySet<string> = new Set([
  ...protocolTags,
  "Unauthorized",
  "AppDisabled",
  "RateLimited",
  "ServerError",
  "UltraCartError",
  "UnexpectedRedirect",
  "TransportError",
  "MalformedResponse",
  "InvalidInput"
])

const hasTagIn = (tags: ReadonlySet<string>, u: unknown): boolean =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)

/**
 * Whether a value is one of this library's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isOAuthClientError = (u: unknown): u is OAuthClientError => hasTagIn(allTags, u)

/**
 * Whether an error is an OAuth protocol error (an `error` code from the server).
 *
 * @since 0.1.0
 * @category guards
 */
export const isOAuthProtocolError = (u: unknown): u is OAuthProtocolError => hasTagIn(protocolTags, u)
