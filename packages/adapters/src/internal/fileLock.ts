/**
 * Lock files shared by the processes of one machine: a lock is a file created with `O_EXCL`, held for a scope;
 * a lock older than `staleMillis` is taken to belong to a crashed process and removed.
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"

/** Another process held the lock for longer than the caller would wait. */
export class LockTimeout extends Data.TaggedError("LockTimeout")<{
  readonly path: string
  readonly timeout: Duration.Duration
}> {}

/** The lock files of a store. */
export interface FileLocks {
  /** Takes the lock at `path` for the rest of the scope, waiting for another holder at most `timeout`. */
  readonly take: (
    path: string,
    timeout: Duration.Duration
  ) => Effect.Effect<void, PlatformError | LockTimeout, Scope.Scope>
  /** Keeps a held lock fresh (so it never looks stale) until interrupted. */
  readonly heartbeat: (path: string) => Effect.Effect<never>
}

export const make = (fs: FileSystem.FileSystem, staleMillis: number): FileLocks => {
  const removeIfStale = (path: string) =>
    Effect.gen(function* () {
      const info = yield* fs.stat(path)
      const now = yield* Clock.currentTimeMillis
      const age = Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => now - mtime.getTime() })
      if (age > staleMillis) yield* fs.remove(path, { force: true })
    }).pipe(Effect.ignore)

  /** Each attempt either takes the lock and registers its removal, or leaves nothing behind. */
  const take = (path: string, timeout: Duration.Duration) => {
    const attempt = Effect.acquireRelease(
      fs.open(path, { flag: "wx", mode: 0o600 }).pipe(
        Effect.scoped,
        Effect.as(true),
        Effect.catchIf(
          (error) => error._tag === "SystemError" && error.reason === "AlreadyExists",
          () => Effect.as(removeIfStale(path), false)
        )
      ),
      (taken) => (taken ? Effect.ignore(fs.remove(path, { force: true })) : Effect.void)
    )
    return attempt.pipe(
      Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (taken) => taken }),
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new LockTimeout({ path, timeout }) }),
      Effect.asVoid
    )
  }

  const heartbeat = (path: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => fs.utimes(path, new Date(now), new Date(now))).pipe(
      Effect.ignore,
      Effect.delay(Duration.millis(staleMillis / 3)),
      Effect.forever
    )

  return { take, heartbeat }
}
