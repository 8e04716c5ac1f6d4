// Runs the CLI in this process with injected arguments, environment and HTTP client, capturing what it prints
// (its own lines and @effect/cli's) so tests can read and wait for them.
import { FileSystem, type HttpClient, type Path, type Terminal } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { type Console, ConfigProvider, Effect, Layer, Queue, type Scope } from "effect"
import { Cli, CliOutput } from "../src/index.js"
import * as QuickStatus from "../src/QuickStatus.js"
import * as Status from "../src/Status.js"

export interface Line {
  readonly stream: "out" | "err" | "status"
  readonly text: string
}

export interface Capture {
  readonly lines: Array<Line>
  readonly output: CliOutput.CliOutput.Service
  readonly console: Console.Console
  /** Waits for the next line matching `predicate` (lines seen by earlier waits are not seen again). */
  readonly waitFor: (predicate: (line: Line) => boolean) => Effect.Effect<Line>
  readonly text: (stream?: Line["stream"]) => string
}

/** What the captured output claims to be: a pipe by default (no live status, no colour, no prompts). */
export interface CaptureOptions {
  readonly interactive?: boolean | undefined
  readonly color?: boolean | undefined
  readonly prompts?: boolean | undefined
}

export const makeCaptureWith = (options: CaptureOptions): Effect.Effect<Capture> =>
  Effect.gen(function* () {
    const lines: Array<Line> = []
    const queue = yield* Queue.unbounded<Line>()
    const push = (stream: Line["stream"], args: ReadonlyArray<unknown>) =>
      Effect.suspend(() => {
        const line = { stream, text: args.map(String).join(" ") }
        lines.push(line)
        return Queue.offer(queue, line)
      })
    const base = yield* Effect.console
    const console: Console.Console = {
      ...base,
      log: (...args) => push("out", args),
      info: (...args) => push("out", args),
      error: (...args) => push("err", args),
      warn: (...args) => push("err", args)
    }
    const output: CliOutput.CliOutput.Service = {
      interactive: options.interactive ?? false,
      color: options.color ?? false,
      prompts: options.prompts ?? false,
      out: (line) => push("out", [line]),
      err: (line) => push("err", [line]),
      status: (line) => push("status", [line]),
      endStatus: Effect.void
    }
    const waitFor = (predicate: (line: Line) => boolean): Effect.Effect<Line> =>
      Effect.flatMap(Queue.take(queue), (line) => (predicate(line) ? Effect.succeed(line) : waitFor(predicate)))
    const text = (stream?: Line["stream"]) =>
      lines
        .filter((l) => stream === undefined || l.stream === stream)
        .map((l) => l.text)
        .join("\n")
    return { lines, output, console, waitFor, text }
  })

export const makeCapture: Effect.Effect<Capture> = makeCaptureWith({})

/** Node's file system, path and terminal: what @effect/cli and the token store need. */
export const NodeEnvironment = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

export interface RunOptions {
  /** The environment as `Config` sees it (nothing of the real one leaks in). */
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly capture?: Capture | undefined
}

export interface Result {
  readonly exitCode: number
  readonly capture: Capture
  readonly out: string
  readonly err: string
  readonly all: string
}

/** Runs `ultracart-oauth <args>` and yields its exit code and output. */
export const runCli = (
  args: ReadonlyArray<string>,
  options: RunOptions = {}
): Effect.Effect<Result, never, HttpClient.HttpClient> => runWith(Cli.run, args, options)

/** Runs a plain `status` command line as the executable does (without the command parser); dies on any other. */
export const runQuickStatus = (
  args: ReadonlyArray<string>,
  options: RunOptions = {}
): Effect.Effect<Result, never, HttpClient.HttpClient> =>
  runWith(
    (argv) => {
      const flags = QuickStatus.parse(argv.slice(2))
      return flags === undefined ? Effect.dieMessage(`not a plain status: ${args.join(" ")}`) : Status.runQuick(flags)
    },
    args,
    options
  )

const runWith = (
  run: (
    argv: ReadonlyArray<string>
  ) => Effect.Effect<
    number,
    never,
    CliOutput.CliOutput | FileSystem.FileSystem | Path.Path | Terminal.Terminal | HttpClient.HttpClient
  >,
  args: ReadonlyArray<string>,
  options: RunOptions
): Effect.Effect<Result, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const capture = options.capture ?? (yield* makeCapture)
    const exitCode = yield* run(["node", "ultracart-oauth", ...args]).pipe(
      Effect.provideService(CliOutput.CliOutput, capture.output),
      Effect.withConsole(capture.console),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {})))),
      Effect.provide(NodeEnvironment)
    )
    return {
      exitCode,
      capture,
      out: capture.text("out"),
      err: capture.text("err"),
      all: capture.text()
    }
  })

/** A fresh home for one test: config and token directories live under it, and go with the scope. */
export const tempHome: Effect.Effect<string, never, Scope.Scope> = Effect.flatMap(FileSystem.FileSystem, (fs) =>
  Effect.orDie(fs.makeTempDirectoryScoped({ prefix: "ultracart-oauth-cli-" }))
).pipe(Effect.provide(NodeFileSystem.layer))

/** The environment of a test run: an isolated HOME (so no real config file is read) plus `extra`. */
export const envFor = (home: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> => ({
  HOME: home,
  XDG_CONFIG_HOME: `${home}/.config`,
  ...extra
})

/** The characters of `text` a terminal would act on: C0 controls but tab and line feed, DEL, C1, direction overrides. */
export const controlCharacters = (text: string): Array<string> =>
  [...text].filter((c) => {
    const n = c.codePointAt(0) ?? 0
    return (
      (n < 0x20 && n !== 0x09 && n !== 0x0a) ||
      (n >= 0x7f && n <= 0x9f) ||
      n === 0x200e ||
      n === 0x200f ||
      (n >= 0x202a && n <= 0x202e) ||
      (n >= 0x2066 && n <= 0x2069)
    )
  })
