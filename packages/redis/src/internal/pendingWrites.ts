/**
 * Compare-and-sets that failed because Redis was away, kept and written again (still as compare-and-sets) once it
 * is back — before any other operation on their grant in this process — together with the grant's lease, kept
 * (not freed) until then so that other processes wait for the rotation instead of spending the refresh token it
 * replaced.
 */
import type * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type { Redis } from "ioredis"
import type { RedisError } from "../RedisError.js"
import type * as RedisLease from "../RedisLease.js"
import { io } from "./grantRecords.js"

type Operation = Store.TokenStoreError["operation"]

/** A failed compare-and-set kept to be written again once Redis is back. */
interface PendingWrite {
  readonly expected: number
  readonly tokens: Store.TokenSetInput
}

type Write = (
  operation: Operation,
  key: string,
  expected: number,
  tokens: Store.TokenSetInput
) => Effect.Effect<Store.CompareAndSetResult, RedisError | Store.TokenStoreError>

/** The pending writes of one store, and the fiber that settles them when the connection is (re)established. */
export const make = (client: Redis, write: Write) =>
  Effect.gen(function* () {
    const pending = new Map<string, PendingWrite>()
    const keptLeases = new Map<string, RedisLease.Lease>()

    /** Frees a lease kept for a pending write, once that write is settled. */
    const freeKeptLease = (key: string) =>
      Effect.suspend(() => {
        const lease = keptLeases.get(key)
        keptLeases.delete(key)
        return lease === undefined ? Effect.void : Effect.ignore(lease.release)
      })

    /** Writes this grant's pending compare-and-set, if there is one; it fails only if Redis is still away. */
    const settle = (operation: Operation, key: string): Effect.Effect<void, Store.TokenStoreError> =>
      Effect.suspend(() => {
        const entry = pending.get(key)
        if (entry === undefined) return Effect.void
        return io(operation, key, write(operation, key, entry.expected, entry.tokens)).pipe(
          Effect.flatMap((result) => {
            if (pending.get(key) === entry) pending.delete(key)
            // A write that timed out may have landed after all: then Redis holds these very tokens.
            const landed =
              result._tag === "Written" ||
              Option.exists(
                result.current,
                (current) =>
                  current.version === entry.expected + 1 &&
                  Redacted.value(current.accessToken) === Redacted.value(entry.tokens.accessToken)
              )
            return Effect.logInfo(
              landed ? "stored the tokens Redis missed" : "the tokens Redis missed were superseded by another writer"
            ).pipe(Effect.annotateLogs({ "ultracart.grant": key }))
          }),
          Effect.zipRight(freeKeptLease(key))
        )
      })

    const settleAll = Effect.suspend(() =>
      Effect.forEach([...pending.keys()], (key) => settle("compareAndSet", key), { discard: true })
    )

    // A failed compare-and-set and each (re)connection wake the settler; it retries for a while (Redis may be
    // restarting, or loading its data) and then waits for the next connection.
    const wake = yield* Queue.sliding<void>(1)
    const wakeSettler = () => Queue.unsafeOffer(wake, undefined)
    yield* Effect.acquireRelease(
      Effect.sync(() => client.on("ready", wakeSettler)),
      () => Effect.sync(() => client.off("ready", wakeSettler))
    )
    yield* Queue.take(wake).pipe(
      Effect.zipRight(
        settleAll.pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("10 seconds"))), Effect.ignore)
      ),
      Effect.forever,
      Effect.forkScoped
    )

    return {
      settle,
      /** Keeps a compare-and-set that failed with `error` to write it again once Redis is back. */
      keep: (key: string, expected: number, tokens: Store.TokenSetInput, error: RedisError) =>
        Effect.zipRight(
          Effect.sync(() => {
            pending.set(key, { expected, tokens })
            wakeSettler()
          }),
          Effect.logWarning("Redis is unreachable; the tokens are kept and will be stored when it is back").pipe(
            Effect.annotateLogs({ "ultracart.grant": key, "error.message": error.message })
          )
        ),
      /** A new grant or a logout supersedes whatever the old one had pending. */
      forget: (key: string) =>
        Effect.zipRight(
          Effect.sync(() => pending.delete(key)),
          freeKeptLease(key)
        ),
      /** Runs before a lease's own release: a rotation still waiting for Redis keeps the lease. */
      keepLeaseIfPending: (key: string, lease: RedisLease.Lease) =>
        pending.has(key)
          ? Effect.zipRight(
              lease.detach,
              Effect.sync(() => keptLeases.set(key, lease))
            )
          : Effect.void
    }
  })
