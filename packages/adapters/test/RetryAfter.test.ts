/**
 * Properties of core's `Retry-After` parser, which the retry policy relies on (RFC 9110 §10.2.3).
 */
import { describe, expect, it } from "@effect/vitest"
import { RetryAfter } from "@ultracart-oauth/core"
import { Duration, Option } from "effect"
import * as fc from "fast-check"

const millisOf = (value: string, now: number) => Option.map(RetryAfter.parse(value, now), Duration.toMillis)

/** Whole seconds between 1970 and 9999, as epoch milliseconds (HTTP-dates carry seconds). */
const httpInstant = fc.integer({ min: 0, max: 253_402_300_799 }).map((s) => s * 1000)
const anyNow = fc.integer({ min: 0, max: 253_402_300_799_000 })

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const two = (n: number) => String(n).padStart(2, "0")

/** asctime-date: `Sun Nov  6 08:49:37 1994` (always GMT). */
const asctime = (millis: number) => {
  const d = new Date(millis)
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${time} ${String(
    d.getUTCFullYear()
  ).padStart(4, "0")}`
}

describe("RetryAfter.parse", () => {
  it("reads delta-seconds, with surrounding blanks, as that many seconds", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9_999_999_999 }),
        fc.constantFrom("", " ", "\t", "  "),
        anyNow,
        (seconds, pad, now) => {
          expect(millisOf(`${pad}${seconds}${pad}`, now)).toEqual(Option.some(seconds * 1000))
        }
      )
    ))

  it("reads an IMF-fixdate as the time left until it, zero once it has passed", () =>
    fc.assert(
      fc.property(httpInstant, anyNow, (at, now) => {
        expect(millisOf(new Date(at).toUTCString(), now)).toEqual(Option.some(Math.max(0, at - now)))
      })
    ))

  it("reads an asctime date as GMT", () =>
    fc.assert(
      fc.property(
        httpInstant.filter((at) => new Date(at).getUTCFullYear() >= 1000),
        anyNow,
        (at, now) => {
          expect(millisOf(asctime(at), now)).toEqual(Option.some(Math.max(0, at - now)))
        }
      )
    ))

  it("reads the RFC 850 form", () => {
    const at = Date.UTC(1994, 10, 6, 8, 49, 37)
    expect(millisOf("Sunday, 06-Nov-94 08:49:37 GMT", at - 5000)).toEqual(Option.some(5000))
  })

  it("never throws and never gives a negative delay, whatever the header says", () =>
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.constant(undefined)), anyNow, (value, now) => {
        const parsed = RetryAfter.parse(value, now)
        if (Option.isSome(parsed)) expect(Duration.toMillis(parsed.value)).toBeGreaterThanOrEqual(0)
      })
    ))

  it("refuses what is neither a delta nor an HTTP-date", () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -1_000_000, max: -1 }).map(String),
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 999 })).map(([a, b]) => `${a}.${b}`),
          fc.constantFrom("", "soon", "x 1", "Tomorrow", "12abc", "0x10", "1e3", "Infinity"),
          fc.string({ minLength: 1 }).filter((s) => !/\d/.test(s))
        ),
        anyNow,
        (value, now) => {
          expect(RetryAfter.parse(value, now)).toEqual(Option.none())
        }
      )
    ))

  it("parseMillis agrees with parse", () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat().map(String),
          httpInstant.map((at) => new Date(at).toUTCString())
        ),
        anyNow,
        (v, now) => {
          expect(RetryAfter.parseMillis(v, now)).toEqual(Option.getOrUndefined(millisOf(v, now)))
        }
      )
    ))
})
