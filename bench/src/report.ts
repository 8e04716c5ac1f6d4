/** The results section of `bench/README.md`, printed by `pnpm bench` and written between its markers. */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { benchDir } from "./build.js"
import { references } from "./catalog.js"
import type { BundleSize, ColdResult } from "./coldStart.js"
import type { RoundLoad } from "./rounds.js"
import type { RegistryResult } from "./registries.js"
import type { Spread } from "./stats.js"
import type { Row, Target } from "./summary.js"
import type { TokenManagerResult } from "./tokenManager.js"

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly os: string
  readonly node: string
  readonly loadAverageAtStart: ReadonlyArray<number>
  readonly loadAverageAtEnd: ReadonlyArray<number>
}

export interface Results {
  readonly date: string
  readonly command: string
  readonly machine: Machine
  readonly config: {
    readonly rounds: number
    readonly calls: number
    readonly warm: number
    readonly inFlight: number
    readonly coldRuns: number
    readonly smoke: boolean
  }
  readonly load: ReadonlyArray<RoundLoad>
  readonly targets: ReadonlyArray<Target>
  readonly throughput: { readonly sequential: ReadonlyArray<Row>; readonly concurrent: ReadonlyArray<Row> }
  readonly coldStart: ReadonlyArray<ColdResult>
  readonly bundleSize: Record<string, BundleSize> | undefined
  readonly tokenManager: TokenManagerResult | undefined
  readonly registry: ReadonlyArray<RegistryResult>
}

const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "–")
const range = (s: Spread, digits = 2) =>
  `${fixed(s.min, digits)}–**${fixed(s.median, digits)}**–${fixed(s.max, digits)}`
const kb = (bytes: number | undefined) => (bytes === undefined ? "–" : `${fixed(bytes / 1024, 1)} KB`)
const bold = (row: Row, text: string) => (row.production ? `**${text}**` : text)

const refLabels: Record<string, string> = {
  "node-http": "÷ node:http floor",
  undici: "÷ undici floor",
  fetch: "÷ raw fetch",
  "api-bare": "÷ bare transport call",
  "api-undici": "÷ undici floor"
}

const table = (rows: ReadonlyArray<Row>, refs: ReadonlyArray<string>, wallOf: string): string => {
  const head = [
    "client",
    "CPU µs/call",
    ...refs.map((ref) => `CPU ${refLabels[ref]}`),
    "wall µs/call",
    `wall ${wallOf}`
  ]
  const lines = [
    `| ${[...head, "allocated/call"].join(" | ")} |`,
    `|---|${head
      .slice(1)
      .map(() => "---:|")
      .join("")}---:|`
  ]
  for (const row of rows) {
    const cells = [
      bold(row, row.label),
      fixed(row.cpuMicrosPerCall.median, 0),
      ...refs.map((ref) => (row.cpuRatios[ref] === undefined ? "–" : range(row.cpuRatios[ref]))),
      fixed(row.wallMicrosPerCall.median, 0),
      `${fixed(row.wallRatio.median)}×`,
      kb(row.allocatedBytesPerCall)
    ]
    lines.push(`| ${cells.join(" | ")} |`)
  }
  return lines.join("\n")
}

const loadLine = (r: Results): string => {
  const m = r.machine
  const others = r.load.map((l) => l.othersBusyCores).filter((c): c is number => c !== undefined)
  const othersText =
    others.length === 0
      ? ""
      : `; during the rounds, other processes kept ${fixed(Math.min(...others))}–${fixed(
          others.slice().sort((a, b) => a - b)[others.length >> 1]!
        )}–${fixed(Math.max(...others))} (min–median–max per round) of the ${m.cores} cores busy`
  return (
    `The machine is shared with other work: load average ${m.loadAverageAtStart.join(" / ")} at the start, ` +
    `${m.loadAverageAtEnd.join(" / ")} at the end${othersText}.`
  )
}

const targetsTable = (targets: ReadonlyArray<Target>): string =>
  [
    "| target | min–**median**–max | limit | met (median) |",
    "|---|---:|---:|:---:|",
    ...targets.map(
      (t) =>
        `| ${t.name} | ${range(t.measured)}${t.unit === "×" ? "×" : " µs"} | ≤ ${fixed(t.limit)}${t.unit === "×" ? "×" : " µs"} | ${
          t.met ? "yes" : "**no**"
        } |`
    )
  ].join("\n")

const coldTable = (cold: ReadonlyArray<ColdResult>): string =>
  [
    "| program | packages | import | import → first token | ÷ Effect floor | CPU: import | CPU: import → first token | ÷ Effect floor | process start → first token |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ...cold.map((c) => {
      const floor = c.ratioToFloor
      const cells = [
        c.program,
        c.variant,
        fixed(c.importMs.median, 1),
        fixed(c.firstTokenMs.median, 1),
        floor === undefined ? "" : `${range(floor.ratio)}× (${floor.floor})`,
        fixed(c.importCpuMs.median, 1),
        fixed(c.firstTokenCpuMs.median, 1),
        floor === undefined ? "" : `${range(floor.cpuRatio)}×`,
        fixed(c.sinceProcessStartMs.median, 1)
      ]
      return `| ${cells.join(" | ")} |`
    })
  ].join("\n")

