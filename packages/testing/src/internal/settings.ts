import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Duration from "effect/Duration"
import type { AuthorizeDecider, AuthorizeDecision } from "../AuthorizeDecision.js"
import type { FakeOrder } from "../FakeRest.js"
import type { FakeUltraCartSettings } from "./model.js"
import type { TokenErrorFormat } from "./wire.js"

/** The fake's settings, resolved: durations in milliseconds. */
export interface Settings {
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
  readonly orders: ReadonlyArray<FakeOrder> | undefined
}

const millis = (input: Duration.DurationInput): number => Duration.toMillis(Duration.decode(input))

/** Overlays the given settings on the current ones. */
export const applySettings = (base: Settings, s: FakeUltraCartSettings): Settings => ({
  apiVersions:
    s.apiVersions === undefined ? base.apiVersions : s.apiVersions === "any" ? "any" : new Set(s.apiVersions),
  merchantId: s.merchantId ?? base.merchantId,
  codeLifetime: s.codeLifetime !== undefined ? millis(s.codeLifetime) : base.codeLifetime,
  accessTokenLifetime: s.accessTokenLifetime !== undefined ? millis(s.accessTokenLifetime) : base.accessTokenLifetime,
  refreshTokenLifetime:
    s.refreshTokenLifetime === undefined
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
  recordRequests: s.recordRequests ?? base.recordRequests,
  orders: s.orders ?? base.orders
})

/** What the fake does unless told otherwise. */
export const defaultSettings = (baseUrl: string): Settings => ({
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
  recordRequests: true,
  orders: undefined
})
