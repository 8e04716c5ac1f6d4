/** Our client's minimal program: exchange one code over the given transport. */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as OAuthClient from "@ultracart-oauth/core/OAuthClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

export const exchangeOver = (baseUrl: string, transport: Layer.Layer<HttpClient.HttpClient>): Promise<string> =>
  Effect.runPromise(
    Effect.flatMap(OAuthClient.OAuthClient, (client) =>
      client.exchangeCode({ code: Redacted.make("c0de-1"), redirectUri: "https://app.example.com/oauth/callback" })
    ).pipe(
      Effect.map((tokens) => tokens.tokenType),
      Effect.provide(OAuthClient.layer({ clientId: "bench-client", baseUrl }).pipe(Layer.provide(transport)))
    )
  )
