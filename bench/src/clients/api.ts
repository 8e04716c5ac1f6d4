/**
 * The API call path: `GET` of one order from the bench server's REST-like endpoint, the answer read as JSON. The
 * bare transport call is the reference; the authenticated clients add credentials (a fixed bearer token, or a warm
 * `TokenManager`'s current token) and, in the production setup, `Retry` and `Timeouts` per attempt.
 */
import * as Auth from "@ultracart-oauth/adapters/Auth"
import * as TokenManager from "@ultracart-oauth/adapters/TokenManager"
import * as TokenStore from "@ultracart-oauth/adapters/TokenStore"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ACCESS_TOKEN, API_PATH, CLIENT_ID } from "../fixtures.js"
import { type BenchClient, effectRunner, fail } from "./shared.js"

/** The API base URL on the bench server, and the path of the order relative to it. */
export const apiBase = (base: string) => `${base}/rest/v2`
export const orderPath = API_PATH.slice("/rest/v2".length)

/** Checks a parsed order answer. */
export const checkOrder = (what: string, status: number, json: unknown): void => {
  if (status !== 200 || (json as { success?: unknown }).success !== true) fail(what)
}

/**
 * A token manager over a memory store that holds a grant valid for a day (the token the server issues), read once
 * before anything is timed: every later `tokens` is the cached read.
 */
export const warmManager = (base: string, transport: Transport): Layer.Layer<TokenManager.TokenManager> => {
  const store = TokenStore.makeMemory()
  const now = DateTime.unsafeNow()
  Effect.runSync(
    store.save(CLIENT_ID, {
      accessToken: Redacted.make(ACCESS_TOKEN),
      refreshToken: Option.some(Redacted.make("rt-bench")),
      expiresAt: DateTime.add(now, { days: 1 }),
      issuedAt: now,
      scope: Option.none()
    })
  )
  return TokenManager.layer().pipe(
    Layer.provide(Layer.orDie(OAuthClient.layer({ clientId: CLIENT_ID, baseUrl: base }))),
    Layer.provide(Layer.succeed(TokenStore.TokenStore, store)),
    Layer.provide(transport)
  )
}

/** Runs `GET orderPath` through the `Auth.UltraCartHttpClient` a Layer builds. */
export const apiOver = (layer: Layer.Layer<Auth.UltraCartHttpClient, unknown>): BenchClient => {
  const runtime = ManagedRuntime.make(layer)
  const callPromise = runtime.runPromise(
    Effect.map(
      Auth.UltraCartHttpClient,
      (api) => () =>
        Effect.flatMap(api.get(orderPath), (response) =>
          Effect.map(response.json, (json) => checkOrder("api", response.status, json))
        )
    )
  )
  return {
    run: async (calls, inFlight) => effectRunner(runtime, await callPromise)(calls, inFlight),
    close: () => runtime.dispose()
  }
}

/** The transport a client's Layer is built over. */
export type Transport = Layer.Layer<HttpClient.HttpClient>
