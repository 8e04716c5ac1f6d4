/**
 * The models most programs never decode with are built on first use (`internal/lazyStruct.ts`); each is still the
 * struct it was: the same AST, fields, decoding and encoding, failures, JSON Schema, and struct methods.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, JSONSchema, Schema } from "effect"
import { lazyStruct } from "../src/internal/lazyStruct.js"
import { MerchantIdentity, Models } from "../src/index.js"

const fields = {
  name: Schema.optionalWith(Schema.String, { nullable: true }),
  count: Schema.Number,
  tags: Schema.optional(Schema.Array(Schema.String))
}
const eager = Schema.Struct(fields).annotations({ identifier: "Sample" })
let built = 0
const lazy = lazyStruct(() => {
  built++
  return Schema.Struct(fields).annotations({ identifier: "Sample" })
})

const messageOf = <A, I>(schema: Schema.Schema<A, I>, input: unknown) =>
  Either.match(Schema.decodeUnknownEither(schema)(input), { onLeft: (e) => e.message, onRight: () => "decoded" })

describe("a struct built on first use", () => {
  it("is built once, when first read", () => {
    expect(built).toBe(0)
    expect(Schema.isSchema(lazy)).toBe(true)
    expect(built).toBe(0)
    expect(lazy.ast).toBe(lazy.ast)
    expect(built).toBe(1)
  })

  it("is the struct: AST, fields, decoding, encoding, failures, JSON Schema, methods", () => {
    expect(String(lazy)).toBe(String(eager))
    expect(String(Schema.make(lazy.ast))).toBe(String(Schema.make(eager.ast)))
    expect(Object.keys(lazy.fields)).toEqual(Object.keys(eager.fields))
    expect(lazy.records).toEqual(eager.records)
    const input = { name: null, count: 1, tags: ["a"], extra: true }
    expect(Schema.decodeUnknownSync(lazy)(input)).toEqual(Schema.decodeUnknownSync(eager)(input))
    expect(Schema.encodeSync(lazy)({ count: 2, name: "n" })).toEqual(Schema.encodeSync(eager)({ count: 2, name: "n" }))
    expect(messageOf(lazy, { count: "x", tags: [1] })).toBe(messageOf(eager, { count: "x", tags: [1] }))
    expect(Schema.is(lazy)({ count: 1 })).toBe(true)
    expect(Schema.is(lazy)({ count: "1" })).toBe(false)
    expect(JSONSchema.make(lazy)).toEqual(JSONSchema.make(eager))
    expect(lazy.make({ count: 3 })).toEqual(eager.make({ count: 3 }))
    expect(() => lazy.make({ count: "3" } as never)).toThrow()
    expect(String(lazy.pick("count"))).toBe(String(eager.pick("count")))
    expect(String(lazy.omit("count"))).toBe(String(eager.omit("count")))
    expect(String(lazy.annotations({ description: "d" }))).toBe(String(eager.annotations({ description: "d" })))
    expect(String(lazy.pipe(Schema.extend(Schema.Struct({ more: Schema.Boolean }))))).toBe(
      String(eager.pipe(Schema.extend(Schema.Struct({ more: Schema.Boolean }))))
    )
    for (const sample of fc.sample(Arbitrary.make(lazy), 5)) expect(Schema.is(eager)(sample)).toBe(true)
  })

  it("core's lazily built models decode as before", () => {
    const body = {
      error: { developer_message: "dev", user_message: null, error_code: "400" },
      metadata: { payload_name: "x", result_set: { count: 1, more: false } },
      success: false,
      warning: null
    }
    expect(Schema.decodeUnknownSync(Models.ErrorResponse)(body)).toEqual({
      error: { developer_message: "dev", error_code: "400" },
      metadata: { payload_name: "x", result_set: { count: 1, more: false } },
      success: false
    })
    expect(Models.Error).toBe(Models.ErrorDetail)
    expect(messageOf(Models.ErrorResponse, { error: { error_code: 400 } })).toContain("error_code")
    expect(Schema.decodeUnknownSync(Models.OauthRevokeSuccessResponse)({ successful: true, message: null })).toEqual({
      successful: true
    })
    expect(
      Schema.decodeUnknownSync(Models.OauthDeviceAuthorizationResponse)({ user_code: "U", expires_in: "600" })
    ).toEqual({ user_code: "U", expires_in: 600 })
    expect(Schema.decodeUnknownSync(MerchantIdentity.MeResponse)({ merchant_id: "M", scope: "a b,c" })).toEqual({
      merchant_id: "M",
      scope: ["a", "b", "c"]
    })
  })
})
