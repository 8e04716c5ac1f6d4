/**
 * An idiomatic Effect client on `@effect/platform` (its undici client, `NodeHttpClient.layerUndici`): the request
 * built with `HttpClientRequest`, a status check, the answer decoded by a `Schema` with the tokens `Redacted` — what
 * an Effect program would write without this library.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import { API_VERSION, CLIENT_ID, CODE, REDIRECT_URI } from "../fixtures.js"
import { type BenchClient, effectRunner } from "./shared.js"

const Tokens = Schema.Struct({
  access_token: Schema.Redacted(Schema.String),
  refresh_token: Schema.optional(Schema.Redacted(Schema.String)),
  token_type: Schema.String,
  expires_in: Schema.optional(Schema.Number),
  scope: Schema.optional(Schema.String)
})

export const make = (base: string): BenchClient => {
  const runtime = ManagedRuntime.make(NodeHttpClient.layerUndici)
  const exchange = Effect.flatMap(HttpClient.HttpClient, (client) => {
    const ok = HttpClient.filterStatusOk(client)
    return Effect.succeed(() =>
      HttpClientRequest.post(`${base}/oauth/token`).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.setHeader("x-ultracart-api-version", API_VERSION),
        HttpClientRequest.bodyUrlParams({
          client_id: CLIENT_ID,
          grant_type: "authorization_code",
          code: CODE,
          redirect_uri: REDIRECT_URI
        }),
        ok.execute,
        Effect.flatMap(HttpClientResponse.schemaBodyJson(Tokens))
      )
    )
  })
  const callPromise = runtime.runPromise(exchange)
  return {
    run: async (calls, inFlight) => effectRunner(runtime, await callPromise)(calls, inFlight),
    close: () => runtime.dispose()
  }
}
