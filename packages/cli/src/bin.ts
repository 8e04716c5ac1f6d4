#!/usr/bin/env node
/**
 * The `ultracart-oauth` executable, the entry of the bundle (`dist/ultracart-oauth.mjs`). `--help` and `--version`
 * are answered here, before anything else loads; every other command line loads the CLI.
 *
 * @since 0.1.0
 */
import * as Help from "./Help.js"

const quick = Help.quickAnswer(process.argv.slice(2))
if (quick === undefined) await import("./main.js")
else process.stdout.write(`${quick === "help" ? Help.TEXT : Help.VERSION}\n`)
