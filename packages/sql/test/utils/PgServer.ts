/**
 * A real PostgreSQL server for the tests (Debian's `postgresql` package, or any `postgres` on PATH): a throwaway
 * cluster made by `initdb` in a temporary directory, started on 127.0.0.1 and a port the OS gave, stopped and
 * removed with the scope. It can be stopped and started again on the same port (an outage). Run as root (as CI
 * does), `initdb` and `postgres` refuse to start, so they run as `nobody` (`setpriv`), in a directory that is
 * theirs. Readiness and the deadlines use Node timers and the server's own log, not the Effect `Clock`.
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface PgServerOptions {
  /** Keep PostgreSQL's durability settings (fsync, synchronous commit): for measurements. Default false (faster). */
  readonly durable?: boolean
}

export interface PgServerService {
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  readonly url: Redacted.Redacted<string>
  /** Stops the server (fast shutdown: sessions are cut; SIGKILL if it lingers). */
  readonly stop: Effect.Effect<void>
  /** Starts it again on the same port with the same data (nothing if it runs). */
  readonly start: Effect.Effect<void>
}

export class PgServer extends Context.Tag("test/PgServer")<PgServer, PgServerService>() {}

const START_TIMEOUT_MILLIS = 20_000

/** The directory holding `initdb` and `postgres`, or a failure that says how to get them (never a silent skip). */
export const postgresBinDir = (): string => {
  const onPath = (() => {
    try {
      return execFileSync("sh", ["-c", "command -v postgres"], { encoding: "utf8" }).trim()
    } catch {
      return ""
    }
  })()
  if (onPath !== "") return onPath.slice(0, onPath.lastIndexOf("/"))
  const debian = "/usr/lib/postgresql"
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => existsSync(join(debian, v, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions[0] !== undefined) return join(debian, versions[0], "bin")
  throw new Error(
    "PostgreSQL is not installed: the PostgreSQL tests run against a real server. Install it " +
      "(Debian/Ubuntu: apt-get install -y postgresql; macOS: brew install postgresql) and run the tests again."
  )
}

/** Root may not run PostgreSQL: then it runs as `nobody`. */
const asServerUser = (command: string, args: ReadonlyArray<string>): [string, Array<string>] =>
  process.getuid?.() === 0
    ? ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", command, ...args]]
    : [command, [...args]]

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

const initdb = (bin: string, data: string): void => {
  const [command, args] = asServerUser(join(bin, "initdb"), [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
    "--no-instructions"
  ])
  execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } })
}

// Durability settings off for tests: they stop the server cleanly or not at all, and speed matters more there.
const FAST = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]

const launch = (bin: string, data: string, port: number, durable: boolean): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const [command, args] = asServerUser(join(bin, "postgres"), [
      "-D",
      data,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      ...(durable ? [] : FAST)
    ])
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } })
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`postgres did not get ready within ${START_TIMEOUT_MILLIS} ms:\n${output}`))
    }, START_TIMEOUT_MILLIS)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("database system is ready to accept connections")) {
        clearTimeout(timer)
        child.stderr?.off("data", onData)
        child.stderr?.resume()
        child.off("exit", onExit)
        resolve(child)
      }
    }
    const onExit = (code: number | null) => {
      clearTimeout(timer)
      reject(new Error(`postgres exited (${code}) before it was ready:\n${output}`))
    }
    child.stderr?.on("data", onData)
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.once("exit", onExit)
  })

const terminate = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    // SIGINT: fast shutdown (open sessions are cut, as when a database server goes away).
    child.kill("SIGINT")
  })

/** A server for the life of the scope. */
export const make = (options: PgServerOptions = {}) =>
  Effect.gen(function* () {
    const bin = yield* Effect.try({ try: postgresBinDir, catch: (error) => error })
    const port = yield* Effect.promise(freePort)
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "ultracart-pg-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    if (process.getuid?.() === 0) chownSync(dir, 65534, 65534)
    const data = join(dir, "data")
    yield* Effect.try({ try: () => initdb(bin, data), catch: (error) => error })
    let child: ChildProcess | undefined
    const start = Effect.suspend(() =>
      child !== undefined
        ? Effect.void
        : Effect.tryPromise(() => launch(bin, data, port, options.durable === true)).pipe(
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
    const service: PgServerService = {
      port,
      url: Redacted.make(`postgres://postgres@127.0.0.1:${port}/postgres`),
      stop,
      start
    }
    return service
  })

export const layer: Layer.Layer<PgServer, unknown> = Layer.scoped(PgServer, make())
