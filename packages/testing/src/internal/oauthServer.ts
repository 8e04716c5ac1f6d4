import * as Credentials from "@ultracart-oauth/core/Credentials"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { AuthorizeDecider, AuthorizeDecision, Grant } from "../AuthorizeDecision.js"
import type { FakeHttpResponse } from "../FakeHttp.js"
import type {
  AuthorizeInput,
  ClientRegistration,
  DeviceAuthorizationInfo,
  FakeUltraCartOptions,
  IssuedTokens,
  TokenInfo
} from "./model.js"
import { AuthorizationRejected, UserCodeRejected } from "../FakeUltraCartError.js"
import type { FakeEndpoint } from "../RecordedRequest.js"
import { type ClientState, isRegisteredRedirect, secretText, toClientState } from "./clients.js"
import { ConsentPages, type PendingConsent } from "./consentPage.js"
import { randomToken, randomUserCode } from "./random.js"
import { answerRest, type RestCaller } from "./rest.js"
import { applySettings, defaultSettings, type Settings } from "./settings.js"
import {
  type DeviceBody,
  errorResponse,
  json,
  oauthError,
  redirect,
  type RevokeBody,
  type TokenBody,
  tokenJson
} from "./wire.js"

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

/** A request, routed and with its form parsed (the intake does that once, for recording and fault matching). */
export interface ParsedRequest {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  /** The path below the base URL. */
  readonly path: string
  readonly endpoint: FakeEndpoint
  /** The form, or undefined when the body is not form-urlencoded. */
  readonly form: Readonly<Record<string, string>> | undefined
  /** A parameter that appeared twice (RFC 6749 §3.2: none may). */
  readonly repeated: string | undefined
}

const methodOf: Record<FakeEndpoint, string> = {
  token: "POST",
  revoke: "POST",
  device_authorize: "POST",
  me: "GET",
  authorize: "GET",
  rest: "GET",
  unknown: ""
}

/**
 * UltraCart's OAuth rules over the fake's state: apps, codes, grants (token families), tokens and device
 * authorizations. Every method runs synchronously, so each request's state change is atomic.
 */
export class OAuthServer {
  settings: Settings
  clockOffset: number
  private readonly clients = new Map<string, ClientState>()
  private readonly codes = new Map<string, CodeState>()
  private readonly accessTokens = new Map<string, AccessState>()
  private readonly refreshTokens = new Map<string, RefreshState>()
  private readonly devicesByCode = new Map<string, DeviceState>()
  private readonly devicesByUserCode = new Map<string, DeviceState>()
  private grantIds = 0
  private readonly consent: ConsentPages

  constructor(
    baseUrl: string,
    options: FakeUltraCartOptions & { readonly clients: ReadonlyArray<ClientRegistration> },
    private readonly clock: Clock.Clock
  ) {
    this.settings = applySettings(defaultSettings(baseUrl), options)
    this.consent = new ConsentPages(baseUrl, () => this.now())
    this.clockOffset = options.clockOffsetMillis ?? 0
    for (const client of options.clients) this.registerClient(client)
  }

  /** The server's time: the fake's clock plus the offset. */
  now(): number {
    return this.clock.unsafeCurrentTimeMillis() + this.clockOffset
  }

  registerClient(client: ClientRegistration): void {
    this.clients.set(client.clientId, toClientState(client))
  }

  /** Forgets every code, token, grant and device authorization (apps and settings stay). */
  reset(): void {
    this.codes.clear()
    this.accessTokens.clear()
    this.refreshTokens.clear()
    this.devicesByCode.clear()
    this.devicesByUserCode.clear()
    this.consent.clear()
    this.clockOffset = 0
  }

