/**
 * What both real stores (Redis, SQL) must show, written once: a compare-and-set race across connections that
 * exactly one connection wins, a lease handed from one holder to the next when it is released, and, with the server
 * stopped, fast typed failures and the same store working again once it is back. Each store's test adds what it
 * can see behind the store's back (keys, rows) and its own errors.
 */
import type * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { expect } from "vitest"
import { eventually } from "./Eventually.js"

const plain = (tokens: TokenStore.TokenSet) => Redacted.value(tokens.accessToken)

/**
 * `stores` (a connection each) race one compareAndSet over version 1 of a grant: exactly one wins, every loser is
 * told what the winner wrote, and the last store reads the winner's set as version 2.
 */
export const expectOneWinnerOfRace = (
  stores: ReadonlyArray<TokenStore.TokenStore.Service>,
  tokenSet: (n: number) => TokenStore.TokenSetInput
) =>
  Effect.gen(function* () {
    yield* stores[0]!.save("race", tokenSet(0))
    const results = yield* Effect.forEach(stores, (s, n) => s.compareAndSet("race", 1, tokenSet(n + 1)), {
      concurrency: "unbounded"
    })
    const winners = results.flatMap((r) => (r._tag === "Written" ? [plain(r.tokens)] : []))
    expect(winners).toHaveLength(1)
    // Every loser is told what the winner wrote.
    for (const r of results) {
      if (r._tag === "Conflict") expect(Option.map(r.current, plain)).toEqual(Option.some(winners[0]))
    }
    const stored = Option.getOrThrow(yield* stores[stores.length - 1]!.load("race"))
    expect([plain(stored), stored.version]).toEqual([winners[0], 2])
  })

/** What a store's lease shows a test. */
export interface HeldLease {
  readonly fence: number
  readonly isHeld: Effect.Effect<boolean, unknown>
}

/**
 * `a` holds the lease (`holdIn` takes it on a connection of its own, in the given scope); `b` waits for it, and
 * gets it as soon as `a` releases it, with a greater fence. Returns both, and `b`'s scope (still open).
 */
export const expectHandedOver = <L extends HeldLease, E, R>(holdIn: (scope: Scope.Scope) => Effect.Effect<L, E, R>) =>
  Effect.gen(function* () {
    const first = yield* Scope.make()
    const a = yield* holdIn(first)
    const second = yield* Scope.make()
    const waiting = yield* Effect.fork(holdIn(second))
    yield* Effect.sleep("150 millis")
    expect(Option.isNone(yield* Fiber.poll(waiting))).toBe(true)
    const released = Date.now()
    yield* Scope.close(first, Exit.void)
    const b = yield* Fiber.join(waiting)
    // Woken by the release (a's lease is renewed: without it, b would wait until its timeout).
    expect(Date.now() - released).toBeLessThan(1_000)
    expect(b.fence).toBeGreaterThan(a.fence)
    return { a, b, second }
  })

/** Runs every attempt (each one expected to fail, as with the server stopped): all failed within `withinMillis`. */
export const failuresWithin = <E>(attempts: ReadonlyArray<Effect.Effect<unknown, E>>, withinMillis: number) =>
  Effect.gen(function* () {
    const started = Date.now()
    const errors = yield* Effect.forEach(attempts, Effect.flip)
    expect(Date.now() - started).toBeLessThan(withinMillis)
    return errors
  })

/**
 * The server started again (`start`), the same store `s` reconnects by itself and finds grant "m" as it was saved
 * before the outage (`input(1)` of the contract: "access-1", version 1).
 */
export const expectFoundAfterStart = (start: Effect.Effect<void>, s: TokenStore.TokenStore.Service) =>
  Effect.gen(function* () {
    yield* start
    const loaded = yield* eventually(s.load("m"))
    expect(Option.map(loaded, (t) => [plain(t), t.version])).toEqual(Option.some(["access-1", 1]))
  })
