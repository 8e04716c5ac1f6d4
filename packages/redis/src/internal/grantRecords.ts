/**
 * A store's reads and writes of grant records in Redis, with the repair of lost data: where a grant this process
 * has read or written is simply gone (no record, no tombstone), the version it knew is put back before going on.
 */
import type * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Redis } from "ioredis"
import * as RedisConnection from "../RedisConnection.js"
import type { RedisError } from "../RedisError.js"
import { CLEAR, codec, FIELDS, RESTORE, type Stored, WRITE } from "./tokenRecord.js"

type TokenSet = Store.TokenSet
type TokenSetInput = Store.TokenSetInput
type Operation = Store.TokenStoreError["operation"]

/** The key of one of a grant's parts; all of a grant's parts share one hash slot (`{grant}`). */
export const keyOf = (prefix: string, key: string, part: "tokens" | "lease" | "fence") => `${prefix}{${key}}:${part}`

/** No connection or no answer: `Unavailable` / `Timeout`, so callers can branch; an error reply is `Io`. */
export const fromRedis = (operation: Operation, key: string) => (error: RedisError) =>
  new Store.TokenStoreError({
    operation,
    key,
    reason: error.reason === "Rejected" ? "Io" : error.reason,
    detail: `Redis ${error.reason.toLowerCase()} (${error.command}): ${error.detail}`
  })

/** `effect` with its `RedisError` as a `TokenStoreError` of `operation`. */
export const io = <A>(
  operation: Operation,
  key: string,
  effect: Effect.Effect<A, RedisError | Store.TokenStoreError>
) => Effect.catchTag(effect, "RedisError", (error) => Effect.fail(fromRedis(operation, key)(error)))

export interface GrantRecordsOptions {
  readonly client: Redis
  readonly prefix: string
  readonly cipher: Option.Option<TokenEncryption.TokenCipher>
  /** The TTL every write sets (0: none). */
  readonly recordTtlMillis: number
  /** How long a logout's tombstone lives. */
  readonly tombstoneTtlMillis: number
}

export const make = (options: GrantRecordsOptions) => {
  const { client, prefix, recordTtlMillis } = options
  const { decode, encode, fail } = codec(options.cipher)
  const tokensKey = (key: string) => keyOf(prefix, key, "tokens")

  /** The last record this process read or wrote per grant: what it puts back if Redis loses it. */
  const known = new Map<string, TokenSet>()

  /** Keeps `known` in step with what Redis answered. */
  const remember = (key: string, stored: Stored): Option.Option<TokenSet> => {
    if (stored._tag === "Record") {
      known.set(key, stored.tokens)
      return Option.some(stored.tokens)
    }
    known.delete(key)
    return Option.none()
  }

  /** Redis has nothing for a grant this process knew (lost data): puts that version back. True if it did. */
  const restore = (key: string): Effect.Effect<boolean, RedisError> =>
    Effect.suspend(() => {
      const lost = known.get(key)
      if (lost === undefined) return Effect.succeed(false)
      return Effect.flatMap(encode(key, lost.version, lost), (fields) =>
        RedisConnection.evaluate(client, RESTORE, [tokensKey(key)], [lost.version, ...fields, recordTtlMillis])
      ).pipe(
        Effect.tap((reply) =>
          reply === 1
            ? Effect.logWarning(
                "Redis had lost the grant's tokens (restarted without persistence?); put back the version this process knew"
              ).pipe(Effect.annotateLogs({ "ultracart.grant": key, "token.version": lost.version }))
            : Effect.void
        ),
        Effect.as(true)
      )
    })

  /** Runs `attempt` again once after putting back a record Redis lost. */
  const orRestored = <A>(
    key: string,
    attempt: Effect.Effect<A, RedisError | Store.TokenStoreError>,
    lost: (a: A) => boolean
  ) =>
    Effect.flatMap(attempt, (a) =>
      lost(a) ? Effect.flatMap(restore(key), (restored) => (restored ? attempt : Effect.succeed(a))) : Effect.succeed(a)
    )

  const fetch = (operation: Operation, key: string) =>
    RedisConnection.command("HMGET", () => client.hmget(tokensKey(key), ...FIELDS)).pipe(
      Effect.flatMap((fields) => decode(operation, key, fields))
    )

  const read = (operation: Operation, key: string): Effect.Effect<Option.Option<TokenSet>, Store.TokenStoreError> =>
    io(
      operation,
      key,
      orRestored(key, fetch(operation, key), (s) => s._tag === "Missing")
    ).pipe(Effect.map((stored) => remember(key, stored)))

  const attemptWrite = (operation: Operation, key: string, expected: number, tokens: TokenSetInput) =>
    Effect.flatMap(encode(key, expected + 1, tokens), (fields) =>
      RedisConnection.evaluate(client, WRITE, [tokensKey(key)], [expected, ...fields, recordTtlMillis])
    ).pipe(
      Effect.flatMap(
        (reply): Effect.Effect<Stored | number, Store.TokenStoreError> =>
          typeof reply === "number" ? Effect.succeed(reply) : decode(operation, key, Array.isArray(reply) ? reply : [])
      )
    )

  /** A compare-and-set; its `RedisError` is left to the caller (a failed rotation is kept, not just reported). */
  const write = (
    operation: Operation,
    key: string,
    expected: number,
    tokens: TokenSetInput
  ): Effect.Effect<Store.CompareAndSetResult, RedisError | Store.TokenStoreError> =>
    orRestored(
      key,
      attemptWrite(operation, key, expected, tokens),
      (r) => typeof r !== "number" && r._tag === "Missing"
    ).pipe(
      Effect.map((reply): Store.CompareAndSetResult => {
        if (typeof reply !== "number") return { _tag: "Conflict", current: remember(key, reply) }
        const written = Store.withVersion(tokens, reply)
        known.set(key, written)
        return { _tag: "Written", tokens: written }
      })
    )

  /** Replaces the record by a tombstone, so that a logout is told apart from lost data. */
  const clear = (key: string): Effect.Effect<void, Store.TokenStoreError> =>
    io("clear", key, RedisConnection.evaluate(client, CLEAR, [tokensKey(key)], [options.tombstoneTtlMillis])).pipe(
      Effect.zipRight(Effect.sync(() => void known.delete(key)))
    )

  return { read, write, clear, fail }
}
