/**
 * How a failed statement is sorted into the store's reasons, for driver errors the real-server tests do not
 * provoke one by one (a server-side statement timeout, a lock timeout, a full disk…), and what the detail keeps.
 */
import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { classify } from "../src/internal/failure.js"

/** An error as pg or better-sqlite3 raise it: a message and a code. */
const driverError = (message: string, code?: string) =>
  Object.assign(new Error(message), code === undefined ? {} : { code })

const reasonOf = (cause: unknown) => classify(new SqlError({ cause, message: "Failed to execute statement" })).reason

describe("classify", () => {
  it("no server, a broken connection, a server shutting down: Unavailable", () => {
    expect(reasonOf(driverError("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))).toBe("Unavailable")
    expect(reasonOf(driverError("read ECONNRESET", "ECONNRESET"))).toBe("Unavailable")
    expect(reasonOf(driverError("Connection terminated unexpectedly"))).toBe("Unavailable")
    expect(reasonOf(driverError("terminating connection due to administrator command", "57P01"))).toBe("Unavailable")
    expect(reasonOf(driverError("the database system is starting up", "57P03"))).toBe("Unavailable")
    expect(reasonOf(driverError("sorry, too many clients already", "53300"))).toBe("Unavailable")
    expect(reasonOf(driverError("connection failure", "08006"))).toBe("Unavailable")
    expect(reasonOf(driverError("timeout exceeded when trying to connect"))).toBe("Unavailable")
  })

  it("a statement cancelled by the server's statement_timeout: Timeout; a lock not had in time: Locked", () => {
    expect(reasonOf(driverError("canceling statement due to statement timeout", "57014"))).toBe("Timeout")
    expect(reasonOf(driverError("canceling statement due to lock timeout", "55P03"))).toBe("Locked")
    expect(reasonOf(driverError("deadlock detected", "40P01"))).toBe("Locked")
  })

  it("SQLite: a busy or locked file is Locked; any other failure Io", () => {
    expect(reasonOf(driverError("database is locked", "SQLITE_BUSY"))).toBe("Locked")
    expect(reasonOf(driverError("database table is locked", "SQLITE_LOCKED_SHAREDCACHE"))).toBe("Locked")
    expect(reasonOf(driverError("database or disk is full", "SQLITE_FULL"))).toBe("Io")
    expect(reasonOf(driverError("attempt to write a readonly database", "SQLITE_READONLY"))).toBe("Io")
  })

  it("anything else is Io; the detail keeps the code and the first line of the message, shortened", () => {
    expect(reasonOf(driverError('relation "x" does not exist', "42P01"))).toBe("Io")
    expect(reasonOf("not even an Error")).toBe("Io")
    const { detail } = classify(
      new SqlError({ cause: driverError(`disk I/O error\n${"stack ".repeat(100)}`, "SQLITE_IOERR") })
    )
    expect(detail).toBe("SQLite failed (SQLITE_IOERR: disk I/O error)")
    const long = classify(new SqlError({ cause: driverError("x".repeat(500), "XX000") })).detail
    expect(long.length).toBeLessThan(260)
  })
})
