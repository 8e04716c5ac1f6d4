/** The measured process's side of `runNode`: runs the measurement and prints its result as one JSON line. */
import * as Effect from "effect/Effect"

export const answer = <A, E>(measurement: Effect.Effect<A, E>): void =>
  void Effect.runPromise(measurement).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`)
      process.exit(0)
    },
    (error) => {
      process.stderr.write(`${String(error)}\n`)
      process.exit(1)
    }
  )
