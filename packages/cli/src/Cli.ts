/**
 * Running `ultracart-oauth`: parses the command line, runs the command, and turns any failure into a one-line
 * cause, a hint and an exit code. Takes its arguments, output and environment as inputs, so tests run it in
 * process.
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as CliFailure from "./CliFailure.js"
import * as CliOutput from "./CliOutput.js"
import { root } from "./Commands.js"
import * as Help from "./Help.js"
import * as Printable from "./Printable.js"

/**
 * The CLI's version.
 *
 * @since 0.1.0
 * @category constants
 */
export const VERSION: string = Help.VERSION

/**
 * `--wizard` asks questions, and there is no terminal to ask them on (stdin or stdout is not a TTY).
 *
 * @since 0.2.0
 * @category errors
 */
export class NoTerminal extends Schema.TaggedError<NoTerminal>()("NoTerminal", { flag: Schema.String }) {
  override get message(): string {
    return `${this.flag} needs a terminal to ask its questions, and stdin or stdout is not one`
  }
}

const app = Command.run(root, { name: "ultracart-oauth", version: VERSION })

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

const command = (args: ReadonlyArray<string>, output: CliOutput.CliOutput.Service) =>
  Effect.gen(function* () {
    const quick = Help.quickAnswer(args)
    if (quick !== undefined) return yield* output.out(quick === "help" ? Help.TEXT : Help.VERSION)
    // The wizard would wait for keys that never come.
    if (!output.prompts && args.includes("--wizard")) return yield* new NoTerminal({ flag: "--wizard" })
    yield* app(["node", "ultracart-oauth", ...Help.rewrite(args)])
  })

/**
 * Runs the CLI on `argv` as `process.argv` has it (runtime and script first) and yields the exit code. Never
 * fails: failures are printed on stderr as `error: <cause>` and `hint: <what to do>`. Every line printed is made
 * safe for a terminal; colour only on a terminal that shows it, and never with `NO_COLOR` set.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  argv: ReadonlyArray<string>
): Effect.Effect<CliFailure.ExitCode, never, CliOutput.CliOutput | CliApp.CliApp.Environment | HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const output = CliOutput.sanitized(yield* CliOutput.CliOutput)
    const color = output.color && !(yield* noColor)
    const console = yield* Effect.console
    return yield* command(argv.slice(2), output).pipe(
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
