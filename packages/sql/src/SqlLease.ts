/**
 * An exclusive lease per grant as a row in `<table>_leases`, for every process sharing the database: one holder
 * at a time, an expiry by the database's clock (so a holder that dies frees it), renewal while held, a bound on
 * how long one holder may keep it, and a fencing token that grows with every lease taken.
 *
 * Taking it is one conditional upsert — `INSERT … ON CONFLICT (grant_key) DO UPDATE … WHERE expires_at <= now
 * RETURNING fence` — so two processes can never both take it: PostgreSQL locks the row for the update and checks
 * the condition again on the row as it is then; SQLite runs the statement under the database's write lock from
 * its first step, as an immediate transaction does. Renewal and release are updates that match the holder's
 * random nonce and fence, so a holder whose lease expired (and went to someone else) can neither extend nor free
 * the new holder's.
 *
 * Waiters poll with a growing, jittered pause (5 ms doubling to 200 ms, never past the holder's expiry), so they
 * see a release or an expiry within milliseconds without hammering the database.
 *
 * @since 0.2.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Statement from "@effect/sql/Statement"
import type * as Store from "@ultracart-oauth/adapters/TokenStore"
import { TokenStoreError } from "@ultracart-oauth/adapters/TokenStore"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import { deadlineFor, run } from "./internal/failure.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface LeaseOptions {
  /** The leases table (`SqlTokenSchema.tables(…).leases`). */
  readonly table: string
  /** How long the lease lives without renewal: a dead holder's lease frees itself after this. */
  readonly ttl: Duration.DurationInput
  /** How long to wait for another holder before failing with `Locked`. */
  readonly timeout: Duration.DurationInput
  /**
   * The longest one holder keeps the lease, renewals included: past it the lease expires even if its holder is
   * alive (a hung refresh must not block the grant forever). At least `ttl`.
   */
  readonly maxHold: Duration.DurationInput
  /** How long one statement may take before it fails with `Timeout` (PostgreSQL; see `SqlTokenStore`). */
  readonly statementTimeout: Duration.DurationInput
}

/**
 * A lease held for the rest of a scope.
 *
 * @since 0.2.0
 * @category models
 */
export interface Lease {
  /** The fencing token: greater than that of every lease taken on this grant before. */
  readonly fence: number
  /** Whether the database still holds this lease (false once it expired, or was freed). */
  readonly isHeld: Effect.Effect<boolean, Store.TokenStoreError>
  /** Frees the lease if it is still this one's; true when it was. */
  readonly release: Effect.Effect<boolean, Store.TokenStoreError>
}

const FIRST_PAUSE_MILLIS = 5
const MAX_PAUSE_MILLIS = 200

/** The database's clock in epoch milliseconds: the one clock every process sharing it agrees on. */
const nowMillis = (sql: SqlClient.SqlClient): Statement.Fragment =>
  sql.onDialectOrElse({
    pg: () => sql.literal("(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"),
    orElse: () => sql.literal("CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)")
  })

const numberOf = (value: unknown): number => (typeof value === "number" ? value : Number(value))

