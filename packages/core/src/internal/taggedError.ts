/**
 * `Schema.TaggedError`, with its schemas built on first use instead of when the class is defined.
 *
 * Defining a `Schema.TaggedError` class builds half a dozen schemas at once (the struct extended with `_tag`, its
 * type side, five annotated copies): about half a millisecond per class while a program starts, before any error
 * exists — two dozen classes were a third of core's import. The class made here is the same class — same base
 * (`Data.Error`), statics (`fields`, `identifier`, `_tag`, `ast`, `make`, `extend`…), prototype (`name`, the
 * class symbol), constructor validation and `ast` (built by the same steps as Effect's own `makeClass`) — but
 * the schemas, and the `_tag` field, are built the first time an instance is made, `fields` is read or the class
 * is used as a schema, then kept (`fields` is a getter where Effect's is a data property).
 * `test/taggedError.test.ts` checks it against `Schema.TaggedError` member by member.
 *
 * Every class defined with it gives its own `message` (the one `Schema.TaggedError` derives from the fields is not
 * reproduced).
 */
import * as Data from "effect/Data"
import { identity } from "effect/Function"
import * as ParseResult from "effect/ParseResult"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { lazily } from "./lazily.js"

/** `SchemaAST.AutoTitleAnnotationId` (Effect's, not in its type declarations). */
const AutoTitleAnnotationId: unique symbol = Symbol.for("effect/annotation/AutoTitle")

/** The variance marker `Schema.isSchema` looks for (any object will do; Effect's holds three identities). */
const variance = { _A: identity, _I: identity, _R: identity }

type Fields = Schema.Struct.Fields
/**
 * A class's schema, here without its context: a field's context is the class's (`Schema.TaggedErrorClass` says
 * so), which the run-time code below neither needs nor changes.
 */
type AnySchema = Schema.Schema<unknown, unknown, never>
type Annotations = object
type HasFields = { readonly fields: Fields } | { readonly [Schema.RefineSchemaId]: HasFields }
type FieldsOr = Fields | HasFields

const isFields = (u: FieldsOr): u is Fields =>
  Reflect.ownKeys(u).every((key) => {
    const field: unknown = (u as Record<PropertyKey, unknown>)[key]
    return Schema.isSchema(field) || Schema.isPropertySignature(field)
  })

const fieldsOf = (hasFields: HasFields): Fields =>
  "fields" in hasFields ? hasFields.fields : fieldsOf(hasFields[Schema.RefineSchemaId])

const fieldsFrom = (fieldsOr: FieldsOr): Fields => (isFields(fieldsOr) ? fieldsOr : fieldsOf(fieldsOr))

const withoutContext = (schema: Schema.Schema.Any): AnySchema => schema as AnySchema

const schemaFrom = (fieldsOr: FieldsOr): AnySchema =>
  withoutContext(
    isFields(fieldsOr)
      ? Schema.Struct(fieldsOr)
      : Schema.isSchema(fieldsOr)
        ? fieldsOr
        : Schema.Struct(fieldsOf(fieldsOr))
  )

const extendFields = (a: Fields, b: Fields): Fields => {
  const out: Record<PropertyKey, Schema.Struct.Field> = { ...a }
  for (const key of Reflect.ownKeys(b)) {
    if (key in a) throw new Error(`Duplicate property signature ${String(key)}`)
    out[key] = b[key as string]!
  }
  return out
}

/** Constructor defaults (`Schema.optionalWith({ default })`, `withConstructorDefault`) for absent members. */
const withDefaults = (fields: Fields, props: Record<PropertyKey, unknown>): Record<PropertyKey, unknown> => {
  for (const key of Reflect.ownKeys(fields)) {
    const field: unknown = fields[key as string]
    if (props[key] === undefined && Schema.isPropertySignature(field)) {
      const ast = field.ast
      const value = ast._tag === "PropertySignatureDeclaration" ? ast.defaultValue : ast.to.defaultValue
      if (value !== undefined) props[key] = value()
    }
  }
  return props
}

const classAnnotations = (annotations: unknown): ReadonlyArray<Annotations | undefined> =>
  annotations === undefined ? [] : Array.isArray(annotations) ? annotations : [annotations as Annotations]

/** The schemas a class needs, derived from its struct: what `Schema`'s `makeClass` builds when a class is defined. */
interface Sides {
  readonly typeSide: AnySchema
  readonly constructorSchema: AnySchema
  readonly encodedSide: AnySchema
  readonly declarationSurrogate: AnySchema
  readonly transformationSurrogate: AnySchema
}

