import { Credentials, OAuthClient } from "@ultracart-oauth/core"
import { type Clock, Duration, Effect, Either, Option, Redacted } from "effect"
import type { AuthorizeDecider, AuthorizeDecision } from "../AuthorizeDecision.js"
import type { FakeHttpOutcome, FakeHttpRequest, FakeHttpResponse } from "../FakeHttp.js"
import type {
  AuthorizeInput,
  ClientRegistration,
  DeviceAuthorizationInfo,
  FakeUltraCart,
  FakeUltraCartOptions,
  FakeUltraCartSettings,
  FaultMatch,
  TokenInfo
} from "../FakeUltraCart.js"
import { AuthorizationRejected, UserCodeRejected } from "../FakeUltraCartError.js"
import type { Fault, RetryAfter } from "../Fault.js"
import type { FakeEndpoint, RecordedRequest, RequestFilter } from "../RecordedRequest.js"
import { randomToken, randomUserCode } from "./random.js"
import {
  type DeviceBody,
  errorResponse,
  gatewayPage,
  json,
  oauthError,
  redirect,
  type RevokeBody,
  type TokenBody,
  tokenJson,
  type TokenErrorFormat
} from "./wire.js"

// -----------------------------------------------------------------------------
// State
// -----------------------------------------------------------------------------

interface ClientState {
  readonly clientId: string
  readonly redirectUris: ReadonlySet<string>
  /** Registered loopback redirect URIs without their port, when any port is accepted (RFC 8252 §7.3). */
  readonly loopbackRedirectUris: ReadonlySet<string> | undefined
  readonly simpleKey: string | undefined
  readonly browserKey: string | undefined
  readonly permissions: ReadonlyArray<string>
  readonly deviceScopes: ReadonlySet<string> | undefined
}

/** A grant: everything issued from one authorization (one token family). Revoking it kills every token. */
interface GrantState {
  readonly id: number
  readonly clientId: string
  readonly merchantId: string
  readonly permissions: ReadonlyArray<string>
  revoked: boolean
}

interface CodeState {
  readonly clientId: string
  readonly redirectUri: string
  readonly merchantId: string
  readonly permissions: ReadonlyArray<string>
  readonly expiresAt: number
  /** The grant issued from this code, once exchanged (RFC 6749 §10.5: revoked if the code is seen again). */
  grant: GrantState | undefined
}

interface AccessState {
  readonly grant: GrantState
  readonly expiresAt: number
  revoked: boolean
}

interface RefreshState {
  readonly grant: GrantState
  readonly expiresAt: number | undefined
  rotated: boolean
}

interface DeviceState {
  readonly userCode: string
  readonly clientId: string
  readonly scope: string
  readonly expiresAt: number
  intervalMillis: number
  lastPollAt: number | undefined
  status: "pending" | "approved" | "denied" | "consumed"
  merchantId: string | undefined
  permissions: ReadonlyArray<string> | undefined
}

interface Settings {
  readonly apiVersions: ReadonlySet<string> | "any"
  readonly merchantId: string
  readonly codeLifetime: number
  readonly accessTokenLifetime: number
  readonly refreshTokenLifetime: number | undefined
  readonly expiresInFormat: "string" | "number" | "omit"
  readonly rotateRefreshTokens: boolean
  readonly omitRefreshTokenOnRefresh: boolean
  readonly revokeAccessTokenRevokesGrant: boolean
  readonly tokenErrorFormat: TokenErrorFormat
  readonly deviceGrantType: string
  readonly deviceCodeLifetime: number
  readonly deviceInterval: number
  readonly sendDeviceInterval: boolean
  readonly verificationUri: string
  readonly authorizeDecision: AuthorizeDecision | AuthorizeDecider
  readonly recordRequests: boolean
}

const millis = (input: Duration.DurationInput): number => Duration.toMillis(Duration.decode(input))

const applySettings = (base: Settings, s: FakeUltraCartSettings): Settings => ({
  apiVersions: s.apiVersions === undefined
    ? base.apiVersions
    : s.apiVersions === "any"
    ? "any"
    : new Set(s.apiVersions),
  merchantId: s.merchantId ?? base.merchantId,
  codeLifetime: s.codeLifetime !== undefined ? millis(s.codeLifetime) : base.codeLifetime,
  accessTokenLifetime: s.accessTokenLifetime !== undefined ? millis(s.accessTokenLifetime) : base.accessTokenLifetime,
  refreshTokenLifetime: s.refreshTokenLifetime === undefined
    ? base.refreshTokenLifetime
    : s.refreshTokenLifetime === "never"
    ? undefined
    : millis(s.refreshTokenLifetime),
  expiresInFormat: s.expiresInFormat ?? base.expiresInFormat,
  rotateRefreshTokens: s.rotateRefreshTokens ?? base.rotateRefreshTokens,
  omitRefreshTokenOnRefresh: s.omitRefreshTokenOnRefresh ?? base.omitRefreshTokenOnRefresh,
  revokeAccessTokenRevokesGrant: s.revokeAccessTokenRevokesGrant ?? base.revokeAccessTokenRevokesGrant,
  tokenErrorFormat: s.tokenErrorFormat ?? base.tokenErrorFormat,
  deviceGrantType: s.deviceGrantType ?? base.deviceGrantType,
  deviceCodeLifetime: s.deviceCodeLifetime !== undefined ? millis(s.deviceCodeLifetime) : base.deviceCodeLifetime,
  deviceInterval: s.deviceInterval !== undefined ? millis(s.deviceInterval) : base.deviceInterval,
  sendDeviceInterval: s.sendDeviceInterval ?? base.sendDeviceInterval,
  verificationUri: s.verificationUri ?? base.verificationUri,
  authorizeDecision: s.authorizeDecision ?? base.authorizeDecision,
  recordRequests: s.recordRequests ?? base.recordRequests
})

