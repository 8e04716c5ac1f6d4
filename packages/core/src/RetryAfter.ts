/**
 * `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

const deltaSeconds = /^\s*(\d{1,10})\s*$/

// The three HTTP-date forms of RFC 9110 §5.6.7. `Date.parse` alone is far too lenient ("x 1" is a date in 2001,
// which would read as "retry now"), so only these shapes reach it.
const day = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
const month = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
const time = "\\d{2}:\\d{2}:\\d{2}"
const imfFixdate = new RegExp(`^${day}, \\d{2} ${month} \\d{4} ${time} GMT$`, "i")
const rfc850Date = new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \\d{2}-${month}-\\d{2} ${time} GMT$`, "i")
const asctimeDate = new RegExp(`^${day} ${month} (?: \\d|\\d{2}) ${time} \\d{4}$`, "i")

/** Epoch milliseconds of an HTTP-date, or NaN. asctime carries no zone: it is GMT, not local time. */
const parseHttpDate = (value: string): number => {
  if (imfFixdate.test(value) || rfc850Date.test(value)) return Date.parse(value)
  if (asctimeDate.test(value)) return Date.parse(`${value} GMT`)
  return Number.NaN
}

/**
 * Parses a `Retry-After` value against the current time (epoch milliseconds). A date in the past gives zero;
 * anything unparseable gives `None`. Never throws.
 *
 * @example
 * ```ts
 * import * as RetryAfter from "@ultracart-oauth/core/RetryAfter"
 * import * as Duration from "effect/Duration"
 * import * as Option from "effect/Option"
 *
 * const now = Date.parse("Sun, 06 Nov 1994 08:49:00 GMT")
 * assert.deepStrictEqual(RetryAfter.parse("120", now), Option.some(Duration.seconds(120)))
 * assert.deepStrictEqual(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now), Option.some(Duration.seconds(37)))
 * assert.deepStrictEqual(RetryAfter.parse("soon", now), Option.none())
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (value: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const delta = deltaSeconds.exec(value)
  if (delta !== null) return Option.some(Duration.seconds(Number(delta[1])))
  const at = parseHttpDate(value.trim())
  if (Number.isNaN(at)) return Option.none()
  return Option.some(Duration.millis(Math.max(0, at - nowMillis)))
}

/**
 * Like {@link parse}, in milliseconds.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseMillis = (value: string | undefined, nowMillis: number): number | undefined =>
  Option.getOrUndefined(Option.map(parse(value, nowMillis), Duration.toMillis))
