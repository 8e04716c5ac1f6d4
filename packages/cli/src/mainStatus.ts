/**
 * The `ultracart-oauth` executable for a plain `status` (see `QuickStatus`): the status command on Node, without
 * the command parser — what it prints and its exit code are those of the full CLI.
 *
 * @since 0.2.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as FetchTransport from "@ultracart-oauth/adapters/FetchTransport"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as CliFailure from "./CliFailure.js"
import * as CliOutput from "./CliOutput.js"
import * as Node from "./internal/node.js"
import * as QuickStatus from "./QuickStatus.js"
import * as Status from "./Status.js"

const environment = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, FetchTransport.layer(), CliOutput.layerProcess)

const flags = QuickStatus.parse(process.argv.slice(2))

Node.runMain(
  flags === undefined
    ? Effect.succeed(CliFailure.ExitCode.Failure)
    : Effect.provide(Status.runQuick(flags), environment)
)
