/**
 * Running `ultracart-oauth`: parses the command line, runs the command, and turns any failure into a one-line
 * cause, a hint and an exit code. Takes its arguments, output and environment as inputs, so tests run it in
 * process.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import type * as CliApp from "@effect/cli/CliApp"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as CliFailure from "./CliFailure.js"
import { CliOutput } from "./CliOutput.js"
import { root } from "./Commands.js"

/**
 * The CLI's version.
 *
 * @since 0.1.0
 * @category constants
 */
export const VERSION = "0.1.0"

const app = Command.run(root, { name: "ultracart-oauth", version: VERSION })

/**
 * Runs the CLI on `argv` as `process.argv` has it (runtime and script first) and yields the exit code. Never
 * fails: failures are printed on stderr as `error: <cause>` and `hint: <what to do>`.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  argv: ReadonlyArray<string>
): Effect.Effect<CliFailure.ExitCode, never, CliOutput | CliApp.CliApp.Environment | HttpClient.HttpClient> =>
  app(argv).pipe(
    // The libraries log (a failed refresh, a retry) for services; a CLI shows its own lines. `--log-level` on
    // the command line still turns them on: it is applied inside this.
    Logger.withMinimumLogLevel(LogLevel.None),
    Effect.as(CliFailure.ExitCode.Ok),
    Effect.catchAllCause((cause) =>
      Effect.gen(function* () {
        const output = yield* CliOutput
        const failure = CliFailure.fromCause(cause)
        yield* output.err(`error: ${failure.cause}`)
        yield* output.err(`hint: ${failure.hint}`)
        return failure.exitCode
      })
    )
  )
