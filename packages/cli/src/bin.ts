#!/usr/bin/env node
/**
 * The `ultracart-oauth` executable, the entry of the bundle (`dist/ultracart-oauth.mjs`). `--help` and `--version`
 * are answered here, before anything else loads; a plain `status` loads only
 * what it needs (`mainStatus`), every other command line loads the CLI.
 *
 * @since 0.1.0
 */
import * as Module from "node:module"
import * as Help from "./Help.js"
import * as QuickStatus from "./QuickStatus.js"

const quick = Help.quickAnswer(process.argv.slice(2))
if (quick === undefined) {
  // Node 22.1+ keeps V8's compiled code of the bundle on disk (in the OS's temp directory) for the next start;
  // Node 20 has no such cache and goes on without it.
  if ("enableCompileCache" in Module && typeof Module.enableCompileCache === "function") Module.enableCompileCache()
  // A plain `status` skips the command parser (it answers the same): see QuickStatus.
  if (QuickStatus.parse(process.argv.slice(2)) === undefined) await import("./main.js")
  else await import("./mainStatus.js")
} else process.stdout.write(`${quick === "help" ? Help.TEXT : Help.VERSION}\n`)
