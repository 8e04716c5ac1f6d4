/**
 * The connect flow's errors carry a type id each, and their guards check it rather than the tag: an object that
 * only looks like one (the same `_tag`) is not taken for it, nor is one of the other two.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConnectError } from "../src/index.js"

describe("guards check type ids, not tags", () => {
  const flow = new ConnectError.ConnectFlowRejected({ reason: "Forged" })
  const address = new ConnectError.ReturnAddressRejected({ reason: "NotAllowed" })
  const disconnect = new ConnectError.DisconnectRefused({ reason: "CrossSite" })

  it("ConnectError.isConnectFlowRejected", () => {
    expect(ConnectError.isConnectFlowRejected(flow)).toBe(true)
    expect(ConnectError.isConnectFlowRejected(address)).toBe(false)
    expect(ConnectError.isConnectFlowRejected({ _tag: "ConnectFlowRejected", reason: "Forged" })).toBe(false)
  })

  it("ConnectError.isReturnAddressRejected", () => {
    expect(ConnectError.isReturnAddressRejected(address)).toBe(true)
    expect(ConnectError.isReturnAddressRejected(disconnect)).toBe(false)
    expect(ConnectError.isReturnAddressRejected({ _tag: "ReturnAddressRejected", reason: "NotAllowed" })).toBe(false)
  })

  it("ConnectError.isDisconnectRefused", () => {
    expect(ConnectError.isDisconnectRefused(disconnect)).toBe(true)
    expect(ConnectError.isDisconnectRefused(flow)).toBe(false)
    expect(ConnectError.isDisconnectRefused({ _tag: "DisconnectRefused", reason: "CrossSite" })).toBe(false)
  })
})
