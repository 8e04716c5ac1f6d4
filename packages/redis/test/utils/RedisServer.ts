/**
 * A real `redis-server` for the tests: started on 127.0.0.1 and a free port, without persistence unless asked,
 * stopped with the scope. It can be stopped and started again on the same port (a Redis restart). Readiness and
 * the start/stop deadlines use Node timers and the server's own output, not the Effect `Clock`, so the Layer
 * works under the `TestClock` too.
 */
import * as ServerProcess from "@ultracart-oauth/test-support/ServerProcess"
import { Context, Effect, Layer, Redacted } from "effect"
import { readdirSync, rmSync } from "node:fs"
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

/** Where `redis-server` is, or a failure that says how to get it (never a silent skip). */
export const redisServerBinary = (): string => {
  const found = ServerProcess.onPath("redis-server")
  if (found !== undefined) return found
  throw new Error(
    "redis-server is not installed: the Redis tests run against a real one. Install it " +
      "(Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) and run the tests again."
  )
}

const serverOptions = (
  binary: string,
  port: number,
  dir: string,
  persistent: boolean
): ServerProcess.LaunchOptions => ({
  name: "redis-server",
  command: binary,
  args: [
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
  readyOn: "stdout",
  readyText: "Ready to accept connections",
  startTimeoutMillis: 10_000,
  stopSignal: "SIGTERM",
  killAfterMillis: 3_000
})

/** A server for the life of the scope. */
export const make = (options: RedisServerOptions = {}) =>
  Effect.gen(function* () {
    const binary = yield* Effect.try({ try: redisServerBinary, catch: (error) => error })
    const port = yield* Effect.promise(ServerProcess.freePort)
    const dir = yield* ServerProcess.tempDir("ultracart-redis-")
    const { start, stop } = yield* ServerProcess.running(serverOptions(binary, port, dir, options.persistent === true))
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
