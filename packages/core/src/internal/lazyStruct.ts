/**
 * A `Schema.Struct` built on first use: what a module exports as a struct schema but most programs never decode
 * with (UltraCart's error and revocation models, the device authorization answer). A struct of nullable members
 * costs about half a millisecond to build while a program starts; this one is built the first time anything reads
 * it — its `ast`, `fields`, `records`, or a method — and is then that struct in every respect but identity
 * (`test/lazyStruct.test.ts` compares them).
 */
import { identity } from "effect/Function"
import { pipeArguments } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { lazily } from "./lazily.js"

export const lazyStruct = <F extends Schema.Struct.Fields>(build: () => Schema.Struct<F>): Schema.Struct<F> => {
  const struct = lazily(build)
  class LazyStruct {
    static [Schema.TypeId] = { _A: identity, _I: identity, _R: identity }
    static get ast(): AST.AST {
      return struct().ast
    }
    static get fields(): Schema.Struct<F>["fields"] {
      return struct().fields
    }
    static get records(): Schema.Struct<F>["records"] {
      return struct().records
    }
    static annotations(annotations: Parameters<Schema.Struct<F>["annotations"]>[0]): Schema.Struct<F> {
      return struct().annotations(annotations)
    }
    static make(...args: Parameters<Schema.Struct<F>["make"]>): ReturnType<Schema.Struct<F>["make"]> {
      return struct().make(...args)
    }
    static pick(...keys: ReadonlyArray<keyof F>) {
      return struct().pick(...keys)
    }
    static omit(...keys: ReadonlyArray<keyof F>) {
      return struct().omit(...keys)
    }
    static pipe() {
      // biome-ignore lint/complexity/noArguments: `pipe` takes any number of functions, as Effect's schemas do.
      return pipeArguments(this, arguments)
    }
    static toString(): string {
      return String(struct())
    }
  }
  // The class answers every member of `Schema.Struct<F>` from the struct itself, once built.
  return LazyStruct as unknown as Schema.Struct<F>
}
