/**
 * Options from configuration the way first-party Effect packages take them in `layerConfig`: a record with one
 * `Config` per option (`{ clientId: Config.string("MY_CLIENT_ID") }`, nested records too), or one `Config` of
 * the whole options.
 *
 * @since 0.2.0
 */
import * as Config from "effect/Config"
import * as Option from "effect/Option"

const struct = (wrapped: object): Config.Config<unknown> => {
  const fields: Record<string, Config.Config<unknown>> = {}
  for (const [key, value] of Object.entries(wrapped)) {
    if (value !== undefined) fields[key] = Config.isConfig(value) ? value : struct(value)
  }
  return Config.all(fields)
}

/**
 * Reads a `Config.Wrap` as one `Config`, as `Config.unwrap` does, except that an entry left `undefined` counts as
 * omitted: `Config.unwrap` would fail with a `TypeError` when the Layer is built, and a caller compiled without
 * `exactOptionalPropertyTypes` may write `{ clientId, baseUrl: undefined }`.
 *
 * @example
 * import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
 * import * as Config from "effect/Config"
 *
 * const options: Config.Config<{ readonly clientId: string; readonly baseUrl?: string | undefined }> =
 *   ConfigWrap.unwrap({ clientId: Config.string("MY_CLIENT_ID") })
 *
 * @since 0.2.0
 * @category constructors
 */
export const unwrap = <A>(wrapped: Config.Config.Wrap<A>): Config.Config<A> =>
  // Not a `Config<A>`, so a record whose fields wrap A's fields: the struct of them reads an A.
  Config.isConfig(wrapped) ? wrapped : (struct(wrapped) as Config.Config<A>)

/**
 * A setting that may be absent, read as `undefined` when it is: the shape an options field `?: A | undefined` takes,
 * so that a `layerConfig` hands the options it read to `make` as they are (`Config.option` reads an `Option`).
 *
 * @example
 * import * as ConfigWrap from "@ultracart-oauth/core/ConfigWrap"
 * import * as Config from "effect/Config"
 * import * as ConfigProvider from "effect/ConfigProvider"
 * import * as Effect from "effect/Effect"
 *
 * const prefix = ConfigWrap.optional(Config.string("MY_PREFIX"))
 * const read = (env: Record<string, string>) =>
 *   Effect.runSync(Effect.withConfigProvider(prefix, ConfigProvider.fromJson(env)))
 * assert.strictEqual(read({ MY_PREFIX: "shop:" }), "shop:")
 * assert.strictEqual(read({}), undefined)
 *
 * @since 0.2.0
 * @category constructors
 */
export const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)
