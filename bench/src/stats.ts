/** Summaries of repeated measurements. */

export interface Spread {
  readonly min: number
  readonly median: number
  readonly max: number
}

export const spread = (values: ReadonlyArray<number>): Spread => {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]! }
}

/** Element-wise ratios of two equally long series (round by round), summarised. */
export const ratioSpread = (values: ReadonlyArray<number>, references: ReadonlyArray<number>): Spread =>
  spread(values.map((value, i) => value / references[i]!))
