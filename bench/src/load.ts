/**
 * The machine's load while the bench runs: load averages, and — on Linux — how much CPU other processes used, from
 * `/proc/stat` (all CPUs) minus what the bench's own processes used (`/proc/<pid>/stat`). The bench measures one
 * process at a time, so on a quiet 2-core machine "others" stays near 0 cores.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"

export interface CpuTicks {
  readonly total: number
  readonly idle: number
  readonly ours: number
}

/** The CPU ticks a process has used so far (0 off Linux, or once it has exited). */
export const processTicks = (pid: number): number => {
  try {
    // The fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

const readTicks = (pids: ReadonlyArray<number>, ended: number): CpuTicks | undefined => {
  try {
    const cpu = Fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0)
    const idle = cpu[3]! + (cpu[4] ?? 0)
    let ours = ended
    for (const pid of [process.pid, ...pids]) ours += processTicks(pid)
    return { total, idle, ours }
  } catch {
    return undefined
  }
}

/** Cores kept busy by processes other than the bench's between two readings (undefined off Linux). */
export const othersBusyCores = (from: CpuTicks | undefined, to: CpuTicks | undefined): number | undefined => {
  if (from === undefined || to === undefined) return undefined
  const total = to.total - from.total
  if (total <= 0) return undefined
  const busy = total - (to.idle - from.idle)
  return (Math.max(0, busy - (to.ours - from.ours)) / total) * Os.cpus().length
}

/**
 * A reading of the CPU counters, counting the given processes (and this one) as the bench's own, plus `ended`
 * ticks of the bench's processes that have exited since the last reading (read with {@link processTicks} just
 * before they ended).
 */
export const ticks = (pids: ReadonlyArray<number>, ended = 0): CpuTicks | undefined => readTicks(pids, ended)

export const loadAverage = (): ReadonlyArray<number> => Os.loadavg().map((l) => Math.round(l * 100) / 100)
