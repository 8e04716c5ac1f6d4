/**
 * The index of a store's grant keys: one sorted set, `<prefix>grants`, every member at score 0, so `ZRANGEBYLEX`
 * pages through the keys in byte order (= code point order, the order every store lists in) at O(log n + page).
 *
 * **How it stays consistent.** On a Redis Cluster a script may only touch keys of one hash slot, and a grant's
 * record (`<prefix>{grant}:tokens`) and the index live in different slots, so the record and the index are never
 * changed in one step. Instead every change is idempotent and ordered so that at rest every listed grant — a
 * record, not a tombstone — is in the index:
 *
 * - a write that leaves a record (compare-and-set, save, repair of lost data, or a conflict that found one) adds
 *   the key *after* the record is there (`ZADD`, a no-op when present);
 * - a removal (`clear`, or a listing that finds an entry without a record) takes the key out (`ZREM`) and then
 *   looks at the record again, adding the key back if a record is there by then. A writer that raced it either
 *   wrote before that second look (then the remover adds the key back) or adds it itself afterwards.
 * - a listing checks each entry it returns against its record (one small script per key, sent together): a
 *   tombstone, an expired record (`recordTtl`) or an entry whose writer died between its two steps is left out,
 *   and taken out of the index as above, so a page costs O(page + entries left behind since the last listing).
 *
 * A process that dies between writing a record and indexing it leaves the grant unlisted until its next write
 * (every refresh writes). Records written before the index existed are indexed once, by a `SCAN` the first
 * listing in a process runs when the marker `<prefix>grants:indexed` is missing; deleting that marker makes the
 * next listing build the index again.
 */
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Redis } from "ioredis"
import * as RedisConnection from "../RedisConnection.js"
import type { RedisError } from "../RedisError.js"
import { LISTED } from "./tokenRecord.js"

/** The grant index of one store. */
export interface GrantIndex {
  /** Indexes a grant whose record was just written. */
  readonly add: (key: string) => Effect.Effect<void, RedisError>
  /** Takes a grant out of the index, unless a record is there by the time it has (see above). */
  readonly remove: (key: string) => Effect.Effect<void, RedisError>
  /** One page of the grants that have a record. */
  readonly page: (options?: Store.ListOptions) => Effect.Effect<Store.KeyPage, RedisError>
}

const SCAN_COUNT = 1000

export const make = (client: Redis, prefix: string): GrantIndex => {
  const indexKey = `${prefix}grants`
  const markerKey = `${prefix}grants:indexed`
  const recordKey = (key: string) => `${prefix}{${key}}:tokens`
  let indexed = false

  const isListed = (key: string) =>
    Effect.map(RedisConnection.evaluate(client, LISTED, [recordKey(key)], []), (reply) => reply === 1)

  const add = (key: string) => Effect.asVoid(RedisConnection.command("ZADD", () => client.zadd(indexKey, 0, key)))

  const remove = (key: string) =>
    Effect.gen(function* () {
      yield* RedisConnection.command("ZREM", () => client.zrem(indexKey, key))
      if (yield* isListed(key)) yield* add(key)
    })

  /** Indexes every grant that has a record, found by `SCAN` (once per prefix, for records older than the index). */
  const build = Effect.gen(function* () {
    const match = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}{*}:tokens`
    let cursor = "0"
    do {
      const [next, names] = yield* RedisConnection.command("SCAN", () =>
        client.scan(cursor, "MATCH", match, "COUNT", SCAN_COUNT)
      )
      const keys = names.map((name) => name.slice(prefix.length + 1, name.length - "}:tokens".length))
      const listed = yield* Effect.forEach(keys, isListed, { concurrency: "unbounded" })
      const members = keys.filter((_, i) => listed[i])
      if (members.length > 0) {
        yield* RedisConnection.command("ZADD", () => client.zadd(indexKey, ...members.flatMap((key) => [0, key])))
      }
      cursor = next
    } while (cursor !== "0")
    yield* RedisConnection.command("SET", () => client.set(markerKey, "1"))
  })

  const ensureBuilt = Effect.suspend(() =>
    indexed
      ? Effect.void
      : RedisConnection.command("EXISTS", () => client.exists(markerKey)).pipe(
          Effect.flatMap((exists) => (exists === 1 ? Effect.void : build)),
          Effect.tap(() => Effect.sync(() => void (indexed = true)))
        )
  )

  const page = (options?: Store.ListOptions) =>
    Effect.gen(function* () {
      yield* ensureBuilt
      const limit = Store.pageSize(options)
      // One key more than the page: whether there is a next page.
      const live: Array<string> = []
      let from = options?.after === undefined ? "-" : `(${options.after}`
      for (;;) {
        const wanted = limit + 1 - live.length
        const batch = yield* RedisConnection.command("ZRANGEBYLEX", () =>
          client.zrangebylex(indexKey, from, "+", "LIMIT", 0, wanted)
        )
        const listed = yield* Effect.forEach(batch, isListed, { concurrency: "unbounded" })
        yield* Effect.forEach(
          batch.filter((_, i) => !listed[i]),
          remove,
          { concurrency: "unbounded", discard: true }
        )
        live.push(...batch.filter((_, i) => listed[i]))
        const last = batch[batch.length - 1]
        if (batch.length < wanted || live.length > limit || last === undefined) break
        from = `(${last}`
      }
      const keys = live.slice(0, limit)
      const lastKey = keys[keys.length - 1]
      return {
        keys,
        next: live.length > limit && lastKey !== undefined ? Option.some(lastKey) : Option.none()
      } satisfies Store.KeyPage
    })

  return { add, remove, page }
}
