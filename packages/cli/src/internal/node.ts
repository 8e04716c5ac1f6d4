// Running a command line's program on Node: the exit code is set, not forced (Node exits once stdout is flushed);
// only an interruption exits at once.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as CliFailure from "../CliFailure.js"

/** Runs `program` as the process's main program, its exit code the process's. */
export const runMain = <E>(program: Effect.Effect<CliFailure.ExitCode, E>): void =>
  NodeRuntime.runMain(
    Effect.flatMap(program, (code) => Effect.sync(() => void (process.exitCode = code))),
    {
      disableErrorReporting: true,
      teardown: (exit, onExit) =>
        onExit(
          Exit.isSuccess(exit)
            ? 0
            : Cause.isInterruptedOnly(exit.cause)
              ? CliFailure.ExitCode.Interrupted
              : CliFailure.ExitCode.Failure
        )
    }
  )
