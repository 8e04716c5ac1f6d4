/**
 * Bundles the benchmark programs into `bench/dist` (git-ignored) with esbuild.
 *
 * - `build`: everything but the cold-start programs is bundled whole (every package inlined; modules shared by
 *   several entries in shared chunks), so that a measured process starts in a fraction of a second; what runs
 *   after the warm-up is the same code either way.
 * - `buildInstalled`: the cold-start programs with our TypeScript packages bundled (as a published build would be)
 *   and third-party packages left to Node's resolution from `node_modules`, as they load in an application.
 * - `buildWhole`: the cold-start programs bundled whole, as a serverless deployment ships them
 *   (`bench/dist/bundled`), and the same minified (`bench/dist/minified`).
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

export const benchDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
export const distDir = Path.join(benchDir, "dist")

/** Third-party packages: left to Node's resolution, as they would be in an application. */
export const thirdParty = ["effect", "@effect/*", "undici", "oauth4webapi", "simple-oauth2"]

/** CommonJS packages (undici, simple-oauth2) call `require`, which an ES module must be given. */
const requireShim =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'

/** What every bundle of the bench is built with. */
const common = { bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "warning" } as const

const bundle = (
  entries: ReadonlyArray<string>,
  outdir: string,
  external: ReadonlyArray<string>,
  options: { readonly splitting?: boolean; readonly minify?: boolean } = {}
) =>
  esbuild.build({
    entryPoints: entries.map((entry) => Path.join(benchDir, "src", entry)),
    outdir,
    outbase: Path.join(benchDir, "src"),
    ...common,
    external: [...external],
    splitting: options.splitting === true,
    minify: options.minify === true,
    chunkNames: "chunks/[name]-[hash]",
    banner: external.length === 0 ? { js: requireShim } : {}
  })

export const build = async (entries: ReadonlyArray<string>): Promise<void> => {
  // Modules shared by several entries go to chunks: written once, loaded only by the entries that use them.
  await bundle(entries, distDir, [], { splitting: true })
}

export const buildInstalled = async (entries: ReadonlyArray<string>): Promise<void> => {
  await bundle(entries, distDir, thirdParty)
}

export const buildWhole = async (entries: ReadonlyArray<string>): Promise<void> => {
  await bundle(entries, Path.join(distDir, "bundled"), [])
  await bundle(entries, Path.join(distDir, "minified"), [], { minify: true })
}

/**
 * One cold-start program (`src/programs/<program>.ts`) bundled whole, not minified, as `buildWhole` bundles it, and
 * returned as text; `banner` goes at the top, after the `require` shim.
 */
export const bundleWholeText = async (program: string, banner = ""): Promise<string> => {
  const result = await esbuild.build({
    entryPoints: [Path.join(benchDir, "src", "programs", `${program}.ts`)],
    ...common,
    write: false,
    banner: { js: `${requireShim}${banner}` }
  })
  return result.outputFiles[0]!.text
}
