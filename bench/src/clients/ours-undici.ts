/** ultracart-oauth over NodeTransport (undici, the default on Node), no Retry or Timeouts. */
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import type { BenchClient } from "./shared.js"
import { bare, oursOver } from "./ours.js"

export const make = (base: string): BenchClient => oursOver(base, NodeTransport.layer(), bare)
