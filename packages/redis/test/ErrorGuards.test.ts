/**
 * The Redis error carries a type id, and its guard checks it rather than the tag: an object that only looks like
 * one (the same `_tag`) is not taken for it.
 */
import { describe, expect, it } from "@effect/vitest"
import { RedisError } from "../src/index.js"

describe("guards check type ids, not tags", () => {
  it("RedisError.isRedisError", () => {
    const error = new RedisError.RedisError({ reason: "Unavailable", command: "GET", detail: "connection refused" })
    expect(RedisError.isRedisError(error)).toBe(true)
    expect(RedisError.isRedisError({ _tag: "RedisError", reason: "Unavailable" })).toBe(false)
  })
})
