/** The bare transport call through `Retry.transformClient` (the default policy) alone. */
import * as Retry from "@ultracart-oauth/adapters/Retry"
import * as RetryPolicy from "@ultracart-oauth/adapters/RetryPolicy"
import { bareOver } from "./api-bare.js"
import type { BenchClient } from "./shared.js"

export const make = (base: string): BenchClient => bareOver(base, Retry.transformClient(RetryPolicy.make()))
