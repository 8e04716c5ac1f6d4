import * as Headers from "@effect/platform/Headers"
import * as Effect from "effect/Effect"

/** Runs an effect with header names added to those the HTTP client redacts in its spans and logs. */
export const withRedactedHeaderNames =
  (names: ReadonlyArray<string>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locallyWith(effect, Headers.currentRedactedNames, (current) => {
      const missing = names.filter((name) => !current.includes(name))
      return missing.length === 0 ? current : [...current, ...missing]
    })
