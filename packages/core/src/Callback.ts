/**
 * The second step of the browser leg: reading the redirect UltraCart sends the merchant back with, checking
 * `state` in constant time, and handing out the code — or a typed error.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { TaggedError } from "./internal/taggedError.js"

/**
 * Carried by every callback error ({@link CallbackError}): what {@link isCallbackError} checks.
 *
 * @since 0.2.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@ultracart-oauth/core/Callback/CallbackError")

/**
 * @since 0.2.0
 * @category type ids
 */
export type TypeId = typeof TypeId

const carryTypeId = (prototype: object): void => {
  Object.defineProperty(prototype, TypeId, { value: TypeId })
}

/**
 * The merchant declined (`error=access_denied`).
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationDenied extends TaggedError<AuthorizationDenied>()("AuthorizationDenied", {
  description: Schema.optional(Schema.String)
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carryTypeId(this.prototype)
  }
  override get message(): string {
    return `The merchant declined the authorization${this.description ? `: ${this.description}` : ""}`
  }
}

/**
 * `error=invalid_request` on the redirect: UltraCart uses it when the authorize URL has expired. Start again.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationExpired extends TaggedError<AuthorizationExpired>()("AuthorizationExpired", {
  description: Schema.optional(Schema.String)
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carryTypeId(this.prototype)
  }
  override get message(): string {
    return `The authorization request expired or was invalid${this.description ? `: ${this.description}` : ""}`
  }
}

/**
 * Another `error` code on the redirect.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationFailed extends TaggedError<AuthorizationFailed>()("AuthorizationFailed", {
  code: Schema.String,
  description: Schema.optional(Schema.String)
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carryTypeId(this.prototype)
  }
  override get message(): string {
    return `The authorization failed with ${this.code}${this.description ? `: ${this.description}` : ""}`
  }
}

/**
 * The redirect carried neither a code nor an error, or was not a URL.
 *
 * @since 0.1.0
 * @category errors
 */
export class CallbackMissingCode extends TaggedError<CallbackMissingCode>()("CallbackMissingCode", {
  reason: Schema.String
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carryTypeId(this.prototype)
  }
  override get message(): string {
    return `The authorization callback is unusable: ${this.reason}`
  }
}

/**
 * The redirect's `state` is missing or differs from the one sent: a possible CSRF attempt (RFC 6749 §10.12).
 * Neither value is kept.
 *
 * @since 0.1.0
 * @category errors
 */
export class StateMismatch extends TaggedError<StateMismatch>()("StateMismatch", {
  reason: Schema.Literal("Missing", "Different")
}) {
  /** @since 0.2.0 */
  declare readonly [TypeId]: TypeId
  static {
    carryTypeId(this.prototype)
  }
  override get message(): string {
    return this.reason === "Missing"
      ? "The authorization callback carries no state"
      : "The authorization callback's state does not match the one sent"
  }
}

/**
 * Everything reading a callback can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type CallbackError =
  | AuthorizationDenied
  | AuthorizationExpired
  | AuthorizationFailed
  | CallbackMissingCode
  | StateMismatch

/**
 * Whether a value is one of the callback errors (it carries {@link TypeId}).
 *
 * @since 0.2.0
 * @category guards
 */
export const isCallbackError = (u: unknown): u is CallbackError => Predicate.hasProperty(u, TypeId)

/**
 * Compares two secrets in time that depends only on their lengths. It compares UTF-16 code units, not UTF-8 bytes:
 * an encoder turns every lone surrogate into the same U+FFFD, which would make different strings equal.
 *
 * @since 0.1.0
 * @category utils
 */
export const constantTimeEquals = (a: Redacted.Redacted<string>, b: Redacted.Redacted<string>): boolean => {
  const x = Redacted.value(a)
  const y = Redacted.value(b)
  let diff = x.length ^ y.length
  const n = Math.max(x.length, y.length)
  // Past the end of the shorter string charCodeAt gives NaN, which `^` reads as 0; the lengths already differ.
  for (let i = 0; i < n; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i)
  return diff === 0
}

/** The callback's parameters; `undefined` for what is no URL or query string (also what a type does not allow). */
const searchParamsOf = (callback: unknown): URLSearchParams | undefined => {
  if (callback instanceof URLSearchParams) return callback
  if (callback instanceof URL) return callback.searchParams
  if (typeof callback !== "string") return undefined
  try {
    return new URL(callback).searchParams
  } catch {
    // A bare query string ("?code=…&state=…" or "code=…&state=…") is accepted too.
    return callback.includes("=") ? new URLSearchParams(callback.replace(/^[^?]*\?/, "")) : undefined
  }
}

const optionalDescription = (params: URLSearchParams) => {
  const description = params.get("error_description")
  return description === null ? {} : { description }
}

/**
 * Reads the redirect (a full URL, a query string, or its parameters): checks `state` first (a forged redirect
 * learns nothing, not even whether it carried an error), then returns the authorization code as a secret. Input of
 * another type (`null`, a number — from untyped code) is `CallbackMissingCode`, like a string that is no URL; an
 * expected state that is not a `Redacted` string is `StateMismatch`. Nothing it is given makes it throw.
 *
 * @example
 * ```ts
 * import * as Callback from "@ultracart-oauth/core/Callback"
 * import * as Effect from "effect/Effect"
 * import * as Redacted from "effect/Redacted"
 *
 * const state = Redacted.make("kept-with-the-session")
 * const code = Effect.runSync(Callback.parse("https://app.example/cb?code=c0de&state=kept-with-the-session", state))
 * assert.strictEqual(Redacted.value(code), "c0de")
 *
 * // A forged callback learns nothing: state is checked before anything else is believed.
 * const forged = Effect.runSync(Effect.flip(Callback.parse("?error=access_denied&state=guess", state)))
 * assert.strictEqual(forged._tag, "StateMismatch")
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (
  callback: string | URL | URLSearchParams,
  expectedState: Redacted.Redacted<string>
): Effect.Effect<Redacted.Redacted<string>, CallbackError> =>
  Effect.suspend((): Effect.Effect<Redacted.Redacted<string>, CallbackError> => {
    const params = searchParamsOf(callback)
    if (params === undefined) return Effect.fail(new CallbackMissingCode({ reason: "not a URL or query string" }))
    if (!Redacted.isRedacted(expectedState) || typeof Redacted.value(expectedState) !== "string") {
      return Effect.fail(new StateMismatch({ reason: "Different" }))
    }
    const states = params.getAll("state")
    const [state] = states
    if (state === undefined || state === "") return Effect.fail(new StateMismatch({ reason: "Missing" }))
    if (states.length > 1 || !constantTimeEquals(Redacted.make(state), expectedState)) {
      return Effect.fail(new StateMismatch({ reason: "Different" }))
    }
    const error = params.get("error")
    if (error !== null) {
      switch (error) {
        case "access_denied":
          return Effect.fail(new AuthorizationDenied(optionalDescription(params)))
        case "invalid_request":
          return Effect.fail(new AuthorizationExpired(optionalDescription(params)))
        default:
          return Effect.fail(new AuthorizationFailed({ code: error, ...optionalDescription(params) }))
      }
    }
    const codes = params.getAll("code")
    const [code] = codes
    if (code === undefined || code === "") return Effect.fail(new CallbackMissingCode({ reason: "no code parameter" }))
    if (codes.length > 1) return Effect.fail(new CallbackMissingCode({ reason: "more than one code parameter" }))
    return Effect.succeed(Redacted.make(code))
  })
