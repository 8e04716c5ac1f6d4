/**
 * A connection to Redis through ioredis, set up for a token store: commands fail at once with a typed
 * `RedisError` while the connection is down (no offline queue that would hold a refresh hostage), every command
 * has a timeout, and the client reconnects in the background with a short, bounded back-off. Lua scripts run by
 * their SHA and are loaded again when a restarted Redis has forgotten them.
 *
 * @since 0.1.0
 */
import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"
import { createHash } from "node:crypto"
import { fromUnknown, type RedisError } from "./RedisError.js"

/**
 * Where Redis is and how long to wait for it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS. Redacted: it may hold a password.
   * When given, `host`, `port`, `db`, `username` and `password` are ignored.
   */
  readonly url?: Redacted.Redacted<string> | undefined
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** Default 6379. */
  readonly port?: number | undefined
  readonly db?: number | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Connect with TLS (default false). */
  readonly tls?: boolean | undefined
  /** How long connecting may take, at start and on every reconnect (default 5 seconds). */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** How long one command may take before it fails with `Timeout` (default 2 seconds). */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /** The longest pause between reconnection attempts (default 1 second); the first is 50 ms, then doubled. */
  readonly maxReconnectDelay?: Duration.DurationInput | undefined
  /** The name the connection shows in `CLIENT LIST` (default `ultracart-oauth`). */
  readonly connectionName?: string | undefined
}

const millis = (input: Duration.DurationInput | undefined, fallback: Duration.DurationInput): number =>
  Duration.toMillis(input ?? fallback)

/**
 * The ioredis options this package relies on. `enableOfflineQueue: false` and `maxRetriesPerRequest: 0` make a
 * command fail at once while there is no connection (and fail a command in flight when the connection breaks)
 * instead of waiting for a reconnect: the token manager then serves the access token it holds.
 */
const clientOptions = (options: RedisConnectionOptions) => {
  const maxDelay = millis(options.maxReconnectDelay, Duration.seconds(1))
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: millis(options.connectTimeout, Duration.seconds(5)),
    commandTimeout: millis(options.commandTimeout, Duration.seconds(2)),
    retryStrategy: (attempt: number) => Math.min(maxDelay, 50 * 2 ** Math.min(attempt - 1, 16)),
    connectionName: options.connectionName ?? "ultracart-oauth"
  }
}

const newClient = (options: RedisConnectionOptions): Redis =>
  options.url !== undefined
    ? new Redis(Redacted.value(options.url), clientOptions(options))
    : new Redis({
        ...clientOptions(options),
        host: options.host ?? "127.0.0.1",
        port: options.port ?? 6379,
        ...(options.db === undefined ? {} : { db: options.db }),
        ...(options.username === undefined ? {} : { username: options.username }),
        ...(options.password === undefined ? {} : { password: Redacted.value(options.password) }),
        ...(options.tls === true ? { tls: {} } : {})
      })

/**
 * A connected ioredis client for the life of the scope (closed with `QUIT`, then dropped). Fails with
 * `Unavailable` if Redis cannot be reached within the connect timeout.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RedisConnectionOptions = {}): Effect.Effect<Redis, RedisError, Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client = newClient(options)
        // ioredis reports connection errors as events too, and prints them when nobody listens; every command
        // already fails with the error it hit, so the events carry nothing more.
        client.on("error", () => {})
        return client
      }),
      (client) =>
        Effect.promise(() =>
          client.quit().then(
            () => {},
            () => {}
          )
        ).pipe(
          Effect.timeout(Duration.seconds(1)),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => client.disconnect()))
        )
    )
    // ioredis's connect timeout bounds this (a refused connection fails at once).
    yield* command("CONNECT", () => client.connect())
    return client
  })

/**
 * A Lua script, run by its SHA-1.
 *
 * @since 0.1.0
 * @category models
 */
export interface LuaScript {
  /** A name for errors and spans. */
  readonly name: string
  readonly lua: string
  readonly sha: string
}

/**
 * Names a script and computes its SHA-1.
 *
 * @since 0.1.0
 * @category constructors
 */
export const script = (name: string, lua: string): LuaScript => ({
  name,
  lua,
  sha: createHash("sha1").update(lua).digest("hex")
})

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith("NOSCRIPT")

/**
 * Runs a script atomically (`EVALSHA`, falling back to `EVAL` when Redis does not know the SHA — after a restart
 * or a `SCRIPT FLUSH`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const evaluate = (
  client: Redis,
  script: LuaScript,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number>
): Effect.Effect<unknown, RedisError> =>
  Effect.tryPromise({
    try: () =>
      client
        .evalsha(script.sha, keys.length, ...keys, ...args)
        .catch((error: unknown) =>
          isNoScript(error) ? client.eval(script.lua, keys.length, ...keys, ...args) : Promise.reject(error)
        ),
    catch: (error) => fromUnknown(script.name, error)
  })

/**
 * Runs one ioredis command, its failure typed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const command = <A>(name: string, run: () => Promise<A>): Effect.Effect<A, RedisError> =>
  Effect.tryPromise({ try: run, catch: (error) => fromUnknown(name, error) })

/**
 * Connection options from configuration: `ULTRACART_REDIS_URL` (redacted; default `redis://127.0.0.1:6379`),
 * `ULTRACART_REDIS_CONNECT_TIMEOUT`, `ULTRACART_REDIS_COMMAND_TIMEOUT` and `ULTRACART_REDIS_MAX_RECONNECT_DELAY`
 * (durations such as `2 seconds`).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<RedisConnectionOptions> = Config.all({
  url: Config.withDefault(Config.redacted("ULTRACART_REDIS_URL"), Redacted.make("redis://127.0.0.1:6379")),
  connectTimeout: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_CONNECT_TIMEOUT")),
  commandTimeout: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_COMMAND_TIMEOUT")),
  maxReconnectDelay: ConfigWrap.optional(Config.duration("ULTRACART_REDIS_MAX_RECONNECT_DELAY"))
})
