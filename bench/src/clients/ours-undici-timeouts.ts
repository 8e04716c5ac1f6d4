/** ultracart-oauth over NodeTransport with Timeouts' deadlines, no Retry. */
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import type { BenchClient } from "./shared.js"
import { oursOver } from "./ours.js"

export const make = (base: string): BenchClient =>
  oursOver(base, NodeTransport.layer(), { timeouts: true, retry: false })
