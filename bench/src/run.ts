/**
 * `pnpm bench`: builds the benchmark programs, starts the loopback token server in its own process, runs every
 * measurement in fresh processes, and writes `bench/results.json` and the results section of `bench/README.md`.
 *
 * `pnpm bench --quick` runs fewer rounds (a smoke test of the harness, not a measurement).
 */
import * as esbuild from "esbuild"
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Zlib from "node:zlib"
import { benchDir, build, buildWhole, distDir } from "./build.js"
import type { AllocResult, CpuResult, MeasureConfig, Mode } from "./measure.js"

const quick = process.argv.includes("--quick")
const ROUNDS = quick ? 2 : 7
const CALLS = quick ? 500 : 2000
const WARM = quick ? 500 : 2000
const IN_FLIGHT = 64
const COLD_RUNS = quick ? 2 : 9

const coldPrograms = ["fetch", "oauth4webapi", "effect-schema", "ours-fetch", "ours-undici"] as const
const sizePrograms = ["oauth4webapi", "effect-schema", "ours-fetch"] as const

const log = (line: string) => process.stderr.write(`${line}\n`)

/** Runs `node args…` and resolves with its last stdout line, parsed. */
const runNode = <A>(args: ReadonlyArray<string>): Promise<A> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: benchDir, stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      out += chunk
    })
    child.on("error", reject)
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? ""
      if (code !== 0) reject(new Error(`node ${args.join(" ")} exited with ${code}`))
      else resolve(JSON.parse(last) as A)
    })
  })

const startServer = (): Promise<{ readonly child: ChildProcess; readonly baseUrl: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [Path.join(distDir, "server.js")], { stdio: ["ignore", "pipe", "inherit"] })
    child.stdout!.setEncoding("utf8")
    child.stdout!.once("data", (port: string) => resolve({ child, baseUrl: `http://127.0.0.1:${port.trim()}` }))
    child.on("error", reject)
  })

interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

const spread = (values: ReadonlyArray<number>): Spread => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

/** Per-round ratios of `id` to `reference` (same round, same mode), summarised. */
const ratios = (samples: CpuResult["samples"][Mode], id: string, reference: string, of: "cpu" | "wall"): Spread =>
  spread(samples[id]!.map((sample, round) => sample[of] / samples[reference]![round]![of]))

const measureThroughput = async (baseUrl: string) => {
  const config = (phase: MeasureConfig["phase"], rounds: number): string =>
    JSON.stringify({
      phase,
      base: baseUrl,
      rounds,
      calls: CALLS,
      warm: WARM,
      inFlight: IN_FLIGHT
    } satisfies MeasureConfig)
  log(`CPU and wall time: ${ROUNDS} interleaved rounds of ${CALLS} calls per client and mode`)
  const cpu = await runNode<CpuResult>(["--expose-gc", Path.join(distDir, "measure.js"), config("cpu", ROUNDS)])
  log("allocations (fixed 64 MB young generation)")
  const alloc = await runNode<AllocResult>([
    "--expose-gc",
    "--min-semi-space-size=64",
    "--max-semi-space-size=64",
    Path.join(distDir, "measure.js"),
    config("alloc", 1)
  ])
  const modes: ReadonlyArray<Mode> = ["sequential", "concurrent"]
  return Object.fromEntries(
    modes.map((mode) => [
      mode,
      Object.fromEntries(
        cpu.clients.map(({ id, label }) => [
          id,
          {
            label,
            cpuMicrosPerCall: spread(cpu.samples[mode][id]!.map((s) => s.cpu)),
            wallMicrosPerCall: spread(cpu.samples[mode][id]!.map((s) => s.wall)),
            cpuRatioToFloor: ratios(cpu.samples[mode], id, "node-http", "cpu"),
            cpuRatioToFetch: ratios(cpu.samples[mode], id, "fetch", "cpu"),
            wallRatioToFloor: ratios(cpu.samples[mode], id, "node-http", "wall"),
            allocatedBytesPerCall: spread(alloc.samples[mode][id]!).median
          }
        ])
      )
    ])
  ) as Record<Mode, Record<string, Row>>
}

interface Row {
  readonly label: string
  readonly cpuMicrosPerCall: Spread
  readonly wallMicrosPerCall: Spread
  readonly cpuRatioToFloor: Spread
  readonly cpuRatioToFetch: Spread
  readonly wallRatioToFloor: Spread
  readonly allocatedBytesPerCall: number
}

interface ColdRun {
  readonly importMs: number
  readonly firstTokenMs: number
  readonly sinceProcessStartMs: number
}

/** Where a cold-start program's packages come from: `node_modules` as installed, or inlined in one bundle. */
const coldVariants = [
  { name: "installed", dir: distDir },
  { name: "bundled", dir: Path.join(distDir, "bundled") }
] as const

