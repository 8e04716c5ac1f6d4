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
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as CliFailure from "./CliFailure.js"
import type * as CliOutput from "./CliOutput.js"
import { root } from "./Commands.js"
import * as Help from "./Help.js"
import * as Frame from "./internal/frame.js"

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
  Frame.run((output) => command(argv.slice(2), output))
