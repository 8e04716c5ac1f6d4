/** `AuthenticatedClient` over a warm `TokenManager`, over NodeTransport: what every API call pays. */
import * as AuthenticatedClient from "@ultracart-oauth/adapters/AuthenticatedClient"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as Layer from "effect/Layer"
import { apiBase, apiOver, warmManager } from "./api.js"
import type { BenchClient } from "./shared.js"

export const make = (base: string): BenchClient => {
  const transport = NodeTransport.layer()
  return apiOver(
    AuthenticatedClient.layer({ baseUrl: apiBase(base) }).pipe(
      Layer.provide(warmManager(base, transport)),
      Layer.provide(transport)
    )
  )
}
