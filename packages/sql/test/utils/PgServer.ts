/**
 * A real PostgreSQL server for the tests (Debian's `postgresql` package, or any `postgres` on PATH): a throwaway
 * cluster made by `initdb` in a temporary directory, started on 127.0.0.1 and a port the OS gave, stopped and
 * removed with the scope. It can be stopped and started again on the same port (an outage). Run as root (as CI
 * does), `initdb` and `postgres` refuse to start, so they run as `nobody` (`setpriv`), in a directory that is
 * theirs. Readiness and the deadlines use Node timers and the server's own log, not the Effect `Clock`.
 */
import * as ServerProcess from "@ultracart-oauth/test-support/ServerProcess"
import { Context, Effect, Layer, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import { chownSync, existsSync, readdirSync } from "node:fs"
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

/** The directory holding `initdb` and `postgres`, or a failure that says how to get them (never a silent skip). */
export const postgresBinDir = (): string => {
  const onPath = ServerProcess.onPath("postgres")
  if (onPath !== undefined) return onPath.slice(0, onPath.lastIndexOf("/"))
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

const serverOptions = (bin: string, data: string, port: number, durable: boolean): ServerProcess.LaunchOptions => {
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
  return {
    name: "postgres",
    command,
    args,
    env: { PATH: process.env.PATH ?? "" },
    readyOn: "stderr",
    readyText: "database system is ready to accept connections",
    startTimeoutMillis: 20_000,
    // SIGINT: fast shutdown (open sessions are cut, as when a database server goes away).
    stopSignal: "SIGINT",
    killAfterMillis: 5_000
  }
}

/** A server for the life of the scope. */
export const make = (options: PgServerOptions = {}) =>
  Effect.gen(function* () {
    const bin = yield* Effect.try({ try: postgresBinDir, catch: (error) => error })
    const port = yield* Effect.promise(ServerProcess.freePort)
    const dir = yield* ServerProcess.tempDir("ultracart-pg-")
    if (process.getuid?.() === 0) chownSync(dir, 65534, 65534)
    const data = join(dir, "data")
    yield* Effect.try({ try: () => initdb(bin, data), catch: (error) => error })
    const { start, stop } = yield* ServerProcess.running(serverOptions(bin, data, port, options.durable === true))
    const service: PgServerService = {
      port,
      url: Redacted.make(`postgres://postgres@127.0.0.1:${port}/postgres`),
      stop,
      start
    }
    return service
  })

export const layer: Layer.Layer<PgServer, unknown> = Layer.scoped(PgServer, make())
