/**
 * The grant keys a store holds, a page at a time: every key with a record (not a tombstone), found by `SCAN`
 * over the record keys.
 */
import * as Store from "@ultracart-oauth/adapters/TokenStore"
import * as Effect from "effect/Effect"
import type { Redis } from "ioredis"
import * as RedisConnection from "../RedisConnection.js"
import type { RedisError } from "../RedisError.js"

const allKeys = (client: Redis, prefix: string): Effect.Effect<Array<string>, RedisError> =>
  Effect.gen(function* () {
    const match = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}{*}:tokens`
    const found = new Set<string>()
    let cursor = "0"
    do {
      const [next, batch] = yield* RedisConnection.command("SCAN", () =>
        client.scan(cursor, "MATCH", match, "COUNT", 1000)
      )
      for (const name of batch) found.add(name)
      cursor = next
    } while (cursor !== "0")
    const names = Array.from(found)
    const versions = yield* Effect.forEach(names, (name) =>
      RedisConnection.command("HGET", () => client.hget(name, "version"))
    )
    return names
      .filter((_, i) => versions[i] !== null && versions[i] !== undefined)
      .map((name) => name.slice(prefix.length + 1, name.length - "}:tokens".length))
  })

/** One page of the keys under `prefix`. */
export const page = (
  client: Redis,
  prefix: string,
  options?: Store.ListOptions
): Effect.Effect<Store.KeyPage, RedisError> =>
  Effect.map(allKeys(client, prefix), (keys) => Store.pageOf(keys.sort(Store.compareKeys), options))
