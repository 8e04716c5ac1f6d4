// The `ultracart-oauth` executable as one bundled program: esbuild bundles src/bin.ts with everything it imports
// (effect, @effect/cli, our packages — tree-shaken, so `effect/Schema`'s fast-check and @effect/cli's YAML/TOML
// parsers are left out) into dist/ultracart-oauth.mjs. Code loaded later is split into chunks beside it: the CLI
// itself (`--help` and `--version` answer without it) and the fake UltraCart of `fake-server` / `--fake`.
// The bundle imports nothing but Node's own modules, so it runs wherever it is copied with its chunks.
//
//   node scripts/bundle.mjs            a clean build (removes dist/ultracart-oauth.mjs and dist/chunks first)
//   ensureBundle() (bin/…mjs)          rebuilds only when a source is newer than the bundle
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const cli = join(dirname(fileURLToPath(import.meta.url)), "..")
const workspace = join(cli, "..", "..")
const dist = join(cli, "dist")

/** `ws` (in the fake server's HTTP server) tries these optional native speed-ups and goes on without them. */
const OPTIONAL = new Set(["bufferutil", "utf-8-validate"])

/** The bundle's entry: what `bin` runs. */
export const ENTRY = join(dist, "ultracart-oauth.mjs")

/** What the bundle is built from: our packages' sources, this script, and the lockfile (for dependency updates). */
const inputs = () => {
  const files = [fileURLToPath(import.meta.url), join(workspace, "pnpm-lock.yaml"), join(cli, "package.json")]
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else files.push(path)
    }
  }
  for (const name of ["cli", "core", "adapters", "testing"]) {
    const src = join(workspace, "packages", name, "src")
    if (existsSync(src)) walk(src)
  }
  return files
}

/** Whether the bundle is missing, or older than anything it is built from. */
export const isStale = () => {
  if (!existsSync(ENTRY)) return true
  const built = statSync(ENTRY).mtimeMs
  return inputs().some((file) => existsSync(file) && statSync(file).mtimeMs > built)
}

const packageOf = (input) => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/^.*node_modules\/\.pnpm\/[^/]+\//, ""))
  return match?.[1]
}

/** Per output file (relative to dist/): the bytes each package (or our own `packages/…`) contributes to it. */
const contents = (metafile) =>
  Object.fromEntries(
    Object.entries(metafile.outputs).map(([file, output]) => {
      const bytes = {}
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const name = packageOf(input) ?? input.split("/").slice(0, 2).join("/")
        if (bytesInOutput > 0) bytes[name] = (bytes[name] ?? 0) + bytesInOutput
      }
      return [relative(join(dist, "x"), join(workspace, file)).replace(/^\.\.\/[^/]+\//, ""), bytes]
    })
  )

/** The licence texts of the third-party packages whose code the bundle contains (MIT asks for their notices). */
const thirdPartyNotices = (metafile) => {
  const packages = new Map()
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input)
      if (name === undefined || bytesInOutput === 0 || packages.has(name)) continue
      const root = join(workspace, input.slice(0, input.lastIndexOf(`node_modules/${name}/`) + 13 + name.length))
      packages.set(name, root)
    }
  }
  return [...packages]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, root]) => {
      const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
      const licence = readdirSync(root).find((file) => /^licen[cs]e/i.test(file))
      const text = licence === undefined ? `License: ${manifest.license}` : readFileSync(join(root, licence), "utf8")
      return `${name}@${manifest.version}\n\n${text.trim()}\n`
    })
    .join(`\n${"-".repeat(78)}\n\n`)
}

/**
 * Builds the bundle. Written into a fresh directory first and moved into dist/ entry last, so that a process
 * starting meanwhile loads either the old bundle or the new one. `clean` removes the previous bundle and chunks
 * first (a running process may still want a chunk of the old one: on-demand rebuilds leave them).
 */
export const bundle = async ({ clean = false, quiet = false } = {}) => {
  const esbuild = await import("esbuild")
  const started = Date.now()
  const staging = join(dist, `.bundle-${process.pid}-${Date.now()}`)
  try {
    return await build(esbuild, staging, { clean, quiet, started })
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

const build = async (esbuild, staging, { clean, quiet, started }) => {
  const result = await esbuild.build({
    absWorkingDir: workspace,
    entryPoints: { "ultracart-oauth": join(cli, "src", "bin.ts") },
    outdir: staging,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    treeShaking: true,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    // A few CommonJS dependencies (ws) require Node's modules; ESM has no `require` of its own.
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' }
  })
  const external = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter(
      (i) => i.external && !builtinModules.includes(i.path.replace(/^node:/, "")) && !OPTIONAL.has(i.path)
    )
  )
  if (external.length > 0) {
    throw new Error(`the bundle imports packages it should contain: ${external.map((i) => i.path).join(", ")}`)
  }
  if (clean) {
    rmSync(ENTRY, { force: true })
    rmSync(join(dist, "chunks"), { recursive: true, force: true })
  }
  mkdirSync(join(dist, "chunks"), { recursive: true })
  for (const chunk of readdirSync(join(staging, "chunks"))) {
    renameSync(join(staging, "chunks", chunk), join(dist, "chunks", chunk))
  }
  writeFileSync(join(staging, "THIRD_PARTY_LICENSES.txt"), thirdPartyNotices(result.metafile))
  // What went into each file, by package (for the tests, and for anyone asking what the executable loads).
  mkdirSync(join(cli, "build"), { recursive: true })
  writeFileSync(join(cli, "build", "bundle-inputs.json"), `${JSON.stringify(contents(result.metafile), null, 2)}\n`)
  renameSync(join(staging, "THIRD_PARTY_LICENSES.txt"), join(dist, "THIRD_PARTY_LICENSES.txt"))
  renameSync(join(staging, "ultracart-oauth.mjs"), ENTRY)
  if (!quiet) {
    const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0)
    console.log(
      `bundle: ${relative(workspace, ENTRY)} and ${Object.keys(result.metafile.outputs).length - 1} chunks, ` +
        `${(bytes / 1024).toFixed(0)} KB, in ${((Date.now() - started) / 1000).toFixed(1)}s`
    )
  }
  return result.metafile
}

/** Builds the bundle if it is missing or stale. */
export const ensureBundle = async () => {
  if (isStale()) await bundle({ quiet: true })
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle({ clean: true })
}
