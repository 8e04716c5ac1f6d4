/**
 * The measured process. It makes every client once, warms it, then runs interleaved rounds and prints one JSON
 * document on its last stdout line. The token server is another process: nothing here but the clients costs CPU.
 *
 * Phases (argv[2] is a JSON `MeasureConfig`):
 * - `cpu`: per round and per mode (sequential, `inFlight` at once), each client in a rotated order: a forced GC,
 *   `warm` untimed calls (a full GC de-optimises `node:http`; timing right after it would inflate the floor), then
 *   `calls` timed calls, with `process.cpuUsage()` (the whole process: JS, GC helpers, syscalls) and wall time.
 * - `alloc`: run with a fixed 64 MB young generation, so that a batch's allocations sit in new space until the
 *   next scavenge: after a minor GC (which de-optimises nothing) the growth of the used heap over a batch is what
 *   the batch allocated. A batch that met a scavenge shows a shrinking heap and is dropped.
 */
import * as V8 from "node:v8"
import { all, type BenchClient } from "./clients.js"

export interface MeasureConfig {
  readonly phase: "cpu" | "alloc"
  readonly base: string
  readonly rounds: number
  readonly calls: number
  readonly warm: number
  readonly inFlight: number
  readonly only?: ReadonlyArray<string> | undefined
}

export interface Sample {
  /** Client-process CPU (user + system), µs per call. */
  readonly cpu: number
  /** Wall time, µs per call. */
  readonly wall: number
}

export type Mode = "sequential" | "concurrent"

export interface CpuResult {
  readonly phase: "cpu"
  readonly clients: ReadonlyArray<{ readonly id: string; readonly label: string }>
  /** samples[mode][clientId][round] */
  readonly samples: Record<Mode, Record<string, Array<Sample>>>
}

export interface AllocResult {
  readonly phase: "alloc"
  /** Bytes allocated on the JS heap per call, one value per kept batch. */
  readonly samples: Record<Mode, Record<string, Array<number>>>
}

const gc = (globalThis as { gc?: (options?: { type: "minor" | "major" }) => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")

const config = JSON.parse(process.argv[2] ?? "{}") as MeasureConfig
const clients: ReadonlyArray<BenchClient> = all
  .map((make) => make(config.base))
  .filter((client) => config.only === undefined || config.only.includes(client.id))
const modes: ReadonlyArray<readonly [Mode, number]> = [
  ["sequential", 1],
  ["concurrent", config.inFlight]
]

const empty = <A>(): Record<Mode, Record<string, Array<A>>> => {
  const per = () => Object.fromEntries(clients.map((client) => [client.id, [] as Array<A>]))
  return { sequential: per(), concurrent: per() }
}

const usedHeap = () => V8.getHeapStatistics().used_heap_size

const cpuPhase = async (): Promise<CpuResult> => {
  const samples = empty<Sample>()
  for (let round = 0; round < config.rounds; round++) {
    // Rotate the order every round (and the modes' order), so that no client always follows the same one.
    const order = clients.map((_, i) => clients[(i + round) % clients.length]!)
    const roundModes = round % 2 === 0 ? modes : [...modes].reverse()
    for (const [mode, inFlight] of roundModes) {
      for (const client of order) {
        gc()
        await client.run(config.warm, inFlight)
        const cpu0 = process.cpuUsage()
        const t0 = process.hrtime.bigint()
        await client.run(config.calls, inFlight)
        const elapsed = Number(process.hrtime.bigint() - t0) / 1000
        const cpu = process.cpuUsage(cpu0)
        samples[mode][client.id]!.push({ cpu: (cpu.user + cpu.system) / config.calls, wall: elapsed / config.calls })
      }
    }
    process.stderr.write(`  round ${round + 1}/${config.rounds}\n`)
  }
  return { phase: "cpu", clients: clients.map(({ id, label }) => ({ id, label })), samples }
}

const allocPhase = async (): Promise<AllocResult> => {
  const samples = empty<number>()
  for (const [mode, inFlight] of modes) {
    const batch = inFlight === 1 ? 100 : inFlight * 2
    for (let round = 0; round < config.rounds; round++) {
      for (const client of clients) {
        await client.run(config.warm, inFlight)
        for (let kept = 0, tries = 0; kept < 3 && tries < 10; tries++) {
          gc({ type: "minor" })
          const before = usedHeap()
          await client.run(batch, inFlight)
          const grown = usedHeap() - before
          if (grown > 0) {
            samples[mode][client.id]!.push(grown / batch)
            kept++
          }
        }
      }
    }
  }
  return { phase: "alloc", samples }
}

const main = async () => {
  // Every client once before anything is timed: connections open, code compiled.
  for (const client of clients) {
    await client.run(config.warm, 1)
    await client.run(config.warm, config.inFlight)
  }
  const result = config.phase === "cpu" ? await cpuPhase() : await allocPhase()
  await Promise.all(clients.map((client) => client.close()))
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
