import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as Spinner from "../src/Spinner.js"
import { makeCaptureWith } from "./harness.js"

const statuses = (lines: ReadonlyArray<{ readonly stream: string; readonly text: string }>) =>
  lines.filter((line) => line.stream === "status").map((line) => line.text)

describe("Spinner.during", () => {
  it.effect("on a terminal, redraws the line with a new frame every 250 ms, then marks how it ended", () =>
    Effect.gen(function* () {
      const capture = yield* makeCaptureWith({ interactive: true })
      const render = (now: number) => `waited ${Spinner.elapsed(now)}, ${Spinner.duration(1000 - now)} left`
      const fiber = yield* Effect.fork(Spinner.during(capture.output, render, Effect.sleep("1 second")))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const lines = statuses(capture.lines)
      expect(lines.slice(0, 4)).toEqual([
        "⠋ waited 0s, 1s left",
        "⠙ waited 0s, 1s left",
        "⠹ waited 0s, 1s left",
        "⠸ waited 0s, 1s left"
      ])
      expect(lines[lines.length - 1]).toBe("✔ waited 1s, 0s left")

      const failing = yield* makeCaptureWith({ interactive: true })
      const failed = yield* Effect.fork(Effect.exit(Spinner.during(failing.output, render, Effect.fail("no"))))
      yield* Fiber.join(failed)
      expect(statuses(failing.lines)).toEqual(["⠼ waited 1s, 0s left", "✖ waited 1s, 0s left"])
    })
  )

  it.effect("elsewhere, prints the line once, without a frame, and no redraws", () =>
    Effect.gen(function* () {
      const capture = yield* makeCaptureWith({ interactive: false })
      const fiber = yield* Effect.fork(Spinner.during(capture.output, () => "waiting", Effect.sleep("1 second")))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(statuses(capture.lines)).toEqual(["waiting"])
    })
  )

  it("counts time passed down and time left up", () => {
    expect([Spinner.elapsed(999), Spinner.elapsed(61_000), Spinner.duration(1), Spinner.duration(245_000)]).toEqual([
      "0s",
      "1m01s",
      "1s",
      "4m05s"
    ])
  })
})
