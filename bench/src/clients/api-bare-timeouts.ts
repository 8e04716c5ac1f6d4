/** The bare transport call through `Timeouts.transformClient` (10 s for the head, 10 s for the body) alone. */
import * as Timeouts from "@ultracart-oauth/adapters/Timeouts"
import { bareOver } from "./api-bare.js"
import type { BenchClient } from "./shared.js"

export const make = (base: string): BenchClient => bareOver(base, Timeouts.transformClient(Timeouts.defaults))
