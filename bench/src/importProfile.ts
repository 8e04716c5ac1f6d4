/**
 * Where a program's import time goes, module by module: `pnpm tsx bench/src/importProfile.ts [program…] [--runs=N]`
 * (programs from `src/programs/`, default `effect-schema ours-fetch`).
 *
 * Each program is bundled whole (as in the cold-start measurement) with a timer call inserted where esbuild starts
 * each module's code; a fresh `node` imports it `runs` times (default 9). The time between two marks is the
 * evaluation of the module between them, including what it calls while loading (building a `Schema` class, the
 * first compilation of the functions that does). Prints the median per package and the slowest modules.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { bundleWholeText, distDir } from "./build.js"
import { spread } from "./stats.js"

const args = process.argv.slice(2)
const runs = Number(args.find((arg) => arg.startsWith("--runs="))?.slice("--runs=".length) ?? 9)
const programs = args.filter((arg) => !arg.startsWith("--"))
const outDir = Path.join(distDir, "import-profile")

const timer =
  "const __T = { module: undefined, at: 0, spent: {} };" +
  "const __mark = (module) => { const now = performance.now();" +
  " if (__T.module !== undefined) __T.spent[__T.module] = (__T.spent[__T.module] ?? 0) + now - __T.at;" +
  " __T.module = module; __T.at = now };" +
  "globalThis.__importProfile = __T.spent;"

/** `node_modules/.pnpm/effect@3.22.4/node_modules/effect/dist/esm/Schema.js` → `effect/dist/esm/Schema.js`. */
const shortName = (module: string) =>
  module.replace(/.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, "").replace(/^(?:\.\.\/)*packages\//, "ours: ")

const instrument = async (program: string): Promise<string> => {
  const text = await bundleWholeText(program, timer)
  const lines = text.split("\n").flatMap((line) => {
    const module = /^\/\/ (\S+\.(?:js|mjs|cjs|ts))$/.exec(line)?.[1]
    return module === undefined ? [line] : [`__mark(${JSON.stringify(shortName(module))});`, line]
  })
  const file = Path.join(outDir, `${program}.js`)
  Fs.mkdirSync(outDir, { recursive: true })
  Fs.writeFileSync(file, [...lines, "__mark(undefined);"].join("\n"))
  return file
}

const loader = `const file = process.argv[1]; await import(file); process.stdout.write(JSON.stringify(globalThis.__importProfile))`

const profile = (file: string): Record<string, number> =>
  JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", loader, file], { encoding: "utf8" }))

const packageOf = (module: string) =>
  module.startsWith("ours: ")
    ? `@ultracart-oauth/${module.slice("ours: ".length).split("/")[0]}`
    : (/^((?:@[^/]+\/)?[^/]+)\//.exec(module)?.[1] ?? module)

const main = async () => {
  for (const program of programs.length > 0 ? programs : ["effect-schema", "ours-fetch"]) {
    const file = await instrument(program)
    const samples = Array.from({ length: runs }, () => profile(file))
    const modules = [...new Set(samples.flatMap((sample) => Object.keys(sample)))]
    const median = Object.fromEntries(modules.map((m) => [m, spread(samples.map((s) => s[m] ?? 0)).median]))
    const byPackage: Record<string, number> = {}
    for (const [module, ms] of Object.entries(median))
      byPackage[packageOf(module)] = (byPackage[packageOf(module)] ?? 0) + ms
    const total = Object.values(median).reduce((a, b) => a + b, 0)
    process.stdout.write(`\n${program}: modules evaluated in ${total.toFixed(1)} ms (median of ${runs} imports)\n`)
    for (const [name, ms] of Object.entries(byPackage).sort((a, b) => b[1] - a[1]))
      process.stdout.write(`  ${ms.toFixed(1).padStart(7)} ms  ${name}\n`)
    process.stdout.write("  slowest modules:\n")
    for (const [name, ms] of Object.entries(median)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8))
      process.stdout.write(`  ${ms.toFixed(1).padStart(7)} ms  ${name}\n`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
