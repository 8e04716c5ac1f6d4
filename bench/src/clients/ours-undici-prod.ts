/** ultracart-oauth over NodeTransport with Retry and Timeouts (the production setup). */
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import type { BenchClient } from "./shared.js"
import { oursOver, production } from "./ours.js"

export const make = (base: string): BenchClient => oursOver(base, NodeTransport.layer(), production)
