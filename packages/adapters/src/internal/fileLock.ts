/**
 * Lock files shared by the processes of one machine. A lock is a file created with `O_EXCL`, held for a scope;
 * one older than `staleMillis` (by its mtime) is taken to belong to a crashed process and broken.
 *
 * **Breaking is a claim, not a race.** A process that finds a stale lock first creates, with `O_EXCL`, a claim
 * file named after that lock's identity (inode and mtime): of every process that saw the same stale lock, exactly
 * one creates the claim. Only the claim's holder removes the lock, and only after checking, under the claim, that
 * the lock is still the one it saw; then it drops the claim and competes for the lock like everyone else. A lock
 * that changed meanwhile (taken over, or touched by its live holder) has another identity and is left alone. A
 * claim whose holder died is itself stale after `staleMillis` and is broken the same way (a claim of the claim).
 *
 * **A holder only touches its own lock while it cannot be stale.** It checks that the file is still its own
 * (same inode) before touching or removing it, and it stops doing either once it has gone two thirds of
 * `staleMillis` without touching it (a process frozen that long may have been taken for dead): a lock it no
 * longer owns is never refreshed or removed by it. This holds for every process that does not stop for longer
 * than `staleMillis` between two steps — the assumption behind any stale lock.
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

/** A lock this process holds: its file's inode, and when it was taken and last touched (by the `Clock`). */
export interface HeldLock {
  readonly path: string
  readonly ino: Option.Option<number>
  readonly takenAt: number
  touchedAt: number
}

/** The lock files of a store. */
export interface FileLocks {
  /** Takes the lock at `path` for the rest of the scope, waiting for another holder at most `timeout`. */
  readonly take: (
    path: string,
    timeout: Duration.Duration
  ) => Effect.Effect<HeldLock, PlatformError | LockTimeout, Scope.Scope>
  /**
   * Keeps a held lock fresh (so it never looks stale) until interrupted, until it is no longer its own, or until it
   * has been held for `maxHoldMillis`: then it is left to go stale, and another process takes it over.
   */
  readonly heartbeat: (lock: HeldLock, maxHoldMillis: number) => Effect.Effect<void>
}

/** How deep claims of claims go: each level needs a process to die holding the claim below. */
const MAX_CLAIM_DEPTH = 3

const isNotFound = (error: PlatformError) => error._tag === "SystemError" && error.reason === "NotFound"
const isAlreadyExists = (error: PlatformError) => error._tag === "SystemError" && error.reason === "AlreadyExists"

const mtimeOf = (info: FileSystem.File.Info): number =>
  Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => mtime.getTime() })

/** What tells two lock files at one path apart: a new file has another inode or (inodes are reused) mtime. */
const identityOf = (info: FileSystem.File.Info): string => `${Option.getOrElse(info.ino, () => 0)}-${mtimeOf(info)}`

