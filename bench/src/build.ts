/**
 * Bundles the benchmark programs into `bench/dist` with esbuild: our TypeScript packages are bundled (as a
 * published build would be), third-party packages stay external and load from `node_modules` as installed.
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

export const benchDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
export const distDir = Path.join(benchDir, "dist")

/** Third-party packages: left to Node's resolution, as they would be in an application. */
export const thirdParty = ["effect", "@effect/*", "undici", "oauth4webapi", "simple-oauth2"]

export const build = async (entries: ReadonlyArray<string>): Promise<void> => {
  await esbuild.build({
    entryPoints: entries.map((entry) => Path.join(benchDir, "src", entry)),
    outdir: distDir,
    outbase: Path.join(benchDir, "src"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: thirdParty,
    logLevel: "warning"
  })
}

/**
 * Bundles programs whole (every package inlined, as a serverless deployment would), into `bench/dist/bundled`.
 * CommonJS packages (undici) call `require`, which an ES module must be given.
 */
export const buildWhole = async (entries: ReadonlyArray<string>): Promise<void> => {
  await esbuild.build({
    entryPoints: entries.map((entry) => Path.join(benchDir, "src", entry)),
    outdir: Path.join(distDir, "bundled"),
    outbase: Path.join(benchDir, "src"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
    },
    logLevel: "warning"
  })
}
