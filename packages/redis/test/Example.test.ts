/**
 * The `redis-workers` example, run as a user runs it (bundled, as plain `node`), on the test's Redis: two
 * worker processes share the grant; every call served, one refresh request per new token version, the grant
 * alive at the end.
 */
import { expect, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { fileURLToPath } from "node:url"
import { expectExitedCleanly } from "@ultracart-oauth/test-support/MultiProcess"
import * as Workers from "@ultracart-oauth/test-support/Workers"
import * as RedisServer from "./utils/RedisServer.js"

const EXAMPLE = fileURLToPath(new URL("../../../examples/src/redis-workers.ts", import.meta.url))

layer(RedisServer.layer(), { excludeTestServices: true, timeout: "30 seconds" })((it) => {
  it.scoped(
    "two worker processes share one grant through Redis: no failure, no wasted refresh, grant alive",
    () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.RedisServer
        const program = yield* Workers.bundle(EXAMPLE)
        const example = yield* Workers.run(program, {
          ULTRACART_REDIS_URL: Redacted.value(server.url),
          ULTRACART_EXAMPLE_SECONDS: "4"
        })
        const outcome = yield* example.exit.pipe(
          Effect.timeoutFail({ duration: "25 seconds", onTimeout: () => new Error("stuck") })
        )
        expectExitedCleanly(outcome)
        const { output } = outcome
        expect(output.match(/\[worker [AB]\] \d+ calls, 0 failed/g)).toHaveLength(2)
        const [, requests, versions] =
          output.match(/UltraCart received (\d+) refresh requests for (\d+) new token versions/) ?? []
        expect(Number(requests)).toBeGreaterThanOrEqual(2)
        expect(requests).toBe(versions)
        expect(output).toContain("The grant's refresh token at UltraCart: active")
      }),
    { timeout: 30_000 }
  )
})
