/**
 * Two worker processes sharing one UltraCart grant through Redis. Access tokens live 3 seconds here and every
 * refresh rotates the refresh token; UltraCart (the fake, on a loopback port) revokes the whole grant if a
 * spent refresh token is ever presented again. Both workers run their own token manager on the same
 * `RedisTokenStore`: at each refresh point one of them takes the grant's refresh lease and refreshes, the other
 * waits for it and reads the new tokens from Redis. At the end: one refresh request per token version, the
 * grant still alive.
 *
 * Redis: `ULTRACART_REDIS_URL` if set (keys go under a fresh prefix), otherwise a throwaway `redis-server`
 * (on PATH) on a Unix socket in a temporary directory. `ULTRACART_EXAMPLE_SECONDS` (8) sets how long the
 * workers run. Tokens are printed as fingerprints only.
 *
 * Run: pnpm tsx examples/src/redis-workers.ts
 */
import { Command, FetchHttpClient, FileSystem } from "@effect/platform"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { TokenManager } from "@ultracart-oauth/adapters"
import { OAuthClient } from "@ultracart-oauth/core"
import { RedisConnection, RedisTokenStore } from "@ultracart-oauth/redis"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Config, Console, Effect, Layer, Logger, LogLevel, Option, Redacted, Schedule } from "effect"
import * as Worker from "./redis/worker.js"

const GRANT = "merchant-DEMO"

/** The Redis to use: the configured one, or a throwaway server stopped with the scope. */
const redisUrl = Effect.gen(function* () {
  const configured = yield* Config.option(Config.redacted("ULTRACART_REDIS_URL"))
  if (Option.isSome(configured)) return configured.value
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ultracart-redis-example-" })
  const socket = `${dir}/redis.sock`
  yield* Command.make(
    "redis-server",
    "--port",
    "0",
    "--unixsocket",
    socket,
    "--save",
    "",
    "--appendonly",
    "no",
    "--logfile",
    `${dir}/redis.log`
  ).pipe(
    Command.start,
    Effect.catchAll(() => Effect.dieMessage("redis-server is not on PATH: install it, or set ULTRACART_REDIS_URL"))
  )
  // Ready once it answers on its socket.
  yield* Effect.scoped(RedisConnection.make({ url: Redacted.make(socket) })).pipe(
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("5 seconds")))
  )
  yield* Console.log(`Started a throwaway redis-server on ${socket}`)
  return Redacted.make(socket)
})

/** Starts this same program as a worker process (`… worker`) with the shared settings; waits for its exit. */
const startWorker = (name: string, env: Record<string, string>) =>
  Command.make(process.execPath, ...process.execArgv, process.argv[1] ?? "", "worker").pipe(
    Command.env({ ...env, WORKER_NAME: name }),
    Command.stdout("inherit"),
    Command.stderr("inherit"),
    Command.exitCode,
    Effect.filterOrDieMessage((code) => code === 0, `${name} failed`)
  )

const parent = Effect.gen(function* () {
  const url = yield* redisUrl
  const prefix = `ultracart-oauth-example-${Date.now()}:`
  const fake = yield* FakeUltraCartServer.make({ accessTokenLifetime: "3 seconds" })
  const clientId = FakeUltraCart.DEFAULT_CLIENT.clientId

  // This process connects the merchant (browser leg against the fake, code exchange) and stores the grant.
  const store = RedisTokenStore.layer({ connection: { url }, prefix })
  const oauth = OAuthClient.layer({ clientId, baseUrl: fake.baseUrl }).pipe(Layer.provide(FetchHttpClient.layer))
  const connected = yield* Effect.gen(function* () {
    const client = yield* OAuthClient.OAuthClient
    const manager = yield* TokenManager.TokenManager
    const redirectUri = FakeUltraCart.DEFAULT_CLIENT.redirectUris[0] ?? ""
    const { state, url: authorizeUrl } = yield* client.authorizationUrl({ redirectUri })
    const code = yield* client.parseCallback(yield* fake.approve(authorizeUrl), state)
    return yield* manager.login(client.exchangeCode({ code, redirectUri }))
  }).pipe(Effect.provide(TokenManager.layer({ key: GRANT }).pipe(Layer.provideMerge(Layer.merge(store, oauth)))))
  yield* Console.log(
    `Merchant connected on the fake UltraCart (${fake.baseUrl}); grant stored in Redis as v${connected.version}`
  )

  const env = {
    ULTRACART_BASE_URL: fake.baseUrl,
    ULTRACART_CLIENT_ID: clientId,
    ULTRACART_TOKEN_GRANT: GRANT,
    ULTRACART_REDIS_URL: Redacted.value(url),
    ULTRACART_REDIS_PREFIX: prefix,
    ULTRACART_EXAMPLE_SECONDS: String(yield* Config.withDefault(Config.integer("ULTRACART_EXAMPLE_SECONDS"), 8))
  }
  yield* Console.log("Two workers start; each prints the token versions it sees:")
  yield* Effect.all([startWorker("worker A", env), startWorker("worker B", env)], { concurrency: 2 })

  const refreshes = yield* fake.requestCount({ endpoint: "token", grantType: "refresh_token" })
  const stored = yield* Effect.flatMap(RedisTokenStore.make({ connection: { url }, prefix }), (s) => s.load(GRANT))
  const latest = Option.getOrThrow(stored)
  const status = yield* fake.inspectToken(Option.getOrThrow(latest.refreshToken))
  yield* Console.log(`UltraCart received ${refreshes} refresh requests for ${latest.version - 1} new token versions`)
  yield* Console.log(
    `The grant's refresh token at UltraCart: ${Option.match(status, { onNone: () => "unknown", onSome: (s) => s.status })}`
  )
})

const main =
  process.argv[2] === "worker"
    ? Worker.run.pipe(Effect.provide(Worker.layer), Logger.withMinimumLogLevel(LogLevel.Warning))
    : parent.pipe(
        Effect.scoped,
        Effect.provide(NodeCommandExecutor.layer.pipe(Layer.provideMerge(NodeFileSystem.layer)))
      )

NodeRuntime.runMain(main)