const sidesOf = (schema: AnySchema, identifier: string, annotations: unknown): Sides => {
  const [typeAnnotations, transformationAnnotations, encodedAnnotations] = classAnnotations(annotations)
  const typeSchema = Schema.typeSchema(schema)
  return {
    declarationSurrogate: typeSchema.annotations({ identifier, ...typeAnnotations }),
    typeSide: typeSchema.annotations({ [AutoTitleAnnotationId]: `${identifier} (Type side)`, ...typeAnnotations }),
    constructorSchema: schema.annotations({
      [AutoTitleAnnotationId]: `${identifier} (Constructor)`,
      ...typeAnnotations
    }),
    encodedSide: schema.annotations({ [AutoTitleAnnotationId]: `${identifier} (Encoded side)`, ...encodedAnnotations }),
    transformationSurrogate: schema.annotations({
      ...encodedAnnotations,
      ...typeAnnotations,
      ...transformationAnnotations
    })
  }
}

/** A class's AST: its struct's encoded side, transformed into instances of the class (Effect's steps). */
const classAst = (
  klass: new (props: object, disableValidation?: boolean) => object,
  schema: AnySchema,
  { declarationSurrogate, encodedSide, transformationSurrogate, typeSide }: Sides,
  identifier: string,
  annotations: unknown,
  fallbackInstanceOf: (u: unknown) => boolean
): AST.AST => {
  const [typeAnnotations, transformationAnnotations] = classAnnotations(annotations)
  const make = (props: unknown, disableValidation?: boolean): object =>
    disableValidation === true ? new klass(props as object, true) : new klass(props as object)
  const declaration = Schema.declare<object, unknown, readonly [AnySchema]>(
    [schema],
    {
      decode: () => (input, _, ast) =>
        input instanceof klass || fallbackInstanceOf(input)
          ? ParseResult.succeed(input as object)
          : ParseResult.fail(new ParseResult.Type(ast, input)),
      encode: () => (input, options) =>
        input instanceof klass
          ? ParseResult.succeed(input)
          : ParseResult.map(ParseResult.encodeUnknown(typeSide)(input, options), (props) => make(props, true))
    },
    {
      identifier,
      pretty: (pretty) => (self) => `${identifier}(${pretty(self)})`,
      arbitrary: (arb) => (fc) => arb(fc).map((props) => make(props)),
      equivalence: identity,
      [AST.SurrogateAnnotationId]: declarationSurrogate.ast,
      ...typeAnnotations
    }
  )
  return Schema.transform(encodedSide, declaration, {
    strict: true,
    decode: (i) => make(i, true),
    encode: identity
  }).annotations({ [AST.SurrogateAnnotationId]: transformationSurrogate.ast, ...transformationAnnotations }).ast
}

interface ClassOptions {
  readonly kind: "TaggedError"
  readonly identifier: string
  /** The class's struct, built when first needed. */
  readonly schema: () => AnySchema
  /** The class's fields, built when first needed. */
  readonly fields: () => Fields
  readonly Base: new (props: object, disableValidation: boolean) => object
  readonly annotations: unknown
  /** A `TaggedError` class's static `_tag` (a class made by `extend` inherits its base's). */
  readonly tag?: string | undefined
}

/** Each class's AST, built on first read (a class made by `extend` builds its own). */
const asts = new WeakMap<object, AST.AST>()

