/**
 * How fast the `ultracart-oauth` executable answers, against the price of starting Node at all (`node -e ""`).
 * Each command runs as a process of its own, the variants interleaved round by round (the order rotating), so a
 * machine that slows down or speeds up meanwhile weighs on all of them alike. Prints min–median–max wall time per
 * variant and the median (range) of its per-round ratio to `node -e ""`, with the machine's load.
 *
 *   pnpm bench:cli              20 rounds
 *   pnpm bench:cli --rounds 5   fewer (a smoke run)
 *
 * The bundle is what the published package runs (dist/ultracart-oauth.mjs, built first if stale); the workspace
 * executable adds its check that the bundle is current. For reference, the CLI from its TypeScript sources through
 * tsx, as the workspace ran it before it was bundled.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"

const root = join(import.meta.dirname, "..", "..")
const cli = join(root, "packages", "cli")
const roundsFlag = process.argv.indexOf("--rounds")
const rounds = roundsFlag === -1 ? 20 : Number(process.argv[roundsFlag + 1])

const { ENTRY, ensureBundle } = (await import(join(cli, "scripts", "bundle.mjs"))) as {
  ENTRY: string
  ensureBundle: () => Promise<void>
}
await ensureBundle()
const tsx = join(root, "node_modules", "tsx", "dist", "loader.mjs")

// A home of its own, with one grant stored (by a login against the fake), so `status` reads a real record.
const home = mkdtempSync(join(tmpdir(), "ultracart-oauth-bench-cli-"))
const tokens = join(home, "tokens")
const env = { PATH: process.env["PATH"] ?? "", HOME: home, XDG_CONFIG_HOME: join(home, ".config") }
const login = spawnSync(process.execPath, [ENTRY, "login", "--fake", "--token-dir", tokens], { env, encoding: "utf8" })
if (login.status !== 0) throw new Error(`login --fake failed: ${login.stderr}`)
const status = ["status", "--token-dir", tokens, "--grant", "fake-ultracart-app"]

interface Variant {
  readonly name: string
  readonly args: ReadonlyArray<string>
  /** What a correct run prints on stdout (checked every time: a failing command is not measured). */
  readonly prints: string
  readonly target?: number
}

const variants: ReadonlyArray<Variant> = [
  { name: 'node -e "" (the floor)', args: ["-e", ""], prints: "" },
  { name: "bundle --version", args: [ENTRY, "--version"], prints: "0.1.0", target: 150 },
  { name: "bundle --help", args: [ENTRY, "--help"], prints: "USAGE" },
  { name: "bundle status", args: [ENTRY, ...status], prints: "Access token:  valid", target: 250 },
  { name: "workspace bin --version", args: [join(cli, "bin", "ultracart-oauth.mjs"), "--version"], prints: "0.1.0" },
  ...(existsSync(tsx)
    ? [
        {
          name: "sources via tsx --version (before)",
          args: ["--import", tsx, join(cli, "src", "bin.ts"), "--version"],
          prints: "0.1.0"
        },
        {
          name: "sources via tsx status (before)",
          args: ["--import", tsx, join(cli, "src", "bin.ts"), ...status],
          prints: "Access token:  valid"
        }
      ]
    : [])
]

/**
 * CPU (user + system) of this process's waited-for children so far, in ms, from /proc (Linux; clock ticks of
 * 10 ms): less disturbed by a busy machine than wall time, which waits for a core. Absent elsewhere.
 */
const childCpu = (): number | undefined => {
  if (!existsSync("/proc/self/stat")) return undefined
  const fields = readFileSync("/proc/self/stat", "utf8")
    .replace(/^.*\) /, "")
    .split(" ")
  // After the command name: state is field 3, cutime and cstime fields 16 and 17 (1-based, of the whole line).
  return (Number(fields[13]) + Number(fields[14])) * 10
}

const once = (variant: Variant): { readonly wall: number; readonly cpu: number | undefined } => {
  const cpuBefore = childCpu()
  const started = performance.now()
  const run = spawnSync(process.execPath, variant.args, { env, encoding: "utf8" })
  const wall = performance.now() - started
  const cpuAfter = childCpu()
  if (run.status !== 0 || !run.stdout.includes(variant.prints)) {
    throw new Error(
      `${variant.name}: exit ${run.status}, stdout ${JSON.stringify(run.stdout.slice(0, 200))}, stderr ${run.stderr}`
    )
  }
  return { wall, cpu: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore }
}

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(" / ")
const walls = variants.map(() => [] as number[])
const ratios = variants.map(() => [] as number[])
const cpuTimes = variants.map(() => [] as number[])
for (const variant of variants) once(variant) // warm the file system cache
for (let round = 0; round < rounds; round++) {
  const times = new Array<number>(variants.length)
  for (let k = 0; k < variants.length; k++) {
    const i = (k + round) % variants.length
    const { cpu, wall } = once(variants[i] as Variant)
    times[i] = wall
    if (cpu !== undefined) cpuTimes[i]?.push(cpu)
  }
  times.forEach((wall, i) => {
    walls[i]?.push(wall)
    ratios[i]?.push(wall / (times[0] ?? wall))
  })
}
rmSync(home, { recursive: true, force: true })

const sorted = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)
const median = (xs: ReadonlyArray<number>) => {
  const s = sorted(xs)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}
const ms = (x: number) => x.toFixed(0)

console.log(
  `${rounds} rounds on ${cpus()[0]?.model ?? "?"} (${cpus().length} cores), Node ${process.version}; ` +
    `load average ${load} at the start, ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" / ")} at the end.\n`
)
console.log(
  '| command | wall ms: min – median – max | wall ÷ node -e "": median (min–max) | CPU ms: median (min–max) | target (wall) |'
)
console.log("|---|---:|---:|---:|---|")
variants.forEach((variant, i) => {
  const w = walls[i] ?? []
  const r = ratios[i] ?? []
  const c = cpuTimes[i] ?? []
  const s = sorted(w)
  const target =
    variant.target === undefined ? "" : `≤ ${variant.target} ms: ${median(w) <= variant.target ? "met" : "**not met**"}`
  console.log(
    `| ${variant.name} | ${ms(s[0] ?? 0)} – **${ms(median(w))}** – ${ms(s[s.length - 1] ?? 0)} | ` +
      `${i === 0 ? "1.00×" : `${median(r).toFixed(2)}× (${sorted(r)[0]?.toFixed(2)}–${sorted(r)[r.length - 1]?.toFixed(2)})`} | ` +
      `${c.length === 0 ? "–" : `${ms(median(c))} (${ms(sorted(c)[0] ?? 0)}–${ms(sorted(c)[c.length - 1] ?? 0)})`} | ${target} |`
  )
})
