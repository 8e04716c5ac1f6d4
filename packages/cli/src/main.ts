/**
 * The `ultracart-oauth` executable: the CLI on Node, with the process's arguments, stdout and environment.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as FetchTransport from "@ultracart-oauth/adapters/FetchTransport"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import * as CliOutput from "./CliOutput.js"
import * as Node from "./internal/node.js"

const environment = Layer.mergeAll(
  NodeFileSystem.layer,
  NodePath.layer,
  NodeTerminal.layer,
  FetchTransport.layer(),
  CliOutput.layerProcess
)

Node.runMain(Effect.provide(Cli.run(process.argv), environment))
