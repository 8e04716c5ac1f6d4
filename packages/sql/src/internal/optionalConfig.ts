import * as Config from "effect/Config"
import * as Option from "effect/Option"

/** A setting that may be absent, read as `undefined` when it is (the shape the options interfaces take). */
export const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)
