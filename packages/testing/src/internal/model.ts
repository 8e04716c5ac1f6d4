/**
 * The fake's public data types and the shape of its service, declared once here so that the public module
 * (`FakeUltraCart`, which re-exports them under their own names) and the engine behind it both import them one way.
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { AuthorizeDecider, AuthorizeDecision, Grant } from "../AuthorizeDecision.js"
import type { FakeHttpOutcome, FakeHttpRequest } from "../FakeHttp.js"
import type { AuthorizationRejected, UserCodeRejected } from "../FakeUltraCartError.js"
import type { FakeOrder } from "../FakeRest.js"
import type { Fault } from "../Fault.js"
import type { FakeEndpoint, RecordedRequest, RequestFilter } from "../RecordedRequest.js"

/**
 * An app registered with the fake.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientRegistration {
  readonly clientId: string
  /** Exact-match redirect URIs (RFC 9700). */
  readonly redirectUris: ReadonlyArray<string>
  /**
   * Accept any port on a registered loopback redirect URI (`http://127.0.0.1/callback` matches
   * `http://127.0.0.1:53124/callback`), as RFC 8252 §7.3 asks for native apps and CLIs. Off by default.
   */
  readonly loopbackAnyPort?: boolean | undefined
  /** When set (either key), the token, revoke and device endpoints require the matching key header. */
  readonly simpleKey?: string | Redacted.Redacted<string> | undefined
  readonly browserKey?: string | Redacted.Redacted<string> | undefined
  /** The API permissions the app is configured with: what an approval grants unless told otherwise. */
  readonly permissions?: ReadonlyArray<string> | undefined
  /** Application-level scopes the device flow accepts (`crm`, `ultraship`…); any non-empty scope when omitted. */
  readonly deviceScopes?: ReadonlyArray<string> | undefined
}

/**
 * The fake's behaviour, changeable at any time with `FakeUltraCart.Service.configure`.
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeUltraCartSettings {
  /** Accepted `X-UltraCart-Api-Version` values (`["2017-03-01"]` by default); `"any"` accepts any non-empty one. */
  readonly apiVersions?: ReadonlyArray<string> | "any" | undefined
  /** The merchant id approvals grant unless told otherwise (`"DEMO"`). */
  readonly merchantId?: string | undefined
  /** Authorization code lifetime (10 minutes). */
  readonly codeLifetime?: Duration.DurationInput | undefined
  /** Access token lifetime (1 hour), sent as `expires_in`. */
  readonly accessTokenLifetime?: Duration.DurationInput | undefined
  /** Refresh token lifetime; `"never"` (the default) for refresh tokens that do not expire. */
  readonly refreshTokenLifetime?: Duration.DurationInput | "never" | undefined
  /** How `expires_in` is sent: a JSON `"string"` (UltraCart's spec, the default), a `"number"`, or `"omit"`. */
  readonly expiresInFormat?: "string" | "number" | "omit" | undefined
  /** Whether a refresh returns a new refresh token and retires the old one (true). */
  readonly rotateRefreshTokens?: boolean | undefined
  /** Answer refreshes without `refresh_token` (false). The old refresh token then stays valid (no rotation). */
  readonly omitRefreshTokenOnRefresh?: boolean | undefined
  /** Whether revoking an access token revokes its whole grant (true: UltraCart's "revoke this application"). */
  readonly revokeAccessTokenRevokesGrant?: boolean | undefined
  /**
   * The shape of token, revoke and device errors: RFC 6749 JSON (`"oauth"`, the default); UltraCart's
   * `ErrorResponse` with the OAuth code as its `error_code` (`"error-response"`); or UltraCart's `ErrorResponse` as
   * documented, `error_code` the HTTP status, with the OAuth code named in `developer_message` and `user_message`
   * (`"ultracart"`, e.g. `invalid_grant: The refresh token has expired`) or not named at all
   * (`"ultracart-unnamed"`: only the description).
   */
  readonly tokenErrorFormat?: "oauth" | "error-response" | "ultracart" | "ultracart-unnamed" | undefined
  /** The device grant's `grant_type` (core's default). */
  readonly deviceGrantType?: string | undefined
  /** Device code lifetime (15 minutes). */
  readonly deviceCodeLifetime?: Duration.DurationInput | undefined
  /** The device polling interval (5 seconds). */
  readonly deviceInterval?: Duration.DurationInput | undefined
  /** Whether `interval` is sent with a device authorization (true); without it clients must assume 5 s. */
  readonly sendDeviceInterval?: boolean | undefined
  /** The device flow's `verification_uri` (`<baseUrl>/oauth/device`). */
  readonly verificationUri?: string | undefined
  /** What `GET /oauth/authorize` decides (approve, with the defaults). */
  readonly authorizeDecision?: AuthorizeDecision | AuthorizeDecider | undefined
  /** Keep every request for inspection (true). Counting never stops. */
  readonly recordRequests?: boolean | undefined
  /** The orders the REST endpoints serve, each to its `merchant_id` (`FakeRest.sampleOrders` when unset). */
  readonly orders?: ReadonlyArray<FakeOrder> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FakeUltraCartOptions extends FakeUltraCartSettings {
  /** Where the in-memory fake answers (`FakeUltraCart.DEFAULT_BASE_URL`); the loopback server sets its own. */
  readonly baseUrl?: string | undefined
  /** The registered apps (`FakeUltraCart.DEFAULT_CLIENT` when omitted). */
  readonly clients?: ReadonlyArray<ClientRegistration> | undefined
  /** Server clock offset in milliseconds: positive = the server's clock is ahead of the client's. */
  readonly clockOffsetMillis?: number | undefined
}

