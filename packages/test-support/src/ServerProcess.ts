/**
 * A real server binary for the tests (`redis-server`, `postgres`): started on 127.0.0.1 and a port the OS gave,
 * ready when a line of its own log says so, stopped with the scope, and stoppable and startable again on the same
 * port (an outage). Readiness and the start/stop deadlines use Node timers and the server's output, not the Effect
 * `Clock`, so a server works under the `TestClock` too. What differs between servers (command line, ready line,
 * how to stop) is the caller's `LaunchOptions`.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A port nobody listens on at the moment (the OS picks it: port 0), on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** A temporary directory named `<prefix>…`, removed with the scope. */
export const tempDir = (prefix: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** Where `command` is on PATH, or undefined. */
export const onPath = (command: string): string | undefined => {
  try {
    const found = execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim()
    return found === "" ? undefined : found
  } catch {
    return undefined
  }
}

export interface LaunchOptions {
  /** The server's name in failures. */
  readonly name: string
  readonly command: string
  readonly args: ReadonlyArray<string>
  /** The environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv
  /** The stream whose output says the server is ready, and the text that says it. */
  readonly readyOn: "stdout" | "stderr"
  readonly readyText: string
  readonly startTimeoutMillis: number
  /** How to stop it, and after how long a lingering server is killed (SIGKILL). */
  readonly stopSignal: NodeJS.Signals
  readonly killAfterMillis: number
}

/** Starts the server and resolves once it is ready; rejects with its output if it exits or takes too long. */
export const launch = (options: LaunchOptions): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(options.command, [...options.args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.env === undefined ? {} : { env: options.env })
    })
    const ready = options.readyOn === "stdout" ? child.stdout : child.stderr
    const other = options.readyOn === "stdout" ? child.stderr : child.stdout
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${options.name} did not get ready within ${options.startTimeoutMillis} ms:\n${output}`))
    }, options.startTimeoutMillis)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(options.readyText)) {
        clearTimeout(timer)
        ready?.off("data", onData)
        ready?.resume()
        child.off("exit", onExit)
        resolve(child)
      }
    }
    const onExit = (code: number | null) => {
      clearTimeout(timer)
      reject(new Error(`${options.name} exited (${code}) before it was ready:\n${output}`))
    }
    ready?.on("data", onData)
    other?.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.once("exit", onExit)
  })

/** Stops a server: `signal`, then SIGKILL if it lingers past `killAfterMillis`. */
export const terminate = (child: ChildProcess, signal: NodeJS.Signals, killAfterMillis: number): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMillis)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })

export interface Running {
  /** Stops the server (nothing if it is stopped). */
  readonly stop: Effect.Effect<void>
  /** Starts it again with the same options: same port, same data (nothing if it runs). */
  readonly start: Effect.Effect<void>
}

/** The server started now, stopped with the scope, and stoppable and startable in between. */
export const running = (options: LaunchOptions): Effect.Effect<Running, never, Scope.Scope> =>
  Effect.gen(function* () {
    let child: ChildProcess | undefined
    const start = Effect.suspend(() =>
      child !== undefined
        ? Effect.void
        : Effect.tryPromise(() => launch(options)).pipe(
            Effect.flatMap((started) => Effect.sync(() => void (child = started))),
            Effect.orDie
          )
    )
    const stop = Effect.promise(async () => {
      const current = child
      child = undefined
      if (current !== undefined) await terminate(current, options.stopSignal, options.killAfterMillis)
    })
    yield* Effect.acquireRelease(start, () => stop)
    return { start, stop }
  })
