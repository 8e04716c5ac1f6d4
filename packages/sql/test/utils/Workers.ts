/**
 * The SQL test worker, bundled once with esbuild (the Redis package's bundler and process runner), started as
 * plain `node` processes. better-sqlite3 is a native addon: it stays outside the bundle, imported from where it
 * is installed.
 */
import { Context, Effect, Layer, type Scope } from "effect"
import type { Plugin } from "esbuild"
import { fileURLToPath } from "node:url"
import { bundle, run, type Worker } from "../../../redis/test/utils/Workers.js"

export type { Worker, WorkerOutcome } from "../../../redis/test/utils/Workers.js"

export class SqlWorkerBundle extends Context.Tag("test/SqlWorkerBundle")<
  SqlWorkerBundle,
  { readonly path: string }
>() {}

const WORKER_SOURCE = fileURLToPath(new URL("../worker/tokenWorker.ts", import.meta.url))

/** Native addons (and pg's optional one) are imported by absolute path from where they are installed. */
const nativeOutside: Plugin = {
  name: "native-outside",
  setup(build) {
    build.onResolve({ filter: /^(better-sqlite3|pg-native)$/ }, async (args) => {
      if (args.pluginData === "native-outside") return undefined
      const resolved = await build.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: "native-outside"
      })
      return { path: resolved.errors.length === 0 ? resolved.path : args.path, external: true }
    })
  }
}

/** The test worker, bundled once for the Layer's life. */
export const bundleLayer: Layer.Layer<SqlWorkerBundle> = Layer.scoped(
  SqlWorkerBundle,
  Effect.map(bundle(WORKER_SOURCE, { plugins: [nativeOutside] }), (path) => ({ path }))
)

/** Starts a test worker with these settings. */
export const start = (env: Record<string, string>): Effect.Effect<Worker, never, SqlWorkerBundle | Scope.Scope> =>
  Effect.flatMap(SqlWorkerBundle, ({ path }) => run(path, env))
