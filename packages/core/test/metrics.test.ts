/**
 * A latency histogram per OAuth endpoint: every call that sent a request is counted under its endpoint, with the
 * time from sending to the answer read (or the send failing) on the fiber's clock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Metric, TestClock } from "effect"
import { OAuthClient } from "../src/index.js"
import { client, clientLayer, secrets, tokenBody } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

const durations = (endpoint: string) =>
  Metric.value(Metric.tagged(OAuthClient.metrics.requestDuration, "endpoint", endpoint))

/** Answers after `seconds` on the fiber's clock. */
const after =
  (seconds: number, reply: MockHttp.Reply): MockHttp.Reply =>
  (request) =>
    Effect.delay(reply(request), `${seconds} seconds`)

describe("OAuthClient.metrics.requestDuration", () => {
  it.effect("records each call's duration under its endpoint, successes and failures alike", () =>
    Effect.gen(function* () {
      const tokenBefore = yield* durations("/oauth/token")
      const revokeBefore = yield* durations("/oauth/revoke")
      const oauth = yield* client
      const call = yield* Effect.fork(oauth.refresh({ refreshToken: secrets.refreshToken }))
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(call)
      const failed = yield* Effect.fork(Effect.either(oauth.revoke({ token: secrets.refreshToken })))
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(failed)
      const token = yield* durations("/oauth/token")
      expect(token.count - tokenBefore.count).toBe(1)
      expect(token.sum - tokenBefore.sum).toBeCloseTo(2, 6)
      const revoke = yield* durations("/oauth/revoke")
      expect(revoke.count - revokeBefore.count).toBe(1)
    }).pipe(
      Effect.provide(
        clientLayer(
          {},
          after(2, MockHttp.json(200, tokenBody)),
          after(2, MockHttp.json(400, { error: "invalid_grant" }))
        )
      )
    )
  )

  it.effect("does not count a call refused before sending", () =>
    Effect.gen(function* () {
      const before = yield* durations("/oauth/token")
      yield* Effect.either(Effect.flatMap(client, (o) => o.token({ grantType: "" })))
      expect((yield* durations("/oauth/token")).count).toBe(before.count)
    }).pipe(Effect.provide(clientLayer({})))
  )
})
