import { FileSystem } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Exit, Layer, Option, Redacted, TestClock } from "effect"
import * as FileTokenStore from "../src/FileTokenStore.js"
import * as TokenEncryption from "../src/TokenEncryption.js"
import type { TokenSetInput } from "../src/TokenStore.js"
import { awaitDriving } from "./TokenFixtures.js"

const tokens = (n: number): TokenSetInput => ({
  accessToken: Redacted.make(`access-token-${n}-Zq8`),
  refreshToken: Option.some(Redacted.make(`refresh-token-${n}-Zq8`)),
  expiresAt: DateTime.unsafeMake(3_600_000 + n),
  issuedAt: DateTime.unsafeMake(n),
  scope: Option.none()
})

const tempDir = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ultracart-fts-" }))

const listDir = (directory: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(directory)).pipe(Effect.map((names) => names.sort()))

const readAll = (directory: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const names = yield* fs.readDirectory(directory)
    const texts = yield* Effect.forEach(names, (name) => fs.readFileString(`${directory}/${name}`))
    return texts.join("\n")
  })

/** The Node file system with `rename` replaced: the "crash" between writing the temp file and renaming it. */
const renameFails = (how: "error" | "defect") =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(
      FileSystem.FileSystem,
      (fs): FileSystem.FileSystem => ({
        ...fs,
        rename: (from) =>
          how === "error"
            ? Effect.fail(
                new SystemError({ reason: "Unknown", module: "FileSystem", method: "rename", pathOrDescriptor: from })
              )
            : Effect.die("process killed between write and rename")
      })
    )
  ).pipe(Layer.provide(NodeFileSystem.layer))

