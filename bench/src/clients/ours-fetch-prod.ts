/** ultracart-oauth over FetchTransport with Retry and Timeouts (the production setup). */
import * as FetchTransport from "@ultracart-oauth/adapters/FetchTransport"
import type { BenchClient } from "./shared.js"
import { oursOver, production } from "./ours.js"

export const make = (base: string): BenchClient => oursOver(base, FetchTransport.layer(), production)
