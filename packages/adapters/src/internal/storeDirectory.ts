/**
 * The file store's directory: one file per grant, named from the grant key one-to-one, read whole and written
 * atomically (a synced temporary file renamed over the record).
 */
import { type PlatformError, SystemError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import { compareKeys } from "../TokenStore.js"

/** A file name for any key: `[A-Za-z0-9_-]` kept, every other UTF-8 byte as `%XX` (one-to-one, no dots). */
export const fileNameOf = (key: string): string => {
  let out = "grant-"
  for (const byte of new TextEncoder().encode(key)) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).padStart(2, "0").toUpperCase()}`
  }
  return out
}

/** The key a record's file name stands for (the inverse of `fileNameOf` + `.json`); None for any other file. */
export const keyOfFileName = (name: string): Option.Option<string> => {
  const match = /^grant-((?:[A-Za-z0-9_-]|%[0-9A-F]{2})*)\.json$/.exec(name)
  if (match === null) return Option.none()
  const encoded = match[1] ?? ""
  const bytes: Array<number> = []
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === "%") {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(encoded.charCodeAt(i))
  }
  try {
    return Option.some(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes)))
  } catch {
    return Option.none()
  }
}

const randomSuffix = (): string => Encoding.encodeHex(globalThis.crypto.getRandomValues(new Uint8Array(8)))

/** The grant records of one directory. */
export interface StoreDirectory {
  readonly path: string
  /** The record file of a grant (its lock and lease files add `.lock` / `.lease`). */
  readonly recordPath: (key: string) => string
  /** The record's text; None when there is no record. */
  readonly read: (key: string) => Effect.Effect<Option.Option<string>, PlatformError>
  /** Temp file (0600, `O_EXCL`), synced, renamed over the record; the temp file is removed if anything fails. */
  readonly write: (key: string, text: string) => Effect.Effect<void, PlatformError>
  readonly remove: (key: string) => Effect.Effect<void, PlatformError>
  /** Every grant key with a record file, in code point order. Files are named, not read. */
  readonly keys: Effect.Effect<Array<string>, PlatformError>
}

/** The records of `directory` (without a trailing separator). */
export const make = (fs: FileSystem.FileSystem, directory: string): StoreDirectory => {
  const recordPath = (key: string) => `${directory}/${fileNameOf(key)}.json`

  const read = (key: string) =>
    fs.readFileString(recordPath(key)).pipe(
      Effect.map(Option.some),
      Effect.catchIf(
        (error) => error._tag === "SystemError" && error.reason === "NotFound",
        () => Effect.succeed(Option.none<string>())
      )
    )

  const write = (key: string, text: string) =>
    Effect.gen(function* () {
      const target = recordPath(key)
      const temp = `${target}.${randomSuffix()}.tmp`
      yield* Effect.scoped(
        Effect.flatMap(fs.open(temp, { flag: "wx", mode: 0o600 }), (file) =>
          Effect.zipRight(file.writeAll(new TextEncoder().encode(text)), file.sync)
        )
      ).pipe(
        Effect.zipRight(fs.rename(temp, target)),
        Effect.onError(() => Effect.ignore(fs.remove(temp, { force: true })))
      )
      // Makes the rename itself durable where directories can be synced (not on Windows: ignored there).
      yield* Effect.ignore(Effect.scoped(Effect.flatMap(fs.open(directory, { flag: "r" }), (dir) => dir.sync)))
    })

  return {
    path: directory,
    recordPath,
    read,
    write,
    remove: (key) => fs.remove(recordPath(key), { force: true }),
    keys: Effect.map(fs.readDirectory(directory), (names) =>
      names.flatMap((name) => Option.toArray(keyOfFileName(name))).sort(compareKeys)
    )
  }
}

/** Group and others' write bits. */
const WRITABLE_BY_OTHERS = 0o022

/** The temporary file of a write: the record's name, 16 hex digits, `.tmp`. */
const TEMP_FILE = /^grant-(?:[A-Za-z0-9_-]|%[0-9A-F]{2})*\.json\.[0-9a-f]{16}\.tmp$/

const platformProcess = (): { readonly platform?: string; readonly getuid?: () => number } | undefined =>
  (globalThis as { readonly process?: { readonly platform?: string; readonly getuid?: () => number } }).process

/**
 * Creates the directory (0700) if missing. A directory others may write to (group or world write bit) could get
 * records planted, replaced or removed by them: when it belongs to this user its write bits for group and others
 * are removed; otherwise it is refused. (Windows has no such mode bits: nothing to check there.)
 */
const secure = (fs: FileSystem.FileSystem, directory: string) =>
  Effect.gen(function* () {
    yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 })
    const host = platformProcess()
    if (host?.platform === "win32") return
    const info = yield* fs.stat(directory)
    if ((info.mode & WRITABLE_BY_OTHERS) === 0) return
    const mode = info.mode & 0o7777
    const self = host?.getuid?.()
    if (self === undefined || Option.getOrUndefined(info.uid) !== self) {
      return yield* new SystemError({
        reason: "PermissionDenied",
        module: "FileSystem",
        method: "FileTokenStore",
        pathOrDescriptor: directory,
        description: `the token directory is writable by group or others (mode ${mode.toString(8).padStart(4, "0")}) and belongs to another user: make it 0700 and owned by the user the app runs as`
      })
    }
    yield* fs.chmod(directory, mode & ~WRITABLE_BY_OTHERS)
    yield* Effect.logWarning("the token directory was writable by group or others; removed those write bits").pipe(
      Effect.annotateLogs({ "token.directory": directory, "mode.before": mode.toString(8) })
    )
  })

/**
 * Removes the temporary files of writes that never finished (a process killed between writing and renaming):
 * those older than `staleMillis` — a younger one may be another process's write in progress.
 */
const sweepTempFiles = (fs: FileSystem.FileSystem, directory: string, staleMillis: number) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const names = (yield* fs.readDirectory(directory)).filter((name) => TEMP_FILE.test(name))
    yield* Effect.forEach(
      names,
      (name) =>
        fs.stat(`${directory}/${name}`).pipe(
          Effect.flatMap((info) =>
            Option.exists(info.mtime, (mtime) => now - mtime.getTime() > staleMillis)
              ? fs.remove(`${directory}/${name}`, { force: true })
              : Effect.void
          ),
          Effect.ignore
        ),
      { discard: true }
    )
  })

/** Makes the directory ready for a store: created, not writable by others, without leftovers of killed writes. */
export const open = (
  fs: FileSystem.FileSystem,
  directory: string,
  staleMillis: number
): Effect.Effect<StoreDirectory, PlatformError> =>
  Effect.zipRight(secure(fs, directory), Effect.as(sweepTempFiles(fs, directory, staleMillis), make(fs, directory)))
