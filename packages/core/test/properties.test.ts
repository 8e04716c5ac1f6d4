/**
 * Properties over generated input: parsers never throw, codecs and the form body round-trip.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Either, Exit, FastCheck as fc, Option, Redacted, Schema } from "effect"
import { Callback, Models, RetryAfter } from "../src/index.js"
import { callbackErrorTags, client, clientLayer, REDIRECT_URI, tokenBody } from "./utils/fixtures.js"
import * as MockHttp from "./utils/MockHttp.js"

/** Any text, including lone surrogates and control characters. */
const anyText = fc.string({ unit: "binary", maxLength: 80 })
/** Well-formed Unicode text (what a form body can carry). */
const unicodeText = fc.string({ unit: "grapheme", maxLength: 40 })

describe("RetryAfter.parse", () => {
  it.prop("never throws; a result is a finite, non-negative duration", [anyText, fc.integer()], ([value, now]) => {
    const parsed = RetryAfter.parse(value, now)
    if (Option.isSome(parsed)) {
      expect(Duration.isFinite(parsed.value)).toBe(true)
      expect(Duration.toMillis(parsed.value)).toBeGreaterThanOrEqual(0)
    }
  })

  it.prop(
    "delta-seconds round-trip, whatever the clock says and with surrounding spaces",
    [fc.integer({ min: 0, max: 9_999_999_999 }), fc.integer(), fc.constantFrom("", " ", "  ")],
    ([seconds, now, pad]) => {
      expect(RetryAfter.parse(`${pad}${seconds}${pad}`, now)).toEqual(Option.some(Duration.seconds(seconds)))
      expect(RetryAfter.parseMillis(String(seconds), now)).toBe(seconds * 1000)
    }
  )

  it.prop(
    "an IMF-fixdate means the time until it (zero once past)",
    [fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => s * 1000), fc.integer({ min: 0, max: 4_000_000_000_000 })],
    ([at, now]) => {
      const value = new Date(at).toUTCString()
      expect(RetryAfter.parseMillis(value, now)).toBe(Math.max(0, at - now))
    }
  )

  it.prop(
    "text that is neither a number nor an HTTP-date gives none",
    [fc.string({ unit: "grapheme-ascii" })],
    ([value]) => {
      fc.pre(!/^\s*\d+\s*$/.test(value) && !/GMT|\d{4}$/.test(value))
      expect(RetryAfter.parse(value, 0)).toEqual(Option.none())
    }
  )
})

describe("Models.Seconds", () => {
  const decode = Schema.decodeUnknownEither(Models.Seconds)

  it.prop("decodes whole seconds sent as a number or as a string of digits", [fc.nat()], ([seconds]) => {
    expect(decode(seconds)).toEqual(Either.right(seconds))
    expect(decode(String(seconds))).toEqual(Either.right(seconds))
    expect(decode(String(seconds).padStart(12, "0"))).toEqual(Either.right(seconds))
  })

  it.prop(
    "refuses negative or fractional numbers",
    [
      fc.oneof(
        fc.integer({ max: -1 }),
        fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d))
      )
    ],
    ([value]) => {
      expect(Either.isLeft(decode(value))).toBe(true)
    }
  )

  it.prop("refuses any string that is not 1 to 12 digits", [anyText], ([value]) => {
    fc.pre(!/^\d{1,12}$/.test(value))
    expect(Either.isLeft(decode(value))).toBe(true)
  })

  it.prop("encodes back to a number", [fc.nat()], ([seconds]) => {
    expect(Schema.encodeSync(Models.Seconds)(seconds)).toBe(seconds)
  })
})

describe("Callback.parse", () => {
  const param = fc.tuple(fc.constantFrom("code", "state", "error", "error_description", "x"), anyText)
  const callbacks = fc.oneof(
    anyText,
    fc.array(param, { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
    fc.array(param, { maxLength: 6 }).map((pairs) => `https://app.example/cb?${new URLSearchParams(pairs)}`),
    fc.webUrl({ withQueryParameters: true, withFragments: true })
  )

  it.prop(
    "never throws or dies: it succeeds or fails with a callback error",
    [callbacks, anyText],
    ([callback, state]) => {
      const exit = Effect.runSyncExit(Callback.parse(callback, Redacted.make(state)))
      if (Exit.isFailure(exit)) {
        const failure = Cause.failureOption(exit.cause)
        expect(Option.isSome(failure)).toBe(true)
        expect(Cause.isDie(exit.cause)).toBe(false)
        if (Option.isSome(failure)) expect(callbackErrorTags.has(failure.value._tag)).toBe(true)
      }
    }
  )

  it.prop(
    "gives back any code when the state matches",
    [unicodeText.filter((s) => s !== ""), unicodeText.filter((s) => s !== "")],
    ([code, state]) => {
      const callback = `${REDIRECT_URI}?${new URLSearchParams({ code, state })}`
      const parsed = Effect.runSync(Callback.parse(callback, Redacted.make(state)))
      expect(Redacted.value(parsed)).toBe(code)
    }
  )

  it.prop(
    "fails with StateMismatch whenever the state differs, whatever else the callback says",
    [unicodeText, unicodeText.filter((s) => s !== ""), fc.option(fc.constantFrom("access_denied", "invalid_request"))],
    ([sent, expected, error]) => {
      fc.pre(sent !== expected)
      const params = new URLSearchParams({ code: "c", state: sent, ...(error === null ? {} : { error }) })
      const exit = Effect.runSyncExit(Callback.parse(params, Redacted.make(expected)))
      expect(exit).toEqual(Exit.fail(new Callback.StateMismatch({ reason: sent === "" ? "Missing" : "Different" })))
    }
  )
})

describe("form body", () => {
  const nonBlank = unicodeText.filter((s) => s.trim() !== "")

  it.effect.prop(
    "every value decodes back to what was given, and empty ones are left out",
    [nonBlank, fc.option(unicodeText, { nil: undefined }), nonBlank],
    ([code, verifier, grantType]) =>
      Effect.gen(function* () {
        yield* (yield* client).token({
          grantType,
          code: Redacted.make(code),
          redirectUri: REDIRECT_URI,
          codeVerifier: verifier === undefined ? undefined : Redacted.make(verifier)
        })
        const request = yield* MockHttp.onlyRequest
        const expected: Array<[string, string]> = [
          ["client_id", "app-client-7"],
          ["grant_type", grantType],
          ["code", code],
          ["redirect_uri", REDIRECT_URI]
        ]
        if (verifier !== undefined && verifier !== "") expected.push(["code_verifier", verifier])
        expect(request.form).toEqual(expected)
      }).pipe(Effect.provide(clientLayer({}, MockHttp.json(200, tokenBody)))),
    { fastCheck: { numRuns: 40 } }
  )
})
