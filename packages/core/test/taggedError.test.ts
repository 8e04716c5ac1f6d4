/**
 * Core's error classes build their schemas on first use (`internal/taggedError.ts`) instead of when they are
 * defined; everything a program sees of them is what `Schema.TaggedError` gives: statics, instances, validation,
 * and the class as a schema (decode, encode, `Schema.is`, JSON Schema, pretty printing, arbitraries, equivalence).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Arbitrary,
  Data,
  Effect,
  Either,
  Equal,
  FastCheck as fc,
  Inspectable,
  JSONSchema,
  ParseResult,
  Pretty,
  Schema
} from "effect"
import * as Util from "node:util"
import { Callback, OAuthError } from "../src/index.js"
import { TaggedError } from "../src/internal/taggedError.js"

const fields = {
  endpoint: Schema.Literal("token", "revoke"),
  status: Schema.Number,
  description: Schema.optional(Schema.String),
  retryAfterMillis: Schema.optional(Schema.NonNegative),
  issues: Schema.Array(Schema.String)
}

// Both named `Sample`, so that renderings that name the class compare equal.
const ours = (() => {
  class Sample extends TaggedError<Sample>()("Sample", fields) {
    override get message(): string {
      return `sample ${this.status}`
    }
  }
  return Sample
})()
const effects = (() => {
  class Sample extends Schema.TaggedError<Sample>()("Sample", fields) {
    override get message(): string {
      return `sample ${this.status}`
    }
  }
  return Sample
})()

const props = { endpoint: "token", status: 400, description: "bad", issues: ["a"] } as const
const invalid = { endpoint: "nowhere", status: "400", issues: [1] }

/** Every own key of a class and of the classes it extends, up to `Data.Error`. */
const staticKeys = (klass: object): ReadonlyArray<PropertyKey> => {
  const keys = new Set<PropertyKey>()
  for (let c: object | null = klass; c !== null && c !== Data.Error; c = Object.getPrototypeOf(c)) {
    for (const key of Reflect.ownKeys(c)) if (key !== "name" && key !== "length" && key !== "prototype") keys.add(key)
  }
  return [...keys].map(String).sort()
}

const failureOf = (thunk: () => unknown): string => {
  try {
    thunk()
  } catch (error) {
    return String(error)
  }
  throw new Error("expected a failure")
}

