/**
 * The grant registry (`MerchantGrants`), measured: a warm merchant's token read beside the single-grant manager's
 * (each in a process of its own, interleaved rounds, the ratio per round), the first use of a cold merchant, and
 * memory per known and per active merchant (10,000 stored, 1,000 in use, then let go).
 *
 *   pnpm bench:registry             # 7 rounds; prints the section of bench/README.md
 *   pnpm bench:registry --rounds 1  # a smoke run (numbers not meaningful)
 */
import { execFileSync } from "node:child_process"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"

const probe = fileURLToPath(new URL("./registryProbe.ts", import.meta.url))
const roundsArg = process.argv.indexOf("--rounds")
const ROUNDS = roundsArg === -1 ? 7 : Number(process.argv[roundsArg + 1])

const run = (mode: string): Record<string, number> =>
  JSON.parse(
    execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", probe, mode], { encoding: "utf8" }).trim()
  )

const stats = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    min: sorted[0] ?? Number.NaN,
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN
  }
}
const range = (s: { min: number; median: number; max: number }, digits: number) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`

const load = [loadavg()[0] ?? 0]
const manager: Array<number> = []
const registry: Array<number> = []
const cold: Array<number> = []
const ratios: Array<number> = []
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which goes first, so neither always meets a warmer or a busier machine.
  const [a, b] = round % 2 === 0 ? ["manager", "registry"] : ["registry", "manager"]
  const first = run(a)
  const second = run(b)
  const m = (a === "manager" ? first : second).microsPerCall ?? Number.NaN
  const r = (a === "manager" ? second : first).microsPerCall ?? Number.NaN
  manager.push(m)
  registry.push(r)
  ratios.push(r / m)
  cold.push(run("cold").microsPerCall ?? Number.NaN)
  load.push(loadavg()[0] ?? 0)
}
const memory = run("memory")

console.log(`## The grant registry

\`\`\`sh
pnpm bench:registry   # ${ROUNDS} rounds, each measurement a process of its own
\`\`\`

\`bench/src/registryProbe.ts\` measures one thing per process: \`TokenManager.tokens\` on a warm single-grant
manager, \`MerchantGrants.tokens(key)\` for a warm merchant among 10,000 stored (memory store, no request leaves
the process), the first use of 2,000 merchants never used before (store read, manager made), and the heap after a
full GC with 10,000 merchants stored, with 1,000 in use, and once they were let go (five rounds of 1,000 others). CPU per call, median
(min–max) over the rounds; the ratio is taken per round. Load average during the run: ${stats(load).min.toFixed(1)}–${stats(load).max.toFixed(1)} (2 cores, shared).

| what | CPU per call, µs |
| --- | --- |
| warm token, single-grant manager | ${range(stats(manager), 2)} |
| warm token, registry (10,000 known) | ${range(stats(registry), 2)} |
| registry ÷ manager, per round | ${range(stats(ratios), 2)} |
| first use of a cold merchant | ${range(stats(cold), 0)} |

| memory | bytes per merchant |
| --- | --- |
| known, not in use (what the registry holds beyond the store) | ${Math.round(memory.knownBytesPerGrant ?? Number.NaN)} |
| in use (its manager and what it needs) | ${Math.round(memory.activeBytesPerGrant ?? Number.NaN)} |
| let go again (left behind per merchant, rounds 4–5 of 1,000 others each) | ${Math.round(memory.releasedBytesPerGrant ?? Number.NaN)} |
`)
