/**
 * An exclusive lease in Redis that any number of processes can contend for: one holder at a time, a TTL so a
 * holder that dies frees it by expiry, renewal while held, and a fencing token that grows with every lease
 * taken. Waiters poll with a growing, jittered pause (never past the holder's remaining TTL), so they see a
 * release or an expiry within a few milliseconds without hammering Redis.
 *
 * The lease's value is `<fence>:<random nonce>`: renewal and release are compare-then-act scripts on that value,
 * so a holder whose lease expired (and went to someone else) can neither extend nor delete the new holder's.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import { evaluate, script } from "./RedisConnection.js"
import type { RedisError } from "./RedisError.js"

/**
 * The lease was held by someone else for longer than the caller would wait.
 *
 * @since 0.1.0
 * @category errors
 */
export class LeaseTimeout extends Schema.TaggedError<LeaseTimeout>()("LeaseTimeout", {
  lease: Schema.String,
  waitedMillis: Schema.Number
}) {
  override get message(): string {
    return `The lease ${this.lease} stayed with another holder for ${this.waitedMillis} ms`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LeaseKeys {
  /** The key holding the lease's value while it is held. */
  readonly lease: string
  /** The counter of the fencing tokens (kept forever: one small integer). Same hash slot as `lease` on a cluster. */
  readonly fence: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LeaseOptions {
  /** How long the lease lives without renewal: a dead holder's lease frees itself after this. */
  readonly ttl: Duration.DurationInput
  /** How long to wait for another holder before failing with `LeaseTimeout`. */
  readonly timeout: Duration.DurationInput
  /**
   * The longest the lease is held, however long its scope stays open: renewal never extends it past this (from
   * when it was taken), so it expires then and the next waiter takes it. Default: renewed while the scope is open.
   */
  readonly maxHold?: Duration.DurationInput | undefined
}

/**
 * A lease held for the rest of a scope.
 *
 * @since 0.1.0
 * @category models
 */
export interface Lease {
  /** The fencing token: greater than that of every lease taken on these keys before. */
  readonly fence: number
  /** Whether Redis still holds this lease (false once it expired and was taken by someone else, or freed). */
  readonly isHeld: Effect.Effect<boolean, RedisError>
  /** Frees the lease if it is still this one's; true when it was. */
  readonly release: Effect.Effect<boolean, RedisError>
  /**
   * Keeps the lease past the scope: closing the scope stops renewing it but does not free it. The caller then
   * frees it with `release` — or leaves it to expire.
   */
  readonly detach: Effect.Effect<void>
}

const ACQUIRE = script(
  "lease-acquire",
  `local ttl = redis.call('PTTL', KEYS[1])
if ttl ~= -2 then return {0, ttl} end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence .. ':' .. ARGV[2], 'PX', ARGV[1])
return {1, fence}`
)

const RENEW = script(
  "lease-renew",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`
)

const RELEASE = script(
  "lease-release",
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
)

const CHECK = script("lease-check", `return redis.call('GET', KEYS[1]) == ARGV[1] and 1 or 0`)

const FIRST_PAUSE_MILLIS = 5
const MAX_PAUSE_MILLIS = 200

/** `[1, fence]` when taken, `[0, pttl]` when held by another (`pttl` -1: held without expiry). */
const parseAttempt = (reply: unknown): { readonly taken: boolean; readonly value: number } => {
  const [flag, value] = Array.isArray(reply) ? reply : []
  return { taken: flag === 1, value: typeof value === "number" ? value : -1 }
}

/**
 * Takes the lease, waiting for another holder as long as `timeout`; holds it (renewing it every third of its
 * TTL) until the scope closes, then frees it unless it was detached.
 *
 * @since 0.1.0
 * @category constructors
 */
export const acquire = (
  client: Redis,
  keys: LeaseKeys,
  options: LeaseOptions
): Effect.Effect<Lease, RedisError | LeaseTimeout, Scope.Scope> =>
  Effect.gen(function* () {
    const maxHoldMillis = options.maxHold === undefined ? Infinity : Duration.toMillis(options.maxHold)
    const ttlMillis = Math.max(1, Math.round(Duration.toMillis(options.ttl)))
    const timeoutMillis = Duration.toMillis(options.timeout)
    const nonce = Encoding.encodeHex(globalThis.crypto.getRandomValues(new Uint8Array(12)))
    const started = yield* Clock.currentTimeMillis
    let detached = false

    // Taking the lease and registering its release are one uninterruptible step: an interrupted waiter never
    // leaves a lease behind.
    const attempt = Effect.uninterruptible(
      evaluate(
        client,
        ACQUIRE,
        [keys.lease, keys.fence],
        [Math.max(1, Math.min(ttlMillis, maxHoldMillis)), nonce]
      ).pipe(
        Effect.map(parseAttempt),
        Effect.tap(({ taken, value }) =>
          taken
            ? Effect.addFinalizer(() =>
                detached ? Effect.void : Effect.ignore(evaluate(client, RELEASE, [keys.lease], [`${value}:${nonce}`]))
              )
            : Effect.void
        )
      )
    )

    const waitFor = (pause: number): Effect.Effect<number, RedisError | LeaseTimeout, Scope.Scope> =>
      Effect.flatMap(attempt, ({ taken, value }) => {
        if (taken) return Effect.succeed(value)
        return Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          if (now - started >= timeoutMillis) {
            return yield* new LeaseTimeout({ lease: keys.lease, waitedMillis: now - started })
          }
          // Never sleep past the holder's expiry, nor past the deadline; jitter spreads the waiters out.
          const jitter = yield* Random.nextRange(0.5, 1)
          const bound = Math.min(value < 0 ? pause : value + 1, started + timeoutMillis - now)
          yield* Effect.sleep(Duration.millis(Math.max(1, Math.min(pause, bound) * jitter)))
          return yield* waitFor(Math.min(MAX_PAUSE_MILLIS, pause * 2))
        })
      })

    const fence = yield* waitFor(FIRST_PAUSE_MILLIS)
    const takenAt = yield* Clock.currentTimeMillis
    const value = `${fence}:${nonce}`

    /** Renews the lease, never past `maxHold` from when it was taken; says why it stopped otherwise. */
    const renew = Effect.gen(function* () {
      const remaining = takenAt + maxHoldMillis - (yield* Clock.currentTimeMillis)
      if (remaining <= 0) return "held too long" as const
      const ttl = Math.max(1, Math.ceil(Math.min(ttlMillis, remaining)))
      const reply = yield* evaluate(client, RENEW, [keys.lease], [value, ttl]).pipe(
        // Redis away: the lease may still be held; try again at the next renewal.
        Effect.orElseSucceed(() => 1)
      )
      return reply === 1 ? ("renewed" as const) : ("lost" as const)
    })

    // Renewal keeps a live holder's lease from expiring under it; once it is lost there is nothing to renew.
    yield* renew.pipe(
      Effect.delay(Duration.millis(ttlMillis / 3)),
      Effect.repeat({ while: (outcome) => outcome === "renewed" }),
      Effect.flatMap((outcome) =>
        Effect.logWarning(
          outcome === "lost"
            ? "a Redis lease expired while held and was taken by another holder"
            : "a Redis lease was held as long as it may be: no longer renewed, it expires for the next holder"
        ).pipe(Effect.annotateLogs({ "lease.key": keys.lease, "lease.fence": fence }))
      ),
      Effect.interruptible,
      Effect.forkScoped
    )

    const lease: Lease = {
      fence,
      isHeld: evaluate(client, CHECK, [keys.lease], [value]).pipe(Effect.map((reply) => reply === 1)),
      release: evaluate(client, RELEASE, [keys.lease], [value]).pipe(Effect.map((reply) => reply === 1)),
      detach: Effect.sync(() => {
        detached = true
      })
    }
    return lease
  })
