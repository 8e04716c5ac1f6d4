/**
 * How a test worker process ends: it runs its program (everything provided), prints `RESULT {json}` as its last
 * line on stdout (what `Workers.run` parses), and exits 0; or prints the failure and exits 1. Logs below
 * warnings are off, so that the output a failing test shows is the failure.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"

export const runWorker = <A, E>(program: Effect.Effect<A, E>): Promise<void> =>
  program
    .pipe(
      Effect.flatMap((result) => Console.log(`RESULT ${JSON.stringify(result)}`)),
      Logger.withMinimumLogLevel(LogLevel.Warning),
      Effect.runPromise
    )
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(String(error))
        process.exit(1)
      }
    )
