/**
 * The body of a worker process of the multi-process tests (`tokenWorker.ts` here, and the SQL store's): a token
 * manager on a shared store, configured the way a user's program would be (`ULTRACART_*` settings), against the
 * fake UltraCart the test runs on loopback.
 *
 * - `WORKER_MODE=callers`: from `WORKER_START_AT` to `WORKER_UNTIL` (epoch ms), `WORKER_CALLERS` fibers each
 *   ask for an access token and use it (`GET /oauth/me`), again and again. The last line on stdout is
 *   `RESULT {json}` with the calls made, the failures by tag and the refreshes this process sent.
 * - `WORKER_MODE=refresh`: refreshes once, then prints `RESULT {json}` with the new version.
 */
import { FetchHttpClient } from "@effect/platform"
import { TokenManager, type TokenStore } from "@ultracart-oauth/adapters"
import { OAuthClient } from "@ultracart-oauth/core"
import { Config, Console, Effect, Layer, Logger, LogLevel, Metric, Random } from "effect"

const settings = Config.all({
  mode: Config.literal("callers", "refresh")("WORKER_MODE"),
  callers: Config.withDefault(Config.integer("WORKER_CALLERS"), 4),
  startAt: Config.withDefault(Config.number("WORKER_START_AT"), 0),
  until: Config.withDefault(Config.number("WORKER_UNTIL"), 0)
})

const failures: Record<string, number> = {}
let calls = 0

/** One caller: a token, then a call with it, until the deadline. */
const caller = (until: number) =>
  Effect.gen(function* () {
    const manager = yield* TokenManager.TokenManager
    const oauth = yield* OAuthClient.OAuthClient
    while (Date.now() < until) {
      const outcome = yield* Effect.either(
        Effect.flatMap(manager.accessToken, (accessToken) => oauth.me({ accessToken }))
      )
      calls++
      if (outcome._tag === "Left") failures[outcome.left._tag] = (failures[outcome.left._tag] ?? 0) + 1
      yield* Effect.sleep(yield* Random.nextIntBetween(20, 60))
    }
  })

const refreshesSent = Effect.map(Metric.value(TokenManager.metrics.refreshes), (state) => state.count)

const program = Effect.gen(function* () {
  const { callers, mode, startAt, until } = yield* settings
  const manager = yield* TokenManager.TokenManager
  if (mode === "refresh") {
    const tokens = yield* manager.refresh
    return { version: tokens.version, at: Date.now(), refreshes: yield* refreshesSent }
  }
  yield* Effect.sleep(Math.max(0, startAt - Date.now()))
  yield* Effect.all(
    Array.from({ length: callers }, () => caller(until)),
    { concurrency: "unbounded", discard: true }
  )
  return { calls, failures, refreshes: yield* refreshesSent }
})

const layers = <E>(store: Layer.Layer<TokenStore.TokenStore, E>) =>
  TokenManager.layerConfig().pipe(
    Layer.provideMerge(Layer.merge(store, OAuthClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))))
  )

/** Runs the worker on this store (configured from the same settings), prints its result, and exits. */
export const main = <E>(store: Layer.Layer<TokenStore.TokenStore, E>): Promise<void> =>
  program
    .pipe(
      Effect.flatMap((result) => Console.log(`RESULT ${JSON.stringify(result)}`)),
      Effect.provide(layers(store)),
      Logger.withMinimumLogLevel(LogLevel.Warning),
      Effect.runPromise
    )
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(String(error))
        process.exit(1)
      }
    )
