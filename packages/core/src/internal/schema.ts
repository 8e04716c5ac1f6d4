import * as Schema from "effect/Schema"

/**
 * An optional member that may also arrive as JSON `null` (as Java serializers write absent fields): both decode to
 * absent. Refusing `null` would turn a successful grant (a code already spent) into a decoding failure.
 */
export const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })
