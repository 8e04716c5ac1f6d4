/**
 * The fake UltraCart of `fake-server` and `--fake`, loaded only when asked for: its module (`DevServer`) needs
 * `@ultracart-oauth/testing`, an optional package. Its failures say what to do: install the package, or pick
 * another port.
 *
 * @since 0.2.0
 */
import type * as FakeUltraCart from "@ultracart-oauth/testing/FakeUltraCart"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as DevServer from "./DevServer.js"

/**
 * The fake could not start. `reason`: `NotInstalled` (`@ultracart-oauth/testing` cannot be loaded), `PortInUse`,
 * or `Failed` (anything else; `detail` says what).
 *
 * @since 0.1.0
 * @category errors
 */
export class FakeServerError extends Schema.TaggedError<FakeServerError>()("FakeServerError", {
  reason: Schema.Literal("NotInstalled", "PortInUse", "Failed"),
  port: Schema.optional(Schema.Number),
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.reason === "NotInstalled"
      ? "The fake UltraCart needs the optional package @ultracart-oauth/testing, which is not installed"
      : this.reason === "PortInUse"
        ? `The fake UltraCart cannot listen on port ${this.port ?? "?"}: it is in use`
        : `The fake UltraCart server did not start: ${this.detail ?? "unknown reason"}`
  }
}

/**
 * How the dev server's module is loaded: a dynamic import, replaceable (for tests, or to point at another build).
 *
 * @since 0.2.0
 * @category tags
 */
export class DevServerImport extends Context.Reference<DevServerImport>()("@ultracart-oauth/cli/DevServerImport", {
  defaultValue: (): (() => Promise<typeof DevServer>) => () => import("./DevServer.js")
}) {}

const codeOf = (error: unknown): string | undefined =>
  Predicate.hasProperty(error, "code") && typeof error.code === "string" ? error.code : undefined

/**
 * Reads why the dev server's module did not load: a missing `@ultracart-oauth/testing` (or one of its own
 * dependencies) is `NotInstalled`, anything else `Failed`.
 *
 * @since 0.2.0
 * @category errors
 */
export const importFailure = (error: unknown): FakeServerError => {
  const code = codeOf(error)
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"
    ? new FakeServerError({ reason: "NotInstalled" })
    : new FakeServerError({ reason: "Failed", detail: `its module did not load (${code ?? "error"})` })
}

/**
 * Loads the dev server and serves the fake for the life of the scope (port 0, the default, picks a free port).
 *
 * @since 0.2.0
 * @category constructors
 */
export const start = (
  options: DevServer.DevServerOptions = {}
): Effect.Effect<
  { readonly fake: FakeUltraCart.FakeUltraCart.Service; readonly clientId: string },
  FakeServerError,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const load = yield* DevServerImport
    const dev = yield* Effect.tryPromise({ try: load, catch: importFailure })
    const fake = yield* dev
      .start(options)
      .pipe(
        Effect.mapError((error) =>
          codeOf(error.cause) === "EADDRINUSE"
            ? new FakeServerError({ reason: "PortInUse", port: options.port ?? 0 })
            : new FakeServerError({ reason: "Failed", detail: codeOf(error.cause) ?? "the server did not listen" })
        )
      )
    return { fake, clientId: dev.CLIENT.clientId }
  })
