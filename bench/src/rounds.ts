/**
 * The throughput phase: every client in processes of its own (`worker.ts`), all against the one token server,
 * driven in interleaved rounds. Each round starts a fresh process per client, in an order that rotates every
 * round, so that the slow drift of a shared machine falls on every client alike; the process warms up, measures
 * both modes (their order alternating by round) and exits before the next client's starts, so only one process
 * works at a time. A fresh process per round, not one per client for the whole run: V8 decides per process, early
 * and for good, whether some allocation sites' objects go straight to the old generation (allocation-site
 * pretenuring), and a process where it decided so spends about 2–3× as long in each minor GC — about 10 % more
 * CPU per call on the API path, for the bare call as for ours. One process per client would give the whole run to
 * one draw; a fresh one per round puts that draw into the per-round spread, and the median over rounds is not
 * moved by it. Allocations are measured afterwards, in one more process per client with a fixed young generation.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as Path from "node:path"
import { distDir } from "./build.js"
import { catalog, type Entry } from "./catalog.js"
import { type CpuTicks, loadAverage, othersBusyCores, processTicks, ticks } from "./load.js"
import { log } from "./process.js"
import type { Reply, Request } from "./worker.js"

export type Mode = "sequential" | "concurrent"
export const modes: ReadonlyArray<Mode> = ["sequential", "concurrent"]

export interface RoundsConfig {
  readonly base: string
  readonly rounds: number
  readonly calls: number
  readonly warm: number
  readonly inFlight: number
  readonly clients: ReadonlyArray<Entry>
  /**
   * A smoke run: every client in one process, allocations measured there too (no fixed young generation) — only
   * to exercise the code, in a fraction of the time.
   */
  readonly oneProcess: boolean
  /** Other processes of the bench (the server), counted as its own in the load. */
  readonly pids: ReadonlyArray<number>
}

export interface Sample {
  /** Client-process CPU (user + system), µs per call. */
  readonly cpu: number
  /** Wall time, µs per call. */
  readonly wall: number
}

export interface RoundLoad {
  readonly loadAverage1m: number
  /** Cores kept busy by other processes during the round (Linux only). */
  readonly othersBusyCores: number | undefined
}

export interface RoundsResult {
  /** samples[mode][clientId][round] */
  readonly samples: Record<Mode, Record<string, Array<Sample>>>
  /** allocated[mode][clientId]: bytes per call, one value per kept batch. */
  readonly allocated: Record<Mode, Record<string, Array<number>>>
  readonly load: ReadonlyArray<RoundLoad>
}

interface Worker {
  readonly entry: Entry
  readonly child: ChildProcess
  readonly ask: (request: DistributiveOmit<Request, "id">) => Promise<Reply>
}

type DistributiveOmit<A, K extends keyof A> = A extends unknown ? Omit<A, K> : never

/** Starts one process for the given clients (one, except in a smoke run) and resolves once they are warm. */
const startProcess = (
  entries: ReadonlyArray<Entry>,
  config: RoundsConfig,
  execArgv: ReadonlyArray<string>
): Promise<ReadonlyArray<Worker>> =>
  new Promise((resolve, reject) => {
    const ids = entries.map((entry) => entry.id).join(",")
    const child = fork(
      Path.join(distDir, "worker.js"),
      [ids, config.base, String(config.warm), String(config.inFlight)],
      {
        execArgv: ["--expose-gc", ...execArgv],
        stdio: ["ignore", "inherit", "inherit", "ipc"]
      }
    )
    // One request at a time per process: the reply is the answer to the last request.
    let waiting: ((reply: Reply) => void) | undefined
    const askFor =
      (entry: Entry) =>
      (request: DistributiveOmit<Request, "id">): Promise<Reply> =>
        new Promise<Reply>((answer) => {
          waiting = answer
          child.send({ ...request, id: entry.id })
        })
    child.on("message", (reply: Reply) => {
      if (reply.type === "ready") resolve(entries.map((entry) => ({ entry, child, ask: askFor(entry) })))
      else waiting?.(reply)
    })
    child.on("exit", (code) => {
      if (code !== 0) {
        const error = new Error(`the process measuring ${ids} exited with ${code}`)
        reject(error)
        log(error.message)
        process.exit(1)
      }
    })
  })

const closeAll = async (workers: ReadonlyArray<Worker>) => {
  for (const worker of workers) await worker.ask({ type: "close" })
}

