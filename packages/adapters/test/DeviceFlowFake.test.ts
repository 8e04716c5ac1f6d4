import { describe, expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart, Fault } from "@ultracart-oauth/testing"
import { Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import { DeviceFlow } from "../src/index.js"

// The poller over core's real client and the wire, against the in-memory fake UltraCart on the TestClock.

const fakeLayer = (options: FakeUltraCart.FakeUltraCartOptions) => {
  const fake = FakeUltraCart.layer(options)
  return Layer.merge(fake, FakeUltraCart.clientLayer().pipe(Layer.provide(fake)))
}

const tokenPollTimes = Effect.flatMap(FakeUltraCart.FakeUltraCart, (fake) =>
  Effect.map(fake.requests, (requests) =>
    requests.filter((r) => r.endpoint === "token").map((r) => r.receivedAt / 1000)
  )
)

describe("DeviceFlow against the fake UltraCart", () => {
  it.effect("without an interval from the server it polls every 5 s, and yields the tokens once approved", () =>
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const flow = yield* DeviceFlow.start({ scope: "crm" })
      const fiber = yield* Effect.fork(DeviceFlow.poll(flow))
      yield* TestClock.adjust("7 seconds") // poll at 5 → authorization_pending
      yield* fake.approveDevice(flow.userCode)
      yield* TestClock.adjust("3 seconds") // poll at 10 → tokens
      const tokens = yield* Fiber.join(fiber)
      expect(yield* tokenPollTimes).toEqual([5, 10])
      const info = yield* fake.inspectToken(Redacted.value(tokens.accessToken))
      expect(info._tag === "Some" && info.value.status).toBe("active")
      // The request carried the device grant and the device code, and nothing was shown of them.
      const [poll] = (yield* fake.requests).filter((r) => r.endpoint === "token")
      expect(poll?.grantType).toBe(OAuthClient.DEVICE_CODE_GRANT_TYPE)
      expect(poll?.form["device_code"]).toBe(Redacted.value(flow.deviceCode))
      expect(JSON.stringify(flow)).not.toContain(Redacted.value(flow.deviceCode))
    }).pipe(Effect.provide(fakeLayer({ sendDeviceInterval: false })))
  )

  it.effect("a slow_down on the wire lengthens every later wait by 5 s; a 503 backs off; a denial ends it", () =>
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      yield* fake.injectFault(
        Fault.respond({
          status: 400,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ error: "slow_down" })
        }),
        { endpoint: "token" }
      )
      const flow = yield* DeviceFlow.start({ scope: "crm" })
      const fiber = yield* Effect.fork(DeviceFlow.poll(flow))
      yield* TestClock.adjust("15 seconds") // poll at 5 → slow_down (now 10 s) → poll at 15 → pending
      yield* fake.injectFault(Fault.serverError({ status: 503 }), { endpoint: "token" })
      yield* TestClock.adjust("10 seconds") // poll at 25 → 503 → backoff 20 s
      yield* fake.denyDevice(flow.userCode)
      yield* TestClock.adjust("20 seconds") // poll at 45 → access_denied
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("DeviceAuthorizationDenied")
      expect(yield* tokenPollTimes).toEqual([5, 15, 25, 45])
    }).pipe(Effect.provide(fakeLayer({ deviceInterval: "5 seconds" })))
  )

  it.effect(
    "UltraCart's ErrorResponse naming the code: polling goes on through pending, and ends with the tokens",
    () =>
      Effect.gen(function* () {
        const fake = yield* FakeUltraCart.FakeUltraCart
        const flow = yield* DeviceFlow.start({ scope: "crm" })
        const fiber = yield* Effect.fork(DeviceFlow.poll(flow))
        yield* TestClock.adjust("12 seconds") // polls at 5 and 10 → authorization_pending, in UltraCart's shape
        yield* fake.approveDevice(flow.userCode)
        yield* TestClock.adjust("3 seconds") // poll at 15 → tokens
        yield* Fiber.join(fiber)
        expect(yield* tokenPollTimes).toEqual([5, 10, 15])
      }).pipe(Effect.provide(fakeLayer({ deviceInterval: "5 seconds", tokenErrorFormat: "ultracart" })))
  )

  it.effect("an ErrorResponse 400 naming no code ends the poll with a typed error (no loop)", () =>
    Effect.gen(function* () {
      const flow = yield* DeviceFlow.start({ scope: "crm" })
      const fiber = yield* Effect.fork(DeviceFlow.poll(flow))
      yield* TestClock.adjust("60 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "UltraCartError", status: 400, errorCode: "400" })
      expect(yield* tokenPollTimes).toEqual([5])
    }).pipe(Effect.provide(fakeLayer({ deviceInterval: "5 seconds", tokenErrorFormat: "ultracart-unnamed" })))
  )
})
