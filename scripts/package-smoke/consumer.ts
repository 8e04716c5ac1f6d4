// Type-checked in the fresh project against the packed `.d.ts` (strict, NodeNext, skipLibCheck off): a user's
// program compiles from the published types alone, subpaths included.
import * as NodeTransport from "@ultracart-oauth/adapters/NodeTransport"
import { FetchTransport, TokenManager } from "@ultracart-oauth/adapters"
import { OAuthClient, type OAuthError, type TokenResponse } from "@ultracart-oauth/core"
import { SqlTokenStore } from "@ultracart-oauth/sql"
import * as TokenDatabase from "@ultracart-oauth/sql/TokenDatabase"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Effect, Layer, type Redacted } from "effect"

const exchange = (
  code: Redacted.Redacted<string>
): Effect.Effect<TokenResponse.TokenResponse, OAuthError.OAuthClientError, OAuthClient.OAuthClient> =>
  Effect.flatMap(OAuthClient.OAuthClient, (client) =>
    client.exchangeCode({ code, redirectUri: "https://app.example.test/cb" })
  )

export const recovered = (code: Redacted.Redacted<string>) =>
  exchange(code).pipe(Effect.catchTag("InvalidGrant", (e) => Effect.succeed(e.message)))

export const transports = [FetchTransport.layer(), NodeTransport.layer()] as const
export const loopback = FakeUltraCart.clientLayer().pipe(
  Layer.provideMerge(Layer.merge(FakeUltraCartServer.layer(), FetchTransport.layer()))
)
export const manager: typeof TokenManager.TokenManager = TokenManager.TokenManager
export const sqlStore = SqlTokenStore.layer({ table: "grants" }).pipe(
  Layer.provide(SqliteClient.layer({ filename: "grants.db" }))
)
export const fromEnvironment = TokenDatabase.layerConfig()