export const make = (fs: FileSystem.FileSystem, staleMillis: number): FileLocks => {
  /** Past this long without a touch, a holder stops treating the lock as its own. */
  const ownMillis = (staleMillis * 2) / 3

  const statIfAny = (path: string) =>
    fs.stat(path).pipe(
      Effect.map(Option.some),
      Effect.catchIf(isNotFound, () => Effect.succeed(Option.none<FileSystem.File.Info>()))
    )

  /** True when this call created the file (and closed it at once); false when it existed. */
  const createExclusive = (path: string) =>
    fs.open(path, { flag: "wx", mode: 0o600 }).pipe(
      Effect.scoped,
      Effect.as(true),
      Effect.catchIf(isAlreadyExists, () => Effect.succeed(false))
    )

  /** Removes the lock at `path` if it is stale — as the one process that claimed this very stale lock. */
  const breakIfStale = (path: string, depth: number): Effect.Effect<void, PlatformError> =>
    Effect.gen(function* () {
      const seen = yield* statIfAny(path)
      if (Option.isNone(seen)) return
      const now = yield* Clock.currentTimeMillis
      if (mtimeOf(seen.value) === 0 || now - mtimeOf(seen.value) <= staleMillis) return
      const identity = identityOf(seen.value)
      const claim = `${path}.${identity}.claim`
      if (!(yield* createExclusive(claim))) {
        // Another process is breaking this very lock, or died doing so: then its claim goes stale in turn.
        if (depth < MAX_CLAIM_DEPTH) yield* breakIfStale(claim, depth + 1)
        return
      }
      yield* statIfAny(path).pipe(
        Effect.flatMap((now) =>
          Option.exists(now, (info) => identityOf(info) === identity) ? fs.remove(path, { force: true }) : Effect.void
        ),
        Effect.ensuring(Effect.ignore(fs.remove(claim, { force: true })))
      )
    })

  /** Whether the file at `path` is still the one `lock` created (when the platform tells inodes). */
  const isOwn = (lock: HeldLock) =>
    Effect.map(statIfAny(lock.path), (info) =>
      Option.exists(info, (i) => Option.isNone(lock.ino) || Option.isNone(i.ino) || i.ino.value === lock.ino.value)
    )

  /** Whether `lock` may still be taken for its holder's: touched recently enough that nobody can have broken it. */
  const isFresh = (lock: HeldLock) => Effect.map(Clock.currentTimeMillis, (now) => now - lock.touchedAt < ownMillis)

  const release = (lock: HeldLock) =>
    Effect.gen(function* () {
      if ((yield* isFresh(lock)) && (yield* isOwn(lock))) yield* fs.remove(lock.path, { force: true })
    }).pipe(Effect.ignore)

  const created = (path: string) =>
    Effect.gen(function* () {
      // Once the file exists it is ours: nothing after `open` may fail, or the lock would be left behind.
      const ino = yield* Effect.scoped(
        Effect.flatMap(fs.open(path, { flag: "wx", mode: 0o600 }), (file) =>
          file.stat.pipe(
            Effect.map((info) => info.ino),
            Effect.orElseSucceed(() => Option.none<number>())
          )
        )
      )
      const now = yield* Clock.currentTimeMillis
      const lock: HeldLock = { path, ino, takenAt: now, touchedAt: now }
      return Option.some(lock)
    })

  /** Each attempt either takes the lock and registers its release, or leaves nothing behind. */
  const take = (path: string, timeout: Duration.Duration) => {
    const attempt = Effect.acquireRelease(
      created(path).pipe(
        Effect.catchIf(isAlreadyExists, () => Effect.as(Effect.ignore(breakIfStale(path, 0)), Option.none<HeldLock>()))
      ),
      Option.match({ onNone: () => Effect.void, onSome: release })
    )
    // Again every 20 ms until taken; the schedule's output is the last attempt's (the lock).
    const untilTaken = Schedule.spaced("20 millis").pipe(
      Schedule.whileInput((held: Option.Option<HeldLock>) => Option.isNone(held)),
      Schedule.passthrough
    )
    return attempt.pipe(
      Effect.repeat(untilTaken),
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new LockTimeout({ path, timeout }) }),
      Effect.map(Option.getOrThrow)
    )
  }

  /** Touches the lock if it is still its holder's to touch; says why not otherwise. */
  const touch = (lock: HeldLock, maxHoldMillis: number) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (now - lock.takenAt >= maxHoldMillis) return "held too long" as const
      if (!(yield* isFresh(lock)) || !(yield* isOwn(lock))) return "lost" as const
      yield* Effect.ignore(fs.utimes(lock.path, new Date(now), new Date(now)))
      lock.touchedAt = now
      return "touched" as const
    }).pipe(Effect.orElseSucceed(() => "touched" as const))

  const heartbeat = (lock: HeldLock, maxHoldMillis: number) =>
    touch(lock, maxHoldMillis).pipe(
      Effect.delay(Duration.millis(staleMillis / 3)),
      Effect.repeat({ while: (outcome) => outcome === "touched" }),
      Effect.flatMap((outcome) =>
        Effect.logWarning(
          outcome === "lost"
            ? "a lock file went stale while held (the process stalled?): no longer touched"
            : "a lock file was held longer than its holder may: no longer touched, another process takes it once stale"
        ).pipe(Effect.annotateLogs({ "lock.path": lock.path }))
      )
    )

  return { take, heartbeat }
}
