/**
 * Properties of what the routes read from a browser: the signed-value verifier, the flow cookie reader and the
 * return address check never throw, whatever the input; a signed flow reads back as written; any change to a
 * signed value, a value signed for another purpose or with another key, and an expired flow are refused; a
 * return address leads nowhere but to an allowed origin.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Option, Redacted } from "effect"
import * as Flow from "../src/internal/flow.js"
import * as ReturnAddress from "../src/internal/returnAddress.js"
import { makeSigner, sameText } from "../src/internal/signer.js"

const KEY = Redacted.make("a signing key of 36 characters, test")
const OTHER_KEY = Redacted.make("another key, 32 characters long!")
const APP = "https://app.example.test"

/** One key import for the file (Web Crypto's import is the slow part). */
const signers = Promise.all([Effect.runPromise(makeSigner(KEY)), Effect.runPromise(makeSigner(OTHER_KEY))])
const keys = Effect.promise(() => signers)
/** Enough runs to mean something on a loaded machine, with room to finish. */
const runs = (numRuns: number) => ({ timeout: 60_000, fastCheck: { numRuns } })

/** Any text, lone surrogates and control characters included. */
const anyText = fc.string({ unit: "binary", maxLength: 200 })
/** Text shaped like a signed value: base64url-ish parts around dots. */
const signedLike = fc
  .array(fc.string({ unit: fc.constantFrom(..."AZaz09-_.=+/%"), maxLength: 60 }), { maxLength: 4 })
  .map((parts) => parts.join("."))

const flowArb = fc.record({
  state: fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
  returnTo: fc.webUrl(),
  verifier: fc.option(fc.string({ unit: "grapheme", maxLength: 60 }), { nil: undefined }),
  expiresAt: fc.integer({ min: 1, max: 2 ** 47 })
})

const toFlow = (f: {
  state: string
  returnTo: string
  verifier: string | undefined
  expiresAt: number
}): Flow.Flow => ({
  state: Redacted.make(f.state),
  returnTo: f.returnTo,
  codeVerifier: f.verifier === undefined ? Option.none() : Option.some(Redacted.make(f.verifier)),
  expiresAt: f.expiresAt
})

const plain = (flow: Flow.Flow) => ({
  state: Redacted.value(flow.state),
  returnTo: flow.returnTo,
  verifier: Option.getOrUndefined(Option.map(flow.codeVerifier, Redacted.value)),
  expiresAt: flow.expiresAt
})

