/**
 * Values kept in memory per key — made on first use, each in a scope of its own, let go once unused for an idle
 * time (and at rest) — as Effect's `RcMap` does, with a hot path that is a map read: a use of a value in memory
 * costs a lookup and two counter updates, no scope, no semaphore, no fiber.
 *
 * Every key is in one of two states ({@link Slot}): being made (callers wait for it) or in memory. A sweep every
 * `idleTimeToLive` lets go of the values nobody used since the previous sweep, that nobody is using now, and that
 * say they are at rest; a value is thus let go between one and two idle times after its last use.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Scope from "effect/Scope"

/**
 * A value in memory: `active` counts the uses in progress, `touched` says it was used since the last sweep,
 * `closed` that it was let go (a caller that finds it so makes a new one).
 */
export class Entry<V> {
  active = 0
  touched = true
  closed = false
  /** Ends one use. */
  readonly done: Effect.Effect<void> = Effect.sync(() => void this.active--)
  constructor(
    readonly value: V,
    readonly scope: Scope.CloseableScope
  ) {}
  /** Begins one use. */
  begin(): this {
    this.active++
    this.touched = true
    return this
  }
}

/** A key's place: a value being made (callers wait for it), or one made. */
type Slot<V> =
  | { readonly _tag: "Opening"; readonly ready: Deferred.Deferred<Entry<V>> }
  | { readonly _tag: "Open"; readonly entry: Entry<V> }

export interface KeyedCacheOptions<V> {
  /** Makes the value of a key in the scope given (closed when the value is let go). */
  readonly make: (key: string, scope: Scope.Scope) => Effect.Effect<V>
  /** Whether the value is at rest (may be let go). */
  readonly atRest: (value: V) => Effect.Effect<boolean>
  readonly idleTimeToLive: Duration.DurationInput
  /** Told of each value made and let go (for metrics). */
  readonly onOpen: Effect.Effect<void>
  readonly onRelease: (count: number) => Effect.Effect<void>
}

export interface KeyedCache<V> {
  /**
   * Runs `use` with the key's value, marked as used but not counted as in use: for uses that end well within the
   * idle time (a token read). The value is not let go before the sweep after next, and never while it is not at
   * rest (refreshing).
   */
  readonly touch: <A, E, R>(key: string, use: (value: V) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Runs `use` with the key's value, which stays in memory meanwhile. */
  readonly use: <A, E, R>(key: string, use: (value: V) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** The key's value, kept in memory for as long as the scope is open. */
  readonly hold: (key: string) => Effect.Effect<V, never, Scope.Scope>
  /** Lets the key's value go now, unless it is in use. */
  readonly release: (key: string) => Effect.Effect<void>
}

/** Makes the cache; its values live in the given scope, and closing it closes them all. */
export const make = <V>(options: KeyedCacheOptions<V>): Effect.Effect<KeyedCache<V>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.parallel)
    const slots = new Map<string, Slot<V>>()
    yield* Scope.addFinalizer(
      scope,
      Effect.suspend(() => options.onRelease(Array.from(slots.values()).filter((s) => s._tag === "Open").length))
    )

    const build = (key: string): Effect.Effect<Entry<V>> =>
      Effect.gen(function* () {
        const own = yield* Scope.fork(scope, ExecutionStrategy.sequential)
        const value = yield* options.make(key, own)
        yield* options.onOpen
        return new Entry(value, own)
      })

    /** The key's entry: the one in memory, the one being made, or a new one. */
    const open = (key: string): Effect.Effect<Entry<V>> =>
      Effect.suspend(() => {
        const slot = slots.get(key)
        if (slot?._tag === "Open") return Effect.succeed(slot.entry)
        if (slot?._tag === "Opening") return Deferred.await(slot.ready)
        const ready = Deferred.unsafeMake<Entry<V>>(FiberId.none)
        slots.set(key, { _tag: "Opening", ready })
        return Effect.uninterruptible(
          Effect.tap(build(key), (entry) => {
            slots.set(key, { _tag: "Open", entry })
            return Deferred.succeed(ready, entry)
          })
        )
      })

    const use = <A, E, R>(key: string, f: (value: V) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        const slot = slots.get(key)
        if (slot?._tag === "Open" && !slot.entry.closed) return using(slot.entry, f)
        return Effect.flatMap(open(key), (entry) => (entry.closed ? use(key, f) : using(entry, f)))
      })

    const touch = <A, E, R>(key: string, f: (value: V) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        const slot = slots.get(key)
        if (slot?._tag === "Open" && !slot.entry.closed) {
          slot.entry.touched = true
          return f(slot.entry.value)
        }
        return use(key, f)
      })

    const using = <A, E, R>(entry: Entry<V>, f: (value: V) => Effect.Effect<A, E, R>) =>
      Effect.ensuring(f(entry.begin().value), entry.done)

    /** The key's entry with one use begun (the caller ends it). */
    const acquire = (key: string): Effect.Effect<Entry<V>> =>
      Effect.suspend(() => {
        const slot = slots.get(key)
        if (slot?._tag === "Open" && !slot.entry.closed) return Effect.succeed(slot.entry.begin())
        return Effect.flatMap(open(key), (entry) => (entry.closed ? acquire(key) : Effect.succeed(entry.begin())))
      })

    const releaseEntry = (key: string, entry: Entry<V>): Effect.Effect<void> =>
      Effect.suspend(() => {
        const slot = slots.get(key)
        if (entry.active > 0 || entry.closed || slot?._tag !== "Open" || slot.entry !== entry) return Effect.void
        slots.delete(key)
        entry.closed = true
        return Effect.zipRight(Scope.close(entry.scope, Exit.void), options.onRelease(1))
      })

    /** Lets go of the entries nobody used since the last sweep, nobody uses now, and that are at rest. */
    const sweep = Effect.suspend(() => {
      const idle: Array<readonly [string, Entry<V>]> = []
      for (const [key, slot] of slots) {
        if (slot._tag !== "Open") continue
        if (slot.entry.active === 0 && !slot.entry.touched) idle.push([key, slot.entry])
        slot.entry.touched = false
      }
      return Effect.forEach(
        idle,
        ([key, entry]) =>
          Effect.flatMap(options.atRest(entry.value), (rest) => (rest ? releaseEntry(key, entry) : Effect.void)),
        { discard: true }
      )
    })
    const every = Duration.decode(options.idleTimeToLive)
    yield* Effect.forkIn(Effect.forever(Effect.zipRight(Effect.sleep(every), sweep)), scope)

    return {
      touch,
      use,
      hold: (key) =>
        Effect.map(
          Effect.acquireRelease(acquire(key), (entry) => entry.done),
          (entry) => entry.value
        ),
      release: (key) =>
        Effect.suspend(() => {
          const slot = slots.get(key)
          return slot?._tag === "Open" ? releaseEntry(key, slot.entry) : Effect.void
        })
    }
  })
