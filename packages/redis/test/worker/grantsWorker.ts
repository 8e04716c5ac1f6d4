/**
 * One worker process of the many-merchant test: a grant registry (`MerchantGrants`) on the shared Redis store,
 * configured as a user's program would be, against the fake UltraCart the test runs on loopback. From
 * `WORKER_START_AT` to `WORKER_UNTIL` (epoch ms), `WORKER_CALLERS` fibers each pick a random merchant of
 * `M000`…`M{WORKER_MERCHANTS - 1}`, get its access token and use it (`GET /oauth/me` through the merchant's REST
 * client), again and again. The last line on stdout is `RESULT {json}`: calls, failures by tag, refreshes sent,
 * and merchants whose `/oauth/me` named another merchant (never expected).
 */
import { FetchHttpClient } from "@effect/platform"
import { MerchantGrants, TokenManager } from "@ultracart-oauth/adapters"
import { OAuthClient } from "@ultracart-oauth/core"
import { runWorker } from "@ultracart-oauth/test-support/WorkerMain"
import { Config, Effect, Layer, Metric, Random } from "effect"
import * as RedisTokenStore from "../../src/RedisTokenStore.js"

const settings = Config.all({
  merchants: Config.integer("WORKER_MERCHANTS"),
  callers: Config.withDefault(Config.integer("WORKER_CALLERS"), 8),
  startAt: Config.number("WORKER_START_AT"),
  until: Config.number("WORKER_UNTIL"),
  baseUrl: Config.string("ULTRACART_BASE_URL")
})

const failures: Record<string, number> = {}
const mixedUp: Array<string> = []
let calls = 0

const merchantKey = (i: number) => `M${String(i).padStart(3, "0")}`

const caller = (merchants: number, until: number) =>
  Effect.gen(function* () {
    const grants = yield* MerchantGrants.MerchantGrants
    while (Date.now() < until) {
      const key = merchantKey(yield* Random.nextIntBetween(0, merchants))
      const outcome = yield* Effect.either(
        Effect.flatMap(grants.client(key).get("/oauth/me"), (response) =>
          response.status === 200 ? response.json : Effect.fail({ _tag: `HTTP ${response.status}` })
        )
      )
      calls++
      if (outcome._tag === "Left") failures[outcome.left._tag] = (failures[outcome.left._tag] ?? 0) + 1
      else if ((outcome.right as { merchant_id?: string }).merchant_id !== key) mixedUp.push(key)
      yield* Effect.sleep(yield* Random.nextIntBetween(5, 25))
    }
  })

const refreshesSent = Effect.map(Metric.value(TokenManager.metrics.refreshes), (state) => state.count)

const program = Effect.gen(function* () {
  const { callers, merchants, startAt, until } = yield* settings
  yield* Effect.sleep(Math.max(0, startAt - Date.now()))
  yield* Effect.all(
    Array.from({ length: callers }, () => caller(merchants, until)),
    { concurrency: "unbounded", discard: true }
  )
  return { calls, failures, mixedUp, refreshes: yield* refreshesSent }
})

const layers = Layer.unwrapEffect(
  Effect.map(settings, ({ baseUrl }) => MerchantGrants.layer({ api: { baseUrl } }))
).pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      RedisTokenStore.layerConfig(),
      OAuthClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer)),
      FetchHttpClient.layer
    )
  )
)

void runWorker(Effect.provide(program, layers))