describe("a TaggedError class built on first use", () => {
  it("has the statics of Schema.TaggedError", () => {
    expect(staticKeys(ours)).toEqual(staticKeys(effects))
    expect(ours._tag).toBe("Sample")
    expect(ours.identifier).toBe(effects.identifier)
    expect(Object.keys(ours.fields)).toEqual(Object.keys(effects.fields))
    expect(Schema.isSchema(ours)).toBe(true)
    expect(String(ours)).toBe(String(effects))
    expect(ours.make(props)).toBeInstanceOf(ours)
  })

  it("makes the same instances: tag, name, message, JSON, inspection, equality, yieldable", () => {
    const a = new ours(props)
    const b = new effects(props)
    expect(a).toBeInstanceOf(ours)
    expect(a).toBeInstanceOf(Error)
    expect({ ...a }).toEqual({ ...b })
    expect(a.name).toBe(b.name)
    expect(a.message).toBe(b.message)
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(Inspectable.toStringUnknown(a)).toBe(Inspectable.toStringUnknown(b))
    expect(Util.inspect(a).split("\n")[0]).toBe(Util.inspect(b).split("\n")[0])
    expect(Equal.equals(a, new ours(props))).toBe(Equal.equals(b, new effects(props)))
    expect(Effect.runSync(Effect.flip(a))).toBe(a)
  })

  it("validates what it is given, with the same messages", () => {
    expect(failureOf(() => new ours(invalid as never))).toBe(failureOf(() => new effects(invalid as never)))
    expect(() => new ours(invalid as never, true)).not.toThrow()
    expect(() => new ours(invalid as never, { disableValidation: true })).not.toThrow()
  })

  it("is the same schema: decode, encode, is, failures, JSON Schema, pretty, arbitrary, equivalence", () => {
    const encoded = Schema.encodeSync(effects)(new effects(props))
    expect(Schema.encodeSync(ours)(new ours(props))).toEqual(encoded)
    const decoded = Schema.decodeUnknownSync(ours)(encoded)
    expect(decoded).toBeInstanceOf(ours)
    expect({ ...decoded }).toEqual({ ...Schema.decodeUnknownSync(effects)(encoded) })
    // A plain object of the type side encodes through the constructor, as with Effect's classes.
    expect(Schema.encodeSync(ours)({ ...props, _tag: "Sample" } as never)).toEqual(encoded)
    expect(Schema.is(ours)(decoded)).toBe(true)
    expect(Schema.is(ours)({ ...encoded })).toBe(false)
    // Classes of the same tag recognise each other's instances (Effect's class symbol is the tag's).
    expect(Schema.is(ours)(new effects(props))).toBe(Schema.is(effects)(new ours(props)))
    const failure = (schema: Schema.Schema<unknown, unknown>) =>
      Either.match(Schema.decodeUnknownEither(schema)({ ...invalid, _tag: "Sample" }), {
        onLeft: (error) => error.message,
        onRight: () => "decoded"
      })
    expect(failure(ours as never)).toBe(failure(effects as never))
    expect(JSONSchema.make(ours)).toEqual(JSONSchema.make(effects))
    expect(String(Schema.encodedSchema(ours))).toBe(String(Schema.encodedSchema(effects)))
    expect(String(Schema.typeSchema(ours))).toBe(String(Schema.typeSchema(effects)))
    expect(Pretty.make(ours)(new ours(props))).toBe(Pretty.make(effects)(new effects(props)))
    for (const sample of fc.sample(Arbitrary.make(ours), 5)) expect(sample).toBeInstanceOf(ours)
    expect(Schema.equivalence(ours)(new ours(props), new ours(props))).toBe(true)
    expect(Schema.equivalence(ours)(new ours(props), new ours({ ...props, status: 401 }))).toBe(false)
    expect(String(ours.annotations({ description: "d" }))).toBe(String(effects.annotations({ description: "d" })))
  })

  it("extends like Schema.TaggedError", () => {
    class Ours extends ours.extend<Ours>("Extended")({ extra: Schema.String }) {}
    class Effects extends effects.extend<Effects>("Extended")({ extra: Schema.String }) {}
    const encoded = Schema.encodeSync(Effects)(new Effects({ ...props, extra: "x" }))
    const decoded = Schema.decodeUnknownSync(Ours)(encoded)
    expect(decoded).toBeInstanceOf(Ours)
    expect(decoded).toBeInstanceOf(ours)
    expect(Schema.encodeSync(Ours)(decoded)).toEqual(encoded)
    expect(String(Ours)).toBe(String(Effects))
  })

  it("transforms like Schema.TaggedError: transformOrFail (from the type side) and transformOrFailFrom (the encoded)", () => {
    // `n` decodes from a string: the transformation sees a number from the type side, a string from the encoded.
    class OursBase extends TaggedError<OursBase>()("Base", { n: Schema.NumberFromString }) {}
    class EffectsBase extends Schema.TaggedError<EffectsBase>()("Base", { n: Schema.NumberFromString }) {}
    const extra = { seen: Schema.String }
    const seeing = {
      decode: (input: { readonly n: unknown }) => ParseResult.succeed({ ...input, seen: typeof input.n }),
      encode: ({ seen: _, ...rest }: { readonly seen: string }) => ParseResult.succeed(rest)
    }
    class OursT extends OursBase.transformOrFail<OursT>("ToType")(extra, seeing as never) {}
    class EffectsT extends EffectsBase.transformOrFail<EffectsT>("ToType")(extra, seeing as never) {}
    class OursF extends OursBase.transformOrFailFrom<OursF>("FromEncoded")(extra, seeing as never) {}
    class EffectsF extends EffectsBase.transformOrFailFrom<EffectsF>("FromEncoded")(extra, seeing as never) {}
    const encoded = { _tag: "Base", n: "7" }
    for (const [o, e, seen] of [
      [OursT, EffectsT, "number"],
      [OursF, EffectsF, "string"]
    ] as const) {
      expect(String(o)).toBe(String(e))
      expect(Object.keys(o.fields)).toEqual(Object.keys(e.fields))
      const decoded = Schema.decodeUnknownSync(o as never)(encoded) as object
      expect(decoded).toBeInstanceOf(o)
      expect(decoded).toBeInstanceOf(OursBase)
      expect({ ...decoded }).toEqual({ _tag: "Base", n: 7, seen })
      expect({ ...decoded }).toEqual({ ...(Schema.decodeUnknownSync(e as never)(encoded) as object) })
      expect(Schema.encodeSync(o as never)(decoded)).toEqual(Schema.encodeSync(e as never)(decoded))
      expect(String(Schema.encodedSchema(o))).toBe(String(Schema.encodedSchema(e)))
      expect(String(Schema.typeSchema(o))).toBe(String(Schema.typeSchema(e)))
    }
  })
})

/** Every error class core exports, each beside `Schema.TaggedError` over the same fields. */
const exported = [...Object.values(OAuthError), ...Object.values(Callback)].filter(
  (value): value is typeof OAuthError.InvalidGrant =>
    typeof value === "function" && Schema.isSchema(value) && "_tag" in value
)

describe("core's error classes are Schema.TaggedError classes", () => {
  it("all of them", () => {
    // 12 protocol errors, 6 status errors, TransportError, MalformedResponse, InvalidInput; 5 callback errors.
    expect(exported.length).toBe(26)
  })

  for (const klass of exported) {
    it(`${klass._tag}: the same schema as Schema.TaggedError's`, () => {
      const { _tag, ...rest } = klass.fields
      const reference = Schema.TaggedError<{ readonly _tag: string }>()(klass._tag, rest)
      expect(String(klass)).toBe(String(reference))
      expect(JSONSchema.make(klass)).toEqual(JSONSchema.make(reference))
      const [sample] = fc.sample(Arbitrary.make(reference), { numRuns: 1, seed: 16 })
      const encoded = Schema.encodeSync(reference)(sample as never)
      const decoded = Schema.decodeUnknownSync(klass)(encoded)
      expect(decoded).toBeInstanceOf(klass)
      expect(decoded.name).toBe(klass._tag)
      expect(Schema.encodeSync(klass)(decoded)).toEqual(encoded)
      expect(Schema.is(klass)(decoded)).toBe(true)
      const bad = { ...encoded, endpoint: 1, status: "x", reason: 2, field: 3, code: 4 }
      const messageOf = (schema: Schema.Schema<unknown, unknown>) =>
        Either.match(Schema.decodeUnknownEither(schema)(bad), { onLeft: (e) => e.message, onRight: () => "decoded" })
      expect(messageOf(klass as never)).toBe(messageOf(reference as never))
    })
  }
})