const perMode = <A>(clients: ReadonlyArray<Entry>): Record<Mode, Record<string, Array<A>>> => {
  const per = () => Object.fromEntries(clients.map((client) => [client.id, [] as Array<A>]))
  return { sequential: per(), concurrent: per() }
}

const inFlightOf = (mode: Mode, config: RoundsConfig) => (mode === "sequential" ? 1 : config.inFlight)

const allocate = async (
  workers: ReadonlyArray<Worker>,
  config: RoundsConfig,
  allocated: RoundsResult["allocated"]
): Promise<void> => {
  for (const worker of workers) {
    for (const mode of modes) {
      const inFlight = inFlightOf(mode, config)
      const batch = config.oneProcess ? config.calls : inFlight === 1 ? 100 : inFlight * 2
      const reply = await worker.ask({ type: "alloc", inFlight, batch, warm: config.warm })
      if (reply.type === "alloc") allocated[mode][worker.entry.id]!.push(...reply.bytesPerCall)
    }
  }
}

/** One client's batches of a round, in `modes` order. */
const measureModes = async (
  worker: Worker,
  order: ReadonlyArray<Mode>,
  config: RoundsConfig,
  samples: RoundsResult["samples"]
): Promise<void> => {
  for (const mode of order) {
    const reply = await worker.ask({
      type: "cpu",
      inFlight: inFlightOf(mode, config),
      calls: config.calls,
      warm: config.warm
    })
    if (reply.type === "cpu") samples[mode][worker.entry.id]!.push({ cpu: reply.cpu, wall: reply.wall })
  }
}

/** One round: every client once, in a fresh process (all in the one process of a smoke run). */
const measureRound = async (round: number, config: RoundsConfig, samples: RoundsResult["samples"]) => {
  const order = config.clients.map((_, i) => config.clients[(i + round) % config.clients.length]!)
  const modeOrder = round % 2 === 0 ? modes : [...modes].reverse()
  let ended = 0
  if (config.oneProcess) {
    const workers = await startProcess(order, config, [])
    for (const worker of workers) await measureModes(worker, modeOrder, config, samples)
    return { workers, ended }
  }
  for (const entry of order) {
    const workers = await startProcess([entry], config, [])
    await measureModes(workers[0]!, modeOrder, config, samples)
    ended += processTicks(workers[0]!.child.pid ?? 0)
    await closeAll(workers)
  }
  return { workers: [], ended }
}

const cpuRounds = async (config: RoundsConfig) => {
  const samples = perMode<Sample>(config.clients)
  const load: Array<RoundLoad> = []
  let kept: ReadonlyArray<Worker> = []
  for (let round = 0; round < config.rounds; round++) {
    const loadAverage1m = loadAverage()[0] ?? 0
    const before: CpuTicks | undefined = ticks(config.pids)
    await closeAll(kept)
    const { ended, workers } = await measureRound(round, config, samples)
    kept = workers
    const others = othersBusyCores(before, ticks([...config.pids, ...workers.map((w) => w.child.pid ?? 0)], ended))
    load.push({ loadAverage1m, othersBusyCores: others })
    log(
      `  round ${round + 1}/${config.rounds}: load average ${loadAverage1m}` +
        (others === undefined ? "" : `, other processes ${others.toFixed(2)} cores`)
    )
  }
  return { samples, load, kept }
}

export const measureRounds = async (config: RoundsConfig): Promise<RoundsResult> => {
  log(
    config.oneProcess
      ? `throughput: ${config.clients.length} clients in one process (a smoke run)`
      : `throughput: ${config.clients.length} clients, a fresh process per client in every round`
  )
  log(`CPU and wall time: ${config.rounds} interleaved rounds of ${config.calls} calls per client and mode`)
  const { kept, load, samples } = await cpuRounds(config)
  const allocated = perMode<number>(config.clients)
  if (config.oneProcess) {
    await allocate(kept, config, allocated)
    await closeAll(kept)
  } else {
    log("allocations: one more process per client, with a fixed 64 MB young generation")
    for (const entry of config.clients) {
      const worker = await startProcess([entry], config, ["--min-semi-space-size=64", "--max-semi-space-size=64"])
      await allocate(worker, config, allocated)
      await closeAll(worker)
    }
  }
  return { samples, allocated, load }
}

/** The catalog's clients, or those named. */
export const selectClients = (ids: ReadonlyArray<string> | undefined): ReadonlyArray<Entry> =>
  ids === undefined ? catalog : catalog.filter((entry) => ids.includes(entry.id))
