// What every command line runs inside, whichever way it was parsed: output made safe for a terminal, colour only
// where it shows (and never with NO_COLOR), the libraries' logs off, and a failure printed as `error:` and `hint:`
// lines and turned into an exit code.
import * as Config from "effect/Config"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as CliFailure from "../CliFailure.js"
import * as CliOutput from "../CliOutput.js"
import * as Printable from "../Printable.js"

/** `NO_COLOR` set to anything but the empty string turns colour off (https://no-color.org). */
const noColor = Effect.orElseSucceed(
  Effect.map(Config.option(Config.string("NO_COLOR")), (value) => Option.isSome(value) && value.value !== ""),
  () => false
)

/** A console whose text has no escape sequences (colour, bold) left: for pipes, files and `NO_COLOR`. */
const plain = (console: Console.Console): Console.Console => {
  const strip = (args: ReadonlyArray<unknown>) => args.map((a) => (typeof a === "string" ? Printable.text(a) : a))
  return {
    ...console,
    log: (...args) => console.log(...strip(args)),
    info: (...args) => console.info(...strip(args)),
    warn: (...args) => console.warn(...strip(args)),
    error: (...args) => console.error(...strip(args)),
    unsafe: console.unsafe
  }
}

/** Runs `command` (given the sanitized output) in the frame and yields the exit code. Never fails. */
export const run = <E, R>(
  command: (output: CliOutput.CliOutput.Service) => Effect.Effect<unknown, E, R>
): Effect.Effect<CliFailure.ExitCode, never, CliOutput.CliOutput | Exclude<R, CliOutput.CliOutput>> =>
  Effect.gen(function* () {
    const output = CliOutput.sanitized(yield* CliOutput.CliOutput)
    const color = output.color && !(yield* noColor)
    const console = yield* Effect.console
    return yield* command(output).pipe(
      // The libraries log (a failed refresh, a retry) for services; a CLI shows its own lines. `--log-level` on
      // the command line still turns them on: it is applied inside this.
      Logger.withMinimumLogLevel(LogLevel.None),
      Effect.as(CliFailure.ExitCode.Ok),
      Effect.catchAllCause((cause) =>
        Effect.gen(function* () {
          const failure = CliFailure.fromCause(cause)
          yield* output.err(`error: ${Printable.line(failure.cause)}`)
          yield* output.err(`hint: ${Printable.line(failure.hint)}`)
          return failure.exitCode
        })
      ),
      Effect.provideService(CliOutput.CliOutput, output),
      Effect.withConsole(color ? console : plain(console))
    )
  })
