/**
 * @ultracart-oauth/cli — the `ultracart-oauth` command: browser and device-flow login, tokens for scripts,
 * refresh, whoami, status, logout. The modules are exported for tests and for embedding the commands.
 *
 * @since 0.1.0
 */

/** Running the CLI on an argument list, yielding its exit code. @since 0.1.0 */
export * as Cli from "./Cli.js"
/** The command tree. @since 0.1.0 */
export * as Commands from "./Commands.js"
/** Exit codes and the cause and hint printed for a failure. @since 0.1.0 */
export * as CliFailure from "./CliFailure.js"
/** Where the CLI writes, and its live status line. @since 0.1.0 */
export * as CliOutput from "./CliOutput.js"
/** Settings from flags, environment and config file. @since 0.1.0 */
export * as CliSettings from "./CliSettings.js"
/** The loopback listener for the login redirect. @since 0.1.0 */
export * as LoopbackCallback from "./LoopbackCallback.js"
