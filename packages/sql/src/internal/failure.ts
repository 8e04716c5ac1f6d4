/**
 * What a failed statement means for a token store: the driver's error (inside `SqlError`'s cause) sorted into
 * the store's reasons. Only the driver's code and the first line of its message are kept: PostgreSQL and SQLite
 * name the problem there, not the statement's parameters (which hold tokens).
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Store from "@ultracart-oauth/adapters/TokenStore"
import { TokenStoreError } from "@ultracart-oauth/adapters/TokenStore"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"

type Reason = Store.TokenStoreError["reason"]

/** Node's socket errors: the server is not there, or the connection broke. */
const SOCKET_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ETIMEDOUT",
  "ENOENT"
])

/** pg's own messages for a connection that is gone or never came. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error/,
  /^Client was closed/,
  /^timeout exceeded when trying to connect/,
  /^Cannot use a pool after calling end/,
  /^Connection error/,
  /^Failed to acquire connection/
]

const codeOf = (error: unknown): string | undefined => {
  const code = typeof error === "object" && error !== null ? (error as { readonly code?: unknown }).code : undefined
  return typeof code === "string" ? code : undefined
}

const firstLine = (error: unknown): string => {
  const text = error instanceof Error ? error.message : typeof error === "string" ? error : ""
  const line = text.split("\n", 1)[0] ?? ""
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

/** PostgreSQL's SQLSTATE: a connection exception (class 08), a server shutting down, refusing or cancelling. */
const fromSqlState = (code: string): Reason | undefined => {
  if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300") {
    return "Unavailable"
  }
  if (code === "57014") return "Timeout" // query_canceled: statement_timeout, or the store's own deadline
  if (code === "55P03" || code === "40P01" || code === "40001") return "Locked" // lock_not_available, deadlock…
  return undefined
}

/** The store's reason for a failed statement, and a detail that names the database's problem. */
export const classify = (error: SqlError.SqlError): { readonly reason: Reason; readonly detail: string } => {
  const cause = error.cause
  const code = codeOf(cause)
  const message = firstLine(cause) || firstLine(error)
  const detail = code === undefined ? message : `${code}: ${message}`
  if (code?.startsWith("SQLITE_")) {
    const busy = code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")
    return { reason: busy ? "Locked" : "Io", detail: `SQLite ${busy ? "locked" : "failed"} (${detail})` }
  }
  const reason =
    (code !== undefined && SOCKET_ERRORS.has(code) ? "Unavailable" : undefined) ??
    (code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? fromSqlState(code) : undefined) ??
    (CONNECTION_MESSAGES.some((pattern) => pattern.test(message)) ? "Unavailable" : undefined) ??
    "Io"
  const what = reason === "Unavailable" ? "unavailable" : reason === "Timeout" ? "timeout" : "failed"
  return { reason, detail: `database ${what} (${detail})` }
}

/**
 * A deadline kept by one timer: the statement runs in a fiber of its own; past `millis` that fiber is interrupted
 * in the background (for PostgreSQL: the statement is cancelled on the server) and the caller fails at once with
 * `onTimeout`. (`Effect.timeout` forks two fibers and awaits the interruption: about 80–100 µs of CPU per statement.)
 */
const withDeadline = <A, E, E2>(
  statement: Effect.Effect<A, E>,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2> =>
  Effect.flatMap(Effect.forkDaemon(statement), (fiber) =>
    Effect.async<A, E | E2>((resume) => {
      let settled = false
      const timer = setTimeout(() => {
        if (settled) return
        settled = true
        fiber.unsafeInterruptAsFork(FiberId.none)
        resume(Effect.fail(onTimeout()))
      }, millis)
      fiber.addObserver((exit) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resume(exit)
      })
      // The caller interrupted: so is the statement.
      return Effect.sync(() => {
        settled = true
        clearTimeout(timer)
        fiber.unsafeInterruptAsFork(FiberId.none)
      })
    })
  )

/**
 * Runs a statement for a store operation: its `SqlError` sorted into the store's reasons, and no answer within
 * `timeout` a `Timeout` (the caller goes on at once; the statement is cancelled in the background, and a write
 * may still land). Without a timeout (SQLite: its driver is synchronous, a deadline could not cut a statement
 * short, and its busy timeout bounds the wait for a lock), only the errors are sorted.
 */
export const run =
  (operation: Store.TokenStoreError["operation"], key: string, timeout: Duration.Duration | undefined) =>
  <A>(statement: Effect.Effect<A, SqlError.SqlError>): Effect.Effect<A, Store.TokenStoreError> =>
    Effect.catchTag(
      timeout === undefined
        ? statement
        : withDeadline(
            statement,
            Duration.toMillis(timeout),
            () =>
              new TokenStoreError({
                operation,
                key,
                reason: "Timeout",
                detail: `database timeout (no answer within ${Duration.format(timeout)})`
              })
          ),
      "SqlError",
      (error) => Effect.fail(new TokenStoreError({ operation, key, ...classify(error) }))
    )

/**
 * The statement deadline for a client: none for SQLite (see {@link run}).
 */
export const deadlineFor = (sql: SqlClient.SqlClient, timeout: Duration.DurationInput): Duration.Duration | undefined =>
  sql.onDialectOrElse({ sqlite: () => undefined, orElse: () => Duration.decode(timeout) })
