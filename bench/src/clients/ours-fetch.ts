/** ultracart-oauth over FetchTransport, no Retry or Timeouts. */
import * as FetchTransport from "@ultracart-oauth/adapters/FetchTransport"
import type { BenchClient } from "./shared.js"
import { bare, oursOver } from "./ours.js"

export const make = (base: string): BenchClient => oursOver(base, FetchTransport.layer(), bare)