const defaultSettings = (baseUrl: string): Settings => ({
  apiVersions: new Set([OAuthClient.DEFAULT_API_VERSION]),
  merchantId: "DEMO",
  codeLifetime: 10 * 60_000,
  accessTokenLifetime: 60 * 60_000,
  refreshTokenLifetime: undefined,
  expiresInFormat: "string",
  rotateRefreshTokens: true,
  omitRefreshTokenOnRefresh: false,
  revokeAccessTokenRevokesGrant: true,
  tokenErrorFormat: "oauth",
  deviceGrantType: OAuthClient.DEVICE_CODE_GRANT_TYPE,
  deviceCodeLifetime: 15 * 60_000,
  deviceInterval: 5_000,
  sendDeviceInterval: true,
  verificationUri: `${baseUrl}/oauth/device`,
  authorizeDecision: { _tag: "Approve" },
  recordRequests: true
})

const secretText = (value: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(value) ? Redacted.value(value) : value

const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"])

/** A loopback http URI with its port removed, or undefined for any other URI. */
const withoutLoopbackPort = (uri: string): string | undefined => {
  try {
    const url = new URL(uri)
    if (url.protocol !== "http:" || !loopbackHosts.has(url.hostname)) return undefined
    url.port = ""
    return url.toString()
  } catch {
    return undefined
  }
}

const isRegisteredRedirect = (client: ClientState, uri: string): boolean => {
  if (client.redirectUris.has(uri)) return true
  if (client.loopbackRedirectUris === undefined) return false
  const portless = withoutLoopbackPort(uri)
  return portless !== undefined && client.loopbackRedirectUris.has(portless)
}

const toClientState = (c: ClientRegistration): ClientState => ({
  clientId: c.clientId,
  redirectUris: new Set(c.redirectUris),
  loopbackRedirectUris: c.loopbackAnyPort === true
    ? new Set(c.redirectUris.flatMap((uri) => withoutLoopbackPort(uri) ?? []))
    : undefined,
  simpleKey: c.simpleKey === undefined ? undefined : secretText(c.simpleKey),
  browserKey: c.browserKey === undefined ? undefined : secretText(c.browserKey),
  permissions: c.permissions ?? [],
  deviceScopes: c.deviceScopes === undefined ? undefined : new Set(c.deviceScopes)
})

/** A recorded request while the server works on it (status and fault are filled in at the end). */
interface MutableRecord extends RecordedRequest {
  status: number | undefined
  fault: string | undefined
}

interface FaultRule {
  readonly fault: Fault
  readonly endpoints: ReadonlyArray<FakeEndpoint> | undefined
  readonly grantType: string | undefined
  readonly when: ((request: RecordedRequest) => boolean) | undefined
  remaining: number
}

/** The request being handled: parsed once, shared by fault matching and processing. */
interface Exchange {
  readonly request: FakeHttpRequest
  readonly record: MutableRecord
  /** The form, or undefined when the body is not form-urlencoded. */
  readonly form: Readonly<Record<string, string>> | undefined
  /** A parameter that appeared twice (RFC 6749 §3.2: none may). */
  readonly repeated: string | undefined
}

type Routed = { readonly path: string; readonly endpoint: FakeEndpoint }

const endpointsByPath: Record<string, FakeEndpoint> = {
  "/oauth/token": "token",
  "/oauth/revoke": "revoke",
  "/oauth/device/authorize": "device_authorize",
  "/oauth/me": "me",
  "/oauth/authorize": "authorize"
}

const methodOf: Record<FakeEndpoint, string> = {
  token: "POST",
  revoke: "POST",
  device_authorize: "POST",
  me: "GET",
  authorize: "GET",
  unknown: ""
}

const emptyRecord: Readonly<Record<string, string>> = Object.freeze({})

const parseForm = (body: string): { form: Record<string, string>; repeated: string | undefined } => {
  const form: Record<string, string> = {}
  let repeated: string | undefined
  for (const [key, value] of new URLSearchParams(body)) {
    // RFC 6749 App. B / §3.2: a parameter without a value counts as omitted.
    if (value === "") continue
    if (key in form) repeated ??= key
    else form[key] = value
  }
  return { form, repeated }
}

const isForm = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")

// -----------------------------------------------------------------------------
// Engine
// -----------------------------------------------------------------------------

/** The fake server: state, rules and faults. Every state change happens synchronously inside one request. */
export class Engine {
  readonly baseUrl: string
  private readonly basePath: string
  private settings: Settings
  private clockOffset: number
  private readonly clients = new Map<string, ClientState>()
  private readonly codes = new Map<string, CodeState>()
  private readonly accessTokens = new Map<string, AccessState>()
  private readonly refreshTokens = new Map<string, RefreshState>()
  private readonly devicesByCode = new Map<string, DeviceState>()
  private readonly devicesByUserCode = new Map<string, DeviceState>()
  private readonly records: Array<MutableRecord> = []
  private readonly counts = new Map<string, number>()
  private rules: Array<FaultRule> = []
  private sequence = 0
  /** `sequence` when requests were last cleared. */
  private countBase = 0
  private grantIds = 0

  readonly service: FakeUltraCart.Service

  constructor(
    options: FakeUltraCartOptions & { readonly baseUrl: string; readonly clients: ReadonlyArray<ClientRegistration> },
    private readonly clock: Clock.Clock
  ) {
    this.baseUrl = options.baseUrl
    this.basePath = new URL(this.baseUrl).pathname.replace(/\/+$/, "")
    this.settings = applySettings(defaultSettings(this.baseUrl), options)
    this.clockOffset = options.clockOffsetMillis ?? 0
    for (const client of options.clients) this.clients.set(client.clientId, toClientState(client))
    this.service = this.makeService()
  }

  private now(): number {
    return this.clock.unsafeCurrentTimeMillis() + this.clockOffset
  }

  // ---------------------------------------------------------------------------
  // Request handling
  // ---------------------------------------------------------------------------

  handle(request: FakeHttpRequest): Effect.Effect<FakeHttpOutcome> {
    return Effect.suspend(() => {
      const exchange = this.receive(request)
      const fault = this.rules.length === 0 ? undefined : this.takeFault(exchange.record)
      if (fault === undefined) return this.answer(exchange, this.process(exchange))
      exchange.record.fault = fault._tag
      return this.applyFault(exchange, fault)
    })
  }

  private route(url: URL): Routed {
    const full = url.pathname
    const path = full.startsWith(this.basePath) ? full.slice(this.basePath.length) || "/" : full
    const endpoint = full.startsWith(this.basePath) ? endpointsByPath[path] ?? "unknown" : "unknown"
    return { path, endpoint }
  }

  private receive(request: FakeHttpRequest): Exchange {
    const { endpoint, path } = this.route(request.url)
    const parsed = isForm(request.headers["content-type"]) ? parseForm(request.body) : undefined
    const form = parsed?.form
    const grantType = endpoint === "token" ? form?.["grant_type"] : undefined
    const record: MutableRecord = {
      sequence: ++this.sequence,
      receivedAt: this.now(),
      method: request.method,
      path,
      endpoint,
      grantType,
      headers: request.headers,
      query: request.url.search === "" ? emptyRecord : Object.fromEntries(request.url.searchParams),
      form: form ?? emptyRecord,
      body: request.body,
      status: undefined,
      fault: undefined
    }
    if (this.settings.recordRequests) this.records.push(record)
    this.count(endpoint)
    if (grantType !== undefined) this.count(`${endpoint} ${grantType}`)
    return { request, record, form, repeated: parsed?.repeated }
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
  }

  private takeFault(record: RecordedRequest): Fault | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]
      if (rule === undefined) break
      if (rule.endpoints !== undefined && !rule.endpoints.includes(record.endpoint)) continue
      if (rule.grantType !== undefined && rule.grantType !== record.grantType) continue
      if (rule.when !== undefined && !rule.when(record)) continue
      rule.remaining -= 1
      if (rule.remaining <= 0) this.rules.splice(i, 1)
      return rule.fault
    }
    return undefined
  }

  /** Stamps the answer with the server's `Date`, records it, and logs it (method, path, status: nothing secret). */
  private finish(exchange: Exchange, response: FakeHttpResponse): FakeHttpResponse {
    exchange.record.status = response.status
    return { ...response, headers: { ...response.headers, date: new Date(this.now()).toUTCString() } }
  }

  private log(exchange: Exchange, outcome: FakeHttpOutcome): Effect.Effect<FakeHttpOutcome> {
    const { record } = exchange
    return Effect.as(
      Effect.annotateLogs(Effect.logDebug("fake UltraCart request"), {
        method: record.method,
        path: record.path,
        status: record.status ?? "dropped",
        ...(record.grantType !== undefined ? { grant_type: record.grantType } : {}),
        ...(record.fault !== undefined ? { fault: record.fault } : {})
      }),
      outcome
    )
  }

  private answer(exchange: Exchange, response: FakeHttpResponse): Effect.Effect<FakeHttpOutcome> {
    return this.log(exchange, { _tag: "Respond", response: this.finish(exchange, response) })
  }

  private applyFault(exchange: Exchange, fault: Fault): Effect.Effect<FakeHttpOutcome> {
    switch (fault._tag) {
      case "Delay":
        return Effect.zipRight(
          this.clock.sleep(fault.duration),
          Effect.suspend(() =>
            fault.then === undefined ? this.answer(exchange, this.process(exchange)) : this.applyFault(exchange, fault.then)
          )
        )
      case "DropConnection": {
        if (fault.phase === "BeforeProcessing") return this.log(exchange, { _tag: "Drop" })
        const response = this.process(exchange)
        if (fault.phase === "AfterProcessing") return this.log(exchange, { _tag: "Drop" })
        return this.log(exchange, { _tag: "Truncate", response: this.finish(exchange, response) })
      }
      case "RateLimited":
        return this.answer(
          exchange,
          errorResponse(429, "rate_limit", "Rate limit exceeded. Please slow down.", this.retryAfter(fault.retryAfter))
        )
      case "ServerError": {
        const headers = this.retryAfter(fault.retryAfter)
        return this.answer(
          exchange,
          fault.status >= 502 && fault.status <= 504
            ? gatewayPage(fault.status, headers)
            : errorResponse(fault.status, "internal_error", "An internal server error occurred.", headers)
        )
      }
      case "OAuthErrorWithOk":
        return this.answer(
          exchange,
          tokenJson(200, { error: fault.error, ...(fault.description !== undefined ? { error_description: fault.description } : {}) })
        )
      case "JsonAsTextPlain": {
        const response = this.process(exchange)
        return this.answer(exchange, {
          ...response,
          headers: { ...response.headers, "content-type": "text/plain; charset=UTF-8" }
        })
      }
      case "MalformedJson": {
        const response = this.process(exchange)
        return this.answer(exchange, { ...response, body: response.body.slice(0, Math.ceil(response.body.length / 2)) })
      }
      case "Respond":
        return this.answer(exchange, { status: fault.status, headers: fault.headers, body: fault.body })
    }
  }

  private retryAfter(retryAfter: RetryAfter | undefined): Record<string, string> {
    if (retryAfter === undefined) return {}
    switch (retryAfter._tag) {
      case "Seconds":
        return { "retry-after": String(retryAfter.seconds) }
      case "HttpDate":
        return { "retry-after": new Date(this.now() + Duration.toMillis(retryAfter.after)).toUTCString() }
      case "Raw":
        return { "retry-after": retryAfter.value }
    }
  }

  // ---------------------------------------------------------------------------
  // Processing: UltraCart's rules
  // ---------------------------------------------------------------------------

  private process(exchange: Exchange): FakeHttpResponse {
    const { record, request } = exchange
    const endpoint = record.endpoint
    if (endpoint === "unknown") {
      return errorResponse(404, "not_found", `No resource at ${record.path}`)
    }
    if (request.method !== methodOf[endpoint]) {
      return errorResponse(405, "method_not_allowed", `${request.method} is not allowed on ${record.path}`, {
        allow: methodOf[endpoint]
      })
    }
    if (endpoint === "authorize") return this.authorizeOverHttp(request.url.searchParams)
    const version = request.headers["x-ultracart-api-version"]
    if (version === undefined || version.trim() === "") {
      return errorResponse(
        400,
        "missing_api_version",
        "The X-UltraCart-Api-Version header is required. See https://www.ultracart.com/api/#versioning"
      )
    }
    const versions = this.settings.apiVersions
    if (versions !== "any" && !versions.has(version)) {
      return errorResponse(400, "invalid_api_version", "The X-UltraCart-Api-Version header names an unknown version")
    }
    if (endpoint === "me") return this.me(request.headers["authorization"])
    const form = exchange.form
    if (form === undefined) {
      return errorResponse(415, "unsupported_media_type", "The request body must be application/x-www-form-urlencoded")
    }
    if (exchange.repeated !== undefined) {
      return this.oauthError(400, "invalid_request", `The ${exchange.repeated} parameter is repeated`)
    }
    const client = this.authenticateClient(form, request.headers)
    if (Either.isLeft(client)) return client.left
    switch (endpoint) {
      case "token":
        return this.token(client.right, form)
      case "revoke":
        return this.revokeOverHttp(client.right, form)
      case "device_authorize":
        return this.deviceAuthorize(client.right, form)
    }
  }

  private oauthError(status: number, error: string, description: string): FakeHttpResponse {
    return oauthError(this.settings.tokenErrorFormat, status, error, description)
  }

  private authenticateClient(
    form: Readonly<Record<string, string>>,
    headers: Readonly<Record<string, string>>
  ): Either.Either<ClientState, FakeHttpResponse> {
    const clientId = form["client_id"]
    if (clientId === undefined) return Either.left(this.oauthError(400, "invalid_request", "client_id is required"))
    const client = this.clients.get(clientId)
    if (client === undefined) return Either.left(this.oauthError(401, "invalid_client", "Unknown client_id"))
    if (client.simpleKey !== undefined || client.browserKey !== undefined) {
      const simple = headers[Credentials.SIMPLE_KEY_HEADER]
      const browser = headers[Credentials.BROWSER_KEY_HEADER]
      const ok = (client.simpleKey !== undefined && simple === client.simpleKey) ||
        (client.browserKey !== undefined && browser === client.browserKey)
      if (!ok) {
        return Either.left(
          this.oauthError(
            401,
            "invalid_client",
            simple === undefined && browser === undefined ? "An API key is required" : "The API key is not valid"
          )
        )
      }
    }
    return Either.right(client)
  }

  private token(client: ClientState, form: Readonly<Record<string, string>>): FakeHttpResponse {
    const grantType = form["grant_type"]
    if (grantType === undefined) return this.oauthError(400, "invalid_request", "grant_type is required")
    if (grantType === "authorization_code") return this.exchangeCode(client, form)
    if (grantType === "refresh_token") return this.refresh(client, form)
    if (grantType === this.settings.deviceGrantType) return this.pollDevice(client, form)
    return this.oauthError(400, "unsupported_grant_type", "This grant_type is not supported")
  }

  private exchangeCode(client: ClientState, form: Readonly<Record<string, string>>): FakeHttpResponse {
    const code = form["code"]
    const redirectUri = form["redirect_uri"]
    if (code === undefined) return this.oauthError(400, "invalid_request", "code is required")
    if (redirectUri === undefined) return this.oauthError(400, "invalid_request", "redirect_uri is required")
    const state = this.codes.get(code)
    if (state === undefined) return this.oauthError(400, "invalid_grant", "The authorization code is not valid")
    if (state.clientId !== client.clientId) {
      return this.oauthError(400, "invalid_grant", "The authorization code was issued to another client")
    }
    if (state.grant !== undefined) {
      // RFC 6749 §4.1.2 / §10.5: a code seen twice revokes everything issued from it.
      state.grant.revoked = true
      return this.oauthError(400, "invalid_grant", "The authorization code was already used; its tokens are revoked")
    }
    if (this.now() >= state.expiresAt) return this.oauthError(400, "invalid_grant", "The authorization code has expired")
    if (redirectUri !== state.redirectUri) {
      return this.oauthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
    }
    const grant = this.newGrant(client.clientId, state.merchantId, state.permissions)
    state.grant = grant
    return tokenJson(200, this.issue(grant, true).body)
  }

  private refresh(client: ClientState, form: Readonly<Record<string, string>>): FakeHttpResponse {
    const token = form["refresh_token"]
    if (token === undefined) return this.oauthError(400, "invalid_request", "refresh_token is required")
    const state = this.refreshTokens.get(token)
    if (state === undefined || state.grant.clientId !== client.clientId) {
      return this.oauthError(400, "invalid_grant", "The refresh token is not valid")
    }
    if (state.grant.revoked) return this.oauthError(400, "invalid_grant", "The refresh token has been revoked")
    if (state.rotated) {
      // Reuse of a retired refresh token: someone holds a stale copy. Revoke the whole family (RFC 9700 §4.14).
      state.grant.revoked = true
      return this.oauthError(400, "invalid_grant", "The refresh token was already used; the grant is revoked")
    }
    if (state.expiresAt !== undefined && this.now() >= state.expiresAt) {
      return this.oauthError(400, "invalid_grant", "The refresh token has expired")
    }
    const { omitRefreshTokenOnRefresh, rotateRefreshTokens } = this.settings
    const rotate = rotateRefreshTokens && !omitRefreshTokenOnRefresh
    if (rotate) state.rotated = true
    const { body } = this.issue(state.grant, rotate)
    return tokenJson(200, !rotate && !omitRefreshTokenOnRefresh ? { ...body, refresh_token: token } : body)
  }

  private pollDevice(client: ClientState, form: Readonly<Record<string, string>>): FakeHttpResponse {
    const deviceCode = form["device_code"]
    if (deviceCode === undefined) return this.oauthError(400, "invalid_request", "device_code is required")
    const device = this.devicesByCode.get(deviceCode)
    if (device === undefined || device.clientId !== client.clientId) {
      return this.oauthError(400, "invalid_grant", "The device code is not valid")
    }
    const now = this.now()
    if (now >= device.expiresAt) return this.oauthError(400, "expired_token", "The device code has expired")
    const lastPollAt = device.lastPollAt
    device.lastPollAt = now
    switch (device.status) {
      case "consumed":
        return this.oauthError(400, "invalid_grant", "The device code was already used")
      case "denied":
        return this.oauthError(400, "access_denied", "The merchant declined the authorization")
      case "approved": {
        device.status = "consumed"
        const grant = this.newGrant(
          client.clientId,
          device.merchantId ?? this.settings.merchantId,
          device.permissions ?? client.permissions
        )
        return tokenJson(200, this.issue(grant, true).body)
      }
      case "pending":
        if (lastPollAt !== undefined && now - lastPollAt < device.intervalMillis) {
          // RFC 8628 §3.5: and the interval grows by 5 seconds for this and every later poll.
          device.intervalMillis += 5_000
          return this.oauthError(400, "slow_down", "Polling too fast; wait longer between polls")
        }
        return this.oauthError(400, "authorization_pending", "The merchant has not decided yet")
    }
  }

  private deviceAuthorize(client: ClientState, form: Readonly<Record<string, string>>): FakeHttpResponse {
    const scope = form["scope"]
    if (scope === undefined) return this.oauthError(400, "invalid_request", "scope is required")
    if (client.deviceScopes !== undefined && !client.deviceScopes.has(scope)) {
      return this.oauthError(400, "invalid_scope", "This scope is not available to the application")
    }
    const { deviceCodeLifetime, deviceInterval, sendDeviceInterval, verificationUri } = this.settings
    const deviceCode = randomToken("uc_dc_")
    let userCode = randomUserCode()
    while (this.devicesByUserCode.has(userCode)) userCode = randomUserCode()
    const device: DeviceState = {
      userCode,
      clientId: client.clientId,
      scope,
      expiresAt: this.now() + deviceCodeLifetime,
      intervalMillis: sendDeviceInterval ? deviceInterval : 5_000,
      lastPollAt: undefined,
      status: "pending",
      merchantId: undefined,
      permissions: undefined
    }
    this.devicesByCode.set(deviceCode, device)
    this.devicesByUserCode.set(userCode, device)
    const complete = new URL(verificationUri)
    complete.searchParams.set("user_code", userCode)
    const body: DeviceBody = {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      verification_uri_complete: complete.toString(),
      expires_in: Math.floor(deviceCodeLifetime / 1000),
      ...(sendDeviceInterval ? { interval: Math.max(1, Math.round(deviceInterval / 1000)) } : {})
    }
    return tokenJson(200, body)
  }

  private revokeOverHttp(client: ClientState, form: Readonly<Record<string, string>>): FakeHttpResponse {
    const token = form["token"]
    if (token === undefined) return this.oauthError(400, "invalid_request", "token is required")
    const grant = this.grantOf(token)
    if (grant !== undefined && grant.clientId !== client.clientId) {
      return this.oauthError(400, "unauthorized_client", "The token was not issued to this client")
    }
    this.revokeToken(token)
    // RFC 7009 §2.2: 200 also for an unknown or already invalid token.
    const body: RevokeBody = { successful: true, message: "The application has been revoked" }
    return json(200, body)
  }

  private me(authorization: string | undefined): FakeHttpResponse {
    const match = authorization === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(authorization)
    const unauthorized = (message: string) =>
      errorResponse(401, "invalid_credentials", message, {
        "www-authenticate": `Bearer realm="UltraCart", error="invalid_token"`
      })
    if (match === null) return unauthorized("A bearer access token is required")
    const state = this.accessTokens.get(match[1] ?? "")
    if (state === undefined) return unauthorized("The access token is not valid")
    if (state.revoked || state.grant.revoked) return unauthorized("The access token has been revoked")
    if (this.now() >= state.expiresAt) return unauthorized("The access token has expired")
    return json(200, { merchant_id: state.grant.merchantId, permissions: state.grant.permissions })
  }

  private newGrant(clientId: string, merchantId: string, permissions: ReadonlyArray<string>): GrantState {
    return { id: ++this.grantIds, clientId, merchantId, permissions, revoked: false }
  }

  /** Issues an access token (and a refresh token) for a grant, with its wire body. */
  private issue(grant: GrantState, withRefresh: boolean): {
    readonly body: TokenBody
    readonly accessToken: string
    readonly refreshToken: string | undefined
    readonly expiresIn: number
  } {
    const { accessTokenLifetime, expiresInFormat, refreshTokenLifetime } = this.settings
    const now = this.now()
    const accessToken = randomToken("uc_at_")
    this.accessTokens.set(accessToken, { grant, expiresAt: now + accessTokenLifetime, revoked: false })
    let refreshToken: string | undefined
    if (withRefresh) {
      refreshToken = randomToken("uc_rt_")
      this.refreshTokens.set(refreshToken, {
        grant,
        expiresAt: refreshTokenLifetime === undefined ? undefined : now + refreshTokenLifetime,
        rotated: false
      })
    }
    const expiresIn = Math.floor(accessTokenLifetime / 1000)
    const body: TokenBody = {
      access_token: accessToken,
      token_type: "bearer",
      ...(expiresInFormat === "omit" ? {} : { expires_in: expiresInFormat === "string" ? String(expiresIn) : expiresIn }),
      scope: grant.permissions.join(" "),
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {})
    }
    return { body, accessToken, refreshToken, expiresIn }
  }

  private grantOf(token: string): GrantState | undefined {
    return this.accessTokens.get(token)?.grant ?? this.refreshTokens.get(token)?.grant
  }

  /** Revokes a token: a refresh token takes its grant with it; an access token too unless configured otherwise. */
  private revokeToken(token: string): boolean {
    const refresh = this.refreshTokens.get(token)
    if (refresh !== undefined) {
      refresh.grant.revoked = true
      return true
    }
    const access = this.accessTokens.get(token)
    if (access === undefined) return false
    if (this.settings.revokeAccessTokenRevokesGrant) access.grant.revoked = true
    else access.revoked = true
    return true
  }

  // ---------------------------------------------------------------------------
  // The browser leg
  // ---------------------------------------------------------------------------

  private decide(
    params: {
      readonly clientId: string | undefined
      readonly redirectUri: string | undefined
      readonly state: string | undefined
      readonly responseType: string | undefined
    },
    decision: AuthorizeDecision | AuthorizeDecider
  ): Either.Either<string, AuthorizationRejected> {
    const client = params.clientId === undefined ? undefined : this.clients.get(params.clientId)
    if (client === undefined) return Either.left(new AuthorizationRejected({ reason: "UnknownClient" }))
    const redirectUri = params.redirectUri
    if (redirectUri === undefined || !isRegisteredRedirect(client, redirectUri)) {
      return Either.left(new AuthorizationRejected({ reason: "UnregisteredRedirectUri" }))
    }
    const url = new URL(redirectUri)
    const back = (fields: Record<string, string>): Either.Either<string, AuthorizationRejected> => {
      for (const [key, value] of Object.entries(fields)) url.searchParams.set(key, value)
      if (params.state !== undefined && params.state !== "") url.searchParams.set("state", params.state)
      return Either.right(url.toString())
    }
    if (params.responseType !== "code") {
      return back({ error: "unsupported_response_type", error_description: "response_type must be code" })
    }
    if (params.state === undefined || params.state === "") {
      return back({ error: "invalid_request", error_description: "state is required" })
    }
    const chosen = typeof decision === "function" ? decision({ clientId: client.clientId, redirectUri }) : decision
    switch (chosen._tag) {
      case "Deny":
        return back({
          error: "access_denied",
          error_description: chosen.description ?? "The merchant declined the authorization"
        })
      case "Expire":
        return back({ error: "invalid_request", error_description: "The authorization request has expired" })
      case "Approve": {
        const code = randomToken("uc_code_")
        this.codes.set(code, {
          clientId: client.clientId,
          redirectUri,
          merchantId: chosen.merchantId ?? this.settings.merchantId,
          permissions: chosen.permissions ?? client.permissions,
          expiresAt: this.now() + this.settings.codeLifetime,
          grant: undefined
        })
        return back({ code })
      }
    }
  }

  private authorizeOverHttp(query: URLSearchParams): FakeHttpResponse {
    const result = this.decide(
      {
        clientId: query.get("client_id") ?? undefined,
        redirectUri: query.get("redirect_uri") ?? undefined,
        state: query.get("state") ?? undefined,
        responseType: query.get("response_type") ?? undefined
      },
      this.settings.authorizeDecision
    )
    return Either.match(result, {
      onLeft: (rejected) => errorResponse(400, "invalid_authorization_request", rejected.message),
      onRight: redirect
    })
  }

  private decideInput(input: AuthorizeInput, decision: AuthorizeDecision): Effect.Effect<string, AuthorizationRejected> {
    return Effect.suspend(() => {
      if (typeof input === "string" || input instanceof URL) {
        const query = new URL(input).searchParams
        return this.decide({
          clientId: query.get("client_id") ?? undefined,
          redirectUri: query.get("redirect_uri") ?? undefined,
          state: query.get("state") ?? undefined,
          responseType: query.get("response_type") ?? undefined
        }, decision)
      }
      return this.decide({
        clientId: input.clientId,
        redirectUri: input.redirectUri,
        state: secretText(input.state),
        responseType: "code"
      }, decision)
    })
  }

  // ---------------------------------------------------------------------------
  // Controls
  // ---------------------------------------------------------------------------

  private decideDevice(
    userCode: string,
    decide: (device: DeviceState) => void
  ): Effect.Effect<void, UserCodeRejected> {
    return Effect.suspend(() => {
      const device = this.devicesByUserCode.get(userCode.trim().toUpperCase())
      if (device === undefined) return Effect.fail(new UserCodeRejected({ reason: "Unknown" }))
      if (this.now() >= device.expiresAt) return Effect.fail(new UserCodeRejected({ reason: "Expired" }))
      if (device.status !== "pending") return Effect.fail(new UserCodeRejected({ reason: "AlreadyDecided" }))
      decide(device)
      return Effect.void
    })
  }

  private tokenInfo(token: string): Option.Option<TokenInfo> {
    const now = this.now()
    const access = this.accessTokens.get(token)
    const info = (
      kind: TokenInfo["kind"],
      grant: GrantState,
      status: TokenInfo["status"],
      expiresAt: number | undefined
    ): TokenInfo => ({
      kind,
      status,
      grantId: grant.id,
      clientId: grant.clientId,
      merchantId: grant.merchantId,
      permissions: grant.permissions,
      expiresAt
    })
    if (access !== undefined) {
      const status = access.revoked || access.grant.revoked ? "revoked" : now >= access.expiresAt ? "expired" : "active"
      return Option.some(info("access", access.grant, status, access.expiresAt))
    }
    const refresh = this.refreshTokens.get(token)
    if (refresh === undefined) return Option.none()
    const status = refresh.grant.revoked
      ? "revoked"
      : refresh.rotated
      ? "rotated"
      : refresh.expiresAt !== undefined && now >= refresh.expiresAt
      ? "expired"
      : "active"
    return Option.some(info("refresh", refresh.grant, status, refresh.expiresAt))
  }

  private clearRequests(): void {
    this.records.length = 0
    this.counts.clear()
    this.countBase = this.sequence
  }

  private makeService(): FakeUltraCart.Service {
    return {
      baseUrl: this.baseUrl,
      registerClient: (client) => Effect.sync(() => void this.clients.set(client.clientId, toClientState(client))),
      configure: (settings) => Effect.sync(() => void (this.settings = applySettings(this.settings, settings))),
      approve: (input, grant = {}) => this.decideInput(input, { _tag: "Approve", ...grant }),
      deny: (input, description) => this.decideInput(input, { _tag: "Deny", description }),
      expire: (input) => this.decideInput(input, { _tag: "Expire" }),
      setAuthorizeDecision: (decision) =>
        Effect.sync(() => void (this.settings = { ...this.settings, authorizeDecision: decision })),
      issueTokens: (input) =>
        Effect.suspend(() => {
          const client = this.clients.get(input.clientId)
          if (client === undefined) return Effect.fail(new AuthorizationRejected({ reason: "UnknownClient" }))
          const grant = this.newGrant(
            client.clientId,
            input.merchantId ?? this.settings.merchantId,
            input.permissions ?? client.permissions
          )
          const issued = this.issue(grant, true)
          return Effect.succeed({
            accessToken: Redacted.make(issued.accessToken),
            refreshToken: Redacted.make(issued.refreshToken ?? ""),
            expiresIn: issued.expiresIn
          })
        }),
      approveDevice: (userCode, grant = {}) =>
        this.decideDevice(userCode, (device) => {
          const client = this.clients.get(device.clientId)
          device.status = "approved"
          device.merchantId = grant.merchantId ?? this.settings.merchantId
          device.permissions = grant.permissions ?? client?.permissions ?? []
        }),
      denyDevice: (userCode) => this.decideDevice(userCode, (device) => void (device.status = "denied")),
      deviceAuthorizations: Effect.sync(() => {
        const now = this.now()
        return Array.from(this.devicesByUserCode.values(), (d): DeviceAuthorizationInfo => ({
          userCode: d.userCode,
          clientId: d.clientId,
          scope: d.scope,
          status: d.status === "pending" && now >= d.expiresAt ? "expired" : d.status,
          intervalSeconds: d.intervalMillis / 1000
        }))
      }),
      revoke: (token) => Effect.sync(() => this.revokeToken(secretText(token))),
      inspectToken: (token) => Effect.sync(() => this.tokenInfo(secretText(token))),
      requests: Effect.sync(() => this.records.slice()),
      requestCount: (filter?: RequestFilter) =>
        Effect.sync(() => {
          const key = filter?.grantType !== undefined
            ? `${filter.endpoint ?? "token"} ${filter.grantType}`
            : filter?.endpoint
          if (key !== undefined) return this.counts.get(key) ?? 0
          return this.sequence - this.countBase
        }),
      clearRequests: Effect.sync(() => this.clearRequests()),
      reset: Effect.sync(() => {
        this.clearRequests()
        this.codes.clear()
        this.accessTokens.clear()
        this.refreshTokens.clear()
        this.devicesByCode.clear()
        this.devicesByUserCode.clear()
        this.rules = []
        this.clockOffset = 0
      }),
      injectFault: (fault, match: FaultMatch = {}) =>
        Effect.sync(() => {
          const endpoint = match.endpoint
          this.rules.push({
            fault,
            endpoints: endpoint === undefined ? undefined : typeof endpoint === "string" ? [endpoint] : endpoint,
            grantType: match.grantType,
            when: match.when,
            remaining: match.times ?? 1
          })
        }),
      clearFaults: Effect.sync(() => void (this.rules = [])),
      pendingFaults: Effect.sync(() => this.rules.length),
      setClockOffset: (offset) => Effect.sync(() => void (this.clockOffset = offset)),
      now: Effect.sync(() => this.now()),
      handle: (request) => this.handle(request)
    }
  }
}
