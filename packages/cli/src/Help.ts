/**
 * The short top-level help (commands and one line each, as `gh` and `stripe` print it) and the version. This
 * module imports nothing, so the executable answers `--help` and `--version` without loading the rest of the CLI;
 * each command's own `--help` (its flags) comes from `@effect/cli`.
 *
 * @since 0.2.0
 */

/**
 * The CLI's version.
 *
 * @since 0.2.0
 * @category constants
 */
export const VERSION = "0.1.0"

/**
 * Every command and its one-line summary, in the order the help lists them. The commands take their
 * descriptions from here.
 *
 * @since 0.2.0
 * @category constants
 */
export const COMMANDS = {
  login: "Log in through the browser (the redirect comes back to a loopback listener)",
  "device-login": "Log in with a code entered on another device",
  token: "Print a valid access token (refreshed first if due), for scripts",
  refresh: "Refresh the access token now",
  whoami: "Show the merchant account and permissions the token belongs to",
  status: "Show the current grant: expiry, scope, store location (never a token)",
  grants: "List the grants in the token store and which one is current",
  logout: "Revoke the tokens at UltraCart and remove them locally",
  revoke: "Same as logout",
  "fake-server": "Serve a fake UltraCart on loopback, for trying the CLI without an account"
} as const

/**
 * @since 0.2.0
 * @category models
 */
export type CommandName = keyof typeof COMMANDS

const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2

/**
 * The top-level help.
 *
 * @since 0.2.0
 * @category constants
 */
export const TEXT: string = [
  "Connect an UltraCart app from the command line: log in, keep tokens fresh, revoke.",
  "",
  "USAGE",
  "  ultracart-oauth <command> [flags]",
  "",
  "COMMANDS",
  ...Object.entries(COMMANDS).map(([name, summary]) => `  ${name.padEnd(width)}${summary}`),
  "",
  "FLAGS",
  "  --help                 Show help; `ultracart-oauth <command> --help` shows a command's flags",
  "  --version              Show the version",
  "  --completions <shell>  Print a completion script for sh, bash, fish or zsh",
  "  --wizard               Build a command by answering prompts (needs a terminal)",
  "",
  "EXAMPLES",
  "  $ ultracart-oauth login --fake          # try it against a fake UltraCart, no account needed",
  "  $ ultracart-oauth login --client-id <id> --open",
  '  $ curl -H "Authorization: Bearer $(ultracart-oauth token)" …',
  "",
  "Every command that prints data takes --json. Settings come from flags, ULTRACART_* variables or a config",
  "file; exit codes: 0 done, 2 usage, 3 authorize again, 4 try again later. See the README of @ultracart-oauth/cli."
].join("\n")

/**
 * What a command line asks for that needs none of the CLI loaded: `help` (no arguments, `--help`, `-h`, `help`)
 * or `version` (`--version`); `undefined` for anything else, including `help <command>` (see {@link rewrite}).
 *
 * @since 0.2.0
 * @category utils
 */
export const quickAnswer = (args: ReadonlyArray<string>): "help" | "version" | undefined => {
  if (args.length === 0) return "help"
  if (args.length !== 1) return undefined
  const [arg] = args
  return arg === "--help" || arg === "-h" || arg === "help" ? "help" : arg === "--version" ? "version" : undefined
}

/**
 * `help <command>` as `<command> --help`; any other command line as it is.
 *
 * @since 0.2.0
 * @category utils
 */
export const rewrite = (args: ReadonlyArray<string>): ReadonlyArray<string> =>
  args.length === 2 && args[0] === "help" && args[1] !== undefined && args[1] in COMMANDS ? [args[1], "--help"] : args
