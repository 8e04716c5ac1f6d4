/**
 * Many merchants, two processes, one Redis: two worker processes (real `node` processes) run the grant registry
 * on the same Redis store and the same 200 merchants, asking for random merchants' tokens while 4-second tokens
 * expire, against the fake UltraCart on loopback (rotating refresh tokens with reuse detection: a refresh token
 * spent twice revokes that merchant's grant). Every merchant's refresh token is spent at most once per rotation,
 * no grant is lost, no call fails, and no merchant is ever answered with another's token.
 */
import { describe, expect, layer } from "@effect/vitest"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { Effect, Option, Redacted } from "effect"
import { freshPrefix, storeOn } from "./utils/fixtures.js"
import * as RedisServer from "./utils/RedisServer.js"
import { expectExitedCleanly, storeIssuedGrant } from "@ultracart-oauth/test-support/MultiProcess"
import * as Workers from "@ultracart-oauth/test-support/Workers"

const MERCHANTS = 200
const merchantKey = (i: number) => `M${String(i).padStart(3, "0")}`
const WORKER = new URL("./worker/grantsWorker.ts", import.meta.url).pathname

interface WorkerResult {
  readonly calls: number
  readonly failures: Record<string, number>
  readonly mixedUp: ReadonlyArray<string>
  readonly refreshes: number
}

layer(RedisServer.layer({ persistent: true }), { excludeTestServices: true, timeout: "60 seconds" })((it) => {
  describe("many merchants, two processes, one Redis", () => {
    it.scoped(
      "200 merchants, random callers in two processes, tokens expiring: one refresh per rotation, no grant lost",
      () =>
        Effect.gen(function* () {
          const server = yield* RedisServer.RedisServer
          const fake = yield* FakeUltraCartServer.make({ accessTokenLifetime: "4 seconds" })
          const prefix = freshPrefix()
          const store = yield* storeOn({ prefix })
          for (let i = 0; i < MERCHANTS; i++) yield* storeIssuedGrant(fake, store, merchantKey(i), merchantKey(i))
          const path = yield* Workers.bundle(WORKER)
          const startAt = Date.now() + 2_000
          const until = startAt + 10_000
          const env = {
            ULTRACART_BASE_URL: fake.baseUrl,
            ULTRACART_CLIENT_ID: FakeUltraCart.DEFAULT_CLIENT.clientId,
            ULTRACART_REDIS_URL: Redacted.value(server.url),
            ULTRACART_REDIS_PREFIX: prefix,
            WORKER_MERCHANTS: String(MERCHANTS),
            WORKER_CALLERS: "8",
            WORKER_START_AT: String(startAt),
            WORKER_UNTIL: String(until)
          }
          const workers = yield* Effect.forEach([0, 1], () => Workers.run(path, env))
          const outcomes = yield* Workers.exits(workers, until - Date.now() + 20_000)
          const results = outcomes.map((outcome) => expectExitedCleanly(outcome) as WorkerResult)
          for (const result of results) {
            expect(result.calls).toBeGreaterThan(20)
            expect(result.failures).toEqual({})
            expect(result.mixedUp).toEqual([])
          }
          // Every refresh token was presented once: a second presentation would have revoked the merchant's grant.
          const sent = (yield* fake.requests)
            .filter((r) => r.endpoint === "token" && r.grantType === "refresh_token")
            .map((r) => r.form["refresh_token"] ?? "")
          expect(new Set(sent).size).toBe(sent.length)
          expect(sent.length).toBe(results.reduce((sum, r) => sum + r.refreshes, 0))
          // Tokens lived 4 s over a 10 s run: merchants were refreshed, by one process or the other.
          expect(sent.length).toBeGreaterThanOrEqual(10)
          // No grant lost: each merchant's stored refresh token is the live one, and its version counts its rotations.
          let rotations = 0
          for (let i = 0; i < MERCHANTS; i++) {
            const stored = Option.getOrThrow(yield* store.load(merchantKey(i)))
            const info = Option.getOrThrow(yield* fake.inspectToken(Option.getOrThrow(stored.refreshToken)))
            expect([merchantKey(i), info.status, info.merchantId]).toEqual([merchantKey(i), "active", merchantKey(i)])
            rotations += stored.version - 1
          }
          expect(rotations).toBe(sent.length)
          expect((yield* store.list({ limit: 1000 })).keys).toHaveLength(MERCHANTS)
        }),
      { timeout: 60_000 }
    )
  })
})