describe("FileTokenStore", () => {
  it.scoped("writes 0600 files in a 0700 directory, one per grant, with no temp or lock file left", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const root = yield* tempDir
      const directory = `${root}/tokens`
      const store = yield* FileTokenStore.make({ directory })
      yield* store.save("merchant/DEMO", tokens(1))
      yield* store.save("merchant/OTHER", tokens(2))
      const names = yield* listDir(directory)
      expect(names).toEqual(["grant-merchant%2FDEMO.json", "grant-merchant%2FOTHER.json"])
      for (const name of names) {
        expect((yield* fs.stat(`${directory}/${name}`)).mode & 0o777).toBe(0o600)
      }
      expect((yield* fs.stat(directory)).mode & 0o777).toBe(0o700)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("keys cannot escape the directory and distinct keys never share a file", () =>
    Effect.gen(function* () {
      const directory = yield* tempDir
      const store = yield* FileTokenStore.make({ directory: `${directory}/inner` })
      const keys = ["../escape", "..", "a.b", "a%2Eb", "ümlaut", ""]
      yield* Effect.forEach(keys, (key, i) => store.save(key, tokens(i)))
      expect(yield* listDir(directory)).toEqual(["inner"])
      expect(yield* listDir(`${directory}/inner`)).toHaveLength(keys.length)
      for (const [i, key] of keys.entries()) {
        const loaded = Option.getOrThrow(yield* store.load(key))
        expect(Redacted.value(loaded.accessToken)).toBe(`access-token-${i}-Zq8`)
      }
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("without a key the record is plain text on purpose, in a versioned format", () =>
    Effect.gen(function* () {
      const directory = yield* tempDir
      const store = yield* FileTokenStore.make({ directory })
      yield* store.save("m", tokens(7))
      const record = JSON.parse(yield* readAll(directory))
      expect(record).toEqual({
        format: "ultracart-oauth/token-set@1",
        version: 1,
        encryption: "none",
        tokens: {
          access_token: "access-token-7-Zq8",
          refresh_token: "refresh-token-7-Zq8",
          expires_at: "1970-01-01T01:00:00.007Z",
          issued_at: "1970-01-01T00:00:00.007Z"
        }
      })
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("with a key no token appears on disk, and the wrong key, a plain file or a moved file are refused", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDir
      const encryptionKey = yield* TokenEncryption.generateKey
      const store = yield* FileTokenStore.make({ directory, encryptionKey })
      yield* store.save("m", tokens(1))
      const text = yield* readAll(directory)
      expect(text).not.toContain("Zq8")
      expect(JSON.parse(text)).toMatchObject({ encryption: "A256GCM", version: 1 })
      expect(Option.map(yield* store.load("m"), (t) => Redacted.value(t.accessToken))).toEqual(
        Option.some("access-token-1-Zq8")
      )

      const wrongKey = yield* FileTokenStore.make({ directory, encryptionKey: yield* TokenEncryption.generateKey })
      const wrong = yield* Effect.flip(wrongKey.load("m"))
      expect([wrong.reason, wrong.operation, wrong.key]).toEqual(["Decrypt", "load", "m"])

      // A record copied to another grant's file fails authentication: the grant key is associated data.
      yield* fs.copyFile(`${directory}/grant-m.json`, `${directory}/grant-n.json`)
      expect((yield* Effect.flip(store.load("n"))).reason).toBe("Decrypt")

      const plainStore = yield* FileTokenStore.make({ directory: `${directory}/plain` })
      yield* plainStore.save("m", tokens(2))
      const encryptedReader = yield* FileTokenStore.make({ directory: `${directory}/plain`, encryptionKey })
      expect((yield* Effect.flip(encryptedReader.load("m"))).reason).toBe("Decrypt")
      expect((yield* Effect.flip(plainStore.load("x").pipe(Effect.zipRight(wrongKey.load("m"))))).reason).toBe(
        "Decrypt"
      )
      // …and a plain-text store cannot read an encrypted record either.
      const plainReader = yield* FileTokenStore.make({ directory })
      expect((yield* Effect.flip(plainReader.load("m"))).reason).toBe("Decrypt")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("refuses an encryption key that is not 32 bytes of base64", () =>
    Effect.gen(function* () {
      for (const key of ["short", "correct horse battery staple", "AAAA"]) {
        const error = yield* Effect.flip(TokenEncryption.make(Redacted.make(key)))
        expect(error._tag).toBe("InvalidInput")
        expect(error.message).not.toContain(key)
      }
      yield* TokenEncryption.make(Redacted.make(Buffer.alloc(32, 7).toString("base64url")))
    })
  )

  it.scoped("a corrupt record is a typed Corrupt error that quotes no value", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDir
      const store = yield* FileTokenStore.make({ directory })
      yield* fs.writeFileString(`${directory}/grant-m.json`, `{"format":"ultracart-oauth/token-set@1","version":1,"enc`)
      expect((yield* Effect.flip(store.load("m"))).reason).toBe("Corrupt")
      yield* fs.writeFileString(
        `${directory}/grant-m.json`,
        JSON.stringify({
          format: "ultracart-oauth/token-set@1",
          version: 1,
          encryption: "none",
          tokens: { access_token: "secret-Zq8", expires_at: "secret-Zq8-not-a-date", issued_at: 5 }
        })
      )
      const error = yield* Effect.flip(store.load("m"))
      expect(error.reason).toBe("Corrupt")
      expect(error.message).not.toContain("Zq8")
      expect(JSON.stringify(error)).not.toContain("Zq8")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  for (const how of ["error", "defect"] as const) {
    it.scoped(`a crash between write and rename (${how}) leaves the previous record whole and no temp file`, () =>
      Effect.gen(function* () {
        const directory = yield* Effect.provide(tempDir, NodeFileSystem.layer)
        const healthy = yield* Effect.provide(FileTokenStore.make({ directory }), NodeFileSystem.layer)
        yield* healthy.save("m", tokens(1))
        const before = yield* Effect.provide(readAll(directory), NodeFileSystem.layer)

        const crashing = yield* Effect.provide(FileTokenStore.make({ directory }), renameFails(how))
        const exit = yield* Effect.exit(crashing.compareAndSet("m", 1, tokens(2)))
        expect(Exit.isFailure(exit)).toBe(true)
        if (how === "error") {
          expect(exit).toMatchObject({ cause: { error: { _tag: "TokenStoreError", reason: "Io" } } })
        }

        expect(yield* Effect.provide(listDir(directory), NodeFileSystem.layer)).toEqual(["grant-m.json"])
        expect(yield* Effect.provide(readAll(directory), NodeFileSystem.layer)).toBe(before)
        const loaded = Option.getOrThrow(yield* healthy.load("m"))
        expect([loaded.version, Redacted.value(loaded.accessToken)]).toEqual([1, "access-token-1-Zq8"])
        // The lock was released: the next write goes through.
        expect((yield* healthy.compareAndSet("m", 1, tokens(3)))._tag).toBe("Written")
      })
    )
  }

  it.scoped("a temp file left by a killed process is ignored and does not block writes", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDir
      const store = yield* FileTokenStore.make({ directory })
      yield* store.save("m", tokens(1))
      yield* fs.writeFileString(`${directory}/grant-m.json.0123456789abcdef.tmp`, `{"format":"ultracart-oauth/tok`)
      expect(Option.getOrThrow(yield* store.load("m")).version).toBe(1)
      expect((yield* store.compareAndSet("m", 1, tokens(2)))._tag).toBe("Written")
      expect(Option.getOrThrow(yield* store.load("m")).version).toBe(2)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("two stores on one directory (two processes) cannot both win a compare-and-set", () =>
    Effect.gen(function* () {
      const directory = yield* tempDir
      const a = yield* FileTokenStore.make({ directory })
      const b = yield* FileTokenStore.make({ directory })
      yield* a.save("m", tokens(1))
      const results = yield* awaitDriving(
        yield* Effect.fork(
          Effect.all(
            [
              a.compareAndSet("m", 1, tokens(2)),
              b.compareAndSet("m", 1, tokens(3)),
              a.compareAndSet("m", 1, tokens(4))
            ],
            { concurrency: "unbounded" }
          )
        )
      )
      expect(results.map((r) => r._tag).sort()).toEqual(["Conflict", "Conflict", "Written"])
      expect(Option.getOrThrow(yield* b.load("m")).version).toBe(2)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped(
    "a live lock of another process makes writes fail with Locked after lockTimeout; a stale one is removed",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const directory = yield* tempDir
        const store = yield* FileTokenStore.make({ directory, lockTimeout: "2 seconds", staleLockAfter: "1 minute" })
        yield* store.save("m", tokens(1))
        const lock = `${directory}/grant-m.json.lock`
        yield* fs.writeFileString(lock, "")
        // The TestClock reads the lock's real mtime as "now": the lock is fresh.
        yield* TestClock.setTime(Date.now())
        const started = yield* TestClock.currentTimeMillis
        const error = yield* Effect.flip(awaitDriving(yield* Effect.fork(store.compareAndSet("m", 1, tokens(2)))))
        expect((yield* TestClock.currentTimeMillis) - started).toBeGreaterThanOrEqual(2_000)
        expect([error.reason, error.operation]).toEqual(["Locked", "compareAndSet"])
        expect(Option.getOrThrow(yield* store.load("m")).version).toBe(1)

        // Two minutes later the same lock is stale: the holder crashed. The write goes through and cleans up.
        yield* TestClock.setTime(Date.now() + 120_000)
        expect((yield* awaitDriving(yield* Effect.fork(store.compareAndSet("m", 1, tokens(2)))))._tag).toBe("Written")
        expect(yield* fs.exists(lock)).toBe(false)
      }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("clear removes the record", () =>
    Effect.gen(function* () {
      const directory = yield* tempDir
      const store = yield* FileTokenStore.make({ directory })
      yield* store.save("m", tokens(1))
      yield* store.clear("m")
      expect(Option.isNone(yield* store.load("m"))).toBe(true)
      expect(yield* listDir(directory)).toEqual([])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("a directory of this user's that group or others may write to is made unwritable to them", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = `${yield* tempDir}/shared`
      yield* fs.makeDirectory(directory)
      yield* fs.chmod(directory, 0o777)
      const store = yield* FileTokenStore.make({ directory })
      expect((yield* fs.stat(directory)).mode & 0o777).toBe(0o755)
      yield* store.save("m", tokens(1))
      expect(Option.isSome(yield* store.load("m"))).toBe(true)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("a directory others may write to that belongs to another user is refused, typed, and left as it is", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = `${yield* tempDir}/theirs`
      yield* fs.makeDirectory(directory)
      yield* fs.chmod(directory, 0o775)
      // The directory as another user's (a test cannot chown to someone else without root).
      const owner = (process.getuid?.() ?? 0) + 1
      const theirs = Layer.effect(
        FileSystem.FileSystem,
        Effect.map(
          FileSystem.FileSystem,
          (inner): FileSystem.FileSystem => ({
            ...inner,
            stat: (path) =>
              Effect.map(inner.stat(path), (info) => (path === directory ? { ...info, uid: Option.some(owner) } : info))
          })
        )
      ).pipe(Layer.provide(NodeFileSystem.layer))
      const error = yield* Effect.flip(Effect.provide(FileTokenStore.make({ directory }), theirs))
      expect(error).toMatchObject({ _tag: "SystemError", reason: "PermissionDenied", pathOrDescriptor: directory })
      expect(error.message).toContain("writable by group or others (mode 0775)")
      expect((yield* fs.stat(directory)).mode & 0o777).toBe(0o775)
      expect(yield* fs.readDirectory(directory)).toEqual([])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scopedLive(
    "temporary files of killed writes are removed on the next open; a young one (a write in progress) stays",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const directory = yield* tempDir
        yield* (yield* FileTokenStore.make({ directory })).save("m", tokens(1))
        const killed = `${directory}/grant-m.json.0123456789abcdef.tmp`
        const inProgress = `${directory}/grant-m.json.fedcba9876543210.tmp`
        const notOurs = `${directory}/notes.0123456789abcdef.tmp`
        for (const path of [killed, inProgress, notOurs])
          yield* fs.writeFileString(path, `{"format":"ultracart-oauth/tok`)
        const anHourAgo = new Date(Date.now() - 3_600_000)
        yield* fs.utimes(killed, anHourAgo, anHourAgo)
        yield* fs.utimes(notOurs, anHourAgo, anHourAgo)
        const reopened = yield* FileTokenStore.make({ directory })
        expect(yield* listDir(directory)).toEqual([
          "grant-m.json",
          "grant-m.json.fedcba9876543210.tmp",
          "notes.0123456789abcdef.tmp"
        ])
        expect(Option.getOrThrow(yield* reopened.load("m")).version).toBe(1)
      }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.scoped("list names every record file, readable or not, and nothing else: it names keys, never decodes", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* tempDir
      const encryptionKey = yield* TokenEncryption.generateKey
      const store = yield* FileTokenStore.make({ directory, encryptionKey })
      yield* store.save("ok", tokens(1))
      yield* store.save("a b/c", tokens(2))
      // Sealed with another key, corrupt, and a file of another program: only the first two are records.
      yield* (yield* FileTokenStore.make({ directory, encryptionKey: yield* TokenEncryption.generateKey })).save(
        "other-key",
        tokens(3)
      )
      yield* fs.writeFileString(`${directory}/grant-corrupt.json`, "{")
      for (const name of ["notes.txt", "grant-ok.json.lock", "grant-ok.json.lease", "grant-ok.json.1-2.claim"]) {
        yield* fs.writeFileString(`${directory}/${name}`, "")
      }
      yield* fs.writeFileString(`${directory}/grant-ok.json.0123456789abcdef.tmp`, "{")
      expect((yield* Effect.flip(store.load("other-key"))).reason).toBe("Decrypt")
      expect((yield* Effect.flip(store.load("corrupt"))).reason).toBe("Corrupt")
      expect(yield* store.list()).toEqual({ keys: ["a b/c", "corrupt", "ok", "other-key"], next: Option.none() })
      yield* store.clear("corrupt")
      expect((yield* store.list()).keys).toEqual(["a b/c", "ok", "other-key"])
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
