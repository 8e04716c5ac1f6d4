/**
 * `pnpm bench`: builds the benchmark programs, starts the loopback server in its own process (once, for the whole
 * run), measures every client in a process of its own in interleaved rounds, then cold start, bundle size, the
 * token manager and the many-merchant registry; prints the results section of `bench/README.md` and writes it there
 * and in `bench/results.json`.
 *
 * - `pnpm bench --smoke`: every part once, at a tiny scale, in well under 30 s; writes nothing, asserts nothing
 *   about speed — it fails only when a client or a program fails (CI runs it so the harness cannot rot).
 * - `pnpm bench --report`: prints the results section from `bench/results.json` again and writes it into the README
 *   (after a change to the report's form; nothing is measured).
 * - `--only=id,id`: only these clients (see `catalog.ts`); `--rounds=N`: N rounds instead of 9. Either writes
 *   nothing.
 * - `--cold`: only the cold start (`coldStart.ts`), `--rounds=N` fresh processes per program and variant instead
 *   of 21, `--only=program,program` these programs only (each of ours with its Effect floor); writes nothing.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { benchDir, build, buildInstalled, buildWhole } from "./build.js"
import { coldPrograms, measureBundleSize, measureColdStart } from "./coldStart.js"
import { log, runNode, startServer } from "./process.js"
import type { RegistryResult, RegistryScale } from "./registries.js"
import { type Machine, type Results, report, writeReadme } from "./report.js"
import { measureRounds, selectClients } from "./rounds.js"
import { coldTargets, rowsOf, throughputTargets, tokenReadTarget } from "./summary.js"
import type { TokenManagerResult, TokenManagerScale } from "./tokenManager.js"
import { distDir } from "./build.js"
import { loadAverage } from "./load.js"
import { catalog } from "./catalog.js"

const args = process.argv.slice(2)
const smoke = args.includes("--smoke")
const coldOnly = args.includes("--cold")

const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)
const only = option("only")?.split(",")
const ROUNDS = smoke ? 1 : Number(option("rounds") ?? 9)
const CALLS = smoke ? 16 : 2000
const WARM = smoke ? 2 : 2000
const IN_FLIGHT = 64
// Fresh processes per cold-start program and variant: with 9, the median of the per-run ratios moved by about 0.1
// from one full run to the next (ours over Fetch, bundled: 1.14× in one, 1.19× in the next); the noise of a median
// falls with the square root of the runs.
const COLD_RUNS = smoke ? 1 : Number((coldOnly ? option("rounds") : undefined) ?? 21)
const TOKEN_MANAGER: Partial<TokenManagerScale> = smoke
  ? { callers: 100, reads: 1000, readRounds: 1, heapCalls: 1000 }
  : {}
const REGISTRY: Partial<RegistryScale> = smoke ? { known: 50, active: 10, lookups: 10 } : {}

const machine = (atStart: ReadonlyArray<number>): Machine => {
  const cpus = Os.cpus()
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(Os.totalmem() / 2 ** 30),
    os: `${Os.type()} ${Os.release()} ${Os.arch()}`,
    node: process.version,
    loadAverageAtStart: atStart,
    loadAverageAtEnd: loadAverage()
  }
}

const buildAll = async () => {
  log("building bench/dist")
  const programs = coldPrograms.map((name) => `programs/${name}.ts`)
  await build([
    "server.ts",
    "worker.ts",
    "cold.ts",
    "tokenManager.ts",
    "registries.ts",
    ...catalog.map((entry) => `clients/${entry.id}.ts`)
  ])
  await buildInstalled(programs)
  await buildWhole(programs)
}

const measureTokenManager = (baseUrl: string) => {
  log("token manager: concurrent callers on an expired token, cached reads, heap")
  return runNode<TokenManagerResult>([
    "--expose-gc",
    Path.join(distDir, "tokenManager.js"),
    baseUrl,
    JSON.stringify(TOKEN_MANAGER)
  ])
}

const measureRegistry = (baseUrl: string) => {
  log("many merchants: known and active grants, warm and cold lookups")
  return runNode<ReadonlyArray<RegistryResult>>([
    "--expose-gc",
    Path.join(distDir, "registries.js"),
    baseUrl,
    JSON.stringify(REGISTRY)
  ])
}

const main = async () => {
  const started = Date.now()
  const loadAtStart = loadAverage()
  await buildAll()
  const { baseUrl, child } = await startServer()
  try {
    const rounds = await measureRounds({
      base: baseUrl,
      rounds: ROUNDS,
      calls: CALLS,
      warm: WARM,
      inFlight: IN_FLIGHT,
      clients: coldOnly ? [] : selectClients(only),
      oneProcess: smoke,
      pids: [child.pid ?? 0]
    })
    // `--only` measures the named clients and nothing else; `--cold` the cold start and nothing else.
    const rest = only === undefined && !coldOnly
    const coldStart =
      rest || coldOnly ? await measureColdStart(baseUrl, COLD_RUNS, smoke, coldOnly ? only : undefined) : []
    const bundleSize = rest ? await measureBundleSize() : undefined
    const tokenManager = rest ? await measureTokenManager(baseUrl) : undefined
    const registry = rest ? await measureRegistry(baseUrl) : []
    const results: Results & { readonly durationSeconds: number } = {
      date: new Date().toISOString().slice(0, 10),
      command: `pnpm bench${args.length > 0 ? ` ${args.join(" ")}` : ""}`,
      machine: machine(loadAtStart),
      config: { rounds: ROUNDS, calls: CALLS, warm: WARM, inFlight: IN_FLIGHT, coldRuns: COLD_RUNS, smoke },
      load: rounds.load,
      targets: [
        ...throughputTargets(rounds, IN_FLIGHT),
        ...(tokenManager === undefined ? [] : [tokenReadTarget(tokenManager.cachedRead.tokensMicros)]),
        ...coldTargets(coldStart)
      ],
      throughput: rowsOf(rounds),
      coldStart,
      bundleSize,
      tokenManager,
      registry,
      durationSeconds: Math.round((Date.now() - started) / 1000)
    }
    const section = report(results)
    process.stdout.write(`${section}\n`)
    if (!smoke && !coldOnly && only === undefined && option("rounds") === undefined) {
      Fs.writeFileSync(Path.join(benchDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`)
      writeReadme(section)
      log(`done in ${results.durationSeconds} s: bench/results.json, bench/README.md`)
    } else log(`done in ${results.durationSeconds} s (nothing written)`)
  } finally {
    child.kill()
  }
}

const reportAgain = () => {
  const results = JSON.parse(Fs.readFileSync(Path.join(benchDir, "results.json"), "utf8")) as Results
  const section = report(results)
  process.stdout.write(`${section}\n`)
  writeReadme(section)
}

const run = args.includes("--report") ? Promise.resolve().then(reportAgain) : main()
run.catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exit(1)
})
