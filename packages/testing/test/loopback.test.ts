import { FetchHttpClient } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { FakeUltraCart } from "../src/index.js"
import * as FakeUltraCartServer from "../src/FakeUltraCartServer.js"
import { behaviourSuite } from "./behaviour.js"

// Real sockets on 127.0.0.1 with the global fetch; the fake's clock is still the test's TestClock (the server's
// fibers run in the context the Layer was built in), so time-driven behaviour is tested the same way.
behaviourSuite("loopback", (options) => Layer.merge(FakeUltraCartServer.layer(options), FetchHttpClient.layer))

it.effect("loopback: the server listens on 127.0.0.1 with a free port", () =>
  Effect.gen(function*() {
    const fake = yield* FakeUltraCart.FakeUltraCart
    const url = new URL(fake.baseUrl)
    expect(url.hostname).toBe("127.0.0.1")
    expect(Number(url.port)).toBeGreaterThan(0)
    expect(url.pathname).toBe("/rest/v2")
  }).pipe(Effect.provide(FakeUltraCartServer.layer())))
