/**
 * The `ultracart-oauth` executable: the CLI on Node, with the process's arguments, stdout and environment.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as FetchTransport from "@ultracart-oauth/adapters/FetchTransport"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import * as CliFailure from "./CliFailure.js"
import * as CliOutput from "./CliOutput.js"

const environment = Layer.mergeAll(
  NodeFileSystem.layer,
  NodePath.layer,
  NodeTerminal.layer,
  FetchTransport.layer(),
  CliOutput.layerProcess
)

// The exit code is set, not forced: Node exits once stdout is flushed. Only an interruption exits at once.
const program = Cli.run(process.argv).pipe(
  Effect.flatMap((code) => Effect.sync(() => void (process.exitCode = code))),
  Effect.provide(environment)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) =>
    onExit(
      Exit.isSuccess(exit)
        ? 0
        : Cause.isInterruptedOnly(exit.cause)
          ? CliFailure.ExitCode.Interrupted
          : CliFailure.ExitCode.Failure
    )
})
