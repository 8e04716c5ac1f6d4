/**
 * Where the CLI writes: result lines on stdout; errors, hints, warnings and the live status on stderr (so
 * `ultracart-oauth … --json | jq` gets only the result). The status line is redrawn in place on a terminal and
 * printed as plain lines otherwise, so logs and pipes stay readable.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Printable from "./Printable.js"

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
    /** Whether stderr is a terminal: the status line is redrawn in place and ticks. */
    readonly interactive: boolean
    /**
     * Whether stdout is a terminal that shows colour (`TERM` is not `dumb`). `NO_COLOR` is read by the CLI on top.
     *
     * @since 0.2.0
     */
    readonly color: boolean
    /**
     * Whether stdin and stdout are terminals, so that the user can answer prompts (`--wizard`).
     *
     * @since 0.2.0
     */
    readonly prompts: boolean
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
 * straight to stderr on a terminal.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeConsole = (options: {
  readonly interactive: boolean
  readonly color?: boolean | undefined
  readonly prompts?: boolean | undefined
  /** Writes raw text to stderr (the status line's terminal). */
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
    color: options.color ?? false,
    prompts: options.prompts ?? false,
    out: (line) => around(Console.log(line)),
    err: (line) => around(Console.error(line)),
    status: (line) =>
      options.interactive
        ? Effect.sync(() => {
            options.write(`${CLEAR_LINE}${line}`)
            shown = line
          })
        : Console.error(line),
    endStatus: Effect.sync(() => {
      if (shown !== undefined) options.write("\n")
      shown = undefined
    })
  }
}

/**
 * `output` with every line it prints made safe for a terminal ({@link Printable.text}): whatever a line holds,
 * no escape sequence or control character reaches the screen.
 *
 * @since 0.2.0
 * @category combinators
 */
export const sanitized = (output: CliOutput.Service): CliOutput.Service => ({
  ...output,
  out: (line) => output.out(Printable.text(line)),
  err: (line) => output.err(Printable.text(line)),
  status: (line) => output.status(Printable.text(line))
})

/**
 * The process's stdout and stderr: interactive when stderr is a TTY (and `CI` is not set), colour when stdout is a
 * TTY and `TERM` is not `dumb`, prompts when stdin and stdout are TTYs.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerProcess: Layer.Layer<CliOutput> = Layer.sync(CliOutput, () =>
  makeConsole({
    interactive: process.stderr.isTTY === true && process.env["CI"] === undefined,
    color: process.stdout.isTTY === true && process.env["TERM"] !== "dumb",
    prompts: process.stdin.isTTY === true && process.stdout.isTTY === true,
    write: (text) => void process.stderr.write(text)
  })
)
