/**
 * The README's SQLite and `TokenDatabase` compositions, as written there (run in a temporary working directory,
 * since they name relative files), handing out tokens the fake UltraCart on loopback accepts. The PostgreSQL
 * composition runs in PgTokenStore.test.ts, against the real server there.
 */
import { FetchHttpClient } from "@effect/platform"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { expect, layer } from "@effect/vitest"
import { TokenManager, type TokenStore } from "@ultracart-oauth/adapters"
import { OAuthClient } from "@ultracart-oauth/core"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import * as FakeUltraCartServer from "@ultracart-oauth/testing/FakeUltraCartServer"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { existsSync } from "node:fs"
import { SqlTokenStore } from "../src/index.js"
import * as TokenDatabase from "../src/TokenDatabase.js"
import { tempDir } from "./utils/Databases.js"

// --- README: SQLite ---
const SqliteStoreLive = SqlTokenStore.layer().pipe(Layer.provide(SqliteClient.layer({ filename: "app.db" })))
// --- README: TokenDatabase ---
const DatabaseStoreLive = TokenDatabase.layerConfig() // ULTRACART_DATABASE_URL, plus the settings below
// --- end ---

const tokensOn = <E>(StoreLive: Layer.Layer<TokenStore.TokenStore, E>) =>
  // --- README: token manager ---
  TokenManager.layerConfig().pipe(
    Layer.provideMerge(Layer.merge(StoreLive, OAuthClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))))
  )
// --- end ---

/** Runs in a temporary working directory (the README's relative paths land there), restored afterwards. */
const inTempDir = Effect.gen(function* () {
  const dir = yield* tempDir
  const previous = process.cwd()
  yield* Effect.acquireRelease(
    Effect.sync(() => process.chdir(dir)),
    () => Effect.sync(() => process.chdir(previous))
  )
  return dir
})

/** A grant at the fake, its settings as a deployment gives them, and a token from the composition. */
const tokenFrom = <E>(
  StoreLive: Layer.Layer<TokenStore.TokenStore, E>,
  settings: ReadonlyArray<readonly [string, string]>
) =>
  Effect.gen(function* () {
    const fake = yield* FakeUltraCartServer.make()
    const environment = ConfigProvider.fromMap(
      new Map([
        ["ULTRACART_CLIENT_ID", FakeUltraCart.DEFAULT_CLIENT.clientId],
        ["ULTRACART_BASE_URL", fake.baseUrl],
        ["ULTRACART_TOKEN_GRANT", "merchant-1"],
        ...settings
      ])
    )
    const context = yield* Layer.build(
      tokensOn(StoreLive).pipe(Layer.provide(Layer.setConfigProvider(environment)), Layer.orDie)
    )
    const manager = yield* Effect.provide(TokenManager.TokenManager, context)
    const issued = yield* Effect.orDie(fake.issueTokens({ clientId: FakeUltraCart.DEFAULT_CLIENT.clientId }))
    yield* manager.save({
      accessToken: issued.accessToken,
      tokenType: "bearer",
      expiresIn: Option.some(issued.expiresIn),
      refreshToken: Option.some(issued.refreshToken),
      scope: Option.none()
    })
    const refreshed = yield* manager.refresh
    const oauth = yield* Effect.provide(OAuthClient.OAuthClient, context)
    return yield* oauth.me({ accessToken: refreshed.accessToken })
  })

layer(Layer.empty, { excludeTestServices: true })((it) => {
  it.scoped("the README's SQLite layers keep the grant in app.db and hand out a token the API accepts", () =>
    Effect.gen(function* () {
      yield* inTempDir
      const me = yield* tokenFrom(SqliteStoreLive, [])
      expect(Option.isSome(me.merchantId)).toBe(true)
      expect(existsSync("app.db")).toBe(true)
    })
  )

  it.scoped("TokenDatabase with nothing set: SQLite in ultracart-oauth.db in the working directory", () =>
    Effect.gen(function* () {
      yield* inTempDir
      const me = yield* tokenFrom(DatabaseStoreLive, [])
      expect(Option.isSome(me.merchantId)).toBe(true)
      expect(existsSync("ultracart-oauth.db")).toBe(true)
    })
  )
})