/** Each program in a fresh process, the programs (and variants) alternating run by run. */
const measureColdStart = async (baseUrl: string) => {
  log(`cold start: ${COLD_RUNS} fresh processes per program and variant, alternating`)
  const cases = coldVariants.flatMap((variant) => coldPrograms.map((program) => ({ variant, program })))
  const runs = cases.map(() => [] as Array<ColdRun>)
  for (let i = 0; i < COLD_RUNS; i++) {
    const order = i % 2 === 0 ? cases.map((_, j) => j) : cases.map((_, j) => cases.length - 1 - j)
    for (const j of order) {
      const { program, variant } = cases[j]!
      const file = Path.join(variant.dir, "programs", `${program}.js`)
      runs[j]!.push(await runNode<ColdRun>([Path.join(distDir, "cold.js"), file, baseUrl]))
    }
  }
  return cases.map(({ program, variant }, j) => ({
    program,
    variant: variant.name,
    importMs: spread(runs[j]!.map((r) => r.importMs)),
    firstTokenMs: spread(runs[j]!.map((r) => r.firstTokenMs)),
    sinceProcessStartMs: spread(runs[j]!.map((r) => r.sinceProcessStartMs))
  }))
}

/** The minimal code-exchange programs bundled whole for the browser (the Fetch path), minified, then gzipped. */
const measureBundleSize = async () => {
  log("bundle size: esbuild, minified, gzip -9")
  const sizes: Record<string, { minifiedBytes: number; gzipBytes: number }> = {}
  for (const name of sizePrograms) {
    const result = await esbuild.build({
      entryPoints: [Path.join(benchDir, "src", "programs", `${name}.ts`)],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "warning"
    })
    const code = result.outputFiles[0]!.contents
    sizes[name] = { minifiedBytes: code.byteLength, gzipBytes: Zlib.gzipSync(code, { level: 9 }).byteLength }
  }
  return sizes
}

interface TokenManagerResult {
  readonly callers: number
  readonly refreshRequests: number
  readonly callersWithNewToken: number
  readonly concurrentMs: number
  readonly calls: number
  readonly cpuMicrosPerCall: number
  readonly wallMicrosPerCall: number
  readonly heapSamplesBytes: ReadonlyArray<number>
  readonly heapGrowthBytes: number
}

