/**
 * Which command lines are a plain `status`: `status` with nothing but `--json` and the common settings flags, each
 * at most once and as `--flag value`. The executable runs those without loading `@effect/cli` (the command parser
 * and its help, prompts and completions) — they print and exit exactly as the full CLI does. This module imports
 * nothing, so the executable's entry can ask it before loading anything.
 *
 * @since 0.2.0
 */

/**
 * The flags of a plain `status`, as given (absent flags are absent).
 *
 * @since 0.2.0
 * @category models
 */
export interface Flags {
  readonly json: boolean
  readonly values: Readonly<Partial<Record<SettingFlag, string>>>
}

/**
 * The settings flags a plain `status` may carry, each followed by its value.
 *
 * @since 0.2.0
 * @category constants
 */
export const SETTING_FLAGS = ["client-id", "base-url", "token-dir", "grant", "config"] as const

/**
 * @since 0.2.0
 * @category models
 */
export type SettingFlag = (typeof SETTING_FLAGS)[number]

const isSettingFlag = (name: string): name is SettingFlag => (SETTING_FLAGS as ReadonlyArray<string>).includes(name)

/**
 * The flags of `args` (the command line after the executable) when it is a plain `status`; `undefined` for
 * anything else — any other flag, `--flag=value`, a repeated flag, a missing or empty value or one that starts
 * with `-` — which the full CLI parses (and, where it is wrong, explains).
 *
 * @since 0.2.0
 * @category utils
 */
export const parse = (args: ReadonlyArray<string>): Flags | undefined => {
  if (args[0] !== "status") return undefined
  let json = false
  const values: Partial<Record<SettingFlag, string>> = {}
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] ?? ""
    if (arg === "--json" && !json) {
      json = true
      continue
    }
    const name = arg.startsWith("--") ? arg.slice(2) : ""
    const value = args[i + 1]
    if (!isSettingFlag(name) || name in values || value === undefined || value === "" || value.startsWith("-")) {
      return undefined
    }
    values[name] = value
    i++
  }
  return { json, values }
}
