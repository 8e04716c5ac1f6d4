/**
 * Where the CLI writes: result lines on stdout, errors and hints on stderr, and one live status line that is
 * redrawn in place on a terminal (and printed as plain lines otherwise, so logs and pipes stay readable).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace CliOutput {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Whether stdout is a terminal: the status line is redrawn in place and ticks. */
    readonly interactive: boolean
    /** A line on stdout. */
    readonly out: (line: string) => Effect.Effect<void>
    /** A line on stderr. */
    readonly err: (line: string) => Effect.Effect<void>
    /** Shows `line` as the live status (replacing the previous one on a terminal). */
    readonly status: (line: string) => Effect.Effect<void>
    /** Ends the live status: the last one stays visible and later lines start below it. */
    readonly endStatus: Effect.Effect<void>
  }
}

/**
 * The output service.
 *
 * @since 0.1.0
 * @category tags
 */
export class CliOutput extends Context.Tag("@ultracart-oauth/cli/CliOutput")<CliOutput, CliOutput.Service>() {}

const CLEAR_LINE = "\r\u001b[2K"

/**
 * Output through `Console` (so it interleaves with `@effect/cli`'s own messages), with the status line written
 * straight to `stdout` on a terminal.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeConsole = (options: {
  readonly interactive: boolean
  readonly write: (text: string) => void
}): CliOutput.Service => {
  // The status line on screen, if any: a line printed meanwhile clears it and draws it again below.
  let shown: string | undefined
  const around = (print: Effect.Effect<void>): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (shown === undefined) return print
      const status = shown
      options.write(CLEAR_LINE)
      return Effect.ensuring(
        print,
        Effect.sync(() => options.write(status))
      )
    })
  return {
    interactive: options.interactive,
    out: (line) => around(Console.log(line)),
    err: (line) => around(Console.error(line)),
    status: (line) =>
      options.interactive
        ? Effect.sync(() => {
            options.write(`${CLEAR_LINE}${line}`)
            shown = line
          })
        : Console.log(line),
    endStatus: Effect.sync(() => {
      if (shown !== undefined) options.write("\n")
      shown = undefined
    })
  }
}

/**
 * The process's stdout, interactive when it is a TTY (and `NO_COLOR`-style plain output is not forced with
 * `CI`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerProcess: Layer.Layer<CliOutput> = Layer.sync(CliOutput, () =>
  makeConsole({
    interactive: process.stdout.isTTY === true && process.env["CI"] === undefined,
    write: (text) => void process.stdout.write(text)
  })
)
