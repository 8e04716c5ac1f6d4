/**
 * A store's reads and writes of grant records in Redis, with the repair of lost data: where a grant this process
 * has read or written is simply gone (no record, no tombstone), the version it knew is put back before going on.
 */
import type * as TokenEncryption from "@ultracart-oauth/adapters/TokenEncryption"
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Redis } from "ioredis"
import * as RedisConnection from "../RedisConnection.js"
import type { RedisError } from "../RedisError.js"
import type { GrantIndex } from "./grantIndex.js"
import { CLEAR, codec, FIELDS, READ, RESTORE, type Stored, WRITE } from "./tokenRecord.js"

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
  /** The index of the store's grant keys: every write that leaves a record adds its key, `clear` removes it. */
  readonly index: GrantIndex
  /** How many grants' last records to keep for the repair (the most recently used; the oldest are forgotten). */
  readonly rememberGrants: number
}

/**
 * A record this process read or wrote, and how long putting it back would be a repair rather than a resurrection:
 * until the record would have expired by its TTL (`expiresAt`), and until a tombstone written by a logout right
 * after this process saw the record would have expired (`restoreUntil`). Both are lower bounds taken from the
 * `Clock` before the command went out, so a process never restores a record Redis may have dropped on purpose.
 */
interface Known {
  readonly tokens: TokenSet
  readonly expiresAt: number
  readonly restoreUntil: number
}

/** What Redis answered, with when the command went out and the key's PTTL then (-1: none). */
interface Answer<A> {
  readonly reply: A
  readonly sentAt: number
  readonly ttlMillis: number
}

const ttlOf = (fields: ReadonlyArray<unknown>): number => {
  const ttl = fields[FIELDS.length]
  return typeof ttl === "number" ? ttl : -1
}

/**
 * What a process knows of the records it saw, and the repair of lost data with it: where a grant it knew is simply
 * gone, the version it knew is put back — within the bounds of `Known`.
 */
