/**
 * The file store's directory: one file per grant, named from the grant key one-to-one, read whole and written
 * atomically (a synced temporary file renamed over the record).
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
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