// Classes are built at run time here, as Effect's own `makeClass` builds them: their types are those of
// `Schema.TaggedErrorClass`, which `TaggedError` below states.
const makeClass = ({ Base, annotations, fields, identifier, kind, schema, tag }: ClassOptions) => {
  const classSymbol = Symbol.for(`effect/Schema/${kind}/${identifier}`)
  const sides = lazily(() => sidesOf(schema(), identifier, annotations))
  const ownFields = lazily(() => ({ ...fields() }))
  const validate = lazily(() => ParseResult.validateSync(sides().constructorSchema))
  const isTypeSide = lazily(() => ParseResult.is(sides().typeSide))
  const fallbackInstanceOf = (u: unknown) => Predicate.hasProperty(u, classSymbol) && isTypeSide()(u)
  const klass = class extends Base {
    constructor(props: object = {}, options: Schema.MakeOptions = false) {
      let own: Record<PropertyKey, unknown> = { ...props }
      delete own["_tag"]
      own = withDefaults(fields(), own)
      const skip = Predicate.isBoolean(options) ? options : (options?.disableValidation ?? false)
      super(skip ? own : (validate()(own) as object), true)
    }
    static [Schema.TypeId] = variance
    static get ast(): AST.AST {
      const cached = asts.get(this)
      if (cached !== undefined) return cached
      const out = classAst(this, schema(), sides(), identifier, annotations, fallbackInstanceOf)
      asts.set(this, out)
      return out
    }
    static pipe() {
      // biome-ignore lint/complexity/noArguments: `pipe` takes any number of functions, as Effect's classes do.
      return pipeArguments(this, arguments)
    }
    static annotations(annotations: Schema.Annotations.Schema<unknown>) {
      return Schema.make(this.ast).annotations(annotations)
    }
    static override toString() {
      return `(${String(sides().encodedSide)} <-> ${identifier})`
    }
    static make(...args: [object?, Schema.MakeOptions?]) {
      return new this(...args)
    }
    static get fields() {
      return ownFields()
    }
    static identifier = identifier
    static extend(identifier: string) {
      return (newFieldsOr: FieldsOr, annotations?: unknown) => {
        return makeClass({
          kind,
          identifier,
          schema: () => withoutContext(Schema.extend(schema(), schemaFrom(newFieldsOr))),
          fields: lazily(() => extendFields(fields(), fieldsFrom(newFieldsOr))),
          Base: this,
          annotations
        })
      }
    }
    static transformOrFail(identifier: string) {
      return transformed(this, kind, fields, schema, identifier, "Type")
    }
    static transformOrFailFrom(identifier: string) {
      return transformed(this, kind, fields, schema, identifier, "Encoded")
    }
    get [classSymbol]() {
      return classSymbol
    }
  }
  // What `Schema.TaggedError`'s subclass declares as `static _tag = tag`, on the class itself (one class less).
  if (tag !== undefined)
    Object.defineProperty(klass, "_tag", { value: tag, writable: true, enumerable: true, configurable: true })
  return klass
}

type TransformOptions = Parameters<typeof Schema.transformOrFail<AnySchema, AnySchema, never, never>>[2]

/**
 * `transformOrFail` (`from: "Type"`: the class's struct into the type side of its fields and the new ones) and
 * `transformOrFailFrom` (`from: "Encoded"`: the encoded side of the struct into the struct of both), as Effect's.
 */
const transformed =
  (
    Base: ClassOptions["Base"],
    kind: ClassOptions["kind"],
    fields: () => Fields,
    schema: () => AnySchema,
    identifier: string,
    from: "Type" | "Encoded"
  ) =>
  (newFields: Fields, options: TransformOptions, annotations?: unknown) => {
    const transformedFields = lazily(() => extendFields(fields(), newFields))
    return makeClass({
      kind,
      identifier,
      schema: () => {
        const struct = withoutContext(Schema.Struct(transformedFields()))
        return from === "Type"
          ? withoutContext(Schema.transformOrFail(schema(), withoutContext(Schema.typeSchema(struct)), options))
          : withoutContext(Schema.transformOrFail(Schema.encodedSchema(schema()), struct, options))
      },
      fields: transformedFields,
      Base,
      annotations
    })
  }

/**
 * `Schema.TaggedError`, its schemas built on first use.
 */
export const TaggedError: typeof Schema.TaggedError = (identifier) => (tag, fieldsOr, annotations) => {
  class Base extends Data.Error {}
  Base.prototype.name = tag
  const tagField = lazily(() => ({
    _tag: Schema.propertySignature(Schema.Literal(tag)).pipe(Schema.withConstructorDefault(() => tag))
  }))
  const klass = makeClass({
    kind: "TaggedError",
    tag,
    identifier: identifier ?? tag,
    schema: () => withoutContext(Schema.extend(schemaFrom(fieldsOr), Schema.Struct(tagField()))),
    fields: lazily(() => extendFields(tagField(), fieldsFrom(fieldsOr))),
    Base: Base as unknown as ClassOptions["Base"],
    annotations
  })
  // Built at run time, as Effect's own classes are (its `makeClass` is untyped); `test/taggedError.test.ts` holds it
  // to `Schema.TaggedError`'s behaviour.
  return klass as never
}
