/**
 * The adapters' own errors carry a type id, and their guards check it rather than the tag: an object that only
 * looks like one (the same `_tag`) is not taken for it.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Auth,
  DeviceFlow,
  MerchantGrants,
  OutcomeUnknown,
  ReauthorizationRequired,
  Timeouts,
  TokenStore
} from "../src/index.js"

describe("guards check type ids, not tags", () => {
  it("Timeouts.isDeadlineExceeded", () => {
    expect(Timeouts.isDeadlineExceeded(new Timeouts.DeadlineExceeded({ phase: "Body", timeoutMillis: 1 }))).toBe(true)
    expect(Timeouts.isDeadlineExceeded({ _tag: "DeadlineExceeded", phase: "Body", timeoutMillis: 1 })).toBe(false)
  })

  it("OutcomeUnknown.isOutcomeUnknown", () => {
    const error = new OutcomeUnknown.OutcomeUnknown({ grantType: "refresh_token", reason: "Timeout", detail: "d" })
    expect(OutcomeUnknown.isOutcomeUnknown(error)).toBe(true)
    expect(OutcomeUnknown.isOutcomeUnknown({ _tag: "OutcomeUnknown" })).toBe(false)
  })

  it("Auth.isCredentialUnavailable", () => {
    expect(Auth.isCredentialUnavailable(new Auth.CredentialUnavailable({ cause: "x" }))).toBe(true)
    expect(Auth.isCredentialUnavailable({ _tag: "CredentialUnavailable", cause: "x" })).toBe(false)
  })

  it("DeviceFlow.isDeviceAuthorizationError", () => {
    expect(DeviceFlow.isDeviceAuthorizationError(new DeviceFlow.DeviceAuthorizationDenied({}))).toBe(true)
    expect(
      DeviceFlow.isDeviceAuthorizationError(new DeviceFlow.DeviceAuthorizationExpired({ reason: "Deadline" }))
    ).toBe(true)
    expect(DeviceFlow.isDeviceAuthorizationError({ _tag: "DeviceAuthorizationDenied" })).toBe(false)
  })

  it("Auth.isUrlRefused", () => {
    const error = new Auth.UrlRefused({ reason: "NotAbsolute", allowedOrigin: "https://secure.ultracart.com" })
    expect(Auth.isUrlRefused(error)).toBe(true)
    expect(Auth.isUrlRefused({ _tag: "UrlRefused", reason: "NotAbsolute" })).toBe(false)
  })

  it("ReauthorizationRequired.isReauthorizationRequired", () => {
    const error = new ReauthorizationRequired.ReauthorizationRequired({ key: "k", reason: "NoTokens" })
    expect(ReauthorizationRequired.isReauthorizationRequired(error)).toBe(true)
    expect(ReauthorizationRequired.isReauthorizationRequired({ _tag: "ReauthorizationRequired" })).toBe(false)
  })

  it("TokenStore.isTokenStoreError", () => {
    const error = new TokenStore.TokenStoreError({ operation: "load", key: "k", reason: "Io", detail: "d" })
    expect(TokenStore.isTokenStoreError(error)).toBe(true)
    expect(TokenStore.isTokenStoreError({ _tag: "TokenStoreError", operation: "load" })).toBe(false)
  })

  it("MerchantGrants.isMerchantUnidentified", () => {
    const error = new MerchantGrants.MerchantUnidentified({ detail: "no merchant id" })
    expect(MerchantGrants.isMerchantUnidentified(error)).toBe(true)
    expect(MerchantGrants.isMerchantUnidentified({ _tag: "MerchantUnidentified" })).toBe(false)
  })
})
