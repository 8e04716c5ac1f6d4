import { HttpClient, type HttpClientError, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, TestClock } from "effect"
import * as Retry from "../src/Retry.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as Timeouts from "../src/Timeouts.js"
import * as Mock from "./utils/MockHttpClient.js"
import { script } from "./utils/MockHttpClient.js"

/** The mock, with deadlines per attempt and retries over them, as the API client stacks them. */
const stack = Layer.provideMerge(
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      Retry.transformClient(RetryPolicy.make({ jitter: 0 }))(
        Timeouts.transformClient(Timeouts.make({ requestTimeout: "2 seconds", bodyTimeout: "2 seconds" }))(client)
      )
    )
  ),
  Mock.layer
)

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const fiber = yield* Effect.fork(Effect.flatMap(client.execute(request), (r) => Effect.as(r.text, r.status)))
    yield* TestClock.adjust("5 minutes")
    return yield* Fiber.await(fiber)
  })

const count = Effect.flatMap(Mock.MockServer, (m) => m.count)
const get = HttpClientRequest.get("https://api.example/order")
const post = HttpClientRequest.post("https://api.example/order")

const statusOf = (exit: Exit.Exit<number, HttpClientError.HttpClientError>) =>
  Exit.match(exit, { onSuccess: (status) => status, onFailure: () => -1 })

describe("Retry.transformClient", () => {
  it.effect("retries a GET on 503 and hands back the success", () =>
    Effect.gen(function* () {
      yield* script(Mock.respond(503), Mock.respond(503), Mock.respond(200, "ok"))
      expect(statusOf(yield* send(get))).toBe(200)
      expect(yield* count).toBe(3)
    }).pipe(Effect.provide(stack))
  )

  it.effect("hands back the last retryable response when retries run out", () =>
    Effect.gen(function* () {
      yield* script(...Array.from({ length: 4 }, () => Mock.respond(503, "busy")))
      expect(statusOf(yield* send(get))).toBe(503)
      expect(yield* count).toBe(4)
    }).pipe(Effect.provide(stack))
  )

  for (const status of [400, 401, 403, 410]) {
    it.effect(`does not retry a GET answered ${status}`, () =>
      Effect.gen(function* () {
        yield* script(Mock.respond(status))
        expect(statusOf(yield* send(get))).toBe(status)
        expect(yield* count).toBe(1)
      }).pipe(Effect.provide(stack))
    )
  }

  it.effect("does not retry a POST answered 503 without Retry-After", () =>
    Effect.gen(function* () {
      yield* script(Mock.respond(503), Mock.respond(200))
      expect(statusOf(yield* send(post))).toBe(503)
      expect(yield* count).toBe(1)
    }).pipe(Effect.provide(stack))
  )

  it.effect("retries a POST answered 429 with Retry-After, after the wait asked for", () =>
    Effect.gen(function* () {
      yield* script(Mock.respond(429, "", { "retry-after": "3" }), Mock.respond(201))
      expect(statusOf(yield* send(post))).toBe(201)
      const [first, second] = yield* Effect.flatMap(Mock.MockServer, (m) => m.requests)
      expect(second!.atMillis - first!.atMillis).toBe(3000)
    }).pipe(Effect.provide(stack))
  )

  it.effect("retries a POST whose connection was refused, not one reset after sending", () =>
    Effect.gen(function* () {
      yield* script(Mock.fail("ECONNREFUSED"), Mock.respond(201))
      expect(statusOf(yield* send(post))).toBe(201)
      yield* script(Mock.fail("ECONNRESET"), Mock.respond(201))
      expect(statusOf(yield* send(post))).toBe(-1)
      expect(yield* count).toBe(3)
    }).pipe(Effect.provide(stack))
  )

  it.effect("retries a GET after a reset or a missed deadline; a POST after neither", () =>
    Effect.gen(function* () {
      yield* script(Mock.fail("ECONNRESET"), Mock.hang, Mock.stallBody(), Mock.respond(200))
      expect(statusOf(yield* send(get))).toBe(200)
      expect(yield* count).toBe(4)
      yield* script(Mock.hang)
      expect(statusOf(yield* send(post))).toBe(-1)
      expect(yield* count).toBe(5)
    }).pipe(Effect.provide(stack))
  )
})
