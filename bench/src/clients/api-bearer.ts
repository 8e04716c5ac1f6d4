/** The API client with a fixed bearer token (`Auth.layerBearer`) over NodeTransport: credentials, no manager. */
import * as Auth from "@ultracart-oauth/adapters/Auth"
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { ACCESS_TOKEN } from "../fixtures.js"
import { apiBase, apiOver } from "./api.js"
import type { BenchClient } from "./shared.js"

export const make = (base: string): BenchClient =>
  apiOver(
    Auth.layerBearer(Redacted.make(ACCESS_TOKEN), { baseUrl: apiBase(base) }).pipe(Layer.provide(NodeTransport.layer()))
  )
