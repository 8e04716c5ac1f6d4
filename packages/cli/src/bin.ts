#!/usr/bin/env node
/**
 * The published `ultracart-oauth` executable: the compiled CLI (`publishConfig.bin`). In the workspace,
 * `bin/ultracart-oauth.mjs` runs the TypeScript source through tsx instead.
 *
 * @since 0.1.0
 */
import "./main.js"
