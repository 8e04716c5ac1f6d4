/**
 * `AuthenticatedClient` over a warm `TokenManager` in the production setup of the adapters README: each attempt
 * under `Timeouts`' deadlines, `Retry` over them, NodeTransport underneath.
 */
import * as AuthenticatedClient from "@ultracart-oauth/adapters/AuthenticatedClient"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as Retry from "@ultracart-oauth/adapters/Retry"
import * as Timeouts from "@ultracart-oauth/adapters/Timeouts"
import * as Layer from "effect/Layer"
import { apiBase, apiOver, warmManager } from "./api.js"
import type { BenchClient } from "./shared.js"

export const make = (base: string): BenchClient => {
  const transport = NodeTransport.layer()
  return apiOver(
    AuthenticatedClient.layer({ baseUrl: apiBase(base) }).pipe(
      Layer.provide(warmManager(base, transport)),
      Layer.provide(Retry.layerHttpClient()),
      Layer.provide(Timeouts.layerHttpClient()),
      Layer.provide(transport)
    )
  )
}
