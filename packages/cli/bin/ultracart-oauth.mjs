#!/usr/bin/env node
// The `ultracart-oauth` executable in the workspace: runs the bundle (dist/ultracart-oauth.mjs), first building it
// with esbuild when it is missing or older than a source it is built from (scripts/bundle.mjs). The published
// package's bin is the bundle itself.
import { pathToFileURL } from "node:url"
import { ENTRY, ensureBundle } from "../scripts/bundle.mjs"

await ensureBundle()
await import(pathToFileURL(ENTRY).href)
