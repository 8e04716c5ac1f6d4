/**
 * `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.
 *
 * @since 0.1.0
 */
import { Duration, Option } from "effect"

const deltaSeconds = /^\s*(\d{1,10})\s*$/

/**
 * Parses a `Retry-After` value against the current time (epoch milliseconds). A date in the past gives zero;
 * anything unparseable gives `None`. Never throws.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (value: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const delta = deltaSeconds.exec(value)
  if (delta !== null) return Option.some(Duration.seconds(Number(delta[1])))
  // HTTP-date: IMF-fixdate (and the obsolete forms Date.parse also reads). A bare number that is not a
  // delta (negative, fractional) is not a date either.
  if (!/[a-z]/i.test(value)) return Option.none()
  const at = Date.parse(value)
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
