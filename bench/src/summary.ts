/** From the rounds' samples to the rows of the tables and the targets. */
import { catalog, type Entry, references } from "./catalog.js"
import type { ColdResult } from "./coldStart.js"
import { type Mode, modes, type RoundsResult } from "./rounds.js"
import { ratioSpread, type Spread, spread } from "./stats.js"

export interface Row {
  readonly id: string
  readonly label: string
  readonly group: Entry["group"]
  readonly production: boolean
  readonly cpuMicrosPerCall: Spread
  readonly wallMicrosPerCall: Spread
  /** CPU ÷ each reference of the group, per round. */
  readonly cpuRatios: Record<string, Spread>
  /** Wall time ÷ the group's first reference, per round. */
  readonly wallRatio: Spread
  readonly allocatedBytesPerCall: number | undefined
}

export const rowsOf = (rounds: RoundsResult): Record<Mode, ReadonlyArray<Row>> => {
  const measured = catalog.filter((entry) => rounds.samples.sequential[entry.id] !== undefined)
  const rowsFor = (mode: Mode): ReadonlyArray<Row> => {
    const samples = rounds.samples[mode]
    const series = (id: string, of: "cpu" | "wall") => (samples[id] ?? []).map((sample) => sample[of])
    return measured.map((entry) => {
      const refs = references[entry.group].filter((ref) => samples[ref] !== undefined)
      const allocated = rounds.allocated[mode][entry.id] ?? []
      return {
        id: entry.id,
        label: entry.label,
        group: entry.group,
        production: entry.production === true,
        cpuMicrosPerCall: spread(series(entry.id, "cpu")),
        wallMicrosPerCall: spread(series(entry.id, "wall")),
        cpuRatios: Object.fromEntries(
          refs.map((ref) => [ref, ratioSpread(series(entry.id, "cpu"), series(ref, "cpu"))])
        ),
        wallRatio: refs[0] === undefined ? spread([]) : ratioSpread(series(entry.id, "wall"), series(refs[0], "wall")),
        allocatedBytesPerCall: allocated.length === 0 ? undefined : spread(allocated).median
      }
    })
  }
  return { sequential: rowsFor("sequential"), concurrent: rowsFor("concurrent") }
}

export interface Target {
  readonly name: string
  readonly measured: Spread
  readonly unit: "×" | "µs"
  readonly limit: number
  /** Judged on the median. */
  readonly met: boolean
}

const modeName = (mode: Mode, inFlight: number) => (mode === "sequential" ? "sequential" : `${inFlight} in flight`)

/** `id` ÷ `reference` in CPU, round by round, in both modes (when both were measured). */
const ratioTargets = (
  rounds: RoundsResult,
  inFlight: number,
  name: string,
  id: string,
  reference: string,
  limit: number
): ReadonlyArray<Target> =>
  modes.flatMap((mode) => {
    const of = (client: string) => rounds.samples[mode][client]?.map((sample) => sample.cpu)
    const values = of(id)
    const refs = of(reference)
    if (values === undefined || refs === undefined) return []
    const measured = ratioSpread(values, refs)
    return [{ name: `${name}, ${modeName(mode, inFlight)}`, measured, unit: "×", limit, met: measured.median <= limit }]
  })

export const throughputTargets = (rounds: RoundsResult, inFlight: number): ReadonlyArray<Target> => [
  ...ratioTargets(
    rounds,
    inFlight,
    "NodeTransport + Retry + Timeouts ÷ NodeTransport alone",
    "ours-undici-prod",
    "ours-undici",
    1.15
  ),
  ...ratioTargets(
    rounds,
    inFlight,
    "NodeTransport + Retry + Timeouts ÷ node:http floor",
    "ours-undici-prod",
    "node-http",
    2.0
  ),
  ...ratioTargets(rounds, inFlight, "FetchTransport + Retry + Timeouts ÷ raw fetch", "ours-fetch-prod", "fetch", 1.4),
  ...ratioTargets(
    rounds,
    inFlight,
    "AuthenticatedClient (warm TokenManager) ÷ bare transport call",
    "api-authenticated",
    "api-bare",
    1.2
  ),
  ...ratioTargets(
    rounds,
    inFlight,
    "AuthenticatedClient with Retry + Timeouts (production) ÷ bare transport call",
    "api-authenticated-prod",
    "api-bare",
    1.2
  )
]

export const tokenReadTarget = (tokensMicros: Spread): Target => ({
  name: "cached token read (`TokenManager.tokens`, warm), CPU per read",
  measured: tokensMicros,
  unit: "µs",
  limit: 1,
  met: tokensMicros.median <= 1
})

export const coldTargets = (cold: ReadonlyArray<ColdResult>): ReadonlyArray<Target> =>
  cold.flatMap((c) =>
    c.ratioToFloor === undefined
      ? []
      : [
          {
            name: `cold start, import → first token, ${c.program} ÷ ${c.ratioToFloor.floor}, ${c.variant}`,
            measured: c.ratioToFloor.ratio,
            unit: "×" as const,
            limit: 1.1,
            met: c.ratioToFloor.ratio.median <= 1.1
          }
        ]
  )
