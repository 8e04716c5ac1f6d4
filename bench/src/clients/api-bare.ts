/**
 * The reference of the API call path: the default transport's `HttpClient` (NodeTransport, undici) executing the
 * same `GET` with the same headers, written by hand — no credentials Layer, no token manager. `bareOver` runs the
 * same call through a transform of that client (one of the production setup's, to see what each costs alone).
 */
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { ACCESS_TOKEN, API_PATH, API_VERSION } from "../fixtures.js"
import { checkOrder } from "./api.js"
import { type BenchClient, effectRunner } from "./shared.js"

export const bareOver = (
  base: string,
  transform: (client: HttpClient.HttpClient) => HttpClient.HttpClient.With<unknown>
): BenchClient => {
  const runtime = ManagedRuntime.make(NodeTransport.layer())
  const url = `${base}${API_PATH}`
  const headers = {
    accept: "application/json",
    authorization: `Bearer ${ACCESS_TOKEN}`,
    "x-ultracart-api-version": API_VERSION
  }
  const callPromise = runtime.runPromise(
    Effect.map(HttpClient.HttpClient, (transport) => {
      const client = transform(transport)
      return () =>
        Effect.flatMap(client.execute(HttpClientRequest.get(url, { headers })), (response) =>
          Effect.map(response.json, (json) => checkOrder("bare", response.status, json))
        )
    })
  )
  return {
    run: async (calls, inFlight) => effectRunner(runtime, await callPromise)(calls, inFlight),
    close: () => runtime.dispose()
  }
}

export const make = (base: string): BenchClient => bareOver(base, (client) => client)