const bundleTable = (sizes: Record<string, BundleSize>): string => {
  const packages = [...new Set(Object.values(sizes).flatMap((s) => Object.keys(s.byPackage)))].sort()
  return [
    `| program | minified | gzip -9 | ${packages.join(" | ")} |`,
    `|---|---:|---:|${packages.map(() => "---:|").join("")}`,
    ...Object.entries(sizes).map(
      ([name, s]) =>
        `| ${name} | ${kb(s.minifiedBytes)} | ${kb(s.gzipBytes)} | ${packages.map((p) => kb(s.byPackage[p])).join(" | ")} |`
    )
  ].join("\n")
}

const tokenManagerLines = (tm: TokenManagerResult): ReadonlyArray<string> => {
  const heapMiB = tm.heap.heapSamplesBytes.map((b) => fixed(b / 2 ** 20, 1)).join(", ")
  const read = tm.cachedRead
  return [
    `- A cached token read on a warm manager (${read.rounds} interleaved rounds of ${read.reads.toLocaleString("en")} reads in one fiber, each read one \`flatMap\` step): \`tokens\` ${range(read.tokensMicros, 3)} µs CPU, \`accessToken\` ${range(read.accessTokenMicros, 3)} µs; the same loop over \`Effect.succeed\` (the loop's own cost, in both) ${range(read.loopMicros, 3)} µs.`,
    `- ${tm.callers.toLocaleString("en")} concurrent callers on an expired token: **${tm.refreshRequests}** refresh request(s) reached the server; ${tm.callersWithNewToken.toLocaleString("en")} callers got the new token; ${fixed(tm.concurrentMs, 0)} ms in all.`,
    `- ${tm.heap.calls.toLocaleString("en")} sequential \`accessToken\` calls: used heap after a full GC every tenth of them: ${heapMiB} MiB (growth from the first tenth to the end: ${kb(tm.heap.heapGrowthBytes)}).`
  ]
}

const registryTable = (registry: ReadonlyArray<RegistryResult>): string =>
  [
    "| registry | known / active grants | memory per known grant | memory per active grant | token lookup, warm merchant | token lookup, cold merchant |",
    "|---|---:|---:|---:|---:|---:|",
    ...registry.map(
      (r) =>
        `| ${r.label} | ${r.known.toLocaleString("en")} / ${r.active.toLocaleString("en")} | ${kb(r.bytesPerKnownGrant)} | ${kb(
          r.bytesPerActiveGrant
        )} | ${range(r.warmLookupMicros, 1)} µs | ${range(r.coldLookupMicros, 1)} µs |`
    )
  ].join("\n")

/** The two tables (sequential, in flight) of a group of clients; nothing when none of them was measured. */
const groupSection = (
  r: Results,
  group: Row["group"],
  title: string,
  sequentialTitle: string,
  wallOf: string
): ReadonlyArray<string> => {
  const of = (rows: ReadonlyArray<Row>) => rows.filter((row) => row.group === group)
  if (of(r.throughput.sequential).length === 0) return []
  return [
    title,
    "",
    `**${sequentialTitle}**`,
    "",
    table(of(r.throughput.sequential), references[group], wallOf),
    "",
    `**${r.config.inFlight} in flight**`,
    "",
    table(of(r.throughput.concurrent), references[group], wallOf),
    ""
  ]
}

export const report = (r: Results): string => {
  const m = r.machine
  const c = r.config
  return [
    `Measured ${r.date} with \`${r.command}\` on ${m.cpu} (${m.cores} cores), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}.`,
    loadLine(r),
    c.smoke
      ? `**--smoke**: a check that the harness runs (every client in one process, ${c.calls} calls each); the numbers mean nothing.`
      : `${c.rounds} interleaved rounds of ${c.calls} timed calls per client and mode (after ${c.warm} untimed); each client in a fresh process of its own every round, the server in another, started once. Ratios are min–**median**–max of the per-round ratios.`,
    "",
    "### Targets",
    "",
    targetsTable(r.targets),
    "",
    ...groupSection(
      r,
      "token",
      "### Token exchange: CPU, wall time and allocations per call",
      "Sequential (one call at a time)",
      "÷ node:http floor"
    ),
    ...groupSection(
      r,
      "api",
      "### The API call path: `GET` of one order with a bearer token",
      "Sequential",
      "÷ bare call"
    ),
    ...(r.tokenManager === undefined ? [] : ["### Token manager", "", ...tokenManagerLines(r.tokenManager), ""]),
    ...(r.registry.length === 0 ? [] : ["### Many merchants", "", registryTable(r.registry), ""]),
    ...(r.coldStart.length === 0
      ? []
      : [
          `### Cold start: import to first token in a fresh process (ms, median of ${c.coldRuns} runs; ratios min–**median**–max run by run)`,
          "",
          coldTable(r.coldStart),
          ""
        ]),
    ...(r.bundleSize === undefined
      ? []
      : [
          "### Bundle size: a program that only exchanges a code (esbuild, browser, minified; bytes by package)",
          "",
          bundleTable(r.bundleSize)
        ])
  ].join("\n")
}

export const writeReadme = (section: string): void => {
  const file = Path.join(benchDir, "README.md")
  const start = "<!-- results:start -->"
  const end = "<!-- results:end -->"
  const text = Fs.readFileSync(file, "utf8")
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${file} lacks the ${start} … ${end} markers`)
  Fs.writeFileSync(file, `${text.slice(0, from + start.length)}\n${section}\n${text.slice(to)}`)
}
