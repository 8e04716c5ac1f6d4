/**
 * The Effect floor on Node's undici: the `effect-schema` program over `@effect/platform-node`'s undici client
 * (what `ours-undici` is measured against). No ultracart-oauth module.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const Tokens = Schema.Struct({ access_token: Schema.Redacted(Schema.String), token_type: Schema.String })

export const run = (baseUrl: string): Promise<string> =>
  Effect.runPromise(
    HttpClientRequest.post(`${baseUrl}/oauth/token`).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyUrlParams({
        client_id: "bench-client",
        grant_type: "authorization_code",
        code: "c0de-1",
        redirect_uri: "https://app.example.com/oauth/callback"
      }),
      HttpClient.execute,
      Effect.flatMap(HttpClientResponse.schemaBodyJson(Tokens)),
      Effect.map((tokens) => tokens.token_type),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
