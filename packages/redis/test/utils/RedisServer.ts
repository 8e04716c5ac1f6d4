/**
 * A real `redis-server` for the tests: started on 127.0.0.1 and a free port, without persistence unless asked,
 * stopped with the scope. It can be stopped and started again on the same port (a Redis restart). Readiness and
 * the start/stop deadlines use Node timers and the server's own output, not the Effect `Clock`, so the Layer
 * works under the `TestClock` too.
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface RedisServerOptions {
  /** Keep the data across a restart: `--appendonly yes --appendfsync always` in a temporary directory. */
  readonly persistent?: boolean
}

export interface RedisServerService {
  readonly port: number
  readonly url: Redacted.Redacted<string>
  /** Stops the server (SIGTERM; SIGKILL if it lingers). */
  readonly stop: Effect.Effect<void>
  /** Starts it again on the same port (nothing if it runs). */
  readonly start: Effect.Effect<void>
  /** Deletes the data files (call it stopped): the next start is an empty Redis, as without persistence. */
  readonly wipe: Effect.Effect<void>
}

export class RedisServer extends Context.Tag("test/RedisServer")<RedisServer, RedisServerService>() {}

const START_TIMEOUT_MILLIS = 10_000

/** Where `redis-server` is, or a failure that says how to get it (never a silent skip). */
export const redisServerBinary = (): string => {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim()
  } catch {
    throw new Error(
      "redis-server is not installed: the Redis tests run against a real one. Install it " +
        "(Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) and run the tests again."
    )
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const launch = (binary: string, port: number, dir: string, persistent: boolean): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      binary,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        persistent ? "yes" : "no",
        "--appendfsync",
        "always",
        "--daemonize",
        "no",
        "--loglevel",
        "notice"
      ],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`redis-server did not get ready within ${START_TIMEOUT_MILLIS} ms:\n${output}`))
    }, START_TIMEOUT_MILLIS)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer)
        child.stdout?.off("data", onData)
        child.stdout?.resume()
        resolve(child)
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`))
    })
  })

const terminate = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill("SIGTERM")
  })

/** A server for the life of the scope. */
export const make = (options: RedisServerOptions = {}) =>
  Effect.gen(function* () {
    const binary = yield* Effect.try({ try: redisServerBinary, catch: (error) => error })
    const port = yield* Effect.promise(freePort)
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "ultracart-redis-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    let child: ChildProcess | undefined
    const start = Effect.suspend(() =>
      child !== undefined
        ? Effect.void
        : Effect.tryPromise(() => launch(binary, port, dir, options.persistent === true)).pipe(
            Effect.flatMap((started) => Effect.sync(() => void (child = started))),
            Effect.orDie
          )
    )
    const stop = Effect.promise(async () => {
      const running = child
      child = undefined
      if (running !== undefined) await terminate(running)
    })
    yield* Effect.acquireRelease(start, () => stop)
    const service: RedisServerService = {
      port,
      url: Redacted.make(`redis://127.0.0.1:${port}`),
      stop,
      start,
      wipe: Effect.sync(() => {
        for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true })
      })
    }
    return service
  })

export const layer = (options: RedisServerOptions = {}): Layer.Layer<RedisServer, unknown> =>
  Layer.scoped(RedisServer, make(options))
