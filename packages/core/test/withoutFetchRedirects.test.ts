/**
 * `OAuthTransport.withoutFetchRedirects` on its own, over a Fetch client whose `fetch` records what it is given:
 * the OAuth client's use of it is tested in requests.test.ts and safeDefaults.test.ts, the API client's in adapters.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as OAuthTransport from "../src/OAuthTransport.js"

/** A Fetch client whose `fetch` answers a redirect and records every `RequestInit`; `layerInit` as the program's. */
const recording = (layerInit: RequestInit) => {
  const inits: Array<RequestInit> = []
  const fetch = (_input: string | URL | Request, init?: RequestInit) => {
    inits.push(init ?? {})
    return Promise.resolve(new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } }))
  }
  const layer = FetchHttpClient.layer.pipe(
    Layer.provide(
      Layer.mergeAll(
        Layer.succeed(FetchHttpClient.Fetch, fetch as typeof globalThis.fetch),
        Layer.succeed(FetchHttpClient.RequestInit, layerInit)
      )
    )
  )
  return { inits, layer }
}

describe("OAuthTransport.withoutFetchRedirects", () => {
  it.effect("asks fetch not to follow, keeps the program's RequestInit, and hands back the 3xx", () => {
    const { inits, layer } = recording({ keepalive: true, redirect: "follow" })
    return Effect.gen(function* () {
      const client = OAuthTransport.withoutFetchRedirects(yield* HttpClient.HttpClient)
      const response = yield* client.get("https://api.example/one")
      expect(response.status).toBe(302)
      expect(inits).toEqual([expect.objectContaining({ keepalive: true, redirect: "manual", method: "GET" })])
      // The option is the call's: the caller's context is as it was.
      expect(Option.isNone(yield* Effect.serviceOption(FetchHttpClient.RequestInit))).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.effect("the control: the same client without it sends the program's redirect option", () => {
    const { inits, layer } = recording({ keepalive: true, redirect: "follow" })
    return Effect.gen(function* () {
      yield* (yield* HttpClient.HttpClient).get("https://api.example/one")
      expect(inits).toEqual([expect.objectContaining({ keepalive: true, redirect: "follow" })])
    }).pipe(Effect.provide(layer))
  })
})