/**
 * Takes the grant's lease, waiting for another holder as long as `timeout` (then `Locked`); holds it, renewing it
 * every third of its TTL up to `maxHold`, until the scope closes, then frees it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const acquire = (
  key: string,
  options: LeaseOptions
): Effect.Effect<Lease, Store.TokenStoreError, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const statement = run("lease", key, deadlineFor(sql, options.statementTimeout))
    const table = sql(options.table)
    const now = nowMillis(sql)
    const ttlMillis = Math.max(1, Math.round(Duration.toMillis(options.ttl)))
    const maxHoldMillis = Math.max(ttlMillis, Math.round(Duration.toMillis(options.maxHold)))
    const timeoutMillis = Duration.toMillis(options.timeout)
    const holder = Encoding.encodeHex(globalThis.crypto.getRandomValues(new Uint8Array(12)))
    const started = yield* Clock.currentTimeMillis

    const take = sql<{
      readonly fence: unknown
    }>`INSERT INTO ${table} AS l (grant_key, holder, fence, taken_at, expires_at)
VALUES (${key}, ${holder}, 1, ${now}, ${now} + ${ttlMillis})
ON CONFLICT (grant_key) DO UPDATE SET holder = excluded.holder, fence = l.fence + 1,
  taken_at = excluded.taken_at, expires_at = excluded.expires_at
WHERE l.expires_at <= excluded.taken_at
RETURNING fence`
    const remaining = sql<{ readonly remaining: unknown }>`SELECT expires_at - ${now} AS remaining FROM ${table}
WHERE grant_key = ${key}`

    const release = (fence: number) =>
      sql`UPDATE ${table} SET holder = NULL, expires_at = 0
WHERE grant_key = ${key} AND holder = ${holder} AND fence = ${fence}
RETURNING fence`

    // Taking the lease and registering its release are one uninterruptible step: an interrupted waiter never
    // leaves a lease behind.
    const attempt = Effect.uninterruptible(
      statement(take).pipe(
        Effect.tap((rows) =>
          rows[0] === undefined
            ? Effect.void
            : Effect.addFinalizer(() => Effect.ignore(statement(release(numberOf(rows[0]?.fence)))))
        ),
        Effect.map((rows) => (rows[0] === undefined ? undefined : numberOf(rows[0].fence)))
      )
    )

    const waitFor = (pause: number): Effect.Effect<number, Store.TokenStoreError, Scope.Scope> =>
      Effect.flatMap(attempt, (fence) => {
        if (fence !== undefined) return Effect.succeed(fence)
        return Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          if (now - started >= timeoutMillis) {
            return yield* new TokenStoreError({
              operation: "lease",
              key,
              reason: "Locked",
              detail: `another process held the refresh lease for ${now - started} ms`
            })
          }
          const rows = yield* statement(remaining)
          const left = rows[0] === undefined ? 0 : numberOf(rows[0].remaining)
          // Never sleep past the holder's expiry, nor past the deadline; jitter spreads the waiters out.
          const jitter = yield* Random.nextRange(0.5, 1)
          const bound = Math.min(Number.isFinite(left) ? Math.max(0, left) + 1 : pause, started + timeoutMillis - now)
          yield* Effect.sleep(Duration.millis(Math.max(1, Math.min(pause, bound) * jitter)))
          return yield* waitFor(Math.min(MAX_PAUSE_MILLIS, pause * 2))
        })
      })

    const fence = yield* waitFor(FIRST_PAUSE_MILLIS)

    // Extends the lease only while it is this holder's and alive, and never past `maxHold` from when it was taken.
    const renew = sql`UPDATE ${table}
SET expires_at = CASE WHEN ${now} + ${ttlMillis} < taken_at + ${maxHoldMillis}
  THEN ${now} + ${ttlMillis} ELSE taken_at + ${maxHoldMillis} END
WHERE grant_key = ${key} AND holder = ${holder} AND fence = ${fence} AND expires_at > ${now}
RETURNING fence`

    yield* statement(renew).pipe(
      Effect.map((rows) => rows.length > 0),
      // A failed renewal (the database away for a moment) is tried again; only a lost lease ends the renewals.
      Effect.catchAll(() => Effect.succeed(true)),
      Effect.delay(Duration.millis(ttlMillis / 3)),
      Effect.repeat({ while: (held) => held }),
      Effect.zipRight(
        Effect.logWarning("a database lease expired while held (held past its maxHold, or not renewed in time)").pipe(
          Effect.annotateLogs({ "ultracart.grant": key, "lease.fence": fence })
        )
      ),
      Effect.interruptible,
      Effect.forkScoped
    )

    const lease: Lease = {
      fence,
      isHeld: statement(
        sql`SELECT fence FROM ${table}
WHERE grant_key = ${key} AND holder = ${holder} AND fence = ${fence} AND expires_at > ${now}`
      ).pipe(Effect.map((rows) => rows.length > 0)),
      release: statement(release(fence)).pipe(Effect.map((rows) => rows.length > 0))
    }
    return lease
  })
