/**
 * Every `layerConfig` takes a `Config.Wrap` as first-party Effect packages do: a record with one `Config` per
 * option (only the options wanted), or one `Config` of the whole options (as before).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { FakeUltraCart } from "@ultracart-oauth/testing"
import { Config, ConfigProvider, Effect, Layer, Option } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as FileTokenStore from "../src/FileTokenStore.js"
import * as MerchantGrants from "../src/MerchantGrants.js"
import * as TokenManager from "../src/TokenManager.js"
import * as TokenStore from "../src/TokenStore.js"
import { input } from "./utils/TokenStoreContract.js"

const env = (entries: ReadonlyArray<readonly [string, string]>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("layerConfig takes a Config.Wrap", () => {
  it.scoped("FileTokenStore: one Config per option, from the names the app chooses", () =>
    Effect.gen(function* () {
      const directory = mkdtempSync(join(tmpdir(), "wrap-"))
      const store = yield* Effect.provide(
        TokenStore.TokenStore,
        FileTokenStore.layerConfig({ directory: Config.string("MY_TOKENS") }).pipe(
          Layer.provide(NodeFileSystem.layer),
          Layer.provide(env([["MY_TOKENS", directory]]))
        )
      )
      yield* store.save("m", input(1))
      expect(Option.isSome(yield* store.load("m"))).toBe(true)
    })
  )

  it.scoped("TokenManager and MerchantGrants: a record of some options; the others keep their defaults", () =>
    Effect.gen(function* () {
      const manager = yield* Effect.provide(
        TokenManager.TokenManager,
        TokenManager.layerConfig({ key: Config.string("MY_GRANT") }).pipe(
          Layer.provide(Layer.mergeAll(TokenStore.layerMemory, FakeUltraCart.clientLayer())),
          Layer.provide(FakeUltraCart.layer()),
          Layer.provide(env([["MY_GRANT", "shop-7"]])),
          Layer.orDie
        )
      )
      expect(manager.key).toBe("shop-7")
      const grants = yield* Effect.provide(
        MerchantGrants.MerchantGrants,
        MerchantGrants.layerConfig({
          idleTimeToLive: Config.duration("MY_IDLE"),
          api: { baseUrl: Config.succeed(FakeUltraCart.DEFAULT_BASE_URL) }
        }).pipe(
          Layer.provide(Layer.mergeAll(TokenStore.layerMemory, FakeUltraCart.clientLayer())),
          Layer.provideMerge(FakeUltraCart.layer()),
          Layer.provide(env([["MY_IDLE", "1 minute"]])),
          Layer.orDie
        )
      )
      expect((yield* grants.list()).keys).toEqual([])
    })
  )
})