const machine = () => {
  const cpus = Os.cpus()
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(Os.totalmem() / 2 ** 30),
    os: `${Os.type()} ${Os.release()} ${Os.arch()}`,
    node: process.version,
    loadAverageAtStart: Os.loadavg().map((l) => Math.round(l * 100) / 100)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------------

const fixed = (n: number, digits = 2) => n.toFixed(digits)
const ratioCell = (s: Spread) => `**${fixed(s.median)}×** (${fixed(s.min)}–${fixed(s.max)})`
const kb = (bytes: number) => `${fixed(bytes / 1024, 1)} KB`

const throughputTable = (rows: Record<string, Row>, title: string): string => {
  const lines = [
    `**${title}**`,
    "",
    "| client | CPU µs/call | CPU ÷ node:http floor | CPU ÷ raw fetch | wall µs/call | wall ÷ floor | allocated/call |",
    "|---|---:|---:|---:|---:|---:|---:|"
  ]
  for (const row of Object.values(rows)) {
    lines.push(
      `| ${row.label} | ${fixed(row.cpuMicrosPerCall.median, 0)} | ${ratioCell(row.cpuRatioToFloor)} | ${ratioCell(
        row.cpuRatioToFetch
      )} | ${fixed(row.wallMicrosPerCall.median, 0)} | ${fixed(row.wallRatioToFloor.median)}× | ${kb(
        row.allocatedBytesPerCall
      )} |`
    )
  }
  return lines.join("\n")
}

interface Target {
  readonly name: string
  readonly measured: number
  readonly limit: string
  readonly met: boolean
}

const targetsOf = (throughput: Record<Mode, Record<string, Row>>): ReadonlyArray<Target> =>
  (["sequential", "concurrent"] as const).flatMap((mode) => {
    const rows = throughput[mode]
    const modeName = mode === "sequential" ? "sequential" : `${IN_FLIGHT} in flight`
    const undici = rows["ours-undici"]!.cpuRatioToFloor.median
    const fetch = rows["ours-fetch"]!.cpuRatioToFetch.median
    const cheaper = rows["oauth4webapi"]!.cpuRatioToFloor.median / undici
    return [
      {
        name: `default Node transport (undici), CPU ÷ node:http floor, ${modeName}`,
        measured: undici,
        limit: "≤ 2.5×",
        met: undici <= 2.5
      },
      { name: `Fetch transport, CPU ÷ raw fetch, ${modeName}`, measured: fetch, limit: "≤ 1.2×", met: fetch <= 1.2 },
      {
        name: `oauth4webapi CPU ÷ ours (default Node transport), ${modeName}`,
        measured: cheaper,
        limit: "≥ 1.6×",
        met: cheaper >= 1.6
      }
    ]
  })

const report = (results: {
  readonly date: string
  readonly machine: ReturnType<typeof machine>
  readonly throughput: Record<Mode, Record<string, Row>>
  readonly targets: ReadonlyArray<Target>
  readonly coldStart: Awaited<ReturnType<typeof measureColdStart>>
  readonly bundleSize: Awaited<ReturnType<typeof measureBundleSize>>
  readonly tokenManager: TokenManagerResult
}): string => {
  const m = results.machine
  const tm = results.tokenManager
  const heapMiB = tm.heapSamplesBytes.map((b) => fixed(b / 2 ** 20, 1)).join(", ")
  return [
    `Measured ${results.date} on ${m.cpu} (${m.cores} cores, shared with other work; load average ${m.loadAverageAtStart.join(
      " / "
    )} at the start), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. ${ROUNDS} rounds of ${CALLS} timed calls per client and mode${
      quick ? " (**--quick**: a smoke run, not a measurement)" : ""
    }. Ratios are medians of per-round ratios (range in brackets).`,
    "",
    "### Targets",
    "",
    "| target | measured | limit | met |",
    "|---|---:|---:|:---:|",
    ...results.targets.map((t) => `| ${t.name} | ${fixed(t.measured)}× | ${t.limit} | ${t.met ? "yes" : "**no**"} |`),
    "",
    "### Token exchange: CPU, wall time and allocations per call",
    "",
    throughputTable(results.throughput.sequential, "Sequential (one call at a time)"),
    "",
    throughputTable(results.throughput.concurrent, `${IN_FLIGHT} in flight`),
    "",
    "### Cold start: import to first token in a fresh process (median of " + COLD_RUNS + " runs, ms)",
    "",
    "| program | packages | import | import → first token | process start → first token |",
    "|---|---|---:|---:|---:|",
    ...results.coldStart.map(
      (c) =>
        `| ${c.program} | ${c.variant} | ${fixed(c.importMs.median, 1)} | ${fixed(c.firstTokenMs.median, 1)} | ${fixed(
          c.sinceProcessStartMs.median,
          1
        )} |`
    ),
    "",
    "### Bundle size: a program that only exchanges a code (esbuild, browser, minified)",
    "",
    "| program | minified | gzip -9 |",
    "|---|---:|---:|",
    ...Object.entries(results.bundleSize).map(
      ([name, s]) => `| ${name} | ${kb(s.minifiedBytes)} | ${kb(s.gzipBytes)} |`
    ),
    "",
    "### Token manager under load",
    "",
    `- ${tm.callers.toLocaleString("en")} concurrent callers on an expired token: **${tm.refreshRequests}** refresh request(s) reached the server; ${tm.callersWithNewToken.toLocaleString("en")} callers got the new token; ${fixed(
      tm.concurrentMs,
      0
    )} ms in all.`,
    `- ${tm.calls.toLocaleString("en")} sequential \`accessToken\` calls: ${fixed(tm.cpuMicrosPerCall)} µs CPU and ${fixed(
      tm.wallMicrosPerCall
    )} µs wall per call; used heap after a full GC every 100,000 calls: ${heapMiB} MiB (growth from the first 100,000 to the end: ${kb(
      tm.heapGrowthBytes
    )}).`
  ].join("\n")
}

const writeReadme = (section: string) => {
  const file = Path.join(benchDir, "README.md")
  const start = "<!-- results:start -->"
  const end = "<!-- results:end -->"
  const text = Fs.readFileSync(file, "utf8")
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${file} lacks the ${start} … ${end} markers`)
  Fs.writeFileSync(file, `${text.slice(0, from + start.length)}\n${section}\n${text.slice(to)}`)
}

const main = async () => {
  const started = Date.now()
  const date = new Date().toISOString().slice(0, 10)
  const host = machine()
  log("building bench/dist")
  await build([
    "server.ts",
    "measure.ts",
    "cold.ts",
    "tokenManager.ts",
    ...coldPrograms.map((name) => `programs/${name}.ts`)
  ])
  await buildWhole(coldPrograms.map((name) => `programs/${name}.ts`))
  const { baseUrl, child } = await startServer()
  try {
    const throughput = await measureThroughput(baseUrl)
    const coldStart = await measureColdStart(baseUrl)
    const bundleSize = await measureBundleSize()
    log("token manager: 10,000 concurrent callers, then 1,000,000 calls")
    const tokenManager = await runNode<TokenManagerResult>([
      "--expose-gc",
      Path.join(distDir, "tokenManager.js"),
      baseUrl
    ])
    const results = {
      date,
      machine: host,
      config: { rounds: ROUNDS, calls: CALLS, warm: WARM, inFlight: IN_FLIGHT, coldRuns: COLD_RUNS, quick },
      targets: targetsOf(throughput),
      throughput,
      coldStart,
      bundleSize,
      tokenManager,
      durationSeconds: Math.round((Date.now() - started) / 1000)
    }
    Fs.writeFileSync(Path.join(benchDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`)
    writeReadme(report(results))
    log(`done in ${results.durationSeconds} s: bench/results.json, bench/README.md`)
    for (const t of results.targets)
      log(`  ${t.met ? "met    " : "NOT MET"} ${t.name}: ${fixed(t.measured)}× (${t.limit})`)
  } finally {
    child.kill()
  }
}

main().catch((error) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exit(1)
})
