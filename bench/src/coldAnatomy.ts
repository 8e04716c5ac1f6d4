/**
 * What our share of a bundled cold start is made of: `pnpm tsx bench/src/coldAnatomy.ts [--runs=N]` (default 21).
 *
 * Ours over Fetch and the Effect floor are bundled whole, not minified, as `pnpm bench --cold` bundles them. Our
 * code — everything in ours's bundle from our first module on (two small Effect modules only we use among it; the
 * rest of the Effect only we use, earlier in the bundle, stays where it is) — is then put in four places, and
 * import → first token is timed for each, in fresh processes, the variants alternating run by run:
 * - `ours`: where the bundler put it, at the module's top level.
 * - `floor + ours, never compiled`: appended to the floor inside a function nothing calls (V8 only pre-parses it).
 * - `floor + ours, compiled, never run`: appended to the floor's top level inside an `if` never taken (compiled with
 *   the module's top level, never run).
 * - `ours, compiled on first use`: inside a function the program's first `run` calls.
 *
 * The ratios are each run's time ÷ the floor's in the same run (min–median–max). Then, for the floor and ours, the
 * source a code exchange runs: V8's own account (`node --log-function-events`, its `first-execution` lines), the
 * bytes of the functions run at least once (nested ones counted once), by package, and ours by module.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { build, bundleWholeText, distDir } from "./build.js"
import { packageOf } from "./coldStart.js"
import { log, runNode, startServer } from "./process.js"
import { ratioSpread, type Spread, spread } from "./stats.js"

const runs = Number(process.argv.find((arg) => arg.startsWith("--runs="))?.slice("--runs=".length) ?? 21)
const outDir = Path.join(distDir, "cold-anatomy")

/** ours's bundle: what comes before our first module, our code, and the name its `run` is exported from. */
const split = (text: string) => {
  const start = text.search(/^\/\/ (?:\.\.\/)*packages\//m)
  const exported = /^export \{\s*(\S+) as run\s*\};?\s*$/m.exec(text)
  if (start < 0 || exported === null) throw new Error("ours's bundle: no module of ours, or no `run` export")
  return { before: text.slice(0, start), ours: text.slice(start, exported.index), run: exported[1]! }
}

const variantsOf = (floor: string, text: string): Record<string, string> => {
  const { before, ours, run } = split(text)
  return {
    floor,
    ours: text,
    "floor + ours, never compiled": `${floor}\nfunction __neverCalled() {\n${ours}\n}\n`,
    "floor + ours, compiled, never run": `${floor}\nif (globalThis.__never === true) {\n${ours}\n}\n`,
    "ours, compiled on first use": [
      before,
      `const __ours = () => {\n${ours}\nreturn ${run};\n};`,
      "let __run;",
      "const __firstUse = (baseUrl) => (__run ??= __ours())(baseUrl);",
      "export { __firstUse as run };"
    ].join("\n")
  }
}

interface ColdRun {
  readonly importMs: number
  readonly firstTokenMs: number
  readonly firstTokenCpuMs: number
}

const row = (name: string, bytes: number, samples: ReadonlyArray<ColdRun>, floor: ReadonlyArray<ColdRun>) => {
  const ms = (s: Spread) => s.median.toFixed(1)
  const ratio = (s: Spread) => `${s.min.toFixed(2)}–**${s.median.toFixed(2)}**–${s.max.toFixed(2)}×`
  const of = (pick: (run: ColdRun) => number) => ratioSpread(samples.map(pick), floor.map(pick))
  return `| ${name} | ${(bytes / 1024).toFixed(0)} KB | ${ms(spread(samples.map((r) => r.importMs)))} | ${ms(spread(samples.map((r) => r.firstTokenMs)))} | ${ratio(of((r) => r.firstTokenMs))} | ${ratio(of((r) => r.firstTokenCpuMs))} |`
}

/** The module a position of a bundle falls in, from esbuild's `// path` line before each module. */
const modulesOf = (text: string) => {
  const starts = [...text.matchAll(/^\/\/ (\S+\.(?:m?js|ts))$/gm)].map((m) => ({ at: m.index, module: m[1]! }))
  return (position: number): string => {
    let module = "(the bundle's first lines)"
    for (const start of starts) if (start.at <= position) module = start.module
    return module
  }
}

/** The package of a module, ours (`@ultracart-oauth/…`) as one. */
const packageOrOurs = (module: string): string => {
  const name = packageOf(module)
  return name.startsWith("@ultracart-oauth/") ? "ours" : name
}

/** Bytes of source run (functions run at least once; nested ones counted once), by module. */
const sourceRun = (file: string, text: string, baseUrl: string): Record<string, number> => {
  const logFile = Path.join(Os.tmpdir(), `cold-anatomy-${process.pid}.log`)
  execFileSync(process.execPath, [
    "--log-function-events",
    `--logfile=${logFile}`,
    "--no-logfile-per-isolate",
    Path.join(distDir, "cold.js"),
    file,
    baseUrl
  ])
  const lines = Fs.readFileSync(logFile, "utf8").split("\n")
  Fs.rmSync(logFile)
  const script = lines.find((line) => line.startsWith("script-details,") && line.includes(`file://${file},`))
  const id = script?.split(",")[1]
  // The module's own top level spans the whole file: only the functions in it are counted.
  const ranges = lines
    .filter((line) => line.startsWith(`function,first-execution,${id},`))
    .map((line) => line.split(",").slice(3, 5).map(Number) as [number, number])
    .filter(([start, end]) => start > 0 && end - start < text.length / 2)
    .sort((a, b) => a[0] - b[0])
  const moduleAt = modulesOf(text)
  const bytes: Record<string, number> = {}
  let covered = 0
  for (const [start, end] of ranges) {
    const from = Math.max(start, covered)
    if (end > from) bytes[moduleAt(from)] = (bytes[moduleAt(from)] ?? 0) + end - from
    covered = Math.max(covered, end)
  }
  return bytes
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`

const byPackage = (byModule: Record<string, number>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const [module, n] of Object.entries(byModule)) out[packageOrOurs(module)] = (out[packageOrOurs(module)] ?? 0) + n
  return out
}

const runTable = (runs: ReadonlyArray<{ readonly name: string; readonly bytes: Record<string, number> }>) => {
  const packages = runs.map((run) => byPackage(run.bytes))
  const names = [...new Set(packages.flatMap(Object.keys))].sort()
  return [
    `| source run by a code exchange | ${names.join(" | ")} | all |`,
    `|---|${names.map(() => "---:|").join("")}---:|`,
    ...runs.map(
      ({ name }, i) =>
        `| ${name} | ${names.map((n) => kb(packages[i]![n] ?? 0)).join(" | ")} | ${kb(Object.values(packages[i]!).reduce((a, b) => a + b, 0))} |`
    )
  ].join("\n")
}

/** Our modules in what a run ran, largest first (a class counts whole once constructed). */
const oursRun = (bytes: Record<string, number>): string =>
  Object.entries(bytes)
    .filter(([module]) => packageOrOurs(module) === "ours")
    .sort((a, b) => b[1] - a[1])
    .map(([module, n]) => `${module.replace(/^(?:\.\.\/)*packages\//, "")} ${kb(n)}`)
    .join(", ")

const main = async () => {
  log("building bench/dist (the server, the cold-start runner) and the variants")
  await build(["server.ts", "cold.ts"])
  const variants = variantsOf(await bundleWholeText("effect-schema"), await bundleWholeText("ours-fetch"))
  Fs.mkdirSync(outDir, { recursive: true })
  const files = Object.entries(variants).map(([name, text], i) => {
    const file = Path.join(outDir, `variant-${i}.js`)
    Fs.writeFileSync(file, text)
    return { name, file, text, bytes: Buffer.byteLength(text) }
  })
  const server = await startServer()
  try {
    log(`${runs} fresh processes per variant, alternating`)
    const samples = files.map(() => [] as Array<ColdRun>)
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? files.map((_, j) => j) : files.map((_, j) => files.length - 1 - j)
      for (const j of order)
        samples[j]!.push(await runNode<ColdRun>([Path.join(distDir, "cold.js"), files[j]!.file, server.baseUrl]))
    }
    process.stdout.write(
      "| variant | bundle | import (ms) | import → first token (ms) | ÷ floor | CPU ÷ floor |\n|---|---:|---:|---:|---:|---:|\n"
    )
    for (const [j, { name, bytes }] of files.entries())
      process.stdout.write(`${row(name, bytes, samples[j]!, samples[0]!)}\n`)
    const [floor, ours] = files.slice(0, 2).map(({ file, name, text }) => ({
      name,
      bytes: sourceRun(file, text, server.baseUrl)
    }))
    process.stdout.write(`\n${runTable([floor!, ours!])}\n\nOurs, by module: ${oursRun(ours!.bytes)}\n`)
  } finally {
    server.child.kill()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