  /** Answers a request by UltraCart's rules. */
  process(request: ParsedRequest): FakeHttpResponse {
    const endpoint = request.endpoint
    if (endpoint === "unknown") {
      return errorResponse(404, "not_found", `No resource at ${request.path}`)
    }
    if (endpoint === "authorize" && request.method === "POST")
      return this.consent.answer(request.form, this.decidePending)
    if (request.method !== methodOf[endpoint]) {
      return errorResponse(405, "method_not_allowed", `${request.method} is not allowed on ${request.path}`, {
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
    if (endpoint === "rest") return this.rest(request)
    const form = request.form
    if (form === undefined) {
      return errorResponse(415, "unsupported_media_type", "The request body must be application/x-www-form-urlencoded")
    }
    if (request.repeated !== undefined) {
      return this.oauthError(400, "invalid_request", `The ${request.repeated} parameter is repeated`)
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
      const ok =
        (client.simpleKey !== undefined && simple === client.simpleKey) ||
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
    if (this.now() >= state.expiresAt)
      return this.oauthError(400, "invalid_grant", "The authorization code has expired")
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

  /** The grant behind a live bearer access token, or the `401` UltraCart answers. */
  private bearerGrant(authorization: string | undefined): Either.Either<GrantState, FakeHttpResponse> {
    const match = authorization === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(authorization)
    const unauthorized = (message: string) =>
      Either.left(
        errorResponse(401, "invalid_credentials", message, {
          "www-authenticate": `Bearer realm="UltraCart", error="invalid_token"`
        })
      )
    if (match === null) return unauthorized("A bearer access token is required")
    const state = this.accessTokens.get(match[1] ?? "")
    if (state === undefined) return unauthorized("The access token is not valid")
    if (state.revoked || state.grant.revoked) return unauthorized("The access token has been revoked")
    if (this.now() >= state.expiresAt) return unauthorized("The access token has expired")
    return Either.right(state.grant)
  }

  private me(authorization: string | undefined): FakeHttpResponse {
    const grant = this.bearerGrant(authorization)
    if (Either.isLeft(grant)) return grant.left
    return json(200, { merchant_id: grant.right.merchantId, permissions: grant.right.permissions })
  }

  /** The REST endpoints: a simple key (registered with an app) or a bearer token, then `answerRest`. */
  private rest(request: ParsedRequest): FakeHttpResponse {
    const key = request.headers[Credentials.SIMPLE_KEY_HEADER]
    let caller: RestCaller
    if (key !== undefined && request.headers["authorization"] === undefined) {
      const client = [...this.clients.values()].find((c) => c.simpleKey !== undefined && c.simpleKey === key)
      if (client === undefined) return errorResponse(401, "invalid_credentials", "The API key is not valid")
      caller = { merchantId: this.settings.merchantId, permissions: client.permissions, scheme: "simple-key" }
    } else {
      const grant = this.bearerGrant(request.headers["authorization"])
      if (Either.isLeft(grant)) return grant.left
      caller = { merchantId: grant.right.merchantId, permissions: grant.right.permissions, scheme: "bearer" }
    }
    return answerRest(request.path, request.url.searchParams, caller, this.settings.orders)
  }

  private newGrant(clientId: string, merchantId: string, permissions: ReadonlyArray<string>): GrantState {
    return { id: ++this.grantIds, clientId, merchantId, permissions, revoked: false }
  }

  /** Issues an access token (and a refresh token) for a grant, with its wire body. */
  private issue(
    grant: GrantState,
    withRefresh: boolean
  ): {
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
      ...(expiresInFormat === "omit"
        ? {}
        : { expires_in: expiresInFormat === "string" ? String(expiresIn) : expiresIn }),
      scope: grant.permissions.join(" "),
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {})
    }
    return { body, accessToken, refreshToken, expiresIn }
  }

  private grantOf(token: string): GrantState | undefined {
    return this.accessTokens.get(token)?.grant ?? this.refreshTokens.get(token)?.grant
  }

  /** Revokes a token: a refresh token takes its grant with it; an access token too unless configured otherwise. */
  revokeToken(token: string): boolean {
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
      case "ConsentPage":
        return Either.right(
          this.consent.open(
            {
              clientId: client.clientId,
              redirectUri,
              state: params.state,
              page: chosen,
              merchantId: chosen.merchantId ?? this.settings.merchantId,
              permissions: chosen.permissions ?? client.permissions
            },
            this.settings.codeLifetime
          )
        )
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

  private readonly decidePending = (pending: PendingConsent, decision: AuthorizeDecision) =>
    this.decide({ ...pending, responseType: "code" }, decision)

  private authorizeOverHttp(query: URLSearchParams): FakeHttpResponse {
    const consent = query.get("consent")
    if (consent !== null) return this.consent.page(consent)
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

  decideInput(input: AuthorizeInput, decision: AuthorizeDecision): Effect.Effect<string, AuthorizationRejected> {
    return Effect.suspend(() => {
      if (typeof input === "string" || input instanceof URL) {
        const query = new URL(input).searchParams
        return this.decide(
          {
            clientId: query.get("client_id") ?? undefined,
            redirectUri: query.get("redirect_uri") ?? undefined,
            state: query.get("state") ?? undefined,
            responseType: query.get("response_type") ?? undefined
          },
          decision
        )
      }
      return this.decide(
        {
          clientId: input.clientId,
          redirectUri: input.redirectUri,
          state: secretText(input.state),
          responseType: "code"
        },
        decision
      )
    })
  }

  private decideDevice(userCode: string, decide: (device: DeviceState) => void): Effect.Effect<void, UserCodeRejected> {
    return Effect.suspend(() => {
      const device = this.devicesByUserCode.get(userCode.trim().toUpperCase())
      if (device === undefined) return Effect.fail(new UserCodeRejected({ reason: "Unknown" }))
      if (this.now() >= device.expiresAt) return Effect.fail(new UserCodeRejected({ reason: "Expired" }))
      if (device.status !== "pending") return Effect.fail(new UserCodeRejected({ reason: "AlreadyDecided" }))
      decide(device)
      return Effect.void
    })
  }

  tokenInfo(token: string): Option.Option<TokenInfo> {
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

  issueTokens(input: { readonly clientId: string } & Grant): Effect.Effect<IssuedTokens, AuthorizationRejected> {
    return Effect.suspend(() => {
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
    })
  }

  approveDevice(userCode: string, grant: Grant): Effect.Effect<void, UserCodeRejected> {
    return this.decideDevice(userCode, (device) => {
      device.status = "approved"
      device.merchantId = grant.merchantId ?? this.settings.merchantId
      device.permissions = grant.permissions ?? this.clients.get(device.clientId)?.permissions ?? []
    })
  }

  denyDevice(userCode: string): Effect.Effect<void, UserCodeRejected> {
    return this.decideDevice(userCode, (device) => void (device.status = "denied"))
  }

  deviceAuthorizations(): ReadonlyArray<DeviceAuthorizationInfo> {
    const now = this.now()
    return Array.from(
      this.devicesByUserCode.values(),
      (d): DeviceAuthorizationInfo => ({
        userCode: d.userCode,
        clientId: d.clientId,
        scope: d.scope,
        status: d.status === "pending" && now >= d.expiresAt ? "expired" : d.status,
        intervalSeconds: d.intervalMillis / 1000
      })
    )
  }
}
