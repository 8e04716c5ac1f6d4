/**
 * Worker processes for the multi-process tests. A worker is bundled once with esbuild into a temporary
 * directory (one file: a `node` start costs ~0.3 s instead of several seconds through a TypeScript loader), then
 * started as plain `node` processes. Every process started is killed when its scope closes, whatever happened.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { type BuildOptions, build } from "esbuild"
import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { tempDir } from "./ServerProcess.js"

/** The path of the bundled test worker. */
export class WorkerBundle extends Context.Tag("test/WorkerBundle")<WorkerBundle, { readonly path: string }>() {}

/**
 * A TypeScript entry point bundled into one ES module in a temporary directory, removed with the scope. `options`
 * adds to esbuild's (plugins, externals).
 */
export const bundle = (entry: string, options: BuildOptions = {}): Effect.Effect<string, never, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = yield* tempDir("ultracart-worker-bundle-")
    const path = join(dir, "main.mjs")
    yield* Effect.promise(() =>
      build({
        entryPoints: [entry],
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        outfile: path,
        logLevel: "warning",
        // CommonJS dependencies (ioredis, pg) require Node's modules; an ES module bundle needs a `require` for that.
        banner: {
          js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
        },
        ...options
      })
    )
    return path
  })

/** The test worker at `entry` (a `file:` URL), bundled once for the Layer's life. */
export const bundleLayer = (entry: URL, options: BuildOptions = {}): Layer.Layer<WorkerBundle> =>
  Layer.scoped(
    WorkerBundle,
    Effect.map(bundle(fileURLToPath(entry), options), (path) => ({ path }))
  )

export interface WorkerOutcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** The parsed `RESULT` line, if the worker printed one. */
  readonly result: unknown
  readonly output: string
}

export interface Worker {
  readonly pid: number
  /** Ends when the process exits. */
  readonly exit: Effect.Effect<WorkerOutcome>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
}

/** Registered at spawn, so no `close` (all output read, process gone) can be missed. */
const outcomeOf = (child: ChildProcess, output: () => string): Promise<WorkerOutcome> =>
  new Promise((resolve) => {
    child.once("close", (code, signal) => {
      const line = output()
        .split("\n")
        .find((l) => l.startsWith("RESULT "))
      resolve({
        code,
        signal,
        result: line === undefined ? undefined : JSON.parse(line.slice("RESULT ".length)),
        output: output()
      })
    })
  })

/** Runs a bundled program with these settings on top of a clean environment; SIGKILLed when the scope closes. */
export const run = (path: string, env: Record<string, string>): Effect.Effect<Worker, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, [path], {
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()))
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()))
      const exited = outcomeOf(child, () => output)
      const worker: Worker = {
        pid: child.pid ?? -1,
        exit: Effect.promise(() => exited),
        kill: (signal) => Effect.sync(() => void child.kill(signal))
      }
      return { child, worker }
    }),
    ({ child }) =>
      Effect.sync(() => void (child.exitCode === null && child.signalCode === null && child.kill("SIGKILL")))
  ).pipe(Effect.map(({ worker }) => worker))

/** Starts a test worker with these settings. */
export const start = (env: Record<string, string>): Effect.Effect<Worker, never, WorkerBundle | Scope.Scope> =>
  Effect.flatMap(WorkerBundle, ({ path }) => run(path, env))

/** Waits for every worker to exit, for at most `withinMillis` (then fails: the workers hung). */
export const exits = (workers: ReadonlyArray<Worker>, withinMillis: number) =>
  Effect.forEach(workers, (w) => w.exit, { concurrency: "unbounded" }).pipe(
    Effect.timeoutFail({ duration: withinMillis, onTimeout: () => new Error("workers did not finish") })
  )
