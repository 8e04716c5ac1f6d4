/**
 * The body of a worker process of the stores' multi-process tests (each store's `test/worker/tokenWorker.ts`): a token
 * manager on a shared store, configured the way a user's program would be (`ULTRACART_*` settings), against the
 * fake UltraCart the test runs on loopback.
 *
 * - `WORKER_MODE=callers`: from `WORKER_START_AT` to `WORKER_UNTIL` (epoch ms), `WORKER_CALLERS` fibers each
 *   ask for an access token and use it (`GET /oauth/me`), again and again. The last line on stdout is
 *   `RESULT {json}` with the calls made, the failures by tag and the refreshes this process sent.
 * - `WORKER_MODE=refresh`: refreshes once, then prints `RESULT {json}` with the new version.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import { runWorker } from "./WorkerMain.js"

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
  runWorker(Effect.provide(program, layers(store)))
