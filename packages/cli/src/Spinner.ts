/**
 * The live status line of a command that waits (for the browser, for the merchant to approve a device): on a
 * terminal a spinner and the line, redrawn in place every 250 ms with the time that passed; elsewhere the line once,
 * as plain text.
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type { CliOutput } from "./CliOutput.js"

/**
 * The spinner's frames, one per 250 ms.
 *
 * @since 0.2.0
 * @category constants
 */
export const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const

/**
 * The frame to show at `now` (epoch millis).
 *
 * @since 0.2.0
 * @category utils
 */
export const frame = (now: number): string => FRAMES[Math.floor(now / 250) % FRAMES.length] ?? FRAMES[0]

const seconds = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`)

/**
 * Time left, for a status line, in whole seconds rounded up: `7s`, `4m05s`.
 *
 * @since 0.2.0
 * @category utils
 */
export const duration = (millis: number): string => seconds(Math.max(0, Math.ceil(millis / 1000)))

/**
 * Time passed, for a status line, in whole seconds rounded down: `0s` for the first second.
 *
 * @since 0.2.0
 * @category utils
 */
export const elapsed = (millis: number): string => seconds(Math.max(0, Math.floor(millis / 1000)))

/**
 * Runs `effect` with `render(now)` as the live status. On a terminal: a spinner frame and the line, redrawn every
 * 250 ms until `effect` ends, then once more marked `✔` (success) or `✖` (failure, interruption), and the status
 * ends. Elsewhere: the line is printed once when `effect` starts (reporting later changes is the caller's).
 *
 * @since 0.2.0
 * @category combinators
 */
export const during = <A, E, R>(
  output: CliOutput.Service,
  render: (now: number) => string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  const draw = (mark?: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => output.status(`${mark ?? frame(now)} ${render(now)}`))
  if (!output.interactive) {
    return Effect.zipRight(
      Effect.flatMap(Clock.currentTimeMillis, (now) => output.status(render(now))),
      Effect.ensuring(effect, output.endStatus)
    )
  }
  return Effect.gen(function* () {
    yield* draw()
    const ticker = yield* Effect.fork(Effect.forever(Effect.zipRight(Effect.sleep("250 millis"), draw())))
    return yield* Effect.onExit(effect, (exit) =>
      Fiber.interrupt(ticker).pipe(
        Effect.zipRight(draw(Exit.isSuccess(exit) ? "✔" : "✖")),
        Effect.zipRight(output.endStatus)
      )
    )
  })
}
