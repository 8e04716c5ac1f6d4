/**
 * The token manager over the file store, as several processes sharing one directory would use it: each
 * "process" is a manager with its own `FileTokenStore` instance on the same temporary directory.
 */
import { FileSystem } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Option, Redacted, Scope, TestClock } from "effect"
import * as FileTokenStore from "../src/FileTokenStore.js"
import * as TokenManager from "../src/TokenManager.js"
import { TokenStore } from "../src/TokenStore.js"
import { awaitDriving, ScriptedServer } from "./TokenFixtures.js"

const KEY = "merchant-DEMO"

/** A "process": a manager and its own file store instance on `directory`, built in the test's scope. */
const processOn = (directory: string, server: ScriptedServer) =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const store = FileTokenStore.layer({ directory }).pipe(Layer.provide(NodeFileSystem.layer), Layer.orDie)
    const context = yield* Layer.buildWithScope(
      TokenManager.layer({ key: KEY }).pipe(Layer.provideMerge(Layer.merge(store, server.layer()))),
      scope
    )
    return { manager: Context.get(context, TokenManager.TokenManager), context }
  })

const tempDir = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ultracart-tm-" }))

describe("TokenManager over FileTokenStore", () => {
  it.scoped(
    "two processes with an expired token spend the refresh token once: one request, same tokens, grant alive",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDir
        const server = new ScriptedServer({ rotate: true })
        const a = yield* processOn(directory, server)
        const b = yield* processOn(directory, server)
        yield* a.manager.save(server.initial())
        yield* TestClock.adjust("2 hours")
        server.faults.push({ _tag: "Delay", duration: "200 millis" })
        const both = yield* Effect.fork(Effect.all([a.manager.accessToken, b.manager.accessToken], { concurrency: 2 }))
        const [ta, tb] = yield* awaitDriving(both)
        expect(server.refreshRequests).toBe(1)
        expect(server.familyRevoked).toBe(false)
        expect(Redacted.value(ta)).toBe(Redacted.value(tb))
        // The stored refresh token is the one UltraCart considers current.
        const stored = Option.getOrThrow(
          yield* Effect.flatMap(TokenStore, (s) => s.load(KEY)).pipe(Effect.provide(a.context))
        )
        expect(Redacted.value(Option.getOrThrow(stored.refreshToken))).toBe(server.currentRefreshToken)
        expect(stored.version).toBe(2)
      }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("a restarted process picks up the persisted rotation without a request", () =>
    Effect.gen(function* () {
      const directory = yield* tempDir
      const server = new ScriptedServer({ rotate: true })
      const firstRun = yield* Scope.make()
      const before = yield* processOn(directory, server).pipe(Scope.extend(firstRun))
      yield* before.manager.save(server.initial())
      yield* TestClock.adjust("2 hours")
      const refreshed = yield* awaitDriving(yield* Effect.fork(before.manager.accessToken))
      yield* Scope.close(firstRun, Exit.void)
      const after = yield* processOn(directory, server)
      const token = yield* awaitDriving(yield* Effect.fork(after.manager.accessToken))
      expect(Redacted.value(token)).toBe(Redacted.value(refreshed))
      expect(server.refreshRequests).toBe(1)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("a lease left by a crashed process goes stale and stops blocking refreshes", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDir
      const server = new ScriptedServer({ rotate: true })
      const p = yield* processOn(directory, server)
      yield* p.manager.save(server.initial())
      yield* fs.writeFileString(`${directory}/grant-merchant-DEMO.json.lease`, "")
      // Its mtime is real time; one hour later by the TestClock it is stale.
      yield* TestClock.setTime(Date.now() + 3_600_000)
      const token = yield* awaitDriving(yield* Effect.fork(p.manager.accessToken))
      expect(server.refreshRequests).toBe(1)
      expect(yield* fs.exists(`${directory}/grant-merchant-DEMO.json.lease`)).toBe(false)
      expect(Redacted.value(token)).not.toBe("")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
