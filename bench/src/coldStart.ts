/**
 * Cold start and bundle size.
 *
 * - Cold start: a fresh `node` process per run imports a program dynamically (nothing of it loads before the clock
 *   starts) and exchanges one code — import → first token — with the packages as installed (`node_modules`),
 *   bundled whole into one file (as a serverless deployment ships), and bundled whole and minified. The programs
 *   and variants alternate run by run; each of ours is compared with the Effect floor over the same HTTP stack in
 *   the same run.
 * - Bundle size: the minimal code-exchange programs bundled whole for the browser (the Fetch path), minified, then
 *   gzipped; and, for ours and the Effect floor, which packages the bytes come from (esbuild's metafile).
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"
import * as Zlib from "node:zlib"
import { benchDir, distDir } from "./build.js"
import { log, runNode } from "./process.js"
import { type Spread, ratioSpread, spread } from "./stats.js"

export const coldPrograms = [
  "fetch",
  "oauth4webapi",
  "effect-schema",
  "ours-fetch",
  "effect-schema-undici",
  "ours-undici"
] as const
type ColdProgram = (typeof coldPrograms)[number]

/** Each of ours and the Effect floor it is compared with. */
export const coldFloors: ReadonlyArray<readonly [ColdProgram, ColdProgram]> = [
  ["ours-fetch", "effect-schema"],
  ["ours-undici", "effect-schema-undici"]
]

const sizePrograms = ["oauth4webapi", "effect-schema", "ours-fetch"] as const

interface ColdRun {
  readonly importMs: number
  readonly importCpuMs: number
  readonly firstTokenMs: number
  readonly firstTokenCpuMs: number
  readonly sinceProcessStartMs: number
}

export interface ColdResult {
  readonly program: string
  readonly variant: "installed" | "bundled" | "minified"
  readonly importMs: Spread
  readonly importCpuMs: Spread
  readonly firstTokenMs: Spread
  readonly firstTokenCpuMs: Spread
  readonly sinceProcessStartMs: Spread
  /** import → first token ÷ the Effect floor's, run by run (ours only), in wall time and in CPU. */
  readonly ratioToFloor?: { readonly floor: string; readonly ratio: Spread; readonly cpuRatio: Spread } | undefined
}

const variants = [
  { name: "installed", dir: distDir },
  { name: "bundled", dir: Path.join(distDir, "bundled") },
  { name: "minified", dir: Path.join(distDir, "minified") }
] as const

/**
 * `bundledOnly`: only the bundled variant (a smoke run: importing installed Effect costs seconds of CPU).
 * `only`: these programs only (each of ours with its Effect floor); all when absent.
 */
export const measureColdStart = async (
  baseUrl: string,
  runs: number,
  bundledOnly = false,
  only?: ReadonlyArray<string>
): Promise<ReadonlyArray<ColdResult>> => {
  log(`cold start: ${runs} fresh processes per program and variant, alternating`)
  const floorsOf = (program: string) => coldFloors.filter(([ours]) => ours === program).map(([, floor]) => floor)
  const programs = coldPrograms.filter(
    (program) => only === undefined || only.includes(program) || only.flatMap(floorsOf).includes(program)
  )
  const cases = variants
    .filter((variant) => !bundledOnly || variant.name === "bundled")
    .flatMap((variant) => programs.map((program) => ({ variant, program })))
  const samples = cases.map(() => [] as Array<ColdRun>)
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? cases.map((_, j) => j) : cases.map((_, j) => cases.length - 1 - j)
    for (const j of order) {
      const { program, variant } = cases[j]!
      const file = Path.join(variant.dir, "programs", `${program}.js`)
      samples[j]!.push(await runNode<ColdRun>([Path.join(distDir, "cold.js"), file, baseUrl]))
    }
  }
  const indexOf = (program: string, variant: string) =>
    cases.findIndex((c) => c.program === program && c.variant.name === variant)
  return cases.map(({ program, variant }, j) => {
    const floor = coldFloors.find(([ours]) => ours === program)?.[1]
    const floorRuns = floor === undefined ? undefined : samples[indexOf(floor, variant.name)]!
    return {
      program,
      variant: variant.name,
      importMs: spread(samples[j]!.map((r) => r.importMs)),
      importCpuMs: spread(samples[j]!.map((r) => r.importCpuMs)),
      firstTokenMs: spread(samples[j]!.map((r) => r.firstTokenMs)),
      firstTokenCpuMs: spread(samples[j]!.map((r) => r.firstTokenCpuMs)),
      sinceProcessStartMs: spread(samples[j]!.map((r) => r.sinceProcessStartMs)),
      ratioToFloor:
        floor === undefined || floorRuns === undefined
          ? undefined
          : {
              floor,
              ratio: ratioSpread(
                samples[j]!.map((r) => r.firstTokenMs),
                floorRuns.map((r) => r.firstTokenMs)
              ),
              cpuRatio: ratioSpread(
                samples[j]!.map((r) => r.firstTokenCpuMs),
                floorRuns.map((r) => r.firstTokenCpuMs)
              )
            }
    }
  })
}

export interface BundleSize {
  readonly minifiedBytes: number
  readonly gzipBytes: number
  /** Bytes of the minified output by package (`effect`, `@effect/platform`, `@ultracart-oauth/core`…). */
  readonly byPackage: Record<string, number>
}

/** `node_modules/.pnpm/…/node_modules/effect/dist/…` and `../packages/core/src/…` → the package's name. */
export const packageOf = (input: string): string => {
  const workspace = /(?:^|\/)packages\/([^/]+)\//.exec(input)
  if (workspace !== null) return `@ultracart-oauth/${workspace[1]}`
  const installed = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)
  return installed !== null ? installed[1]! : "(the program)"
}

export const measureBundleSize = async (): Promise<Record<string, BundleSize>> => {
  log("bundle size: esbuild, minified, gzip -9")
  const sizes: Record<string, BundleSize> = {}
  for (const name of sizePrograms) {
    const result = await esbuild.build({
      entryPoints: [Path.join(benchDir, "src", "programs", `${name}.ts`)],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "warning"
    })
    const code = result.outputFiles[0]!.contents
    const byPackage: Record<string, number> = {}
    for (const output of Object.values(result.metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const name = packageOf(input)
        byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput
      }
    }
    sizes[name] = {
      minifiedBytes: code.byteLength,
      gzipBytes: Zlib.gzipSync(code, { level: 9 }).byteLength,
      byPackage
    }
  }
  return sizes
}
