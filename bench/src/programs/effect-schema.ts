/**
 * The Effect floor: what any client built on Effect, Schema and `@effect/platform`'s HttpClient loads before it does
 * anything. One code exchange with the platform's Fetch client and a Schema decode, no ultracart-oauth module.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
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
      Effect.provide(FetchHttpClient.layer)
    )
  )
