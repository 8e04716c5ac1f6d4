/**
 * The file store's lock and lease files under contention, on real files with the live clock: several store
 * instances on one directory stand for several processes, and a file system with injected delays between the
 * steps of taking and breaking a lock opens every window an interleaving of real processes could.
 */
import { FileSystem } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import * as FileTokenStore from "../src/FileTokenStore.js"
import type { TokenStore } from "../src/TokenStore.js"

const tempDir = Effect.flatMap(FileSystem.FileSystem, (fs) =>
  fs.makeTempDirectoryScoped({ prefix: "ultracart-locks-" })
)

const randomDelay = (maxMillis: number) => Effect.suspend(() => Effect.sleep(Math.floor(Math.random() * maxMillis)))

/**
 * The Node file system with a random pause of up to `maxMillis` after every `stat` and before every `remove` and
 * `open` of a lock, lease or claim file: the time a process may spend between checking a lock and acting on it.
 */
const slowLocks = (maxMillis: number) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (fs): FileSystem.FileSystem => {
      const isLock = (path: string) => /\.(lock|lease|claim)$/.test(path)
      const pause = (path: string) => (isLock(path) ? randomDelay(maxMillis) : Effect.void)
      return {
        ...fs,
        stat: (path) => Effect.tap(fs.stat(path), () => pause(path)),
        remove: (path, options) => Effect.zipRight(pause(path), fs.remove(path, options)),
        open: (path, options) => Effect.zipRight(pause(path), fs.open(path, options))
      }
    })
  ).pipe(Layer.provide(NodeFileSystem.layer))

/** A lease file as a process that crashed an hour ago left it. */
const staleLease = (directory: string, key: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = `${directory}/grant-${key}.json.lease`
    yield* fs.writeFileString(path, "")
    const anHourAgo = new Date(Date.now() - 3_600_000)
    yield* fs.utimes(path, anHourAgo, anHourAgo)
    return path
  }).pipe(Effect.provide(NodeFileSystem.layer))

describe("FileTokenStore locks", () => {
  it.scopedLive(
    "a stale lease broken by several processes at once has one holder at a time (injected delays, 15 rounds)",
    () =>
      Effect.gen(function* () {
        const directory = yield* Effect.provide(tempDir, NodeFileSystem.layer)
        const options = { directory, staleLockAfter: "2 seconds", leaseTimeout: "20 seconds" } as const
        const processes = yield* Effect.forEach([1, 2, 3], () =>
          Effect.provide(FileTokenStore.make(options), slowLocks(30))
        )
        let holders = 0
        let most = 0
        let turns = 0
        const hold = (store: TokenStore.Service) =>
          Effect.scoped(
            Effect.zipRight(
              store.lease?.("m") ?? Effect.dieMessage("the file store has leases"),
              Effect.acquireUseRelease(
                Effect.sync(() => {
                  holders++
                  turns++
                  most = Math.max(most, holders)
                }),
                // Long enough for a process that removed this lease by mistake to take it too.
                () => Effect.sleep("40 millis"),
                () => Effect.sync(() => void holders--)
              )
            )
          )
        for (let round = 0; round < 15; round++) {
          yield* staleLease(directory, "m")
          yield* Effect.forEach(processes, hold, { concurrency: "unbounded", discard: true })
        }
        expect(turns).toBe(45)
        expect(most).toBe(1)
      }),
    60_000
  )

  it.scopedLive(
    "a process that died while breaking a stale lease does not block it forever: its claim goes stale too",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const directory = yield* tempDir
        const leasePath = yield* staleLease(directory, "m")
        // The claim a breaker creates before removing that lease, left behind by its crash an hour ago.
        const info = yield* fs.stat(leasePath)
        const claim = `${leasePath}.${info.ino.pipe(Option.getOrElse(() => 0))}-${info.mtime.pipe(
          Option.map((mtime) => mtime.getTime()),
          Option.getOrElse(() => 0)
        )}.claim`
        yield* fs.writeFileString(claim, "")
        const anHourAgo = new Date(Date.now() - 3_600_000)
        yield* fs.utimes(claim, anHourAgo, anHourAgo)
        const store = yield* FileTokenStore.make({ directory, staleLockAfter: "1 second", leaseTimeout: "3 seconds" })
        yield* Effect.scoped(store.lease?.("m") ?? Effect.void)
        expect((yield* fs.readDirectory(directory)).filter((name) => name.includes(".lease"))).toEqual([])
      }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scopedLive("a holder that stalled until its lease went stale and was taken over never removes the new one", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDir
      // `stalled` cannot touch its lease (its heartbeat hangs, as a frozen process's would).
      const frozenTouch = Layer.effect(
        FileSystem.FileSystem,
        Effect.map(FileSystem.FileSystem, (inner): FileSystem.FileSystem => ({ ...inner, utimes: () => Effect.never }))
      ).pipe(Layer.provide(NodeFileSystem.layer))
      const options = { directory, staleLockAfter: "300 millis", leaseTimeout: "5 seconds" } as const
      const stalled = yield* Effect.provide(FileTokenStore.make(options), frozenTouch)
      const other = yield* FileTokenStore.make(options)
      const leasePath = `${directory}/grant-m.json.lease`

      const first = yield* Scope.make()
      yield* Scope.extend(stalled.lease?.("m") ?? Effect.void, first)
      const second = yield* Scope.make()
      // Waits until the stalled holder's lease is stale, then breaks it.
      yield* Scope.extend(other.lease?.("m") ?? Effect.void, second)
      const taken = yield* fs.stat(leasePath)
      // The stalled holder wakes up and lets go: the lease file is the new holder's, and stays.
      yield* Scope.close(first, Exit.void)
      expect(yield* fs.exists(leasePath)).toBe(true)
      expect((yield* fs.stat(leasePath)).ino).toEqual(taken.ino)
      // A third process still waits for the new holder.
      const third = yield* Effect.fork(Effect.scoped(other.lease?.("m") ?? Effect.void))
      yield* Effect.sleep("150 millis")
      expect(third.unsafePoll()).toBe(null)
      yield* Scope.close(second, Exit.void)
      yield* Fiber.join(third)
      expect(yield* fs.exists(leasePath)).toBe(false)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scopedLive(
    "a lease held past maxLeaseHold (a hung refresh) is no longer touched, and another process takes it",
    () =>
      Effect.gen(function* () {
        const directory = yield* tempDir
        const options = { directory, staleLockAfter: "300 millis", leaseTimeout: "5 seconds" } as const
        const hung = yield* FileTokenStore.make({ ...options, maxLeaseHold: "300 millis" })
        const other = yield* FileTokenStore.make(options)
        // Held for the rest of the test, as by a refresh that never returns; its heartbeat runs all along.
        yield* hung.lease?.("m") ?? Effect.void
        const waited = yield* Effect.timed(Effect.scoped(other.lease?.("m") ?? Effect.void))
        // Taken over once the holder stopped touching it (300 ms) and it went stale (300 ms more).
        expect(Duration.toMillis(waited[0])).toBeGreaterThanOrEqual(500)
      }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
