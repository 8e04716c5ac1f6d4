/** What the SQL tests share: the token sets of the shared contract, and a check retried until it passes. */
import { type Duration, Effect, Schedule } from "effect"

export { input, plain } from "../../../adapters/test/utils/TokenStoreContract.js"

/** Runs `check` every 20 ms until it succeeds, for at most `within` (then fails with its last error). */
export const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, within: Duration.DurationInput = "5 seconds") =>
  check.pipe(Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo(within))))
