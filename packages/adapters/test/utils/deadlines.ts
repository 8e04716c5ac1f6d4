/** What the deadline tests share: when an effect settles on the TestClock, and the HTTP failure it ended with. */
import { HttpClientError } from "@effect/platform"
import { expect } from "@effect/vitest"
import { Effect, Exit, Fiber, TestClock } from "effect"

/** Runs `effect` and checks it is still running 1 ms before `millis` of TestClock time, and done at `millis`. */
export const settledAt = <A, E, R>(effect: Effect.Effect<A, E, R>, millis: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(millis - 1)
    expect(fiber.unsafePoll()).toBeNull()
    yield* TestClock.adjust(1)
    return yield* Fiber.await(fiber)
  })

/** Runs `effect` and checks it is still running after a day of TestClock time (no deadline), then stops it. */
export const stillRunningAfterADay = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust("1 day")
    expect(fiber.unsafePoll()).toBeNull()
    yield* Fiber.interrupt(fiber)
  })

/** The `HttpClientError` an exit failed with (typed), and its cause; throws on anything else. */
export const httpFailureOf = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a typed failure")
  const error = exit.cause.error
  if (!HttpClientError.isHttpClientError(error)) throw new Error("expected an HttpClientError")
  return { error, cause: error.cause }
}
