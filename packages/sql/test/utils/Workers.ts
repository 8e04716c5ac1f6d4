/**
 * The SQL test worker, bundled once with esbuild and started as plain `node` processes (`Workers` of the tests'
 * support package). better-sqlite3 is a native addon: it stays outside the bundle, imported from where it is
 * installed.
 */
import * as Workers from "@ultracart-oauth/test-support/Workers"
import type { Layer } from "effect"
import type { Plugin } from "esbuild"

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
export const bundleLayer: Layer.Layer<Workers.WorkerBundle> = Workers.bundleLayer(
  new URL("../worker/tokenWorker.ts", import.meta.url),
  { plugins: [nativeOutside] }
)
