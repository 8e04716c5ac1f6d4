import { HttpClient, HttpClientRequest } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { OAuthClient } from "@ultracart-oauth/core"
import { Effect, Layer, Redacted } from "effect"
import { FakeUltraCart } from "../src/index.js"
import { behaviourSuite } from "./behaviour.js"

behaviourSuite("in memory", FakeUltraCart.layer)

it.effect("in memory: another origin fails as an unresolvable host would, so nothing leaves the process", () =>
  Effect.gen(function* () {
    const client = yield* OAuthClient.make({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
    const failure = yield* Effect.flip(client.refresh({ refreshToken: Redacted.make("rt") }))
    expect(failure).toMatchObject({ _tag: "TransportError", outcome: "NotSent", code: "ENOTFOUND" })
    const http = yield* HttpClient.HttpClient
    const answer = yield* http.execute(HttpClientRequest.get(`${FakeUltraCart.DEFAULT_BASE_URL}/oauth/nothing`))
    expect(answer.status).toBe(404)
  }).pipe(Effect.provide(FakeUltraCart.layer()))
)

it.effect(
  "in memory: 1,000 concurrent refreshes with one rotating token — exactly one wins, the reuse kills the grant",
  () =>
    Effect.gen(function* () {
      const fake = yield* FakeUltraCart.FakeUltraCart
      const client = yield* OAuthClient.OAuthClient
      const issued = yield* fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId })
      const results = yield* Effect.forEach(
        Array.from({ length: 1_000 }),
        () => Effect.either(client.refresh({ refreshToken: issued.refreshToken })),
        { concurrency: "unbounded" }
      )
      expect(results.filter((r) => r._tag === "Right")).toHaveLength(1)
      expect(yield* fake.requestCount({ grantType: "refresh_token" })).toBe(1_000)
      const info = yield* fake.inspectToken(issued.refreshToken)
      expect(info).toMatchObject({ _tag: "Some", value: { status: "revoked" } })
    }).pipe(Effect.provide(FakeUltraCart.clientLayer().pipe(Layer.provideMerge(FakeUltraCart.layer()))))
)
