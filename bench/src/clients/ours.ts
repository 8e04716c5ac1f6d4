/**
 * Our client's token exchange over a transport, as a program composes it: core's `OAuthClient` alone, or the
 * production setup of the adapters README (`Retry` over the client, `Timeouts`' deadlines in its options).
 */
import * as Retry from "@ultracart-oauth/adapters/Retry"
import * as Timeouts from "@ultracart-oauth/adapters/Timeouts"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { CLIENT_ID, CODE, REDIRECT_URI } from "../fixtures.js"
import { type BenchClient, effectRunner } from "./shared.js"

export interface Setup {
  /** `Timeouts.defaults` (10 s for the head, 10 s for the body) in the client's options. */
  readonly timeouts: boolean
  /** `Retry.layer()` (the default policy) over the client. */
  readonly retry: boolean
}

export const bare: Setup = { timeouts: false, retry: false }
export const production: Setup = { timeouts: true, retry: true }

export const oursOver = (base: string, transport: Layer.Layer<HttpClient.HttpClient>, setup: Setup): BenchClient => {
  const options: OAuthClient.OAuthClientOptions = { clientId: CLIENT_ID, baseUrl: base }
  const client = OAuthClient.layer(setup.timeouts ? Timeouts.withTimeouts(options) : options)
  const layer = (setup.retry ? Retry.layer().pipe(Layer.provide(client)) : client).pipe(Layer.provide(transport))
  const runtime = ManagedRuntime.make(layer)
  const exchangePromise = runtime.runPromise(
    Effect.map(
      OAuthClient.OAuthClient,
      (client) => () => client.exchangeCode({ code: Redacted.make(CODE), redirectUri: REDIRECT_URI })
    )
  )
  return {
    run: async (calls, inFlight) => effectRunner(runtime, await exchangePromise)(calls, inFlight),
    close: () => runtime.dispose()
  }
}
