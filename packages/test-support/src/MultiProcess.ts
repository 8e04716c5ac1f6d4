/**
 * What the stores' multi-process tests share: a grant the fake UltraCart issued, stored where the worker processes
 * (`TokenWorker`) find it; caller workers started together and awaited; a worker's clean exit; where the grant
 * stands at UltraCart afterwards; and a lease holder killed mid-refresh, with its successor.
 */
import { expect } from "vitest"
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import * as Fault from "@ultracart-oauth/testing/Fault"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { eventually } from "./Eventually.js"
import { REFRESHES } from "./FakeGrant.js"
import * as Workers from "./Workers.js"

/** What a `callers` worker reports. */
export interface CallerResult {
  readonly calls: number
  readonly failures: Record<string, number>
  readonly refreshes: number
}

/** A grant the fake issues now (for `merchantId`, or its default merchant), saved in `store` under `key`. */
export const storeIssuedGrant = (
  fake: FakeUltraCart.FakeUltraCart.Service,
  store: TokenStore.TokenStore.Service,
  key: string,
  merchantId?: string
) =>
  Effect.gen(function* () {
    const issued = yield* Effect.orDie(
      fake.issueTokens({
        clientId: FakeUltraCart.DEFAULT_CLIENT.clientId,
        ...(merchantId === undefined ? {} : { merchantId })
      })
    )
    const now = Date.now()
    yield* store.save(key, {
      accessToken: issued.accessToken,
      refreshToken: Option.some(issued.refreshToken),
      expiresAt: DateTime.unsafeMake(now + issued.expiresIn * 1000),
      issuedAt: DateTime.unsafeMake(now),
      scope: Option.none()
    })
  })

/** Starts `count` caller workers that run from `startAt` to `until`, and waits for all of them (bounded). */
export const runCallers = (env: Record<string, string>, count: number, startAt: number, until: number) =>
  Effect.gen(function* () {
    const workers = yield* Effect.forEach(Array.from({ length: count }), () =>
      Workers.start({
        ...env,
        WORKER_MODE: "callers",
        WORKER_CALLERS: "4",
        WORKER_START_AT: String(startAt),
        WORKER_UNTIL: String(until)
      })
    )
    return yield* Workers.exits(workers, until - Date.now() + 15_000)
  })

/** The worker exited with 0 (else the test shows its output); what it reported. */
export const expectExitedCleanly = (outcome: Workers.WorkerOutcome): unknown => {
  expect({ code: outcome.code, output: outcome.code === 0 ? "" : outcome.output }).toEqual({ code: 0, output: "" })
  return outcome.result
}

/** Where the stored grant stands at UltraCart: its refresh token's status and its access token's. */
export const grantStatus = (fake: FakeUltraCart.FakeUltraCart.Service, stored: TokenStore.TokenSet) =>
  Effect.gen(function* () {
    const refresh = Option.getOrThrow(yield* fake.inspectToken(Option.getOrThrow(stored.refreshToken)))
    const access = Option.getOrThrow(yield* fake.inspectToken(stored.accessToken))
    return { refresh: refresh.status, access: access.status }
  })

/**
 * Starts a `refresh` worker whose request UltraCart holds (30 s), and waits until the request arrived: the worker
 * now holds the lease with the request on the wire.
 */
export const refresherStuckAtUltraCart = (
  fake: FakeUltraCart.FakeUltraCart.Service,
  settings: Record<string, string>
) =>
  Effect.gen(function* () {
    yield* fake.injectFault(Fault.delay("30 seconds"), REFRESHES)
    const doomed = yield* Workers.start(settings)
    yield* eventually(
      Effect.filterOrFail(fake.requestCount(REFRESHES), (n) => n === 1),
      "15 seconds"
    )
    return doomed
  })

/** Kills the worker with SIGKILL (it cleans nothing up) and checks it died of it. */
export const killHard = (worker: Workers.Worker) =>
  Effect.gen(function* () {
    yield* worker.kill("SIGKILL")
    expect((yield* worker.exit).signal).toBe("SIGKILL")
  })

/**
 * A `refresh` worker started once the holder died: it waits for the dead holder's lease to expire (at
 * `leaseExpiresAt`, epoch ms), then refreshes with the refresh token the dead process never got to spend.
 */
export const expectSuccessorTakesOver = (settings: Record<string, string>, leaseExpiresAt: number) =>
  Effect.gen(function* () {
    const successor = yield* Workers.start(settings)
    const outcome = yield* successor.exit.pipe(
      Effect.timeoutFail({ duration: "15 seconds", onTimeout: () => new Error("stuck") })
    )
    const result = expectExitedCleanly(outcome) as { version: number; at: number; refreshes: number }
    // It waited for the dead holder's lease to expire (2 s TTL, renewed every ~0.7 s until the kill)…
    expect(result.at).toBeGreaterThanOrEqual(leaseExpiresAt - 20)
    expect(result.at - leaseExpiresAt).toBeLessThan(5_000)
    // …then refreshed with the refresh token the dead process never got to spend.
    expect([result.version, result.refreshes]).toEqual([2, 1])
  })
