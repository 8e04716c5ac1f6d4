/**
 * A value made on first use and kept: for what a module would otherwise build while a program starts (a compiled
 * decoder, a schema) but only some programs use.
 */
export const lazily = <A>(make: () => A): (() => A) => {
  let made: { readonly value: A } | undefined
  return () => (made ??= { value: make() }).value
}