/**
 * Tokens issued directly by `FakeUltraCart.Service.issueTokens`.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuedTokens {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
  /** Seconds. */
  readonly expiresIn: number
}

/**
 * What the fake knows about a token.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenInfo {
  readonly kind: "access" | "refresh"
  /** `rotated`: a refresh token replaced by a newer one (presenting it again revokes the grant). */
  readonly status: "active" | "expired" | "revoked" | "rotated"
  /** The grant (token family) the token belongs to. */
  readonly grantId: number
  readonly clientId: string
  readonly merchantId: string
  readonly permissions: ReadonlyArray<string>
  /** Server time (epoch milliseconds), when the token expires. */
  readonly expiresAt: number | undefined
}

/**
 * A device authorization as the fake tracks it.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeviceAuthorizationInfo {
  readonly userCode: string
  readonly clientId: string
  readonly scope: string
  readonly status: "pending" | "approved" | "denied" | "consumed" | "expired"
  /** The current polling interval in seconds (grows by 5 with every `slow_down`). */
  readonly intervalSeconds: number
}

/**
 * Which requests a fault applies to, and how many times (1 by default; `Infinity` for every one).
 *
 * @since 0.1.0
 * @category models
 */
export interface FaultMatch {
  readonly endpoint?: FakeEndpoint | ReadonlyArray<FakeEndpoint> | undefined
  readonly grantType?: string | undefined
  readonly when?: ((request: RecordedRequest) => boolean) | undefined
  readonly times?: number | undefined
}

/**
 * The authorize request a control acts on: the authorize URL itself (as `OAuthClient.authorizationUrl` builds
 * it), or its parameters.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizeInput =
  | string
  | URL
  | {
      readonly clientId: string
      readonly redirectUri: string
      readonly state: string | Redacted.Redacted<string>
    }

/**
 * The fake's controls and state (`FakeUltraCart.Service`).
 *
 * @since 0.1.0
 * @category models
 */
export interface FakeUltraCartService {
  /** Where the fake answers, e.g. `https://ultracart.fake.test/rest/v2` or `http://127.0.0.1:PORT/rest/v2`. */
  readonly baseUrl: string
  /** Registers (or replaces) an app. */
  readonly registerClient: (client: ClientRegistration) => Effect.Effect<void>
  /** Changes the fake's behaviour from now on. */
  readonly configure: (settings: FakeUltraCartSettings) => Effect.Effect<void>
  /** The merchant approves: yields the redirect URL carrying `code` and `state`. */
  readonly approve: (request: AuthorizeInput, grant?: Grant) => Effect.Effect<string, AuthorizationRejected>
  /** The merchant declines: yields the redirect URL carrying `error=access_denied` and `state`. */
  readonly deny: (request: AuthorizeInput, description?: string) => Effect.Effect<string, AuthorizationRejected>
  /** The authorize URL expired: yields the redirect URL carrying `error=invalid_request` and `state`. */
  readonly expire: (request: AuthorizeInput) => Effect.Effect<string, AuthorizationRejected>
  /** What `GET /oauth/authorize` decides from now on. */
  readonly setAuthorizeDecision: (decision: AuthorizeDecision | AuthorizeDecider) => Effect.Effect<void>
  /** A grant without the browser leg: as if a code had been exchanged. */
  readonly issueTokens: (
    input: { readonly clientId: string } & Grant
  ) => Effect.Effect<IssuedTokens, AuthorizationRejected>
  /** The merchant enters the user code and approves. */
  readonly approveDevice: (userCode: string, grant?: Grant) => Effect.Effect<void, UserCodeRejected>
  /** The merchant enters the user code and declines. */
  readonly denyDevice: (userCode: string) => Effect.Effect<void, UserCodeRejected>
  /** Every device authorization started, oldest first. */
  readonly deviceAuthorizations: Effect.Effect<ReadonlyArray<DeviceAuthorizationInfo>>
  /** Revokes a token's whole grant, as the merchant removing the app would. True when the token was known. */
  readonly revoke: (token: string | Redacted.Redacted<string>) => Effect.Effect<boolean>
  /** What the fake knows about a token. */
  readonly inspectToken: (token: string | Redacted.Redacted<string>) => Effect.Effect<Option.Option<TokenInfo>>
  /** Every request received (while recording is on), oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** How many requests arrived (all, or those matching the filter), faulted and dropped ones included. */
  readonly requestCount: (filter?: RequestFilter) => Effect.Effect<number>
  /** Forgets recorded requests and counts. */
  readonly clearRequests: Effect.Effect<void>
  /**
   * Forgets every code, token, grant, device authorization, recorded request and armed fault, and the clock
   * offset; keeps the registered apps and the settings. For a fake shared by several tests.
   */
  readonly reset: Effect.Effect<void>
  /** Arms a fault for the next matching requests. Rules are tried in the order they were armed. */
  readonly injectFault: (fault: Fault, match?: FaultMatch) => Effect.Effect<void>
  /** Disarms every fault. */
  readonly clearFaults: Effect.Effect<void>
  /** Faults still armed (counting each rule once). */
  readonly pendingFaults: Effect.Effect<number>
  /** Sets the server clock's offset in milliseconds: positive = ahead of the client, negative = behind. */
  readonly setClockOffset: (millis: number) => Effect.Effect<void>
  /** The server's time (epoch milliseconds, offset included). */
  readonly now: Effect.Effect<number>
  /** The transport entry point: answers one request. Used by the in-memory client and the loopback server. */
  readonly handle: (request: FakeHttpRequest) => Effect.Effect<FakeHttpOutcome>
}
