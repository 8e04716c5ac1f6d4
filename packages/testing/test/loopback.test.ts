import { FetchHttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Effect, Layer } from "effect"
import { FakeUltraCart, Fault } from "../src/index.js"
import * as FakeUltraCartServer from "../src/FakeUltraCartServer.js"
import { behaviourSuite } from "./behaviour.js"

// Real sockets on 127.0.0.1 with the global fetch; the fake's clock is still the test's TestClock (the server's
// fibers run in the context the Layer was built in), so time-driven behaviour is tested the same way.
behaviourSuite("loopback", (options) => Layer.merge(FakeUltraCartServer.layer(options), FetchHttpClient.layer))

it.effect("loopback: the server listens on 127.0.0.1 with a free port", () =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCart.FakeUltraCart
    const url = new URL(fake.baseUrl)
    expect(url.hostname).toBe("127.0.0.1")
    expect(Number(url.port)).toBeGreaterThan(0)
    expect(url.pathname).toBe("/rest/v2")
  }).pipe(Effect.provide(FakeUltraCartServer.layer()))
)

it.effect(
  "loopback: Node's own HTTP client sees a dropped connection as a transport failure, and the answer after it",
  () =>
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const client = yield* OAuthClient.OAuthClient
      yield* fake.injectFault(Fault.dropAfterProcessing, { endpoint: "device_authorize" })
      const dropped = yield* Effect.flip(client.authorizeDevice({ scope: "crm" }))
      expect(dropped).toMatchObject({ _tag: "TransportError", outcome: "Unknown" })
      expect((yield* fake.deviceAuthorizations).length).toBe(1)
      const device = yield* client.authorizeDevice({ scope: "crm" })
      expect(device.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/)
    }).pipe(
      Effect.provide(
        FakeUltraCart.clientLayer().pipe(
          Layer.provideMerge(Layer.merge(FakeUltraCartServer.layer(), NodeHttpClient.layer))
        )
      )
    )
)
