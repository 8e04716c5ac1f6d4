#!/usr/bin/env node
// The `ultracart-oauth` executable. Nothing is compiled yet, so it runs the TypeScript source through tsx's ESM
// loader (a devDependency of the workspace root): it works from a workspace checkout, through
// `pnpm --filter @ultracart-oauth/cli exec ultracart-oauth …` or a `pnpm link`ed bin.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
