/**
 * One worker of the `redis-workers` example: a process of its own that asks for an access token and calls the
 * API with it, over and over, on the grant it shares with the other workers through Redis. It is configured
 * the way a deployed worker would be — `ULTRACART_*` settings only: `ULTRACART_REDIS_URL`,
 * `ULTRACART_REDIS_PREFIX`, `ULTRACART_TOKEN_GRANT`, `ULTRACART_CLIENT_ID`, `ULTRACART_BASE_URL`.
 *
 * It prints a line for every token version it sees, saying whether this process refreshed it or found it in
 * Redis (another worker did), and a tally at the end.
 */
import { FetchHttpClient } from "@effect/platform"
import { TokenManager, TokenStore } from "@ultracart-oauth/adapters"
import { OAuthClient } from "@ultracart-oauth/core"
import { RedisTokenStore } from "@ultracart-oauth/redis"
import { Config, Console, Effect, Layer, Metric, Schedule } from "effect"

const refreshesSent = Effect.map(Metric.value(TokenManager.metrics.refreshes), (state) => state.count)

/** The worker's program: `callers` fibers for `seconds`, then a tally. */
export const run = Effect.gen(function* () {
  const name = yield* Config.withDefault(Config.string("WORKER_NAME"), `pid ${process.pid}`)
  const seconds = yield* Config.withDefault(Config.integer("ULTRACART_EXAMPLE_SECONDS"), 8)
  const manager = yield* TokenManager.TokenManager
  const oauth = yield* OAuthClient.OAuthClient
  const say = (text: string) => Console.log(`  [${name}] ${text}`)
  let calls = 0
  let failures = 0
  let lastVersion = 0
  let lastRefreshes = 0

  const call = Effect.gen(function* () {
    const outcome = yield* Effect.either(
      manager.tokens.pipe(Effect.tap((tokens) => oauth.me({ accessToken: tokens.accessToken })))
    )
    calls++
    if (outcome._tag === "Left") {
      failures++
      return yield* say(`call failed: ${outcome.left._tag}`)
    }
    const tokens = outcome.right
    if (tokens.version <= lastVersion) return
    lastVersion = tokens.version
    const refreshes = yield* refreshesSent
    const how = refreshes > lastRefreshes ? "refreshed by this worker" : "read from Redis"
    lastRefreshes = refreshes
    yield* say(`token v${tokens.version} ${yield* TokenStore.fingerprint(tokens.accessToken)} (${how})`)
  })

  yield* Effect.all([call, call, call], { concurrency: "unbounded" }).pipe(
    Effect.repeat(Schedule.spaced("50 millis")),
    Effect.timeoutOption(`${seconds} seconds`)
  )
  yield* say(`${calls} calls, ${failures} failed, ${yield* refreshesSent} refresh requests sent by this worker`)
  if (failures > 0) return yield* Effect.fail(new Error(`${name}: ${failures} calls failed`))
})

/** Everything from configuration, as in a deployed worker. */
export const layer = TokenManager.layerConfig().pipe(
  Layer.provideMerge(
    Layer.merge(RedisTokenStore.layerConfig(), OAuthClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer)))
  )
)
