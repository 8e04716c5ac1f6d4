/**
 * The adapters' own errors carry a type id, and their guards check it rather than the tag: an object that only
 * looks like one (the same `_tag`) is not taken for it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Auth, DeviceFlow, OutcomeUnknown, Timeouts } from "../src/index.js"

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
})
