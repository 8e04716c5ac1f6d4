/** A check retried until it passes: for what a real server or another process makes true in its own time. */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** Runs `check` every 20 ms until it succeeds, for at most `within` (then fails with its last error). */
export const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, within: Duration.DurationInput = "5 seconds") =>
  check.pipe(Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo(within))))