const lostRecords = (options: GrantRecordsOptions, encode: ReturnType<typeof codec>["encode"]) => {
  const { client, index, prefix, rememberGrants, tombstoneTtlMillis } = options

  /**
   * The last record this process read or wrote per grant: what it puts back if Redis loses it. At most
   * `rememberGrants` of them, least recently used first out (a `Map` keeps insertion order).
   */
  const known = new Map<string, Known>()
  const keep = (key: string, record: Known) => {
    known.delete(key)
    if (rememberGrants === 0) return
    known.set(key, record)
    const oldest = known.keys().next()
    if (known.size > rememberGrants && !oldest.done) known.delete(oldest.value)
  }

  /** Keeps `known` in step with what Redis answered. */
  const remember = (key: string, answer: Answer<Stored>): Option.Option<TokenSet> => {
    const stored = answer.reply
    if (stored._tag === "Record") {
      const expiresAt = answer.ttlMillis >= 0 ? answer.sentAt + answer.ttlMillis : Infinity
      keep(key, {
        tokens: stored.tokens,
        expiresAt,
        restoreUntil: Math.min(expiresAt, answer.sentAt + tombstoneTtlMillis)
      })
      return Option.some(stored.tokens)
    }
    known.delete(key)
    return Option.none()
  }

  /**
   * Redis has nothing for a grant this process knew: puts that version back (with what is left of its TTL) — unless
   * the record may have expired on purpose, or a logout's tombstone may have expired since. True if it did.
   */
  const restore = (key: string): Effect.Effect<boolean, RedisError> =>
    Effect.gen(function* () {
      const lost = known.get(key)
      if (lost === undefined) return false
      const now = yield* Clock.currentTimeMillis
      if (now >= lost.restoreUntil) {
        known.delete(key)
        return false
      }
      const ttl = Number.isFinite(lost.expiresAt) ? Math.max(1, Math.floor(lost.expiresAt - now)) : 0
      const fields = yield* encode(key, lost.tokens.version, lost.tokens)
      const reply = yield* RedisConnection.evaluate(
        client,
        RESTORE,
        [keyOf(prefix, key, "tokens")],
        [lost.tokens.version, ...fields, ttl]
      )
      if (reply === 1) {
        yield* index.add(key)
        yield* Effect.logWarning(
          "Redis had lost the grant's tokens (restarted without persistence?); put back the version this process knew"
        ).pipe(Effect.annotateLogs({ "ultracart.grant": key, "token.version": lost.tokens.version }))
      }
      return true
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

  return { remember, orRestored, forget: (key: string) => void known.delete(key) }
}

export const make = (options: GrantRecordsOptions) => {
  const { client, index, prefix, recordTtlMillis, tombstoneTtlMillis } = options
  const { decode, encode, fail } = codec(options.cipher)
  const tokensKey = (key: string) => keyOf(prefix, key, "tokens")
  const { remember, orRestored, forget } = lostRecords(options, encode)

  /** Runs a command, noting when it went out. */
  const sent = <A, E>(command: Effect.Effect<A, E>) =>
    Effect.flatMap(Clock.currentTimeMillis, (sentAt) => Effect.map(command, (reply) => ({ reply, sentAt })))

  const fetch = (operation: Operation, key: string) =>
    sent(RedisConnection.evaluate(client, READ, [tokensKey(key)], [])).pipe(
      Effect.flatMap(({ reply, sentAt }) => {
        const fields = Array.isArray(reply) ? reply : []
        return Effect.map(
          decode(operation, key, fields),
          (stored): Answer<Stored> => ({ reply: stored, sentAt, ttlMillis: ttlOf(fields) })
        )
      })
    )

  const read = (operation: Operation, key: string): Effect.Effect<Option.Option<TokenSet>, Store.TokenStoreError> =>
    io(
      operation,
      key,
      orRestored(key, fetch(operation, key), (answer) => answer.reply._tag === "Missing")
    ).pipe(Effect.map((answer) => remember(key, answer)))

  const attemptWrite = (operation: Operation, key: string, expected: number, tokens: TokenSetInput) =>
    Effect.flatMap(encode(key, expected + 1, tokens), (fields) =>
      sent(RedisConnection.evaluate(client, WRITE, [tokensKey(key)], [expected, ...fields, recordTtlMillis]))
    ).pipe(
      Effect.flatMap(({ reply, sentAt }): Effect.Effect<Answer<Stored | number>, Store.TokenStoreError> => {
        if (typeof reply === "number") {
          return Effect.succeed({ reply, sentAt, ttlMillis: recordTtlMillis > 0 ? recordTtlMillis : -1 })
        }
        const fields = Array.isArray(reply) ? reply : []
        return Effect.map(decode(operation, key, fields), (stored) => ({
          reply: stored,
          sentAt,
          ttlMillis: ttlOf(fields)
        }))
      })
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
      (answer) => typeof answer.reply !== "number" && answer.reply._tag === "Missing"
    ).pipe(
      Effect.map((answer): Store.CompareAndSetResult => {
        const { reply } = answer
        if (typeof reply !== "number") return { _tag: "Conflict", current: remember(key, { ...answer, reply }) }
        const written = Store.withVersion(tokens, reply)
        remember(key, { ...answer, reply: { _tag: "Record", tokens: written } })
        return { _tag: "Written", tokens: written }
      }),
      // After the record: a listing never names a grant before it has one. A conflict that found a record heals
      // an index entry its writer did not get to add.
      Effect.tap((result) =>
        result._tag === "Written" || Option.isSome(result.current) ? index.add(key) : Effect.void
      )
    )

  /** Replaces the record by a tombstone, so that a logout is told apart from lost data, then unlists the grant. */
  const clear = (key: string): Effect.Effect<void, Store.TokenStoreError> =>
    io(
      "clear",
      key,
      RedisConnection.evaluate(client, CLEAR, [tokensKey(key)], [tombstoneTtlMillis]).pipe(
        Effect.zipRight(Effect.sync(() => forget(key))),
        Effect.zipRight(index.remove(key))
      )
    )

  return { read, write, clear, fail }
}