describe("the signed-value verifier and the flow cookie reader", () => {
  it.effect.prop(
    "never throw or fail on any input: anything not signed here is None / Forged",
    [fc.oneof(anyText, signedLike), fc.integer()],
    ([value, now]) =>
      Effect.gen(function* () {
        const [signer] = yield* keys
        expect(yield* signer.verify("purpose", value)).toEqual(Option.none())
        expect(yield* Flow.open(signer, value, now)).toEqual(Either.left("Forged"))
      }),
    runs(200)
  )

  it.effect.prop(
    "a sealed flow opens as it was written, before it expires",
    [flowArb],
    ([f]) =>
      Effect.gen(function* () {
        const [signer] = yield* keys
        const flow = toFlow(f)
        const opened = yield* Flow.open(signer, yield* Flow.seal(signer, flow), f.expiresAt - 1)
        expect(Either.map(opened, plain)).toEqual(Either.right(plain(flow)))
      }),
    runs(100)
  )

  it.effect.prop(
    "any one-character change, truncation or extension of a sealed flow is Forged",
    [
      flowArb,
      fc.nat(),
      fc.string({ unit: "binary", minLength: 1, maxLength: 3 }),
      fc.constantFrom("edit", "cut", "add")
    ],
    ([f, at, text, how]) =>
      Effect.gen(function* () {
        const [signer] = yield* keys
        const sealed = yield* Flow.seal(signer, toFlow(f))
        const i = at % sealed.length
        const changed =
          how === "edit"
            ? sealed.slice(0, i) + text + sealed.slice(i + 1)
            : how === "cut"
              ? sealed.slice(0, i)
              : sealed.slice(0, i) + text + sealed.slice(i)
        fc.pre(changed !== sealed)
        expect(yield* Flow.open(signer, changed, 0)).toEqual(Either.left("Forged"))
      }),
    runs(200)
  )

  it.effect("a MAC whose last character differs only in its unused bits is Forged (one text per value)", () =>
    Effect.gen(function* () {
      const [signer] = yield* keys
      const sealed = yield* Flow.seal(signer, toFlow({ state: "s", returnTo: APP, verifier: undefined, expiresAt: 9 }))
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
      const last = alphabet.indexOf(sealed.slice(-1))
      // 32 bytes are 256 bits: the 43rd character's two low bits are not used.
      const twin = sealed.slice(0, -1) + alphabet[last ^ 1]
      expect(yield* Flow.open(signer, twin, 0)).toEqual(Either.left("Forged"))
      expect(Either.isRight(yield* Flow.open(signer, sealed, 0))).toBe(true)
    })
  )

  it.effect.prop(
    "another key, or a value signed for another purpose, is Forged",
    [flowArb],
    ([f]) =>
      Effect.gen(function* () {
        const [signer, other] = yield* keys
        const flow = toFlow(f)
        expect(yield* Flow.open(signer, yield* Flow.seal(other, flow), 0)).toEqual(Either.left("Forged"))
        const forAnotherUse = yield* signer.sign("another purpose", JSON.stringify({ s: f.state, r: f.returnTo, e: 1 }))
        expect(yield* Flow.open(signer, forAnotherUse, 0)).toEqual(Either.left("Forged"))
      }),
    runs(100)
  )

  it.effect.prop(
    "a flow is Expired from its expiry on",
    [flowArb, fc.nat({ max: 2 ** 40 })],
    ([f, late]) =>
      Effect.gen(function* () {
        const [signer] = yield* keys
        const sealed = yield* Flow.seal(signer, toFlow(f))
        expect(yield* Flow.open(signer, sealed, f.expiresAt + late)).toEqual(Either.left("Expired"))
      }),
    runs(100)
  )

  it.effect.prop(
    "flow ids are stable per state and tell states apart",
    [fc.string(), fc.string()],
    ([a, b]) =>
      Effect.gen(function* () {
        const [signer] = yield* keys
        const idA = yield* Flow.idOf(signer, a)
        expect(idA).toMatch(/^[A-Za-z0-9_-]{16}$/)
        expect(yield* Flow.idOf(signer, a)).toBe(idA)
        if (a !== b) expect(yield* Flow.idOf(signer, b)).not.toBe(idA)
      }),
    runs(100)
  )

  it.prop("sameText is string equality", [anyText, anyText], ([a, b]) => {
    expect(sameText(a, b)).toBe(a === b)
    expect(sameText(a, a)).toBe(true)
  })
})

describe("the return address check", () => {
  const allowed = new Set(["https://shop.example.test"])
  /** Inputs an attacker would try, and anything at all. */
  const addresses = fc.oneof(
    anyText,
    fc.webUrl(),
    fc
      .tuple(
        fc.constantFrom("/", "//", "/\\", "\\\\", "https://", "http://", "javascript:", " /", "/%2F", "https:", "///"),
        fc.constantFrom("evil.example", "app.example.test", "shop.example.test", "app.example.test@evil.example"),
        fc.string({ maxLength: 20 })
      )
      .map(([a, b, c]) => a + b + c)
  )

  it.prop(
    "never throws; an accepted address is absolute, on an allowed origin, with no credentials",
    [addresses],
    ([input]) => {
      const checked = ReturnAddress.check(input, APP, allowed)
      if (Either.isRight(checked)) {
        const url = new URL(checked.right)
        expect(url.origin === APP || allowed.has(url.origin)).toBe(true)
        expect(url.username + url.password).toBe("")
        expect(checked.right).toBe(url.href)
      }
    }
  )

  it("takes paths on the app and allowed origins; refuses every other place", () => {
    const ok = (input: string) => Either.getOrNull(ReturnAddress.check(input, APP, allowed))
    expect(ok("/merchants?page=2#top")).toBe(`${APP}/merchants?page=2#top`)
    expect(ok("https://shop.example.test/done")).toBe("https://shop.example.test/done")
    for (const bad of [
      "//evil.example/x",
      "/\\evil.example",
      "https://evil.example",
      "javascript:alert(1)",
      "https://app.example.test@evil.example/",
      "https://user:pw@app.example.test/",
      "http://app.example.test/",
      "/a\nb",
      "",
      `/${"a".repeat(3000)}`
    ]) {
      expect([bad, ok(bad)]).toEqual([bad, null])
    }
  })
})
